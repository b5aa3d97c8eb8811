"""Intents, phrasing templates and value generators of the Parley chat corpus.

Every template list is split into TRAIN and TEST phrasings; test phrasings and test values
(the digit numbers in HELD_OUT_NUMBERS, the minutes in HELD_OUT_MINUTES, labels whose hash
falls in the test bucket) never occur in training, so test accuracy measures generalisation.
"""
from __future__ import annotations

import dataclasses
import glob
import os
import random
import re
import zlib

# ---------------------------------------------------------------- numbers and values
ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

HELD_OUT_NUMBERS = {13, 17, 23, 34, 41, 48, 56, 63, 72, 87}   # never written as digits in training
HELD_OUT_MINUTES = {7, 13, 22, 37, 44, 51, 58}                # never as alarm minutes in training


def words(n: int, rng: random.Random | None = None) -> str:
    if n < 20:
        return ONES[n]
    t, o = divmod(n, 10)
    if o == 0:
        return TENS[t]
    sep = "-" if rng is not None and rng.random() < 0.3 else " "
    return TENS[t] + sep + ONES[o]


def say_number(rng: random.Random, n: int, split: str) -> str:
    """Digits or words; held-out numbers are digits only in the test split, words in training."""
    if n in HELD_OUT_NUMBERS:
        return str(n) if split == "test" else words(n, rng)
    return str(n) if rng.random() < 0.6 else words(n, rng)


def pick_number(rng: random.Random, lo: int, hi: int, split: str) -> int:
    if split == "test" and rng.random() < 0.5:
        candidates = [n for n in HELD_OUT_NUMBERS if lo <= n <= hi]
        if candidates:
            return rng.choice(candidates)
    return rng.randint(lo, hi)


def label_split(label: str) -> str:
    return "test" if zlib.crc32(label.encode()) % 5 == 0 else "train"


FOODS = ["pasta", "eggs", "rice", "pizza", "cookies", "bread", "cake", "tea", "coffee", "soup",
         "potatoes", "chicken", "laundry", "oven", "steak", "noodles", "beans", "muffins",
         "porridge", "pie", "roast", "fish", "carrots", "broccoli", "popcorn", "toast", "dough",
         "stew", "sauce", "lasagna", "brownies", "pancakes", "homework", "nap", "workout",
         "meditation", "plants", "dishwasher", "parking", "medicine", "bath", "kids", "dog",
         "yoga", "reading", "break", "meeting", "call", "cleaning", "ironing"]


