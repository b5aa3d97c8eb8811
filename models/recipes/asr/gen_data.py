#!/usr/bin/env python3
"""Deterministic, resumable synthetic speech corpus for the default ASR model.

Writes under OUT (default models/recipes/asr/work/data):
  sentences.txt            training sentences (BPE training text), one a line
  train/shard_NNNNN.pt     SHARD_SIZE utterances each: {"texts", "voices", "feats" (fp16 [T,80])}
  test_voice/…wav + .list + .trans   held-out voice (flite rms) x held-out sentences, clean
  test_sent/…wav  + .list + .trans   held-out sentences x training voices, clean

Each shard depends only on (--seed, shard index), so a run can stop at any time and a later run
with a larger --train-shards continues where it left off (finished shards are skipped; a shard is
written to a temporary name and renamed when complete).

Usage (≤ 2 processes, low priority, as the machine is shared):
  nice -n 15 /usr/bin/python3 models/recipes/asr/gen_data.py --train-shards 20 --jobs 2
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
import wave
from typing import List, Tuple

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sentences as S  # noqa: E402
import synth  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN_FRACTION = 0.7


def build_pools(seed: int):
    domain = sorted(set(S.domain_sentences(seed, 200000)))
    general = S.general_sentences()
    d_train, d_test = S.split_heldout(domain)
    g_train, g_test = S.split_heldout(general)
    return d_train, d_test, g_train, g_test


def pick_sentence(rng: random.Random, d: List[str], g: List[str]) -> str:
    return rng.choice(d) if rng.random() < DOMAIN_FRACTION else rng.choice(g)


def make_shard(args: Tuple) -> str:
    out_dir, k, seed, shard_size, d_train, g_train = args
    torch.set_num_threads(1)
    path = os.path.join(out_dir, "train", f"shard_{k:05d}.pt")
    if os.path.exists(path):
        return f"{path} exists"
    t0 = time.time()
    rng = random.Random(seed * 1000003 + k)
    items = []
    for _ in range(shard_size):
        text = pick_sentence(rng, d_train, g_train)
        engine, voice, params = synth.pick_voice(rng)
        items.append((engine, voice, text, params))
    wavs = synth.synthesize(items)
    texts, voices, feats = [], [], []
    for (engine, voice, text, _), w in zip(items, wavs):
        arng = random.Random(rng.randrange(1 << 30))
        if w is None:
            continue
        if arng.random() < 0.85:
            w = synth.augment(w, arng)
        else:
            w = synth.trim_silence(w)
            w = np.concatenate([np.zeros(1600, np.float32), w, np.zeros(3200, np.float32)])
        texts.append(text)
        voices.append(f"{engine}:{voice}")
        feats.append(synth.fbank(w).to(torch.float16))
    tmp = path + ".tmp"
    torch.save({"texts": texts, "voices": voices, "feats": feats}, tmp)
    os.replace(tmp, path)
    return f"{path}: {len(texts)} utts in {time.time() - t0:.0f}s"


def write_wav(path: str, w: np.ndarray) -> None:
    pcm = np.clip(np.round(w * 32767), -32768, 32767).astype(np.int16)
    with wave.open(path, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(synth.SAMPLE_RATE)
        f.writeframes(pcm.tobytes())


def make_test(out_dir: str, name: str, seed: int, count: int, d_test: List[str],
              g_test: List[str], heldout_voice: bool) -> None:
    d = os.path.join(out_dir, name)
    if os.path.exists(os.path.join(d, f"{name}.list")):
        print(f"{name} exists")
        return
    os.makedirs(d, exist_ok=True)
    rng = random.Random(seed * 7919 + (1 if heldout_voice else 2))
    items = []
    for _ in range(count):
        text = pick_sentence(rng, d_test, g_test)
        if heldout_voice:
            engine, voice = synth.HELDOUT_VOICE
            params = {}
        else:
            engine, voice, params = synth.pick_voice(rng)
        items.append((engine, voice, text, params))
    wavs = synth.synthesize(items)
    lines, trans = [], []
    for i, ((engine, voice, text, _), w) in enumerate(zip(items, wavs)):
        if w is None:
            continue
        w = synth.trim_silence(w)
        w = np.concatenate([np.zeros(1600, np.float32), w, np.zeros(3200, np.float32)])
        w = w * (0.5 / (np.abs(w).max() + 1e-9))
        uid = f"{name}_{i:04d}"
        path = os.path.join(d, uid + ".wav")
        write_wav(path, w)
        lines.append(f"{uid}\t{os.path.abspath(path)}")
        domain = "domain" if text in set(d_test) else "general"
        trans.append(f"{uid}\t{engine}:{voice}\t{domain}\t{text}")
    with open(os.path.join(d, f"{name}.trans"), "w") as f:
        f.write("\n".join(trans) + "\n")
    with open(os.path.join(d, f"{name}.list"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{name}: {len(lines)} utterances")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "work", "data"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train-shards", type=int, default=20)
    ap.add_argument("--first-shard", type=int, default=0)
    ap.add_argument("--shard-size", type=int, default=250)
    ap.add_argument("--test-size", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=1, help="parallel processes (≤ 2 here)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(os.path.join(args.out, "train"), exist_ok=True)
    d_train, d_test, g_train, g_test = build_pools(args.seed)
    print(f"sentences: domain {len(d_train)} train / {len(d_test)} held out; "
          f"general {len(g_train)} train / {len(g_test)} held out", flush=True)
    sent_path = os.path.join(args.out, "sentences.txt")
    if not os.path.exists(sent_path):
        with open(sent_path + ".tmp", "w") as f:
            f.write("\n".join(d_train + g_train) + "\n")
        os.replace(sent_path + ".tmp", sent_path)
    make_test(args.out, "test_voice", args.seed, args.test_size, d_test, g_test, True)
    make_test(args.out, "test_sent", args.seed, args.test_size, d_test, g_test, False)
    jobs = [(args.out, k, args.seed, args.shard_size, d_train, g_train)
            for k in range(args.first_shard, args.train_shards)]
    if args.jobs > 1:
        with mp.Pool(min(args.jobs, 2)) as pool:
            for msg in pool.imap(make_shard, jobs):
                print(msg, flush=True)
    else:
        for j in jobs:
            print(make_shard(j), flush=True)


if __name__ == "__main__":
    main()
