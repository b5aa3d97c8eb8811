"""Scoring of held-out replies, shared by eval_torch.py (PyTorch) and eval_gguf.py (parley pipe).

Tool items are correct when the reply's first <tool_call> has exactly the expected name and
arguments (JSON objects compared as values, so key order does not matter). Greetings are on
topic when they greet or offer help; capability questions when they name at least two of the
assistant's skills (or introduce Parley for identity questions); refusals when they apologise or
say they are offline. None of these may call a tool.
"""
from __future__ import annotations

import json
import os
import re

from chatml import parse_tool_call

HERE = os.path.dirname(os.path.abspath(__file__))


def load_items(limit: int = 0, name: str = "test.jsonl"):
    """Held-out items of the corpus folder: test.jsonl (gen_corpus.py) or test2.jsonl (heldout2.py)."""
    with open(os.path.join(os.environ.get("PARLEY_LLM_WORK", os.path.join(HERE, "work")), "corpus", name)) as f:
        items = [json.loads(line) for line in f]
    if limit:
        items = items[:limit]
    with open(os.path.join(HERE, "tools.json")) as f:
        system_prompt = json.load(f)["system_prompt"]
    return items, system_prompt


SKILLS = ["time", "date", "timer", "alarm", "volume"]


def on_topic(kind: str, reply: str) -> bool:
    low = reply.lower()
    if "<tool_call>" in low or not low.strip():
        return False
    if kind == "greeting":
        return bool(re.search(r"\b(hello|hi|hey|help|good (morning|evening|afternoon))\b", low))
    if kind == "capability":
        return sum(s in low for s in SKILLS) >= 2 or "parley" in low
    if kind == "refusal":
        return bool(re.search(r"sorry|offline|can't|cannot|not connected", low))
    raise ValueError(kind)


def score_items(items, replies):
    by_kind, failures = {}, []
    for it, reply in zip(items, replies):
        kind = it["kind"]
        if kind == "tool":
            call = parse_tool_call(reply)
            ok = call is not None and call[0] == it["expected"]["name"] and call[1] == it["expected"]["arguments"]
        else:
            ok = on_topic(kind, reply)
        hit, n = by_kind.get(kind, (0, 0))
        by_kind[kind] = (hit + ok, n + 1)
        if not ok:
            failures.append((it, reply))
    scores = {f"{k}_accuracy": round(h / n, 4) for k, (h, n) in by_kind.items()}
    scores.update({f"{k}_n": n for k, (_, n) in by_kind.items()})
    return scores, failures
