"""Rich training phrasings (gen_corpus.py default; --plain turns them off).

The first corpora gave each intent 4-15 fixed training phrasings. A 2M-parameter model trained
from scratch knows no English beyond its corpus, so it could not map a held-out phrasing onto an
intent unless its words had been seen doing that job ("bump the volume" -> volume up). Here each
intent gets a small grammar: verbs, objects and frames combined, hundreds of phrasings per intent,
with the words people use for that request. Wrappers get noise too: a random word or two before
or after a request, so that unknown words around a request ("..., cheers") are ignored rather
than derailing the reply.

Rules: expand() output is only ever added to the *train* lists; any expansion that equals a
held-out template of its intent (templates.py "test" lists) is dropped, so no held-out phrasing
ever occurs in training as a whole. Words of held-out phrasings do occur in other combinations:
the held-out set measures unseen phrasings of known words, not unseen vocabulary.
"""
from __future__ import annotations

import itertools
import re

_GROUP = re.compile(r"\(([^()]*)\)")


def expand(pattern: str) -> list:
    """All strings of a pattern with (a|b|) alternations (no nesting); spaces normalised."""
    parts = _GROUP.split(pattern)
    literals, groups = parts[0::2], [g.split("|") for g in parts[1::2]]
    out = []
    for choice in itertools.product(*groups):
        s = literals[0]
        for c, lit in zip(choice, literals[1:]):
            s += c + lit
        out.append(" ".join(s.split()).replace(" ,", ","))
    return out


def expand_all(patterns) -> list:
    """One list of expansions per pattern (a phrasing is drawn pattern first, so a pattern with
    thousands of combinations does not drown the short ones); duplicates kept once."""
    seen, out = set(), []
    for p in patterns:
        group = []
        for s in expand(p):
            if s not in seen:
                seen.add(s)
                group.append(s)
        if group:
            out.append(group)
    return out


def without(groups: list, held_out: set) -> list:
    """The groups minus every phrasing that is a held-out template (of any intent)."""
    out = []
    for g in groups:
        kept = [s for s in g if s not in held_out]
        if kept:
            out.append(kept)
    return out


def draw(rng, groups: list) -> str:
    return rng.choice(rng.choice(groups))


_POLITE = "(can you|could you|would you|will you|please|i want you to|i'd like you to|)"

TIME = expand_all([
    "what (time is it|is the time|'s the time)( now| at the moment| right now|)",
    f"{_POLITE} (tell|say|give) me (the time|what time it is|the current time)",
    "(i want|i'd like|i would like) to know (the time|what time it is)",
    "(got|have you got|do you know) the time",
    "what does the clock (say|show|read)", "how late is it (now|already|getting)",
    "is it late", "what hour is it", "current time( please|)", "time check",
    "what time (have you got|do we have|is it there)", "the time( please|)",
    "(tell|say|give) the time", "what's the time (now|at the moment|please)",
])
DATE = expand_all([
    "what('s| is) (the date|today's date|the date today|the day|the day of the week)( today|)",
    f"{_POLITE} (tell|give|say) me (the date|what day it is|the day|what the date is)",
    "(i want|i'd like) to know (the date|what day it is|what the date is)",
    "(which|what) day (is it|is today|of the month is it)",
    "what('s| is) today('s date|)", "date (please|check)", "today's date",
    "(do you know|have you got) (the date|what the date is)",
    "what month is it", "what's the date again",
])
_TIMER_VERB = ("(set|start|make|create|put on|run|launch|begin|get|give me|set me|start me|"
               "set up|kick off|fire up|i need|i want|i'd like)")
