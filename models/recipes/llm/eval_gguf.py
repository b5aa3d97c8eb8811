"""Held-out evaluation through Parley's own runner: one `parley pipe` process per request.

Each request is a fresh conversation (system prompt from tools.json + one user line, --no-tools:
the reply as the model writes it, calls not executed), decoded
greedily with the f32 KV cache; replies are scored by scoring.py exactly as eval_torch.py does.
By default the model decodes as the model alone (tools.constrain_calls=false, comparable with
eval_torch.py); --grammar decodes tool calls under their grammar, as the assistant runs it
(llm/tool_call_grammar.h).

Usage: python3 eval_gguf.py --parley BUILD/assistant/parley MODEL.gguf [MODEL2.gguf ...]
         [--limit N] [--show N] [--json OUT.json] [--grammar]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import time

from scoring import load_items, score_items


def run_one(parley: str, model: str, system_prompt: str, user: str, grammar: bool = False) -> str:
    proc = subprocess.run(
        [parley, "pipe", "--llm", model, "--system", system_prompt, "-n", "80", "--threads", "1",
         "--f32-cache", "--temp", "0", "--no-tools",
         "--set", f"tools.constrain_calls={'true' if grammar else 'false'}"],
        input=user + "\n", capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"parley pipe failed on {user!r}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--items", default="test.jsonl", help="held-out file in the corpus folder (test2.jsonl: heldout2.py)")
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--json", default="")
    ap.add_argument("--grammar", action="store_true", help="decode tool calls under their grammar")
    args = ap.parse_args()
    items, system_prompt = load_items(args.limit, args.items)
    results = {}
    for model in args.models:
        t0 = time.time()
        replies = [run_one(args.parley, model, system_prompt, it["user"], args.grammar) for it in items]
        scores, failures = score_items(items, replies)
        scores["seconds"] = round(time.time() - t0, 1)
        results[model] = scores
        print(json.dumps({"model": model, **scores}), flush=True)
        for it, reply in failures[: args.show]:
            print("  FAIL", json.dumps(it["user"]), "->", json.dumps(reply), "expected", json.dumps(it["expected"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
