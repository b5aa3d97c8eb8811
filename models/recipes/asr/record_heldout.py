#!/usr/bin/env python3
"""Copy a few held-out utterances into tests/asr/heldout and record sherpa-onnx's transcripts.

tests/asr/default_model_test.cc decodes these files with our engine and the shipped model
(models/asr) and requires the transcripts sherpa-onnx produced here. Run after shipping a model:

  /usr/bin/python3 models/recipes/asr/record_heldout.py [--model models/asr] [--count 10]

The files are the first utterances of gen_data.py's test_voice set (held-out voice flite rms,
held-out sentences) no longer than 4 s: 6 appliance-domain sentences and 4 general English ones.
Needs node and sherpa-onnx-node (scripts/reference_tools.sh).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
from evaluate import edit_distance  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(HERE, "work", "data"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "asr"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "asr", "heldout"))
    ap.add_argument("--refs", default=os.path.join(ROOT, ".refs", "node_modules"))
    ap.add_argument("--domain", type=int, default=6)
    ap.add_argument("--general", type=int, default=4)
    args = ap.parse_args()
    d = os.path.join(args.data, "test_voice")
    paths = dict(l.rstrip("\n").split("\t") for l in open(os.path.join(d, "test_voice.list")) if l.strip())
    want = {"domain": args.domain, "general": args.general}
    picked = []
    for line in open(os.path.join(d, "test_voice.trans")):
        uid, _, subset, text = line.rstrip("\n").split("\t")
        with wave.open(paths[uid]) as w:
            seconds = w.getnframes() / w.getframerate()
        if want.get(subset, 0) > 0 and seconds <= 4.0:
            want[subset] -= 1
            picked.append((uid, subset, text))
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    files = []
    for uid, _, _ in picked:
        dst = os.path.join(args.out, uid + ".wav")
        shutil.copyfile(paths[uid], dst)
        files.append(dst)
    cmd = ["node", os.path.join(ROOT, "tests", "asr", "sherpa_transcribe.js"), args.refs, args.model,
           "greedy_search", "0.5"] + files
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == len(files), out
    errors = words = 0
    rows = []
    for (uid, subset, text), line in zip(picked, out):
        hyp = " ".join(json.loads(line)["text"].split())
        errors += edit_distance(text.split(), hyp.upper().split())
        words += len(text.split())
        rows.append(f"{uid}.wav\t{text}\t{hyp}")
        print(f"{uid} [{subset}]\n  REF {text}\n  HYP {hyp}")
    with open(os.path.join(args.out, "heldout.tsv"), "w") as f:
        f.write("# Held-out utterances (flite rms, held-out sentences) and sherpa-onnx's transcripts with\n"
                "# the shipped models/asr (int8, greedy, 0.5 s tail padding); made by\n"
                "# models/recipes/asr/record_heldout.py. file<TAB>reference<TAB>sherpa-onnx transcript\n")
        f.write(f"# wer_errors {errors} words {words}\n")
        f.write("\n".join(rows) + "\n")
    print(f"WER {100.0 * errors / max(1, words):.1f}% ({errors}/{words}) on {len(rows)} files -> {args.out}")


if __name__ == "__main__":
    main()
