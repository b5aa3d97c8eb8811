"""Deterministic corpus of appliance conversations for Parley's default chat model.

Writes (under --out, default work/corpus):
  train.jsonl    one conversation per line: {"messages": [{"role", "content"}, ...]}
  test.jsonl     held-out single requests: {"user", "kind", "expected"} (kind: tool | greeting |
                 capability | refusal); phrased with templates and values never used in training
  spm_text.txt   plain text for the tokenizer (train split only)

Everything comes from random.Random(seed) and Debian's fortunes and WordNet files, so the same
seed gives byte-identical files. Intents, templates and values are in templates.py.

Usage: python3 gen_corpus.py [--train 60000] [--seed 1234] [--out work/corpus]
"""
from __future__ import annotations

import argparse
import json
import os
import random

import templates as T
from chatml import tool_call_text, tool_result_text

HERE = os.path.dirname(os.path.abspath(__file__))
DRILLS = {"on": False}


def system_prompt() -> str:
    with open(os.path.join(HERE, "tools.json")) as f:
        return json.load(f)["system_prompt"]


def check_against_product(requests) -> None:
    """Every generated call must use a tool and argument names of the product's schema
    (assistant/core/tools.json, the registry the C++ assistant runs)."""
    path = os.path.join(HERE, "..", "..", "..", "assistant", "core", "tools.json")
    with open(path) as f:
        schema = {t["name"]: t["parameters"] for t in json.load(f)}
    for name, args in requests:
        if name not in schema:
            raise ValueError(f"{path}: no tool {name!r}")
        props = schema[name].get("properties", {})
        for key in args:
            if key not in props:
                raise ValueError(f"{path}: tool {name!r} has no argument {key!r}")
        for key in schema[name].get("required", []):
            if key not in args:
                raise ValueError(f"{path}: tool {name!r} call lacks required {key!r}")


def exchange(rng: random.Random, split: str, texts: T.TextSources):
    """Messages of one user request and its full answer (tool call, result, spoken follow-up)."""
    kind = rng.choices(
        ["tool", "chat", "refusal", "general", "drill"],
        weights=[0.66, 0.11, 0.09, 0.06, 0.08] if DRILLS["on"] else
        [0.70, 0.12, 0.10, 0.08, 0] if T.RICH["on"] else [0.66, 0.12, 0.10, 0.12, 0])[0]
    if kind == "tool":
        req = T.tool_request(rng, split, texts)
        msgs = [{"role": "user", "content": req.user},
                {"role": "assistant", "content": tool_call_text(req.name, req.arguments)}]
        result, answer = T.tool_result_and_answer(rng, req)
        msgs.append({"role": "tool", "content": tool_result_text(result)})
        msgs.append({"role": "assistant", "content": answer})
        return msgs
    if kind == "drill":
        user, answer = T.drill(rng, texts)
    elif kind == "chat":
        user, answer = T.chat(rng, split)
    elif kind == "refusal":
        user, answer = T.refusal(rng, split)
    else:
        user, answer = T.general(rng, texts)
    return [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]


def conversation(rng: random.Random, texts: T.TextSources, sys_prompt: str):
    n = rng.choices([1, 2, 3], weights=[0.7, 0.22, 0.08])[0]
    msgs = [{"role": "system", "content": sys_prompt}]
    for _ in range(n):
        msgs += exchange(rng, "train", texts)
    return msgs


def test_items(rng: random.Random, texts: T.TextSources, n_tool: int):
    items = []
    seen = set()
    while len(items) < n_tool:
        req = T.tool_request(rng, "test", texts)
        if req.user in seen:
            continue
        seen.add(req.user)
        items.append({"user": req.user, "kind": "tool",
                      "expected": {"name": req.name, "arguments": req.arguments}})
    for kind, fn, count in (("greeting", T.greeting_test, 25), ("capability", T.capability_test, 20),
                            ("refusal", T.refusal_test, 25)):
        for user in fn(rng, count):
            items.append({"user": user, "kind": kind, "expected": None})
    return items


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=int, default=60000, help="training conversations")
    ap.add_argument("--test-tool", type=int, default=300, help="held-out tool requests")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", default=os.path.join(os.environ.get("PARLEY_LLM_WORK", os.path.join(HERE, "work")), "corpus"))
    ap.add_argument("--narrow", action="store_true",
                    help="the first sessions' 12 prefixes and 9 suffixes instead of the wide wrappers")
    ap.add_argument("--plain", action="store_true",
                    help="only the fixed training phrasings of templates.py (the corpus before 2026-12-07), "
                         "not the paraphrase.py grammars, noise wrappers and made-up labels")
    ap.add_argument("--drills", action="store_true",
                    help="8 %% copying drills (repeat a phrase; write a spoken number, duration or time as "
                         "the tool arguments do)")
    args = ap.parse_args()
    DRILLS["on"] = args.drills
    T.WIDE["on"] = not args.narrow
    T.RICH["on"] = not args.plain
    os.makedirs(args.out, exist_ok=True)
    texts = T.TextSources.load()
    sys_prompt = system_prompt()

    rng = random.Random(args.seed)
    with open(os.path.join(args.out, "train.jsonl"), "w") as f, \
            open(os.path.join(args.out, "spm_text.txt"), "w") as s:
        for _ in range(args.train):
            msgs = conversation(rng, texts, sys_prompt)
            f.write(json.dumps({"messages": msgs}) + "\n")
            for m in msgs[1:]:
                for line in m["content"].split("\n"):
                    if line:
                        s.write(line + "\n")
        s.write(sys_prompt + "\n")
        for text in texts.fortunes[: len(texts.fortunes) // 2]:
            s.write(text.replace("\n", " ") + "\n")

    rng = random.Random(args.seed + 1)
    items = test_items(rng, texts, args.test_tool)
    check_against_product([(it["expected"]["name"], it["expected"]["arguments"]) for it in items if it["kind"] == "tool"]
                          + [(req.name, req.arguments) for req in (T.tool_request(random.Random(i), "train", texts)
                                                                   for i in range(2000))])
    with open(os.path.join(args.out, "test.jsonl"), "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    print(f"wrote {args.train} conversations and {len(items)} test items to {args.out}")


if __name__ == "__main__":
    main()
