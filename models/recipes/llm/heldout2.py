"""A second held-out set of tool requests, written on 2026-12-07 together with the paraphrase.py
grammars and before any model trained on them was evaluated.

Why: the grammars were widened after reading the first held-out set's failures, so that set's
vocabulary now occurs in training (in other combinations). This set was not looked at during
that work: new phrasings, each checked here to occur in no training list or grammar of any intent,
with the test split's values (held-out digit numbers and alarm minutes, test-bucket labels) and
the test wrappers. It is an honest second estimate of generalisation to unseen phrasings.

Writes test2.jsonl (same item format as test.jsonl) into the corpus folder.
Usage: python3 heldout2.py [--count 240] [--seed 2026]
"""
from __future__ import annotations

import argparse
import json
import os
import random

import paraphrase as P
import templates as T

HERE = os.path.dirname(os.path.abspath(__file__))

PHRASINGS = {
    "time": ["any idea what time it is", "how's the time looking", "could i get the time",
             "tell me the hour", "what's the hour", "time now please"],
    "date": ["any idea what the date is", "could i get the date", "which day are we on",
             "what date have we got", "tell me today's date please", "what's today's date then"],
    "timer": ["set off a timer for {d}", "get a countdown going for {d}", "i'd like {d} counted down",
              "shout at me in {d}", "give me a heads up in {d}", "count me down {d}",
              "a timer please, {d}", "hold a timer for {d}"],
    "timer_label": ["the {label} has to go for {d}", "set off a {label} timer lasting {d}",
                    "keep an eye on the {label} for {d}", "{d} please, it's for the {label}",
                    "a timer for the {label}, {d}"],
    "list": ["anything counting down", "what have i got running", "status of my timers please",
             "how long have i got left on the timer", "is anything still counting down"],
    "cancel_timer": ["turn that timer off", "i'm done with the timer", "get the timer off",
                     "that countdown is not needed", "the timer can go"],
    "cancel_timer_label": ["turn the {label} timer off", "the {label} timer can go",
                           "i'm done with the {label} timer"],
    "alarm": ["make sure i wake at {t}", "put in an alarm for {t}", "i'd like an alarm at {t} please",
              "an alarm at {t} would be good", "set me an alarm at {t}", "make it ring at {t}"],
    "cancel_alarm": ["turn that alarm off", "i'm done with the alarm", "the alarm can go"],
    "vol_set": ["volume needs to be {n}", "go to volume {n}", "take the volume to {n}",
                "let's have the volume at {n}", "the volume at {n} please"],
    "vol_up": ["give it more volume", "could you turn yourself up", "louder than that",
               "up the volume a notch", "go louder", "raise it a notch"],
    "vol_down": ["bring it down a notch", "go quieter", "take the volume down a notch",
                 "turn yourself down", "lower it a notch", "not that loud please"],
    "vol_mute": ["go silent", "mute everything", "no sound at all"],
    "vol_max": ["loudest you can go", "full blast", "volume to the top"],
    "stop": ["that's plenty", "ok that's enough now", "end it", "quiet now please", "stop right there"],
}


def training_phrasings() -> set:
    """Every phrasing any training list or grammar can produce (before wrappers)."""
    seen = set()
    for table in (T.TIME_T, T.DATE_T, T.TIMER_T, T.TIMER_LABEL_T, T.LIST_T, T.CANCEL_TIMER_T,
                  T.CANCEL_TIMER_LABEL_T, T.ALARM_T, T.CANCEL_ALARM_T, T.VOLUME_SET_T, T.VOLUME_UP_T,
                  T.VOLUME_DOWN_T, T.VOLUME_MUTE_T, T.VOLUME_MAX_T, T.STOP_T):
        seen |= set(table["train"]) | set(table["test"])
    for name in dir(P):
        groups = getattr(P, name)
        if name.isupper() and isinstance(groups, list) and groups and isinstance(groups[0], list):
            seen |= {s for g in groups for s in g}
    return seen


def item(rng: random.Random, kind: str, texts: T.TextSources) -> dict:
    core = rng.choice(PHRASINGS[kind])
    label = lambda: rng.choice(texts.nouns["test"])  # noqa: E731
    if kind in ("timer", "timer_label"):
        d, hms = T.duration_phrase(rng, "test")
        args = {"duration": T.duration_text(*hms)}
        if kind == "timer_label":
            lab = label()
            core, args = core.format(d=d, label=lab), {**args, "label": lab}
        else:
            core = core.format(d=d)
        return {"user": T.surface(rng, core, "test"), "name": "set_timer", "arguments": args}
    if kind == "alarm":
        t, hhmm = T.alarm_phrase(rng, "test")
        return {"user": T.surface(rng, core.format(t=t), "test"), "name": "set_alarm", "arguments": {"time": hhmm}}
    if kind == "cancel_timer_label":
        lab = label()
        return {"user": T.surface(rng, core.format(label=lab), "test"), "name": "cancel_timer",
                "arguments": {"label": lab}}
    if kind == "vol_set":
        n = rng.randint(0, 10)
        spoken = str(n) if rng.random() < 0.5 else T.words(n)
        return {"user": T.surface(rng, core.format(n=spoken), "test"), "name": "set_volume",
                "arguments": {"level": T.volume_level(n)}}
    fixed = {"time": ("get_time", {}), "date": ("get_date", {}), "list": ("list_timers", {}),
             "cancel_timer": ("cancel_timer", {}), "cancel_alarm": ("cancel_timer", {}),
             "vol_up": ("change_volume", {"delta": 10}), "vol_down": ("change_volume", {"delta": -10}),
             "vol_mute": ("set_volume", {"level": 0}), "vol_max": ("set_volume", {"level": 100}),
             "stop": ("stop", {})}
    name, args = fixed[kind]
    question = kind in ("time", "date", "list")
    return {"user": T.surface(rng, core, "test", question=question), "name": name, "arguments": args}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=240)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=os.path.join(os.environ.get("PARLEY_LLM_WORK", os.path.join(HERE, "work")),
                                                  "corpus", "test2.jsonl"))
    args = ap.parse_args()
    train = training_phrasings()
    clashes = [p for ps in PHRASINGS.values() for p in ps if p in train]
    if clashes:
        raise SystemExit(f"heldout2.py: phrasings that training also has: {clashes}")
    texts = T.TextSources.load()
    rng = random.Random(args.seed)
    kinds = list(PHRASINGS)
    weights = [6, 5, 18, 9, 5, 4, 3, 16, 3, 6, 5, 5, 1.5, 1.5, 5]
    items, seen = [], set()
    while len(items) < args.count:
        it = item(rng, rng.choices(kinds, weights=weights)[0], texts)
        if it["user"] in seen:
            continue
        seen.add(it["user"])
        items.append({"user": it["user"], "kind": "tool",
                      "expected": {"name": it["name"], "arguments": it["arguments"]}})
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    print(f"wrote {len(items)} items to {args.out}")


if __name__ == "__main__":
    main()
