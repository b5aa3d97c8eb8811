#!/usr/bin/python3
"""Voice-pipeline soak (issue 12): one `parley converse` run of N turns, RSS over time.

    bench/converse_soak.py [--build build] [--turns 1000] [--warmup 100] [--sample-seconds 1]

Speaks a cycle of questions (espeak-ng, en-us; the same every run) into one `parley converse
--lockstep` process on the default models — one process, one pipeline, one conversation of
--turns turns, as an appliance lives — and samples the process's VmRSS every --sample-seconds
together with the number of turns finished so far (its --trace file). A turn fails when converse
reports "did not finish", when the run reports an error, or when it is missing from the trace;
empty transcripts and empty (cancelled) replies are counted apart (model quality). Growth
after the warm-up is measured like bench/http_soak.py: on the floor of the samples (lowest of the
last quarter minus lowest of the first quarter after --warmup turns) and as a least-squares
trend. Prints the series and one JSON line; exits 1 on a failed turn or a floor growth of 2 MB or
more (the issue's bar).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from rss_growth import proc_status_kib, rss_growth_kib  # bench/rss_growth.py

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
QUESTIONS = [
    "What time is it?",
    "Set a timer for five minutes.",
    "Turn on the kitchen light.",
    "What is the weather like today?",
    "Cancel the timer.",
    "Tell me a short story.",
    "How many minutes are in an hour?",
    "Thank you.",
]


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--turns", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--sample-seconds", type=float, default=1.0)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="parley-converse-soak-")
    wavs = []
    for i, q in enumerate(QUESTIONS):
        path = os.path.join(tmp, f"q{i}.wav")
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", path, q], check=True)
        wavs.append(path)
    trace = os.path.join(tmp, "turns.jsonl")
    cmd = [os.path.join(args.build, "assistant", "parley"), "converse", "--lockstep",
           "--trace", trace, "--max-turn-seconds", "60"]
    for t in range(args.turns):
        cmd += ["--in", wavs[t % len(wavs)]]
    out = open(os.path.join(tmp, "converse.out"), "w")
    err_path = os.path.join(tmp, "converse.err")
    err = open(err_path, "w")
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
    samples = []
    while proc.poll() is None:
        time.sleep(args.sample_seconds)
        try:
            rss = proc_status_kib(proc.pid, "VmRSS").get("VmRSS")
        except FileNotFoundError:
            break
        if rss is None:  # a zombie has no VmRSS
            break
        turns = count_lines(trace)
        samples.append({"turns": turns, "seconds": round(time.time() - t0, 1), "rss_kib": rss})
        if len(samples) % 30 == 0:
            print(f"  {turns:5d} turns  {samples[-1]['seconds']:7.1f} s  RSS {rss / 1024:7.1f} MiB",
                  flush=True)
    proc.wait()
    elapsed = time.time() - t0
    out.close()
    err.close()

    turns = []
    with open(trace) as f:
        for line in f:
            turns.append(json.loads(line))
    stderr_text = open(err_path).read()
    unfinished = stderr_text.count("did not finish")
    errors = [line for line in stderr_text.splitlines() if line.startswith("error:")]
    no_transcript = sum(1 for t in turns if not t.get("transcript"))
    no_reply = sum(1 for t in turns if not t.get("reply"))
    cancelled = sum(1 for t in turns if t.get("cancelled"))
    # Failed: the pipeline did not finish a turn, reported an error, or lost one. A turn the small
    # default ASR heard as nothing, or one whose reply came out empty (cancelled), is the models'
    # quality, not the soak's: counted and printed, not failed.
    failed = unfinished + len(errors) + max(0, args.turns - len(turns))

    after = [s for s in samples if s["turns"] >= args.warmup]
    floor_growth_kib, trend_growth_kib = rss_growth_kib(after, "turns")
    summary = {
        "bench": "converse_soak", "turns_asked": args.turns, "turns_traced": len(turns),
        "seconds": round(elapsed, 1), "exit": proc.returncode, "failed_turns": failed,
        "unfinished": unfinished, "errors": errors[:5], "no_transcript": no_transcript,
        "empty_reply": no_reply, "cancelled": cancelled,
        "rss_first_kib": samples[0]["rss_kib"] if samples else None,
        "rss_after_warmup_kib": after[0]["rss_kib"] if after else None,
        "rss_last_kib": samples[-1]["rss_kib"] if samples else None,
        "rss_floor_growth_after_warmup_kib": floor_growth_kib,
        "rss_trend_growth_after_warmup_kib": trend_growth_kib,
        "logs": tmp,
    }
    print(json.dumps(summary))
    ok = (proc.returncode == 0 and failed == 0 and floor_growth_kib is not None
          and floor_growth_kib < 2048)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