@dataclasses.dataclass
class TextSources:
    fortunes: list
    glosses: list     # (word, gloss)
    nouns: dict       # split -> list of single-word nouns usable as timer labels

    @staticmethod
    def load(root: str = "/usr/share") -> "TextSources":
        fortunes = []
        for path in sorted(glob.glob(os.path.join(root, "games/fortunes/*"))):
            if path.endswith((".dat", ".u8")) or os.path.isdir(path):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for chunk in f.read().split("\n%\n"):
                    text = " ".join(chunk.split())
                    if 10 <= len(text) <= 160 and text.isascii():
                        fortunes.append(text)
        glosses, nouns = [], {"train": [], "test": []}
        data = os.path.join(root, "wordnet/data.noun")
        if os.path.exists(data):
            with open(data, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith(" ") or "|" not in line:
                        continue
                    fields, gloss = line.split("|", 1)
                    parts = fields.split()
                    word = parts[4]
                    gloss = gloss.strip().split(";")[0].strip()
                    if not re.fullmatch(r"[a-z]{3,10}", word) or not gloss.isascii():
                        continue
                    if 10 <= len(gloss) <= 90:
                        glosses.append((word, gloss))
                    nouns[label_split(word)].append(word)
        for food in FOODS:
            nouns[label_split(food)].append(food)
        for k in nouns:
            nouns[k] = sorted(set(nouns[k]))
        return TextSources(fortunes, glosses, nouns)


# ---------------------------------------------------------------- surface variation
PREFIX = {"train": ["", "", "", "", "hey parley, ", "parley, ", "please ", "okay, ", "um, ",
                    "hey, ", "so ", "parley "],
          "test": ["", "", "", "hi parley, ", "excuse me, ", "alright, ", "ok parley "]}
SUFFIX = {"train": ["", "", "", "", " please", ", thanks", " thank you", " now", " for me"],
          "test": ["", "", "", " please", " if you can", ", cheers"]}


# Wide wrappers (gen_corpus.py --wide, the default): many more ways to open and close a request
# in training, so that words around a request (an unseen "cheers", "if you can") do not derail
# the model. None of them is a test wrapper; the test split is generated exactly as before.
WIDE_PREFIX = ["hey parley, ", "parley, ", "please ", "okay, ", "um, ", "hey, ", "so ", "parley ",
               "hello, ", "hello parley, ", "yo parley, ", "right, ", "well, ", "now, ", "listen, ",
               "oh, ", "ah, ", "sorry, ", "uh, ", "quick one, ", "okay so ", "hey parley ", "hmm, ",
               "good morning, ", "good evening, ", "parley please ", "hey there, ", "erm, ",
               "oh parley, ", "okay parley, ", "right then, ", "one more thing, ", "and ", "also, ",
               "by the way, ", "hey assistant, ", "so parley, ", "hello there, ", "er, "]
WIDE_SUFFIX = [" please", ", thanks", " thank you", " now", " for me", " thanks a lot",
               ", thank you parley", " please and thank you", " if possible", " when you get a chance",
               ", ta", ", mate", ", buddy", " right now", " quickly", ", okay", " ok", ", great",
               " real quick", " asap", " pretty please", ", much appreciated", " thanks parley",
               ", would you", ", will you", " for me please", " please parley", ", thanks so much",
               " straight away", " at once", ", if that's okay", ", thanks a bunch", ", lovely"]
WIDE = {"on": False}  # set by gen_corpus.py


def surface(rng: random.Random, core: str, split: str, question: bool = False) -> str:
    if split == "train" and WIDE["on"]:
        import paraphrase as P
        r = rng.random()
        prefix = "" if r < 0.4 else (noise(rng, P.NOISE_FRAMES) if RICH["on"] and r < 0.55
                                     else rng.choice(WIDE_PREFIX))
        r = rng.random()
        suffix = "" if r < 0.4 else (noise(rng, P.NOISE_TAILS) if RICH["on"] and r < 0.55
                                     else rng.choice(WIDE_SUFFIX))
        text = prefix + core + suffix
    else:
        text = rng.choice(PREFIX[split]) + core + rng.choice(SUFFIX[split])
    style = rng.random()
    if style < 0.45:  # ASR style: lowercase, no punctuation
        return text.lower()
    text = text[0].upper() + text[1:]
    return text + ("?" if question else rng.choice([".", "", "!"] if not question else ["?"]))


# ---------------------------------------------------------------- tool requests
@dataclasses.dataclass
class ToolRequest:
    user: str
    name: str
    arguments: dict


TIME_T = {"train": ["what time is it", "what's the time", "tell me the time", "what is the time",
                    "do you have the time", "time please", "what time is it right now",
                    "could you tell me what time it is", "what's the current time",
                    "what time do you have", "check the time", "what o'clock is it"],
          "test": ["can you give me the time", "how late is it", "what's the clock say",
                   "i need to know the time", "say the time", "what time have we got"]}
DATE_T = {"train": ["what's the date", "what is today's date", "what day is it",
                    "what's the date today", "tell me the date", "which day of the week is it",
                    "what day is it today", "what's today", "today's date please",
                    "what date is it"],
          "test": ["remind me what the date is", "what's the day today", "which date is today",
                   "do you know what day it is", "give me today's date"]}
TIMER_T = {"train": ["set a timer for {d}", "start a timer for {d}", "timer for {d}",
                     "set a {d} timer", "count down {d}", "can you set a timer for {d}",
                     "put on a timer for {d}", "i need a timer for {d}", "{d} timer",
                     "start a {d} countdown", "wake me in {d}", "set the timer to {d}",
                     "give me a timer of {d}", "create a timer for {d}"],
           "test": ["could you time {d} for me", "let me know when {d} have passed",
                    "begin a countdown of {d}", "make a timer {d} long", "time {d}",
                    "alert me in {d}", "start counting down {d}"]}
TIMER_LABEL_T = {"train": ["set a {label} timer for {d}", "set a timer for {d} for the {label}",
                           "start a timer called {label} for {d}",
                           "timer for the {label} {d}", "{label} timer {d}",
                           "set a timer named {label} for {d}"],
                 "test": ["time the {label} for {d}", "begin a {d} timer for my {label}",
                          "start a {label} countdown of {d}"]}
LIST_T = {"train": ["how much time is left", "what timers do i have", "how long is left on the timer",
                    "check my timers", "is my timer still running", "list my timers",
                    "how much time is left on my timer", "any timers running",
                    "how long until the timer goes off", "show my timers"],
          "test": ["what's left on the timer", "are there any timers", "how are my timers doing",
                   "remaining time on the timers", "when will the timer ring"]}
CANCEL_TIMER_T = {"train": ["cancel the timer", "stop the timer", "cancel my timer",
                            "delete the timer", "turn off the timer", "cancel all timers",
                            "remove the timer", "kill the timer", "i don't need the timer anymore"],
                  "test": ["get rid of the timer", "clear the timer", "drop my timer",
                           "abort the timer", "scrap the timer"]}
CANCEL_TIMER_LABEL_T = {"train": ["cancel the {label} timer", "stop the {label} timer",
                                  "delete the timer for the {label}", "cancel the timer called {label}"],
                        "test": ["get rid of the {label} timer", "clear my {label} timer"]}
ALARM_T = {"train": ["set an alarm for {t}", "wake me up at {t}", "alarm at {t}", "set alarm {t}",
                     "i want to get up at {t}", "set my alarm for {t}", "can you wake me at {t}",
                     "make an alarm for {t}", "please set an alarm at {t}", "alarm for {t}",
                     "create an alarm at {t}", "set an alarm {t}"],
           "test": ["i need to be up by {t}", "ring the alarm at {t}", "schedule an alarm for {t}",
                    "get me up at {t}", "put an alarm on for {t}", "alarm me at {t}"]}
CANCEL_ALARM_T = {"train": ["cancel my alarm", "turn off the alarm", "delete the alarm",
                            "cancel the alarm", "remove my alarm", "no alarm tomorrow",
                            "i don't need the alarm anymore", "switch off the alarm"],
                  "test": ["get rid of the alarm", "clear my alarms", "disable the alarm",
                           "scrap the alarm"]}
VOLUME_SET_T = {"train": ["set the volume to {n}", "volume {n}", "change the volume to {n}",
                          "put the volume at {n}", "volume to {n}", "make the volume {n}",
                          "turn the volume to {n}", "set volume {n}", "volume level {n}"],
                "test": ["adjust the volume to {n}", "i want the volume at {n}",
                         "switch the volume to {n}", "can the volume be {n}"]}
VOLUME_UP_T = {"train": ["turn it up", "louder", "volume up", "turn the volume up",
                         "i can't hear you", "speak up", "make it louder", "increase the volume",
                         "a bit louder", "raise the volume", "turn up the volume"],
               "test": ["pump up the volume", "bump the volume", "could you be louder",
                        "more volume", "crank it up"]}
VOLUME_DOWN_T = {"train": ["turn it down", "quieter", "volume down", "turn the volume down",
                           "too loud", "that's too loud", "make it quieter", "lower the volume",
                           "decrease the volume", "a bit quieter", "turn down the volume"],
                 "test": ["not so loud", "reduce the volume", "could you be quieter",
                          "less volume", "tone it down"]}
VOLUME_MUTE_T = {"train": ["mute", "mute the sound", "mute yourself", "volume off"],
                 "test": ["silence the speaker", "mute the volume"]}
VOLUME_MAX_T = {"train": ["maximum volume", "full volume", "max volume", "volume all the way up"],
                "test": ["as loud as possible", "turn it all the way up"]}
STOP_T = {"train": ["stop", "cancel", "never mind", "stop talking", "shush", "quiet",
                    "that's enough", "forget it", "nevermind", "be quiet", "stop it",
                    "enough", "shut up", "hush", "okay stop"],
          "test": ["cut it out", "please stop", "stop that", "halt", "drop it", "no more"]}


# Rich training phrasings (paraphrase.py), on unless gen_corpus.py --plain: a train phrasing is
# drawn from the table's own train list 30 % of the time, else from its grammar. Test phrasings
# are drawn exactly as before (same lists, same random numbers), so test.jsonl does not change.
RICH = {"on": False}
_RICH_OF = {}


def _held_out_templates() -> set:
    tables = [TIME_T, DATE_T, TIMER_T, TIMER_LABEL_T, LIST_T, CANCEL_TIMER_T, CANCEL_TIMER_LABEL_T,
              ALARM_T, CANCEL_ALARM_T, VOLUME_SET_T, VOLUME_UP_T, VOLUME_DOWN_T, VOLUME_MUTE_T,
              VOLUME_MAX_T, STOP_T, GREETINGS, CAPABILITY, IDENTITY]
    held = {p for t in tables for p in t["test"]}
    held |= {a for _, asks in TOPICS["test"] for a in asks}
    return held


def _register_rich() -> None:
    import paraphrase as P
    held = _held_out_templates()
    for table, groups in ((TIME_T, P.TIME), (DATE_T, P.DATE), (TIMER_T, P.TIMER),
                          (TIMER_LABEL_T, P.TIMER_LABEL), (LIST_T, P.LIST),
                          (CANCEL_TIMER_T, P.CANCEL_TIMER), (CANCEL_TIMER_LABEL_T, P.CANCEL_TIMER_LABEL),
                          (ALARM_T, P.ALARM), (CANCEL_ALARM_T, P.CANCEL_TIMER), (VOLUME_SET_T, P.VOLUME_SET),
                          (VOLUME_UP_T, P.VOLUME_UP), (VOLUME_DOWN_T, P.VOLUME_DOWN),
                          (VOLUME_MUTE_T, P.VOLUME_MUTE), (VOLUME_MAX_T, P.VOLUME_MAX), (STOP_T, P.STOP),
                          (GREETINGS, P.GREETINGS), (CAPABILITY, P.CAPABILITY), (IDENTITY, P.IDENTITY)):
        _RICH_OF[id(table)] = P.without(groups, held)
    _RICH_OF["topics"] = [(topic, P.without(P.expand_all(pats), held)) for topic, pats in P.REFUSAL.items()]


def choose(rng: random.Random, table: dict, split: str) -> str:
    if split == "train" and RICH["on"] and rng.random() >= 0.3:
        import paraphrase as P
        if not _RICH_OF:
            _register_rich()
        return P.draw(rng, _RICH_OF[id(table)])
    return rng.choice(table[split])


def noise(rng: random.Random, frames: list) -> str:
    """A noise prefix or tail: a frame of paraphrase.py with each {w} a random word."""
    import paraphrase as P
    parts = rng.choice(frames).split("{w}")
    return parts[0] + "".join(rng.choice(P.NOISE_WORDS) + p for p in parts[1:])


def duration_text(hours: int = 0, minutes: int = 0, seconds: int = 0) -> str:
    """The normalized duration argument: digits and units, as the C++ parser reads it."""
    parts = []
    for n, unit in ((hours, "hour"), (minutes, "minute"), (seconds, "second")):
        if n:
            parts.append(f"{n} {unit}{'' if n == 1 else 's'}")
    return " ".join(parts)


def duration_phrase(rng: random.Random, split: str):
    """(spoken duration, (hours, minutes, seconds))."""
    r = rng.random()
    if r < 0.42:
        n = pick_number(rng, 1, 90, split)
        unit = "minute" if n == 1 else "minutes"
        return f"{say_number(rng, n, split)} {unit}", (0, n, 0)
    if r < 0.64:
        n = pick_number(rng, 5, 90, split)
        return f"{say_number(rng, n, split)} seconds", (0, 0, n)
    if r < 0.74:
        n = pick_number(rng, 1, 12, split)
        unit = "hour" if n == 1 else "hours"
        return f"{say_number(rng, n, split)} {unit}", (n, 0, 0)
    if r < 0.84:
        m = pick_number(rng, 1, 59, split)
        s = pick_number(rng, 1, 59, split)
        mu = "minute" if m == 1 else "minutes"
        return f"{say_number(rng, m, split)} {mu} and {say_number(rng, s, split)} seconds", (0, m, s)
    if r < 0.90:
        h = pick_number(rng, 1, 5, split)
        m = pick_number(rng, 1, 59, split)
        hu = "hour" if h == 1 else "hours"
        return f"{say_number(rng, h, split)} {hu} and {say_number(rng, m, split)} minutes", (h, m, 0)
    fixed = [("half an hour", (0, 30, 0)), ("an hour", (1, 0, 0)), ("a minute", (0, 1, 0)),
             ("an hour and a half", (1, 30, 0)), ("a minute and a half", (0, 1, 30)),
             ("a quarter of an hour", (0, 15, 0)), ("thirty seconds", (0, 0, 30)),
             ("two and a half minutes", (0, 2, 30)), ("a couple of minutes", (0, 2, 0)),
             ("a few seconds", (0, 0, 10))]
    return rng.choice(fixed)


def alarm_phrase(rng: random.Random, split: str):
    """(spoken time, "HH:MM")."""
    def minute():
        if split == "test" and rng.random() < 0.6:
            return rng.choice(sorted(HELD_OUT_MINUTES))
        while True:
            m = rng.choice([0, 15, 30, 45, rng.randint(1, 59), rng.randint(1, 59)])
            if m not in HELD_OUT_MINUTES:
                return m
    r = rng.random()
    h12 = rng.randint(1, 12)
    if r < 0.30:  # 7:30 am / 7:30 pm / 7:30
        m = minute()
        period = rng.choice(["am", "pm", "", "a.m.", "p.m."])
        h = h12 % 12 + (12 if period.startswith("p") else 0) if period else h12
        return f"{h12}:{m:02d}{' ' + period if period else ''}", f"{h:02d}:{m:02d}"
    if r < 0.45:  # 19:05 (24-hour)
        h, m = rng.randint(0, 23), minute()
        return f"{h}:{m:02d}" if rng.random() < 0.5 else f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}"
    if r < 0.62:  # 6 am / 6 pm / 6 o'clock
        period = rng.choice(["am", "pm", "a.m.", "p.m.", "o'clock", "in the morning",
                             "in the evening", "at night"])
        evening = period.startswith("p") or period in ("in the evening", "at night")
        if period == "at night" and h12 < 6:
            h12 += 6
        h = h12 % 12 + 12 if evening else (h12 % 12 if period in ("am", "a.m.") else h12)
        if period == "in the morning":
            h = h12 % 12
        num = str(h12) if rng.random() < 0.5 else words(h12)
        return f"{num} {period}", f"{h:02d}:00"
    if r < 0.80:  # seven thirty (pm)
        m = minute()
        while m == 0:
            m = minute()
        period = rng.choice(["", "", "am", "pm"])
        h = h12 % 12 + (12 if period == "pm" else 0) if period else h12
        mw = words(m) if m >= 10 else "oh " + words(m)
        return f"{words(h12)} {mw}{' ' + period if period else ''}", f"{h:02d}:{m:02d}"
    if r < 0.93:  # half past seven / quarter past six
        kind, m = rng.choice([("half past", 30), ("quarter past", 15)])
        period = rng.choice(["", "", "in the morning", "in the evening"])
        h = h12 % 12 + 12 if period == "in the evening" else (h12 % 12 if period else h12)
        num = words(h12) if rng.random() < 0.7 else str(h12)
        return f"{kind} {num}{' ' + period if period else ''}", f"{h:02d}:{m:02d}"
    return rng.choice([("noon", "12:00"), ("midnight", "00:00"), ("midday", "12:00")])


