"""Deterministic sentence pools for the synthetic ASR corpus.

Two sources:
  * appliance domain: templates over rooms, devices, numbers, times, durations, with an optional
    "hey parley" wake phrase; every number is written out in words (the transcript is what the
    synthesizer is asked to say).
  * general English: Debian's fortunes (/usr/share/games/fortunes) and WordNet glosses and usage
    examples (/usr/share/wordnet/data.*).

Transcripts are upper-case words [A-Z'] separated by single spaces. A sentence belongs to the
held-out set when md5("heldout:" + text) falls in the first HELDOUT_PERCENT of the hash space,
so the split is independent of generation order and of how many sentences are generated.

Usage:
  domain = domain_sentences(seed=1, count=20000)
  general = general_sentences()
  train, test = split_heldout(domain + general)
"""

from __future__ import annotations

import glob
import hashlib
import os
import random
import re
from typing import List, Sequence, Tuple

HELDOUT_PERCENT = 4

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """0 <= n < 10000 in words ("two hundred and five")."""
    if n < 20:
        return ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return TENS[t] + ("" if o == 0 else " " + ONES[o])
    if n < 1000:
        h, r = divmod(n, 100)
        return ONES[h] + " hundred" + ("" if r == 0 else " and " + number_words(r))
    th, r = divmod(n, 1000)
    return number_words(th) + " thousand" + ("" if r == 0 else " " + number_words(r))


def time_words(rng: random.Random) -> str:
    h = rng.randint(1, 12)
    m = rng.choice([0, 0, 0, 5, 10, 15, 20, 30, 30, 40, 45, 50, rng.randint(1, 59)])
    ampm = rng.choice(["", "", " a m", " p m", " in the morning", " in the evening", " at night"])
    if m == 0:
        base = rng.choice([f"{ONES[h] if h < 20 else number_words(h)} o'clock",
                           number_words(h)])
    elif m == 15 and rng.random() < 0.4:
        base = f"quarter past {number_words(h)}"
    elif m == 30 and rng.random() < 0.4:
        base = f"half past {number_words(h)}"
    elif m == 45 and rng.random() < 0.4:
        base = f"quarter to {number_words(h % 12 + 1)}"
    elif m < 10:
        base = f"{number_words(h)} oh {ONES[m]}"
    else:
        base = f"{number_words(h)} {number_words(m)}"
    return base + ampm


ROOMS = ["kitchen", "living room", "bedroom", "bathroom", "hallway", "office", "garage",
         "dining room", "basement", "attic", "nursery", "guest room", "porch", "garden",
         "laundry room", "study", "kids room", "upstairs", "downstairs", "balcony"]
DEVICES = ["lights", "light", "lamp", "fan", "heater", "air conditioner", "radio", "tv",
           "television", "speaker", "oven", "kettle", "coffee machine", "dishwasher",
           "washing machine", "dryer", "fridge", "thermostat", "blinds", "curtains", "humidifier",
           "vacuum", "microwave", "toaster", "music", "alarm", "doorbell camera", "garage door",
           "sprinklers", "ceiling fan", "night light", "porch light", "computer", "printer"]
UNITS = ["seconds", "minutes", "hours"]
TASKS = ["call mom", "take out the trash", "water the plants", "buy milk", "feed the cat",
         "walk the dog", "check the oven", "pick up the kids", "take my medicine",
         "start the laundry", "pay the bills", "lock the front door", "charge my phone",
         "book a table", "send the email", "stretch", "drink some water", "go to bed",
         "turn off the stove", "move the car", "call the doctor", "bring an umbrella"]
THINGS = ["jazz", "some music", "the news", "classical music", "rock music", "a podcast",
          "the radio", "my playlist", "relaxing sounds", "rain sounds", "white noise",
          "something upbeat", "the next song", "the previous song", "an audiobook"]
NAMES = ["anna", "ben", "carol", "david", "emma", "frank", "grace", "henry", "isabel", "jack",
         "kate", "liam", "maria", "noah", "olivia", "peter", "rachel", "sam", "tom", "zoe"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today",
        "tomorrow", "tonight", "this weekend", "next week"]

