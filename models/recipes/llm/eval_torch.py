"""Held-out evaluation of a training checkpoint in PyTorch (greedy decoding).

Tool items: the reply must contain one <tool_call> whose name and arguments equal the expected
ones. Greeting/capability/refusal items: the reply must not call a tool and must be on topic
(score_reply in scoring.py). Prints one JSON line of scores; --show N prints N replies.

Usage: python3 eval_torch.py [--ckpt work/ckpt.pt] [--limit N] [--show 10]
"""
from __future__ import annotations

import argparse
import json
import os

import torch

from chatml import ChatTokenizer
from model import LlamaConfig, TinyLlama, greedy_generate
from scoring import load_items, score_items

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.environ.get("PARLEY_LLM_WORK", os.path.join(HERE, "work"))  # recipe.sh: WORK=


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(WORK, "ckpt.pt"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--items", default="test.jsonl", help="held-out file in the corpus folder (test2.jsonl: heldout2.py)")
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    ck = torch.load(args.ckpt)
    model = TinyLlama(LlamaConfig(**ck["config"]))
    model.load_state_dict(ck["model"])
    model.eval()
    tok = ChatTokenizer(os.path.join(WORK, "tokenizer.model"))
    items, system_prompt = load_items(args.limit, args.items)
    replies = []
    for it in items:
        msgs = [{"role": "system", "content": system_prompt}, {"role": "user", "content": it["user"]}]
        ids = greedy_generate(model, tok.encode_prompt(msgs), {tok.im_end_id, tok.sp.eos_id()}, 80)
        replies.append(tok.decode(ids).strip())
    scores, failures = score_items(items, replies)
    scores["step"] = ck["step"]
    print(json.dumps(scores))
    for it, reply in failures[: args.show]:
        print("FAIL", json.dumps(it["user"]), "->", json.dumps(reply), "expected", json.dumps(it["expected"]))


if __name__ == "__main__":
    main()