_TIMER_OBJ = "(a timer|a countdown|a new timer|another timer|the timer|one timer)"
_TIMER_NOUN = "(timer|countdown)"
TIMER = expand_all([
    f"{_POLITE} {_TIMER_VERB} {_TIMER_OBJ} (for|of|lasting|on) {{d}}",
    f"{_POLITE} {_TIMER_VERB} a {{d}} {_TIMER_NOUN}",
    f"{_TIMER_NOUN} (for|of|) {{d}}", f"{{d}} {_TIMER_NOUN}( please|)",
    f"{_POLITE} (remind|alert|notify|ping|tell|buzz|call) me (in|after) {{d}}",
    f"{_POLITE} (let me know|give me a shout|beep|ring|go off) (in|after) {{d}}",
    f"{_POLITE} (tell|let) me (know |)when {{d}} (is|are) (up|over|done)",
    "(count down|countdown|count|time|clock) {d} for me", "(time|clock) me for {d}",
    "(time|clock) (this|it) (for|) {d}", "(start|begin) counting {d}",
    "(count|counting) down from {d}", "countdown from {d}",
    "(put|set) {d} on the (clock|timer)", "(put|set) the timer (to|at|on) {d}",
    "(i need|i want|i'd like|give me) {d} on (a|the) timer", "{d} on the clock",
    "(make|set) (the|a) (timer|countdown) (go|run) for {d}",
    "(wait|hold on) {d} and (tell|alert|remind) me", "in {d} (tell|remind|alert) me",
])
_LABEL_FOR = "(for the|for my|for|on the|called|named|labelled)"
TIMER_LABEL = expand_all([
    f"{_POLITE} {_TIMER_VERB} a {{label}} {_TIMER_NOUN} (for|of|lasting) {{d}}",
    f"{_POLITE} {_TIMER_VERB} {_TIMER_OBJ} {_LABEL_FOR} {{label}} (for|of) {{d}}",
    f"{_POLITE} {_TIMER_VERB} {_TIMER_OBJ} (for|of) {{d}} {_LABEL_FOR} {{label}}",
    f"{_POLITE} {_TIMER_VERB} a {{d}} {_TIMER_NOUN} {_LABEL_FOR} {{label}}",
    f"{{label}} {_TIMER_NOUN} (for|of|) {{d}}", f"{{d}} (for the|on the|for my) {{label}}",
    "(time|clock) (my|the|our) {label} (for|) {d}", "(count down|countdown) {d} for the {label}",
    f"{_POLITE} (remind|alert|tell) me about the {{label}} in {{d}}",
    "the {label} needs {d}", "(my|the) {label} (needs|takes|has) {d}( on the timer|)",
    "{d} for (my|the) {label} (please|)", "(put|set) the {label} on for {d}",
])
_KILL = ("(cancel|stop|delete|remove|kill|turn off|switch off|end|clear|drop|abort|scrap|"
         "get rid of|forget|dismiss|call off|erase|discard|ditch|shut off|disable|undo|lose)")