TEMPLATES = [
    "turn on the {device}", "turn off the {device}", "turn the {device} on",
    "turn the {device} off", "switch on the {device} in the {room}",
    "switch off the {device} in the {room}", "turn on the {room} {device}",
    "turn off the {room} {device}", "please turn on the {device} in the {room}",
    "can you turn off the {device}", "is the {device} in the {room} on",
    "dim the {room} lights to {pct} percent", "set the brightness to {pct} percent",
    "set a timer for {n} {unit}", "set a {n} minute timer", "start a timer for {n} {unit}",
    "cancel the timer", "how much time is left on the timer", "stop the timer",
    "set an alarm for {time}", "wake me up at {time}", "set an alarm for {time} {day}",
    "cancel my alarm", "snooze the alarm", "what time is it", "what time is it now",
    "what is the date today", "what day is it", "what is today's date",
    "remind me to {task} at {time}", "remind me to {task} in {n} {unit}",
    "remind me to {task} {day}", "set the volume to {n}", "turn the volume up",
    "turn the volume down", "volume up", "volume down", "louder please", "a bit quieter",
    "mute", "unmute", "stop", "pause", "resume", "next", "go back", "never mind", "cancel",
    "play {thing}", "play {thing} in the {room}", "stop the music", "what is playing",
    "set the temperature to {temp} degrees", "make it warmer", "make it cooler",
    "set the {room} thermostat to {temp} degrees", "what is the temperature inside",
    "open the blinds", "close the curtains in the {room}", "lock the front door",
    "is the back door locked", "what can you do", "what is your name", "who are you",
    "how are you", "thank you", "thanks a lot", "good morning", "good night", "hello",
    "help", "tell me a joke", "what's the weather like", "will it rain {day}",
    "call {name}", "send a message to {name}", "add {item} to my shopping list",
    "what is on my shopping list", "read my shopping list", "how long until {time}",
    "start the {device}", "stop the {device}", "is the {device} running",
    "how long will the {device} take", "set the oven to {temp2} degrees",
    "preheat the oven to {temp2}", "what is {a} plus {b}", "what is {a} times {b}",
    "how many {unit} are in an hour", "count to {n}", "spell {word}",
    "turn everything off", "turn off all the lights", "i'm going to bed", "i'm home",
    "i'm leaving", "good evening", "what did you say", "say that again",
    "repeat that please", "speak slower", "yes", "no", "yes please", "no thanks", "okay",
]
ITEMS = ["milk", "eggs", "bread", "apples", "coffee", "butter", "cheese", "rice", "pasta",
         "tomatoes", "bananas", "orange juice", "chicken", "soap", "toilet paper", "tea"]
WORDS = ["apple", "house", "garden", "parley", "kitchen", "orange", "window", "music"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        device=rng.choice(DEVICES), room=rng.choice(ROOMS), pct=number_words(rng.choice(
            [10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100])),
        n=number_words(rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 45,
                                   50, 60, 90, rng.randint(1, 99)])),
        unit=rng.choice(UNITS), time=time_words(rng), day=rng.choice(DAYS),
        task=rng.choice(TASKS), thing=rng.choice(THINGS), name=rng.choice(NAMES),
        temp=number_words(rng.randint(15, 28)), temp2=number_words(rng.choice(
            [150, 160, 175, 180, 190, 200, 220, 250, 350, 375, 400])),
        item=rng.choice(ITEMS), word=rng.choice(WORDS), a=number_words(rng.randint(0, 20)),
        b=number_words(rng.randint(0, 20)))


def normalize(text: str) -> str:
    """Upper-case words of [A-Z'] or '' when the text has digits or odd symbols."""
    text = text.replace("\u2019", "'").replace("`", "'")
    if re.search(r"[0-9@#$%&*=+<>/\\_~^|{}\[\]]", text):
        return ""
    text = re.sub(r"[-;:,.!?\"()]", " ", text)
    if re.search(r"[^A-Za-z' ]", text):
        return ""
    words = [w.strip("'") for w in text.upper().split()]
    return " ".join(w for w in words if w)


def domain_sentences(seed: int, count: int) -> List[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        s = _fill(rng.choice(TEMPLATES), rng)
        r = rng.random()
        if r < 0.25:
            s = "hey parley " + s
        elif r < 0.30:
            s = "parley " + s
        elif r < 0.33:
            s = "hey parley"
        out.append(normalize(s))
    return [s for s in out if s]


def _split_clauses(text: str) -> List[str]:
    parts = re.split(r"(?<=[.!?;])\s+", " ".join(text.split()))
    return [p for p in parts if p]


def general_sentences(min_words: int = 3, max_words: int = 16) -> List[str]:
    out: List[str] = []
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        if path.endswith(".dat") or path.endswith(".u8") or os.path.islink(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for block in f.read().split("\n%\n"):
                out.extend(_split_clauses(block))
    for path in sorted(glob.glob("/usr/share/wordnet/data.*")):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue
                gloss = line.split("|", 1)[1]
                for piece in gloss.split(";"):
                    piece = piece.strip().strip('"').strip()
                    if piece:
                        out.append(piece)
    result, seen = [], set()
    for s in out:
        n = normalize(s)
        if n and min_words <= len(n.split()) <= max_words and n not in seen:
            seen.add(n)
            result.append(n)
    return result


def is_heldout(text: str) -> bool:
    h = hashlib.md5(("heldout:" + text).encode()).digest()
    return h[0] * 100 < HELDOUT_PERCENT * 256


def split_heldout(sentences: Sequence[str]) -> Tuple[List[str], List[str]]:
    train, test = [], []
    for s in sentences:
        (test if is_heldout(s) else train).append(s)
    return train, test
