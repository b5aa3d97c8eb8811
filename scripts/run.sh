#!/usr/bin/env bash
# Sets up, builds (Release) and runs Parley.
#   scripts/run.sh                 — talk to the TinyStories test model in ../shared (if present)
#   scripts/run.sh ARGS...         — run `parley ARGS...` (e.g. `inspect model.gguf`, `pipe --llm m.gguf`)
# Until the project's own default models land (issue: models/), the text pipeline runs on the
# shared TinyStories GGUF; the speech engines arrive with their issues.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}

./scripts/setup.sh
cmake -G Ninja -S . -B "$build_dir" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target parley
parley="$build_dir/assistant/parley"

if [ $# -gt 0 ]; then
  exec "$parley" "$@"
fi

"$parley" cpu
hello="${TMPDIR:-/tmp}/parley-hello.wav"
"$parley" speak "Hello, I am Parley. It is 7:30 and 21 °C in the kitchen." -o "$hello"
model=../shared/testdata/llm/stories260K-Q4_K_M.gguf
if [ ! -f "$model" ]; then
  echo "run: no default model yet and $model is absent; see '$parley --help'"
  exit 0
fi
"$parley" inspect "$model"
echo
echo "parley pipe --raw: type the start of a story, one line per prompt (Ctrl-D ends)"
if [ -t 0 ]; then
  exec "$parley" pipe --raw --llm "$model" -n 96 --temp 0.8 --seed 42
else
  exec "$parley" pipe --raw --llm "$model" -n 96
fi