def volume_level(n: int) -> int:
    """A spoken level 0..10 means tenths of full volume; a larger number is already percent."""
    return n * 10 if n <= 10 else n


# Train weights of the rich corpus: more labelled timers (copying an unseen label is the skill
# the first models lacked) and more of the intents with many phrasings.
RICH_WEIGHTS = [6, 5, 18, 14, 5, 5, 6, 16, 4, 6, 3, 5, 5, 2, 2, 6]

_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "ch", "cl",
           "dr", "fl", "gr", "pl", "sh", "sl", "st", "tr", "w", "y", "h", "j", "sp"]
_VOWELS = ["a", "e", "i", "o", "u", "oo", "ee", "ai", "ou", "y"]
_CODAS = ["", "", "n", "r", "l", "s", "t", "m", "ck", "ng", "x", "p"]


def made_up_word(rng: random.Random) -> str:
    """A pronounceable word no dictionary has (timer labels the model must copy, not recall)."""
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                   for _ in range(rng.choice([1, 2, 2, 3])))


def tool_request(rng: random.Random, split: str, texts: TextSources) -> ToolRequest:
    kind = rng.choices(
        ["time", "date", "timer", "timer_label", "list", "cancel_timer", "cancel_timer_label",
         "alarm", "cancel_alarm", "vol_set", "vol_percent", "vol_up", "vol_down", "vol_mute",
         "vol_max", "stop"],
        weights=RICH_WEIGHTS if split == "train" and RICH["on"] else
        [7, 6, 20, 8, 5, 4, 3, 18, 4, 6, 3, 4, 4, 1.5, 1.5, 6])[0]
    q = lambda t: surface(rng, choose(rng, t, split), split, question=True)  # noqa: E731
    c = lambda t: surface(rng, choose(rng, t, split), split)  # noqa: E731
    def label():
        if split == "train" and RICH["on"] and rng.random() < 0.25:
            return made_up_word(rng)
        return rng.choice(texts.nouns[split] if rng.random() < 0.7 or split == "test"
                          else [f for f in FOODS if label_split(f) == split])
    if kind == "time":
        return ToolRequest(q(TIME_T), "get_time", {})
    if kind == "date":
        return ToolRequest(q(DATE_T), "get_date", {})
    if kind in ("timer", "timer_label"):
        d, hms = duration_phrase(rng, split)
        args = {"duration": duration_text(*hms)}
        if kind == "timer":
            core = choose(rng, TIMER_T, split)
            if "{d} timer" in core or "{d} countdown" in core or "a {d}" in core:
                d = d.replace("minutes", "minute").replace("seconds", "second").replace("hours", "hour")
            return ToolRequest(surface(rng, core.format(d=d), split), "set_timer", args)
        lab = label()
        core = choose(rng, TIMER_LABEL_T, split).format(d=d, label=lab)
        return ToolRequest(surface(rng, core, split), "set_timer", {**args, "label": lab})
    if kind == "list":
        return ToolRequest(q(LIST_T), "list_timers", {})
    if kind in ("cancel_timer", "cancel_alarm"):
        return ToolRequest(c(CANCEL_TIMER_T if kind == "cancel_timer" else CANCEL_ALARM_T), "cancel_timer", {})
    if kind == "cancel_timer_label":
        lab = label()
        core = choose(rng, CANCEL_TIMER_LABEL_T, split).format(label=lab)
        return ToolRequest(surface(rng, core, split), "cancel_timer", {"label": lab})
    if kind == "alarm":
        t, hhmm = alarm_phrase(rng, split)
        core = choose(rng, ALARM_T, split).format(t=t)
        return ToolRequest(surface(rng, core, split), "set_alarm", {"time": hhmm})
    if kind == "vol_set":
        n = rng.randint(0, 10)
        spoken = str(n) if rng.random() < 0.5 else words(n)
        core = choose(rng, VOLUME_SET_T, split).format(n=spoken)
        return ToolRequest(surface(rng, core, split), "set_volume", {"level": volume_level(n)})
    if kind == "vol_percent":
        n = pick_number(rng, 11, 100, split)
        spoken = say_number(rng, n, split) if n < 100 else rng.choice(["100", "one hundred"])
        core = choose(rng, VOLUME_SET_T, split).format(n=spoken + rng.choice([" percent", "%", " percent"]))
        return ToolRequest(surface(rng, core, split), "set_volume", {"level": n})
    if kind == "vol_up":
        return ToolRequest(c(VOLUME_UP_T), "change_volume", {"delta": 10})
    if kind == "vol_down":
        return ToolRequest(c(VOLUME_DOWN_T), "change_volume", {"delta": -10})
    if kind == "vol_mute":
        return ToolRequest(c(VOLUME_MUTE_T), "set_volume", {"level": 0})
    if kind == "vol_max":
        return ToolRequest(c(VOLUME_MAX_T), "set_volume", {"level": 100})
    return ToolRequest(c(STOP_T), "stop", {})