CANCEL_TIMER = expand_all([
    f"{_POLITE} {_KILL} (the|my|that|this|our|all the|all my|every) "
    "(timer|timers|countdown|countdowns|alarm|alarms)",
    f"{_POLITE} {_KILL} (all timers|all alarms|everything on the timer)",
    "(i don't|i no longer|we don't) need the (timer|alarm|countdown)( anymore|)",
    "no (more timers|alarm|timer|countdown)( please|)", "(timer|alarm) off",
    "(never mind|forget) the (timer|alarm)", "no alarm (tomorrow|tonight|in the morning)",
])
CANCEL_TIMER_LABEL = expand_all([
    f"{_POLITE} {_KILL} the {{label}} (timer|countdown)",
    f"{_POLITE} {_KILL} my {{label}} (timer|countdown)",
    f"{_POLITE} {_KILL} the (timer|countdown) (for the|for my|for|called|named) {{label}}",
    "(i don't|we don't) need the {label} timer( anymore|)", "{label} timer off",
    "(never mind|forget) the {label} timer", "no more {label} timer",
])
LIST = expand_all([
    "how (much time|long) is (left|remaining) (on|in) (the|my) (timer|timers|countdown)",
    "how (much time|long) is (left|remaining)", "(any|are there|do i have any) (timers|alarms)( running| set| on|)",
    "(what|which) (timers|alarms) (do i have|are running|are set|are on)",
    f"{_POLITE} (list|show|check|read|tell me) (my|the|all|all my) (timers|alarms|countdowns)",
    "(when|at what time) (does|will) (the|my) (timer|alarm) go off", "(is|are) (my|the) (timer|timers) (still |)(running|going|on)",
    "(timer|timers|alarm) status", "how are (the|my) (timers|countdowns) (going|getting on)",
    "how long until (the|my) (timer|alarm) (goes off|rings|beeps|is done)",
    "(what's|what is) (left|remaining) on (my|the) (timers|countdown)", "time (left|remaining)( on the timer|)",
    "(when|how soon) (will|does) (my|the) (countdown|timer) (end|finish|be done)",
])
_WAKE = "(wake me|wake me up|get me out of bed|wake us|wake us up|rouse me)"
ALARM = expand_all([
    f"{_POLITE} (set|make|create|put on|start|add|schedule) (an|my|the|a new) alarm (for|at|to) {{t}}",
    f"{_POLITE} {_WAKE} (at|for|around|by) {{t}}",
    "(alarm|alarm for|alarm at) {t}( please|)", "(set|put) (the|my) alarm (to|at|on) {t}",
    "(i want|i need|i'd like|i have) to (get up|wake up|be awake|be up) (at|by|for) {t}",
    "(i need|i want|i'd like) an alarm (at|for) {t}", "(ring|buzz|beep|sound) (at|for) {t}",
    "(ring|sound|buzz) (an|my|the) alarm (for|at) {t}", "(get|have) me (awake|woken|woken up) (at|by) {t}",
    "(set|put) an alarm on (at|for) {t}", "alarm clock (for|at) {t}", "{t} alarm( please|)",
    "(make|have) the alarm go off at {t}", "(remind|alert) me at {t}", "(wake|alarm) at {t}",
])
_VOL = "(the volume|the sound|volume|the speaker|the audio|the sound level|it)"
VOLUME_SET = expand_all([
    f"{_POLITE} (set|change|put|turn|make|adjust|switch|bring|move|put) {_VOL} (to|at|on) {{n}}",
    "(volume|sound|speaker|volume level|sound level) (to|at|) {n}",
    f"(i want|i'd like|i need|give me) {_VOL} (at|on|to be) {{n}}",
    "(make|have) the volume (be |)({n})", "(can|could) (you|we) (set|put) (the volume|the sound) (to|at) {n}",
    "(the volume|volume) should be {n}", "{n} on the volume", "level {n}( please|)",
])
_UPV = "(turn up|raise|increase|boost|bump up|pump up|crank up|push up|bring up|put up|lift|up|amp up)"
VOLUME_UP = expand_all([
    f"{_POLITE} {_UPV} (the volume|the sound|the speaker|the audio|the level)( a bit| a little| some|)",
    f"{_POLITE} (turn|crank|pump|bump|push) (it|that|the volume|the sound) up( a bit| a little|)",
    f"{_POLITE} (bump|crank) (the volume|the sound)", f"{_POLITE} (be|speak|talk) (louder|up)",
    "(louder|a bit louder|a little louder|bit louder|even louder)( please|)",
    "(more|a bit more|a little more) (volume|sound)", "(make|get) it louder", "(volume|sound) up",
    "(i can't|i cannot|i can barely|we can't) hear (you|that|it)", "(too|way too|a bit) quiet",
    "(it's|that's|you're) (too quiet|not loud enough)", "(louder|speak up) i can't hear",
])
_DOWNV = "(turn down|lower|decrease|reduce|drop|bring down|cut|dial down|tone down|put down|soften)"
VOLUME_DOWN = expand_all([
    f"{_POLITE} {_DOWNV} (the volume|the sound|the speaker|the audio|the level)( a bit| a little| some|)",
    f"{_POLITE} (turn|tone|dial|bring|keep) (it|that|the volume|the sound) down( a bit| a little|)",
    f"{_POLITE} (be|speak|talk) (quieter|softer|more quietly)",
    "(quieter|a bit quieter|a little quieter|softer|a bit softer)( please|)",
    "(less|a bit less|a little less) (volume|sound|loud)", "(make|get) it (quieter|softer)", "(volume|sound) down",
    "(too|way too|a bit too|so) loud", "(it's|that's|you're) (too loud|much too loud|a bit loud|so loud)",
    "not (that|this|as) loud", "(don't|do not) (be|shout) so loud",
])
VOLUME_MUTE = expand_all([
    f"{_POLITE} (mute|silence|shut off|switch off|turn off|kill) (the sound|the volume|the speaker|yourself|the audio|audio|sound)",
    "(mute|silence)( please| now|)", "(volume|sound) (off|zero|to zero)", "no (sound|volume)",
])
VOLUME_MAX = expand_all([
    f"{_POLITE} (turn|crank|pump|put|push) (it|the volume|the sound) all the way up",
    "(maximum|max|full|top|highest) (volume|sound|level)", "(volume|sound) (to the max|to maximum|at max|to full)",
    "as loud as (it goes|you can|it can go|it gets)", "(loudest|the loudest) (possible|setting|volume)",
    f"{_POLITE} (max out|maximise|maximize) the (volume|sound)",
])
STOP = expand_all([
    "(stop|cancel|halt|quit|enough|hush|shush|quiet)( it| that| now| please| talking| there|)",
    "(never mind|nevermind|forget it|forget that|drop that|leave it|skip it|that's enough|okay stop)",
    "(be quiet|shut up|stop talking|stop speaking|no more talking|stop that now|cut that out|cut it)",
    "(that will do|that'll do|that's all|i'm done|we're done)",
    "(please|just) (stop|be quiet|stop talking|halt)", "stop (it|that) (now|please|right now)",
])

