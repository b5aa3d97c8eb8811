#!/usr/bin/env python3
"""Copy a few held-out utterances into tests/asr/heldout and record sherpa-onnx's transcripts.

tests/asr/default_model_test.cc decodes these files with our engine and the shipped model
(models/asr) and requires the transcripts sherpa-onnx produced here. Run after shipping a model:

  /usr/bin/python3 models/recipes/asr/record_heldout.py [--model models/asr] [--domain 6] [--general 4]

The files are the first utterances of gen_data.py's test_voice set (held-out voice flite rms,
held-out sentences) no longer than 4 s: 6 appliance-domain sentences and 4 general English ones.
Needs node and sherpa-onnx-node (scripts/reference_tools.sh).
"""
import argparse
import os
import shutil
import sys
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
from evaluate import decode_sherpa, edit_distance  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(HERE, "work", "data"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "asr"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "asr", "heldout"))
    ap.add_argument("--refs", default=os.environ.get("PARLEY_REFS_DIR",
                                                     os.path.join(ROOT, ".refs", "node_modules")))
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
    rows = []
    for uid, subset, text in picked:
        dst = os.path.join(args.out, uid + ".wav")
        shutil.copyfile(paths[uid], dst)
        rows.append((uid, dst, subset, text))
    # greedy search, 0.5 s tail padding, the folder's .onnx else .int8.onnx graphs
    hyps = decode_sherpa(args.model, rows, int8=False, refs=args.refs)
    errors = words = 0
    lines = []
    for uid, _, subset, text in rows:
        hyp = hyps[uid]
        errors += edit_distance(text.split(), hyp.upper().split())
        words += len(text.split())
        lines.append(f"{uid}.wav\t{text}\t{hyp}")
        print(f"{uid} [{subset}]\n  REF {text}\n  HYP {hyp}")
    with open(os.path.join(args.out, "heldout.tsv"), "w") as f:
        f.write("# Held-out utterances (flite rms, held-out sentences) and sherpa-onnx's transcripts with\n"
                "# the shipped models/asr (fp32, greedy, 0.5 s tail padding); made by\n"
                "# models/recipes/asr/record_heldout.py. file<TAB>reference<TAB>sherpa-onnx transcript\n")
        f.write(f"# wer_errors {errors} words {words}\n")
        f.write("\n".join(lines) + "\n")
    print(f"WER {100.0 * errors / max(1, words):.1f}% ({errors}/{words}) on {len(lines)} files -> {args.out}")


if __name__ == "__main__":
    main()
