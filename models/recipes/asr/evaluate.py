#!/usr/bin/env python3
"""Word error rate of the ASR model on the held-out test sets.

Decoders:
  --checkpoint CK   PyTorch greedy search, streaming-exact (chunks of T frames like sherpa-onnx,
                    one symbol per frame, 0.5 s tail padding) - quick check while training;
                    add --ctc for the auxiliary CTC view (best path) instead of the transducer.
  --onnx DIR        sherpa-onnx-node (reference) on the exported model; add --int8 for *.int8.onnx.
  --parley BIN      our engine: `BIN transcribe --asr DIR FILE` per file (with --onnx DIR).
  --compare         decode twice (checkpoint or parley, then sherpa-onnx or parley) and count
                    identical transcripts.

Prints WER per test set and per domain/general subset; --json writes them to a file.

Usage:
  /usr/bin/python3 models/recipes/asr/evaluate.py --onnx models/asr [--int8] [--limit 100]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Dict, List, Tuple

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SHERPA_JS = os.path.join(ROOT, "tests", "asr", "sherpa_transcribe.js")
TEST_SETS = ["test_voice", "test_sent"]


def edit_distance(a: List[str], b: List[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def read_set(data: str, name: str, limit: int) -> List[Tuple[str, str, str, str]]:
    d = os.path.join(data, name)
    paths = dict(line.rstrip("\n").split("\t") for line in open(os.path.join(d, name + ".list"))
                 if line.strip())
    rows = []
    for line in open(os.path.join(d, name + ".trans")):
        if line.strip():
            uid, voice, subset, text = line.rstrip("\n").split("\t")
            rows.append((uid, paths[uid], subset, text))
    return rows[:limit] if limit > 0 else rows


def detokenize(tokens: List[str], ids: List[int]) -> str:
    return "".join(tokens[i] for i in ids).replace("\u2581", " ").strip()


def decode_checkpoint(ck_path: str, rows, ctc: bool = False) -> Dict[str, str]:
    import sentencepiece as spm  # noqa: F401
    import synth
    import torchaudio
    from model import ModelConfig, Transducer
    ck = torch.load(ck_path, map_location="cpu")
    cfg = ModelConfig(**ck["config"])
    model = Transducer(cfg).eval()
    model.load_state_dict(ck["model"])
    tokens = ck["tokens"]
    out = {}
    T, S, ctx = cfg.chunk_frames, cfg.decode_chunk_len, cfg.context_size
    for uid, path, _, _ in rows:
        w, sr = torchaudio.load(path)
        w = torch.cat([w[0], torch.zeros(sr // 2)])
        f = synth.fbank(w.numpy())
        n = (f.shape[0] - T - 1) // S + 1 if f.shape[0] > T else 0  # sherpa: strict '<'
        with torch.no_grad():
            enc, _ = model.encoder(f.unsqueeze(0), torch.tensor([f.shape[0]]))
            enc = enc[:, :n * cfg.chunk_out_frames]
            if ctc:  # the training-only CTC view: best path, repeats collapsed, blanks dropped
                best = model.ctc_logits(enc)[0].argmax(-1).tolist()
                ids = [k for i, k in enumerate(best) if k != 0 and (i == 0 or best[i - 1] != k)]
                out[uid] = detokenize(tokens, ids)
                continue
            hyp = [-1] * (ctx - 1) + [0]
            dec = model.decoder(torch.tensor([hyp[-ctx:]]))[:, -1]
            ids = []
            for t in range(enc.shape[1]):
                k = int(model.joiner(enc[:, t], dec).argmax(-1))
                if k != 0:
                    hyp.append(k)
                    ids.append(k)
                    dec = model.decoder(torch.tensor([hyp[-ctx:]]))[:, -1]
        out[uid] = detokenize(tokens, ids)
    return out


def decode_sherpa(onnx_dir: str, rows, int8: bool, refs: str) -> Dict[str, str]:
    """Greedy search, 0.5 s tail padding, no endpointing (tests/asr/sherpa_transcribe.js)."""
    cmd = ["node", SHERPA_JS, refs, onnx_dir, "greedy_search", "0.5"] + \
        (["--int8"] if int8 else []) + [path for _, path, _, _ in rows]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    by_path = {}
    for line in res.stdout.splitlines():
        r = json.loads(line)
        by_path[r["file"]] = " ".join(r["text"].split())
    missing = [path for _, path, _, _ in rows if path not in by_path]
    if missing:
        raise RuntimeError(f"sherpa-onnx gave no transcript for {len(missing)} file(s), first {missing[0]}")
    return {uid: by_path[path] for uid, path, _, _ in rows}


def decode_parley(binary: str, onnx_dir: str, rows) -> Dict[str, str]:
    out = {}
    for uid, path, _, _ in rows:
        res = subprocess.run([binary, "transcribe", "--asr", onnx_dir, path],
                             capture_output=True, text=True, check=True)
        out[uid] = " ".join(res.stdout.split())
    return out


def score(rows, hyps: Dict[str, str]) -> Dict[str, Dict[str, float]]:
    acc: Dict[str, List[int]] = {}
    for uid, _, subset, ref in rows:
        r, h = ref.split(), hyps.get(uid, "").upper().split()
        e = edit_distance(r, h)
        for key in ("all", subset):
            a = acc.setdefault(key, [0, 0, 0])
            a[0] += e
            a[1] += len(r)
            a[2] += 1
    return {k: {"wer": 100.0 * v[0] / max(1, v[1]), "errors": v[0], "words": v[1],
                "utterances": v[2]} for k, v in acc.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(HERE, "work", "data"))
    ap.add_argument("--checkpoint")
    ap.add_argument("--onnx")
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--parley")
    ap.add_argument("--refs", default=os.environ.get("PARLEY_REFS_DIR",
                                                     os.path.join(ROOT, ".refs", "node_modules")),
                    help="where sherpa-onnx-node is installed (scripts/reference_tools.sh)")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--ctc", action="store_true", help="with --checkpoint: CTC best path")
    ap.add_argument("--sets", default=",".join(TEST_SETS))
    ap.add_argument("--show", type=int, default=3, help="print this many examples per set")
    ap.add_argument("--json")
    ap.add_argument("--compare", action="store_true",
                    help="with --checkpoint and --onnx: count identical transcripts")
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = {}
    for name in args.sets.split(","):
        rows = read_set(args.data, name, args.limit)
        if args.checkpoint:
            hyps = decode_checkpoint(args.checkpoint, rows, args.ctc)
        elif args.parley:
            hyps = decode_parley(args.parley, args.onnx, rows)
        else:
            hyps = decode_sherpa(args.onnx, rows, args.int8, args.refs)
        if args.compare:
            other = (decode_parley(args.parley, args.onnx, rows)
                     if args.parley and args.checkpoint
                     else decode_sherpa(args.onnx, rows, args.int8, args.refs))
            same = sum(1 for uid, _, _, _ in rows if other.get(uid) == hyps.get(uid))
            print(f"{name}: {same}/{len(rows)} transcripts identical between "
                  f"{'checkpoint' if args.checkpoint else 'parley'} and "
                  f"{'parley' if args.parley and args.checkpoint else 'sherpa-onnx'}")
            results[name + "_identical"] = [same, len(rows)]
        results[name] = score(rows, hyps)
        results[name + "_hyps"] = hyps
        for uid, _, _, ref in rows[:args.show]:
            print(f"  REF {ref}\n  HYP {hyps.get(uid, '')}")
        s = results[name]
        print(f"{name}: WER {s['all']['wer']:.2f}% ({s['all']['errors']}/{s['all']['words']}, "
              f"{s['all']['utterances']} utts)" + "".join(
                  f"; {k} {v['wer']:.2f}%" for k, v in s.items() if k != "all"), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