# ---------------------------------------------------------------- tool results and answers
# The result objects are those of assistant/core/assistant_tools.h, wrapped by ToolResult as
# {"name", "ok", "result"} or {"name", "ok": false, "error"}.
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def clock12(h: int, m: int) -> str:
    return f"{(h % 12) or 12}:{m:02d} {'AM' if h < 12 else 'PM'}"


def seconds_of(duration: str) -> int:
    total, parts = 0, duration.split()
    for n, unit in zip(parts[::2], parts[1::2]):
        total += int(n) * {"hour": 3600, "minute": 60, "second": 1}[unit.rstrip("s")]
    return total


def ok(name: str, result: dict) -> dict:
    return {"name": name, "ok": True, "result": result}


def fail(name: str, error: str) -> dict:
    return {"name": name, "ok": False, "error": error}


def tool_result_and_answer(rng: random.Random, req: ToolRequest):
    a, name = req.arguments, req.name
    if name == "get_time":
        h, m = rng.randint(0, 23), rng.randint(0, 59)
        t = clock12(h, m)
        res = ok(name, {"time": f"{h:02d}:{m:02d}", "hour": h, "minute": m, "spoken": t})
        return res, rng.choice([f"It's {t}.", f"It is {t}.", f"The time is {t}.", f"It's {t} now."])
    if name == "get_date":
        y, mo, d, wd = rng.randint(2024, 2031), rng.randint(1, 12), rng.randint(1, 28), rng.choice(DAYS)
        spoken = f"{wd}, {MONTHS[mo - 1]} {d}, {y}"
        res = ok(name, {"date": f"{y}-{mo:02d}-{d:02d}", "weekday": wd, "spoken": spoken})
        return res, rng.choice([f"Today is {spoken}.", f"It's {spoken}.", f"The date is {spoken}."])
    if name == "set_timer":
        dur, lab = a["duration"], a.get("label", "")
        res = ok(name, {"id": rng.randint(1, 5), "duration_seconds": float(seconds_of(dur)), "label": lab, "spoken": dur})
        if lab:
            return res, rng.choice([f"Your {lab} timer is set for {dur}.", f"Okay, {dur} on the {lab} timer."])
        return res, rng.choice([f"Timer set for {dur}.", f"Okay, {dur}, starting now.",
                                f"Done, your timer is set for {dur}."])
    if name == "list_timers":
        k = rng.choices([0, 1, 2], weights=[3, 5, 2])[0]
        timers, said = [], []
        for i in range(k):
            if rng.random() < 0.25:
                h, m = rng.randint(0, 23), rng.choice([0, 15, 30, 45, rng.randint(0, 59)])
                timers.append({"id": i + 1, "kind": "alarm", "label": "", "remaining_seconds": rng.randint(60, 80000),
                               "time": f"{h:02d}:{m:02d}"})
                said.append(f"an alarm at {h:02d}:{m:02d}")
            else:
                lab = rng.choice(["", "", rng.choice(FOODS)])
                rem = rng.randint(1, 3600)
                timers.append({"id": i + 1, "kind": "timer", "label": lab, "remaining_seconds": rem})
                said.append(f"{'a ' + lab + ' timer' if lab else 'a timer'} with {rem} seconds left")
        res = ok(name, {"timers": timers})
        if not timers:
            return res, rng.choice(["You have no timers or alarms running.", "There are no timers right now."])
        if k == 1:
            return res, f"You have {said[0]}."
        return res, f"You have {said[0]}, and {said[1]}."
    if name == "cancel_timer":
        if rng.random() < 0.2:
            err = f"no timer or alarm labelled \"{a['label']}\"" if "label" in a else "no timer or alarm is running"
            return fail(name, err), f"Sorry, {err}."
        ids = [rng.randint(1, 5)]
        lab = a.get("label")
        return ok(name, {"cancelled": ids}), rng.choice(
            [f"The {lab} timer is cancelled." if lab else "Cancelled.",
             f"Okay, I cancelled the {lab + ' timer' if lab else 'timer'}." if rng.random() < 0.5 else "Done, it's cancelled."])
    if name == "set_alarm":
        h, m = map(int, a["time"].split(":"))
        res = ok(name, {"id": rng.randint(1, 5), "time": a["time"], "label": "", "in_seconds": rng.randint(60, 86000)})
        t = a["time"]
        return res, rng.choice([f"Alarm set for {t}.", f"Okay, I'll wake you at {t}.", f"Your alarm is set for {t}."])
    if name in ("set_volume", "change_volume"):
        v = a["level"] if name == "set_volume" else max(0, min(100, rng.choice(range(0, 101, 10)) + a["delta"]))
        if name == "set_volume" and v > 100:
            err = f"level {v} is above the maximum 100"
            return fail(name, err), f"Sorry, {err}."
        return ok(name, {"volume": v}), rng.choice([f"Volume set to {v} percent.", f"Okay, the volume is now {v} percent.",
                                                    f"Volume {v} percent."])
    return ok(name, {"stopped": True}), rng.choice(["Okay.", "Okay, stopped.", "Sure."])


