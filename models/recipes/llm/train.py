"""Train Parley's tiny chat model from scratch on CPU (deterministic, resumable).

Every conversation starts with the same system message, so each batch runs that shared prefix
once and lets every row attend to it (exactly what a full forward would compute, at ~40% less
cost). Loss is on assistant tokens only (contents and their <|im_end|>). Batch s is drawn from
random.Random(seed * 1_000_003 + s), so a run resumed from a checkpoint sees the same data as an
uninterrupted one. A checkpoint is written every --save-every seconds to work/ckpt.pt.

Usage (nice -n 15, one thread):
  python3 train.py --steps 3000            # resumes from work/ckpt.pt when it exists
  python3 train.py --steps 3000 --fresh    # ignore the checkpoint
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F

from chatml import ChatTokenizer
from model import LlamaConfig, TinyLlama, rope_tables, rotate_half

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.environ.get("PARLEY_LLM_WORK", os.path.join(HERE, "work"))  # recipe.sh: WORK=

# Model sizes (the checkpoint stores the chosen config, so export and eval read the same numbers).
# "tiny" was the first sessions' model (1.2M parameters, 39 % held-out tool calls after 3000
# steps); "small" is the shipped one.
MODELS = {
    "tiny": dict(hidden_size=128, intermediate_size=384, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=1024),
    "small": dict(hidden_size=192, intermediate_size=512, num_hidden_layers=4, num_attention_heads=6,
                  num_key_value_heads=2, max_position_embeddings=1024),
    "medium": dict(hidden_size=256, intermediate_size=768, num_hidden_layers=6, num_attention_heads=8,
                   num_key_value_heads=2, max_position_embeddings=1024),
}


def load_data(tok: ChatTokenizer, corpus: str, cache: str, max_rows: int):
    if os.path.exists(cache):
        return torch.load(cache)
    prefix, rows = None, []
    with open(os.path.join(corpus, "train.jsonl")) as f:
        for line in f:
            if len(rows) == max_rows:
                break
            msgs = json.loads(line)["messages"]
            p, _ = tok.encode_conversation(msgs[:1])
            ids, mask = tok.encode_conversation(msgs)
            if prefix is None:
                prefix = p
            if p != prefix or ids[: len(p)] != prefix:
                raise ValueError("conversations must share the system prefix")
            rows.append((ids[len(p):], mask[len(p):]))
    data = {"prefix": prefix, "rows": rows}
    torch.save(data, cache)
    return data


def forward_prefixed(model: TinyLlama, prefix: torch.Tensor, tokens: torch.Tensor):
    """Logits of rows `tokens` [B,T] that all continue the shared `prefix` [P]."""
    cfg = model.cfg

    P = prefix.shape[0]
    B, T = tokens.shape
    hd, nh, nkv = cfg.head_dim, cfg.num_attention_heads, cfg.num_key_value_heads
    cos_p, sin_p = rope_tables(hd, torch.arange(P)[None], cfg.rope_theta)
    cos_r, sin_r = rope_tables(hd, torch.arange(P, P + T)[None], cfg.rope_theta)
    causal_p = torch.ones(P, P, dtype=torch.bool).tril()
    mask_r = torch.cat([torch.ones(T, P, dtype=torch.bool), torch.ones(T, T, dtype=torch.bool).tril()], 1)
    xp = model.model.embed_tokens(prefix)[None]
    x = model.model.embed_tokens(tokens)

    def heads(lin, h, n):
        return lin(h).view(h.shape[0], h.shape[1], n, hd).transpose(1, 2)

    def rope(t, cos, sin):
        return t * cos[:, None] + rotate_half(t) * sin[:, None]

    def attend(q, k, v, mask):
        if nkv != nh:
            k = k.repeat_interleave(nh // nkv, dim=1)
            v = v.repeat_interleave(nh // nkv, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        s = s.masked_fill(~mask, float("-inf"))
        o = torch.softmax(s, dim=-1) @ v
        return o.transpose(1, 2).reshape(o.shape[0], o.shape[2], nh * hd)

    for layer in model.model.layers:
        a = layer.self_attn
        hp, h = layer.input_layernorm(xp), layer.input_layernorm(x)
        qp = rope(heads(a.q_proj, hp, nh), cos_p, sin_p)
        kp = rope(heads(a.k_proj, hp, nkv), cos_p, sin_p)
        vp = heads(a.v_proj, hp, nkv)
        q = rope(heads(a.q_proj, h, nh), cos_r, sin_r)
        k = rope(heads(a.k_proj, h, nkv), cos_r, sin_r)
        v = heads(a.v_proj, h, nkv)
        op = attend(qp, kp, vp, causal_p)
        kk = torch.cat([kp.expand(B, -1, -1, -1), k], dim=2)
        vv = torch.cat([vp.expand(B, -1, -1, -1), v], dim=2)
        o = attend(q, kk, vv, mask_r)
        xp = xp + a.o_proj(op)
        x = x + a.o_proj(o)
        xp = xp + layer.mlp(layer.post_attention_layernorm(xp))
        x = x + layer.mlp(layer.post_attention_layernorm(x))
    return model.lm_head(model.model.norm(x))


def make_batch(rows, rng: random.Random, batch: int, max_len: int):
    """Rows of similar length: draw 4*batch, sort by length, keep a random contiguous run."""
    pool = sorted((rng.randrange(len(rows)) for _ in range(4 * batch)), key=lambda i: len(rows[i][0]))
    start = rng.randrange(0, 3 * batch + 1)
    chosen = [rows[i] for i in pool[start:start + batch]]
    T = min(max_len, max(len(ids) for ids, _ in chosen))
    tokens = torch.zeros(len(chosen), T, dtype=torch.long)
    mask = torch.zeros(len(chosen), T, dtype=torch.bool)
    for r, (ids, m) in enumerate(chosen):
        n = min(T, len(ids))
        tokens[r, :n] = torch.tensor(ids[:n])
        mask[r, :n] = torch.tensor(m[:n], dtype=torch.bool)
    return tokens, mask


def lr_at(step: int, total: int, peak: float, warmup: int, decay_fraction: float = 0.2) -> float:
    """Warm-up, then constant, then a linear decay to 10 % over the last decay_fraction of the
    steps (warmup-stable-decay): a run to N steps follows the same trajectory as a longer run
    until its decay starts, so a run can be extended by resuming with a larger --steps."""
    if step < warmup:
        return peak * (step + 1) / warmup
    decay_start = int(total * (1 - decay_fraction))
    if step < decay_start:
        return peak
    return peak * (1 - 0.9 * (step - decay_start) / max(1, total - decay_start))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--save-every", type=float, default=180.0, help="seconds between checkpoints")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--model", choices=sorted(MODELS), default="small")
    ap.add_argument("--rows", type=int, default=20000, help="conversations to tokenize and sample from")
    ap.add_argument("--ckpt", default=os.path.join(WORK, "ckpt.pt"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    tok = ChatTokenizer(os.path.join(WORK, "tokenizer.model"))
    data = load_data(tok, os.path.join(WORK, "corpus"), os.path.join(WORK, f"tokens-{args.rows}.pt"), args.rows)
    prefix = torch.tensor(data["prefix"])
    rows = data["rows"]
    cfg = LlamaConfig(vocab_size=tok.vocab_size, eos_token_id=tok.im_end_id, **MODELS[args.model])
    model = TinyLlama(cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    step, elapsed = 0, 0.0
    log_path = os.path.splitext(args.ckpt)[0] + "_log.jsonl"
    if os.path.exists(args.ckpt) and not args.fresh:
        ck = torch.load(args.ckpt)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed = ck["step"], ck["elapsed_s"]
        print(f"resumed at step {step} ({elapsed:.0f} s trained)", flush=True)
    elif os.path.exists(log_path):
        os.remove(log_path)
    print(f"params {model.num_parameters()}, rows {len(rows)}, prefix {len(prefix)} tokens", flush=True)

    def save():
        tmp = args.ckpt + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed_s": elapsed, "config": dataclass_dict(cfg)}, tmp)
        os.replace(tmp, args.ckpt)

    last_save = time.time()
    t0 = time.time()
    run_loss, run_tokens = 0.0, 0
    model.train()
    while step < args.steps:
        rng = random.Random(args.seed * 1_000_003 + step)
        tokens, mask = make_batch(rows, rng, args.batch, 384)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        logits = forward_prefixed(model, prefix, tokens)
        # Position t predicts token t+1; the first row token is predicted from the prefix's end.
        target = tokens[:, 1:]
        tmask = mask[:, 1:]
        loss = F.cross_entropy(logits[:, :-1][tmask], target[tmask])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        now = time.time()
        elapsed += now - t0
        t0 = now
        run_loss += loss.item() * int(tmask.sum())
        run_tokens += int(tmask.sum())
        if step % 25 == 0 or step == args.steps:
            rec = {"step": step, "loss": run_loss / max(1, run_tokens), "elapsed_s": round(elapsed, 1),
                   "lr": opt.param_groups[0]["lr"]}
            print(json.dumps(rec), flush=True)
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
            run_loss, run_tokens = 0.0, 0
        if now - last_save > args.save_every or step == args.steps:
            save()
            last_save = now
    print(f"done: {step} steps, {elapsed:.0f} s", flush=True)


def dataclass_dict(cfg):
    import dataclasses

    return dataclasses.asdict(cfg)


if __name__ == "__main__":
    main()
