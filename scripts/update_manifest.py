#!/usr/bin/python3
"""Recompute sha256 and size of the files listed in models/manifest.json.

Shipped models (files without "url") are read from the repository's models/ folder; their
"metrics" are refreshed from the JSON file named by "metrics_file" (relative to the repository)
when it exists. With --from-dir D, downloadable models' files found under D (e.g. your
~/.local/share/parley/models after `parley models fetch`) get their digests pinned too, so later
fetches are verified.

  scripts/update_manifest.py              # rewrite models/manifest.json in place
  scripts/update_manifest.py --check      # exit 1 if the manifest is out of date (CI)
  scripts/update_manifest.py --from-dir ~/.local/share/parley/models

Missing shipped files are reported and get sha256/size null ("not verified"); --strict makes that
an error. Only the standard library is used.
"""
import argparse
import collections
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", default=os.path.join(ROOT, "models", "manifest.json"))
    ap.add_argument("--from-dir", help="folder holding downloaded real models to pin their digests")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if anything would change")
    ap.add_argument("--strict", action="store_true", help="missing shipped files are an error")
    args = ap.parse_args()

    with open(args.manifest, encoding="utf-8") as f:
        original = f.read()
    manifest = json.loads(original, object_pairs_hook=collections.OrderedDict)
    models_dir = os.path.dirname(os.path.abspath(args.manifest))
    missing = []
    for model in manifest["models"]:
        shipped = all("url" not in f for f in model["files"])
        root = models_dir if shipped else args.from_dir
        if root is None:
            continue
        for entry in model["files"]:
            path = os.path.join(root, entry["path"])
            if os.path.isfile(path):
                entry["sha256"] = sha256_of(path)
                entry["size"] = os.path.getsize(path)
            elif shipped:
                missing.append(f"{model['name']}: {path}")
                entry["sha256"] = None
                entry["size"] = None
        metrics_file = model.get("metrics_file")
        if shipped and metrics_file:
            metrics_path = os.path.join(ROOT, metrics_file)
            if os.path.isfile(metrics_path):
                with open(metrics_path, encoding="utf-8") as f:
                    model["metrics"] = json.load(f, object_pairs_hook=collections.OrderedDict)

    for line in missing:
        print(f"warning: shipped file missing: {line} (sha256/size set to null)", file=sys.stderr)
    updated = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    if args.check:
        if updated != original:
            print(f"{args.manifest} is out of date: run scripts/update_manifest.py", file=sys.stderr)
            return 1
        print(f"{args.manifest} is up to date")
    elif updated != original:
        with open(args.manifest, "w", encoding="utf-8") as f:
            f.write(updated)
        print(f"updated {args.manifest}")
    else:
        print(f"{args.manifest} unchanged")
    return 2 if (args.strict and missing) else 0


if __name__ == "__main__":
    sys.exit(main())