# ---------------------------------------------------------------- chat, refusals, general
GREETINGS = {"train": ["hi", "hello", "hey", "good morning", "good evening", "good afternoon",
                       "hello there", "hi parley", "hey there", "morning", "hello parley",
                       "how are you", "how's it going", "hi there"],
             "test": ["greetings", "yo", "good day", "hiya", "howdy", "hello again",
                      "how are you doing today", "hey parley how are you"]}
GREETING_ANSWERS = ["Hello! How can I help?", "Hi! What can I do for you?",
                    "Hello! I can tell you the time, set timers and alarms, or change the volume.",
                    "Hi there! How can I help you today?", "Hello! What do you need?"]
CAPABILITY = {"train": ["what can you do", "help", "what are you able to do", "how can you help me",
                        "what do you do", "what can i ask you", "what are your features",
                        "what can you help with", "what commands do you know", "what are you for"],
              "test": ["what are you capable of", "tell me what you can do", "what things can you do",
                       "which tasks can you handle", "what kind of things do you do",
                       "list your abilities", "how do i use you"]}
CAPABILITY_ANSWERS = [
    "I can tell you the time and date, set and cancel timers and alarms, and change the volume.",
    "I can tell the time and date, run timers, set alarms, and turn the volume up or down.",
    "I'm an offline assistant: I can give you the time and date, set timers and alarms, and adjust the volume."]
