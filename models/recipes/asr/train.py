#!/usr/bin/env python3
"""Train the streaming LSTM transducer on gen_data.py's shards (CPU, resumable).

  /usr/bin/python3 models/recipes/asr/train.py [--threads 2] [--minutes 90]

Schedule (by step, so a resumed run follows the same plan): a flat start (--flat-start-steps of
frame-level cross-entropy on length-proportional token spans), the CTC loss alone on the
--short-utts shortest utterances until --short-steps, the CTC loss alone on everything until
--ctc-only-steps, then the transducer loss + --ctc-weight x CTC until --max-steps. The 128-piece
vocabulary and the flat start are what get the encoder off the CTC plateau within a CPU budget
(256 pieces without them stayed on it for 2,000+ steps; see models/asr/MODEL_CARD.md).

Everything lives under work/: work/bpe/ (sentencepiece model + tokens.txt), work/exp/last.pt
(checkpoint every --ckpt-minutes, resumed automatically), work/exp/train.log. New shards that
gen_data.py finishes while training runs are picked up at the next epoch. Stops after
--max-steps or --minutes of wall time in this run, or after the current step on SIGTERM (`kill PID`),
saving the checkpoint first; run it again to continue.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import math
import os
import random
import resource
import signal
import sys
import time
from typing import List

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ModelConfig, Transducer, count_params, subsampled_length  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "work")


def train_bpe(sent_path: str, out_dir: str, vocab_size: int) -> List[str]:
    import sentencepiece as spm
    os.makedirs(out_dir, exist_ok=True)
    prefix = os.path.join(out_dir, "bpe")
    if not os.path.exists(prefix + ".model"):
        spm.SentencePieceTrainer.train(
            input=sent_path, model_prefix=prefix, vocab_size=vocab_size, model_type="unigram",
            character_coverage=1.0, input_sentence_size=200000, shuffle_input_sentence=True,
            user_defined_symbols=["<blk>", "<sos/eos>"], unk_id=2, bos_id=-1, eos_id=-1,
            num_threads=1)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    tokens = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    assert tokens[0] == "<blk>" and tokens[1] == "<sos/eos>", tokens[:3]
    with open(os.path.join(out_dir, "tokens.txt"), "w", encoding="utf-8") as f:
        for i, t in enumerate(tokens):
            f.write(f"{t} {i}\n")
    return tokens


class Data:
    """All finished shards in memory: (feats fp16 [T,80], token ids)."""

    def __init__(self, shard_dir: str, sp):
        self.shard_dir = shard_dir
        self.sp = sp
        self.loaded = set()
        self.items = []

    def refresh(self) -> int:
        for path in sorted(glob.glob(os.path.join(self.shard_dir, "shard_*.pt"))):
            if path in self.loaded:
                continue
            d = torch.load(path)
            for text, f in zip(d["texts"], d["feats"]):
                ids = self.sp.encode(text)
                if 0 < len(ids) and f.shape[0] >= 4 * len(ids) + 8:
                    self.items.append((f, ids))
            self.loaded.add(path)
        return len(self.items)

    def shortest(self, count: int) -> List[int]:
        return sorted(range(len(self.items)), key=lambda i: self.items[i][0].shape[0])[:count]

    def batches(self, rng: random.Random, max_frames: int, subset: List[int] | None = None):
        order = sorted(subset if subset is not None else range(len(self.items)),
                       key=lambda i: self.items[i][0].shape[0] +
                       rng.random() * 40)
        out, cur, longest = [], [], 0
        for i in order:
            t = self.items[i][0].shape[0]
            if cur and max(longest, t) * (len(cur) + 1) > max_frames:
                out.append(cur)
                cur, longest = [], 0
            cur.append(i)
            longest = max(longest, t)
        if cur:
            out.append(cur)
        rng.shuffle(out)
        return out

    def collate(self, idx: List[int], rng: random.Random, specaug: bool):
        feats = [self.items[i][0].float() for i in idx]
        ids = [self.items[i][1] for i in idx]
        n, tmax, umax = len(idx), max(f.shape[0] for f in feats), max(len(t) for t in ids)
        x = torch.zeros(n, tmax, 80)
        y = torch.zeros(n, umax, dtype=torch.int64)
        for k, (f, t) in enumerate(zip(feats, ids)):
            if specaug:
                f = f.clone()
                for _ in range(2):
                    w = rng.randint(0, 12)
                    s = rng.randint(0, 80 - w)
                    f[:, s:s + w] = f.mean()
                for _ in range(max(1, f.shape[0] // 150)):
                    w = rng.randint(0, min(20, f.shape[0] // 10))
                    s = rng.randint(0, f.shape[0] - w)
                    f[s:s + w] = f.mean()
            x[k, :f.shape[0]] = f
            y[k, :len(t)] = torch.tensor(t)
        # pad frames with the utterance's own floor so padding looks like silence
        xl = torch.tensor([f.shape[0] for f in feats])
        yl = torch.tensor([len(t) for t in ids])
        for k in range(n):
            x[k, xl[k]:] = feats[k].min()
        return x, xl, y, yl


def speech_span(f: torch.Tensor) -> tuple:
    """(first, last + 1) input frame whose mean log-mel energy is well above the floor."""
    e = f.float().mean(1)
    lo, hi = float(torch.quantile(e, 0.05)), float(e.max())
    on = (e > lo + 0.35 * (hi - lo)).nonzero()
    return (int(on[0]), int(on[-1]) + 1) if len(on) else (0, f.shape[0])


def flat_start_targets(data: "Data", idx: List[int], enc_frames: int, pieces: List[str],
                       delay: int = 1) -> torch.Tensor:
    """Frame labels [N, enc_frames] for the flat start: each utterance's tokens spread over its
    speech span in proportion to their length in characters (blank outside, -100 past the end).

    Like the flat start of HMM training: a rough alignment gives the encoder a dense signal at
    once, and the CTC loss that follows re-aligns it; a CTC loss from scratch spends thousands of
    steps on the blank/unigram plateau first. `delay` shifts labels later by that many encoder
    frames (a causal encoder hears a sound before it can name it).
    """
    out = torch.full((len(idx), enc_frames), -100, dtype=torch.int64)
    for k, i in enumerate(idx):
        f, ids = data.items[i]
        n = min(enc_frames, int(subsampled_length(f.shape[0])))
        out[k, :n] = 0
        s, e = speech_span(f)
        s, e = min(n, s // 4 + delay), min(n, max(s // 4 + delay + 1, e // 4 + delay))
        w = torch.tensor([max(1, len(pieces[t])) for t in ids], dtype=torch.float32)
        bounds = (torch.cumsum(w, 0) / w.sum() * (e - s)).round().long() + s
        start = s
        for t, b in zip(ids, bounds.tolist()):
            out[k, start:max(start + 1, b)] = t
            start = max(start + 1, b)
    return out


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def save(path: str, model, opt, step: int, epoch: int, tokens, cfg, cpu_s: float) -> None:
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                "epoch": epoch, "tokens": tokens, "config": dataclasses.asdict(cfg),
                "cpu_seconds": cpu_s}, tmp)
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(WORK, "data"))
    ap.add_argument("--exp", default=os.path.join(WORK, "exp"))
    ap.add_argument("--vocab-size", type=int, default=128)
    ap.add_argument("--bpe-dir", default=os.path.join(WORK, "bpe"),
                    help="sentencepiece model + tokens.txt (made here when missing)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-frames", type=int, default=3000, help="padded input frames/batch")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--max-steps", type=int, default=5000)
    ap.add_argument("--minutes", type=float, default=1e9)
    ap.add_argument("--ckpt-minutes", type=float, default=4.0)
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--rnn-hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--ctc-weight", type=float, default=0.5,
                    help="auxiliary CTC loss weight on the encoder (new models only; 0 = off)")
    ap.add_argument("--flat-start-steps", type=int, default=150,
                    help="before anything else, this many steps of frame-level cross-entropy on "
                         "a flat (length-proportional) alignment of the tokens (needs CTC on)")
    ap.add_argument("--ctc-only-steps", type=int, default=2000,
                    help="train the encoder + joiner with the CTC loss alone until this step "
                         "(no transducer loss: several times cheaper per step)")
    ap.add_argument("--short-steps", type=int, default=1000,
                    help="curriculum: train on the shortest utterances until this step")
    ap.add_argument("--short-utts", type=int, default=3000,
                    help="curriculum: how many of the shortest utterances")
    ap.add_argument("--init-onnx", metavar="DIR",
                    help="start from the weights of an fp32 export (e.g. models/asr) instead of "
                         "random ones; the vocabulary must be the same. Use with "
                         "--flat-start-steps 0 --short-steps 0 --ctc-only-steps 0")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    import sentencepiece as spm

    tokens = train_bpe(os.path.join(args.data, "sentences.txt"), args.bpe_dir, args.vocab_size)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.bpe_dir, "bpe.model"))
    os.makedirs(args.exp, exist_ok=True)
    ckpt = os.path.join(args.exp, "last.pt")
    data = Data(os.path.join(args.data, "train"), sp)
    n = data.refresh()
    if os.path.exists(ckpt):
        ck = torch.load(ckpt)
        cfg = ModelConfig(**ck["config"])
        model = Transducer(cfg)
        model.load_state_dict(ck["model"])
        step, epoch = ck["step"], ck["epoch"]
        cpu_before = ck.get("cpu_seconds", 0.0)
    else:
        cfg = ModelConfig(vocab_size=len(tokens), conv_channels=32, d_model=args.d_model,
                          rnn_hidden_size=args.rnn_hidden, num_encoder_layers=args.layers,
                          decoder_dim=args.d_model, joiner_dim=args.d_model,
                          ctc_head=args.ctc_weight > 0)
        model = Transducer(cfg)
        allf = torch.cat([f.float() for f, _ in data.items[:2000]])
        model.encoder.feat_mean.copy_(allf.mean(0))
        model.encoder.feat_istd.copy_(1.0 / (allf.std(0) + 1e-5))
        step, epoch = 0, 0
        cpu_before = 0.0
        if args.init_onnx:
            from export import load_exported_weights, read_tokens
            shipped = read_tokens(os.path.join(args.init_onnx, "tokens.txt"))
            if shipped != tokens:
                sys.exit(f"{args.init_onnx}/tokens.txt: not this vocabulary "
                         f"({len(shipped)} vs {len(tokens)} tokens)")
            load_exported_weights(model, args.init_onnx)
            print(f"initialized from {args.init_onnx}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    if os.path.exists(ckpt):
        opt.load_state_dict(ck["opt"])
    log = open(os.path.join(args.exp, "train.log"), "a")

    def say(msg: str) -> None:
        line = time.strftime("%H:%M:%S ") + f"[cpu {cpu_before + cpu_seconds():.0f}s] " + msg
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    say(f"start: {n} utterances, {count_params(model)} params, step {step}, epoch {epoch}, "
        f"threads {args.threads}, config {dataclasses.asdict(cfg)}")
    t_start = time.time()
    t_ckpt = time.time()
    done = False
    stop_requested = []
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.append(True))
    while not done:
        n = data.refresh()
        rng = random.Random(1000 + epoch + 7919 * step)
        # Curriculum (SortaGrad-like): until --short-steps, only the --short-utts shortest
        # utterances and no SpecAugment; short commands have few alignments, so the encoder
        # leaves the blank/unigram plateau there first.
        curriculum = step < args.short_steps
        batches = data.batches(rng, args.max_frames,
                               data.shortest(args.short_utts) if curriculum else None)
        model.train()
        tot, tot_ctc, cnt, t_log = 0.0, 0.0, 0, time.time()
        for b in batches:
            x, xl, y, yl = data.collate(b, rng, specaug=not curriculum)
            lr = args.lr * min(1.0, (step + 1) / args.warmup) * \
                max(0.1, 0.5 * (1 + math.cos(math.pi * min(1.0, step / args.max_steps))))
            for g in opt.param_groups:
                g["lr"] = lr
            if cfg.ctc_head and step < args.flat_start_steps:
                enc, _ = model.encoder(x, xl)
                target = flat_start_targets(data, b, enc.shape[1], tokens)
                ctc = torch.nn.functional.cross_entropy(
                    model.ctc_logits(enc).transpose(1, 2), target, ignore_index=-100)
                rnnt, loss = None, ctc
            else:
                with_rnnt = not (cfg.ctc_head and step < args.ctc_only_steps)
                rnnt, ctc = model.loss(x, xl, y, yl, rnnt=with_rnnt)
                loss = ctc if rnnt is None else rnnt if ctc is None else \
                    rnnt + args.ctc_weight * ctc
            opt.zero_grad()
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            if torch.isfinite(loss) and torch.isfinite(gn):
                opt.step()
            step += 1
            per_token = max(1.0, float(yl.float().mean()))
            tot += 0.0 if rnnt is None else float(rnnt) / per_token
            tot_ctc += 0.0 if ctc is None else float(ctc) / (
                1.0 if step <= args.flat_start_steps else per_token)
            cnt += 1
            if step % 25 == 0:
                ctc_msg = (f" {'ce/frame' if step <= args.flat_start_steps else 'ctc/token'}"
                           f" {tot_ctc / cnt:.4f}") if cfg.ctc_head else ""
                say(f"step {step} epoch {epoch} loss/token {tot / cnt:.4f}{ctc_msg} lr {lr:.2e} "
                    f"batch {len(b)} {(time.time() - t_log) / cnt:.2f}s/step")
                tot, tot_ctc, cnt, t_log = 0.0, 0.0, 0, time.time()
            if time.time() - t_ckpt > args.ckpt_minutes * 60:
                save(ckpt, model, opt, step, epoch, tokens, cfg, cpu_before + cpu_seconds())
                t_ckpt = time.time()
            if curriculum and step >= args.short_steps:
                break
            if step >= args.max_steps or time.time() - t_start > args.minutes * 60 or \
                    stop_requested:
                done = True
                break
        else:
            if not curriculum:
                epoch += 1
    save(ckpt, model, opt, step, epoch, tokens, cfg, cpu_before + cpu_seconds())
    say(f"stopped at step {step}, epoch {epoch}; checkpoint {ckpt}")


if __name__ == "__main__":
    main()