# Chat and refusals: more ways to greet, ask what it can do, and ask what it cannot.
GREETINGS = expand_all([
    "(hi|hello|hey|hiya there|howdy there|hey hey|hello hello|good morning|good evening|"
    "good afternoon|morning|evening|afternoon|hi again|hey again|greetings parley)",
    "(how are you|how are you doing|how's it going|how are things|how have you been|"
    "what's up|how do you do|how's your day)( today|)",
    "(hi|hello|hey) (parley|there|again|friend)( how are you|)", "nice to (meet|see) you",
])
CAPABILITY = expand_all([
    "what (can|could) you (do|help with|help me with|do for me)",
    "what (are|'re) (your skills|your abilities|your features|you good at|you able to do|you for)",
    "(tell|show) me what you (can do|are able to do|know how to do|do)",
    "(which|what) (things|jobs|tasks|commands) (can you do|do you know|can you handle|do you do)",
    "what kind of (help|things|tasks) (can you do|do you offer|do you handle)",
    "how (can|do) (i|we) use you", "how does this (work|thing work)", "(help|help me|i need help)",
    "what (should|can) i (ask|say to) you", "(list|explain) (your|what you) (skills|features|abilities|do)",
])
IDENTITY = expand_all([
    "(who|what) are you", "what('s| is) your name", "(are you|is this) (a robot|a computer|online|a person)",
    "(introduce|describe) yourself", "who am i (talking|speaking) to", "what do (i|we) call you",
    "what should (i|we) call you", "tell me (about|who) you( are|)",
])
REFUSAL = {
    "the weather": ["what's the weather (like|going to be)( today| tomorrow|)", "(will|is it going to) (rain|snow|be sunny|be windy) (today|tomorrow|later)",
                    "(is it|how) (cold|hot|warm|nice) (is it |)outside", "(what's|give me) the (forecast|weather report)",
                    "do i need (an umbrella|a coat|sunscreen)", "how (hot|cold|warm) (will it be|is it going to get)"],
    "the news": ["(what's|what is) (in the news|happening in the world|the latest news)", "(tell|read) me the (news|latest news)",
                 "any (headlines|news) (today|this morning|)", "what happened (in the world|today)"],
    "sports scores": ["who won the (game|match) (last night|yesterday|today)", "what's the score (of the match|in the game)",
                      "how did my team do", "(did|who) (we|they) win"],
    "stock prices": ["how (are|is) the (stocks|markets|stock market) doing", "what's the price of (gold|oil|shares)",
                     "how much is (gold|the dollar) worth"],
    "the internet": ["(search|look up|check) (the web|online|the internet) for (pizza places|a recipe|flights)",
                     "look up the population of (france|spain)", "google how to fix a (bike|sink)", "open (youtube|a website)"],
    "traffic": ["how's the traffic( today| this morning|)", "is there traffic on the (highway|road|way to work)"],
    "music streaming": ["play (some music|the radio|a song|my playlist|some rock)", "(put on|start) (the radio|a podcast|music)"],
    "phone calls": ["(call|ring|dial) my (mom|dad|sister|friend)", "send a (text|message) to (john|my wife)"],
    "shopping": ["(order|buy) (more milk|batteries|groceries) online", "(order|get) (some food|a taxi) (delivered|for me)"],
}

# Random words before or after a request ("ok parley, ... cheers"), drawn per conversation.
NOISE_WORDS = ["ok", "okay", "right", "well", "so", "then", "now", "yes", "yeah", "alright", "fine",
               "great", "cool", "nice", "lovely", "good", "sure", "thanks", "cheerio", "ta", "friend",
               "pal", "mate", "dear", "honey", "love", "man", "dude", "folks", "team", "bud", "sir",
               "madam", "boss", "kiddo", "buddy", "please", "kindly", "quickly", "gently", "soon",
               "today", "tonight", "again", "too", "also", "maybe", "perhaps", "actually", "really",
               "honestly", "basically", "anyway", "anyhow", "whatever", "hmm", "uh", "um", "er", "oh",
               "ah", "hey", "hi", "hello", "listen", "look", "see", "wow", "gosh", "oops"]
NOISE_FRAMES = ["{w}, ", "{w} {w}, ", "{w} parley, ", "parley {w}, ", "{w}! "]
NOISE_TAILS = [", {w}", " {w}", ", {w} {w}", " {w} {w}", " if {w}", ", {w} parley", " {w} please",
               " if you {w}", ", {w} then", " and {w}"]