IDENTITY = {"train": ["who are you", "what are you", "what's your name", "are you a robot",
                      "are you online"],
            "test": ["tell me about yourself", "what should i call you"]}
IDENTITY_ANSWERS = ["I'm Parley, an offline voice assistant.",
                    "I'm Parley, a voice assistant that runs entirely on this device.",
                    "My name is Parley. I run offline, right here on the appliance."]
THANKS = {"train": ["thank you", "thanks", "thanks a lot", "great thanks", "perfect", "cool",
                    "awesome", "ok thanks", "goodbye", "bye", "good night", "see you"],
          "test": []}
THANKS_ANSWERS = {"bye": ["Goodbye!", "Bye! Talk to you later."],
                  "night": ["Good night!"], "see": ["See you!"],
                  "": ["You're welcome!", "Happy to help.", "Anytime!", "You're welcome."]}

TOPICS = {"train": [("the weather", ["what's the weather like", "will it rain today", "is it cold outside",
                                     "what's the forecast", "do i need an umbrella", "how hot is it going to be"]),
                    ("the news", ["what's in the news", "tell me the news", "any headlines today",
                                  "what happened in the world today"]),
                    ("sports scores", ["who won the game last night", "what's the score of the match",
                                       "how did my team do"]),
                    ("stock prices", ["how are the stocks doing", "what's the price of gold"]),
                    ("the internet", ["search the web for pizza places", "look up the population of france",
                                      "google how to fix a bike", "open youtube"]),
                    ("traffic", ["how's the traffic", "is there traffic on the highway"]),
                    ("music streaming", ["play some music", "play the radio"]),
                    ("phone calls", ["call my mom", "send a text to john"]),
                    ("shopping", ["order more milk", "buy batteries online"])],
          "test": [("the weather", ["is it going to snow tomorrow", "how warm is it outside today",
                                    "should i bring a jacket"]),
                   ("the news", ["read me the headlines", "what's going on in the world"]),
                   ("sports scores", ["what was the final score yesterday"]),
                   ("stock prices", ["what is bitcoin worth right now"]),
                   ("the internet", ["find me a recipe online", "browse the internet for flights"]),
                   ("traffic", ["will i be stuck in traffic"]),
                   ("music streaming", ["put on some jazz"]),
                   ("phone calls", ["phone my brother"]),
                   ("shopping", ["order a pizza for me"])]}


def refusal_answer(rng: random.Random, topic: str) -> str:
    return rng.choice([
        f"Sorry, I work offline, so I can't check {topic}. I can tell you the time, set timers and alarms, or change the volume.",
        f"Sorry, I don't have access to {topic}: I run offline on this device.",
        f"I'm sorry, I can't help with {topic} because I'm not connected to the internet."])


def chat(rng: random.Random, split: str):
    r = rng.random()
    if r < 0.35:
        return surface(rng, choose(rng, GREETINGS, split), split), rng.choice(GREETING_ANSWERS)
    if r < 0.65:
        return surface(rng, choose(rng, CAPABILITY, split), split, True), rng.choice(CAPABILITY_ANSWERS)
    if r < 0.78:
        return surface(rng, choose(rng, IDENTITY, split), split, True), rng.choice(IDENTITY_ANSWERS)
    user = rng.choice(THANKS["train"])
    key = next((k for k in ("bye", "night", "see") if k in user), "")
    return surface(rng, user, "train"), rng.choice(THANKS_ANSWERS[key])


def refusal(rng: random.Random, split: str):
    if split == "train" and RICH["on"] and rng.random() >= 0.3:
        import paraphrase as P
        if not _RICH_OF:
            _register_rich()
        topic, groups = rng.choice(_RICH_OF["topics"])
        return surface(rng, P.draw(rng, groups), split, True), refusal_answer(rng, topic)
    topic, asks = rng.choice(TOPICS[split])
    return surface(rng, rng.choice(asks), split, True), refusal_answer(rng, topic)


def general(rng: random.Random, texts: TextSources):
    half = len(texts.fortunes) // 2
    if rng.random() < 0.5 and texts.glosses:
        word, gloss = rng.choice(texts.glosses)
        ask = rng.choice(["what does {w} mean", "define {w}", "what is a {w}", "what's the meaning of {w}"])
        return surface(rng, ask.format(w=word), "train", True), f"{word.capitalize()}: {gloss}."
    ask = rng.choice(["tell me something", "say something interesting", "tell me a fortune",
                      "give me a quote", "tell me something fun", "cheer me up"])
    return surface(rng, ask, "train"), rng.choice(texts.fortunes[:half])


def greeting_test(rng: random.Random, count: int):
    return [surface(rng, rng.choice(GREETINGS["test"]), "test") for _ in range(count)]


def capability_test(rng: random.Random, count: int):
    pool = CAPABILITY["test"] + IDENTITY["test"]
    return [surface(rng, rng.choice(pool), "test", True) for _ in range(count)]


def refusal_test(rng: random.Random, count: int):
    out = []
    for _ in range(count):
        _, asks = rng.choice(TOPICS["test"])
        out.append(surface(rng, rng.choice(asks), "test", True))
    return out


# ---------------------------------------------------------------- drills (gen_corpus.py --drills)
def _digits_drill(rng: random.Random):
    """(spoken, written): the argument conventions on their own — numbers, durations, clock times."""
    r = rng.random()
    if r < 0.4:
        n = rng.randint(0, 99)
        if n in HELD_OUT_NUMBERS:
            n += 1
        return words(n, rng), str(n)
    if r < 0.7:
        spoken, hms = duration_phrase(rng, "train")
        return spoken, duration_text(*hms)
    return alarm_phrase(rng, "train")


def drill(rng: random.Random, texts: TextSources):
    """A copying exercise: repeat a phrase, or write a spoken number, duration or time as the tool
    arguments write it. Teaches the model to copy from the request, which timer labels and
    numbers need, with no tool around it."""
    r = rng.random()
    if r < 0.5:
        number = str(rng.randint(0, 9999))
        while any(str(h) in number for h in HELD_OUT_NUMBERS):  # held-out numbers stay unseen as digits
            number = str(rng.randint(0, 9999))
        pool = [made_up_word(rng), rng.choice(texts.nouns["train"]),
                f"{made_up_word(rng)} {rng.choice(texts.nouns['train'])}", number]
        what = rng.choice(pool)
        ask = rng.choice(["repeat after me: {x}", "say {x}", "can you say {x}", "please repeat {x}",
                          "say the word {x}", "repeat {x}"]).format(x=what)
        return surface(rng, ask, "train"), what
    spoken, written = _digits_drill(rng)
    ask = rng.choice(["write {x} in digits", "how do you write {x}", "{x} in numbers",
                      "what is {x} in digits"]).format(x=spoken)
    return surface(rng, ask, "train", True), written

