#!/usr/bin/env bash
# Sets up, builds (Release) and runs Parley.
#   scripts/run.sh                 — `parley demo` on the default models, then `parley pipe` (typed
#                                    turns) when stdin is a terminal
#   scripts/run.sh ARGS...         — run `parley ARGS...` (e.g. `inspect model.gguf`, `pipe --llm m.gguf`)
# Without a default chat model it falls back to the shared TinyStories GGUF (story continuation).
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
echo
if "$parley" models which llm >/dev/null 2>&1; then
  # The whole voice pipeline with no hardware: espeak-ng asks, Parley hears, thinks, answers.
  "$parley" demo
  if [ -t 0 ]; then
    echo
    echo "parley pipe: now type to the assistant, one line per turn (Ctrl-D ends)"
    exec "$parley" pipe
  fi
  exit 0
fi
model=../shared/testdata/llm/stories260K-Q4_K_M.gguf
if [ ! -f "$model" ]; then
  echo "run: no default chat model is installed and $model is absent; see '$parley --help'"
  exit 0
fi
echo "run: no default chat model is installed; continuing stories with the shared TinyStories model"
"$parley" inspect "$model"
echo
echo "parley pipe --raw: type the start of a story, one line per prompt (Ctrl-D ends)"
if [ -t 0 ]; then
  exec "$parley" pipe --raw --llm "$model" -n 96 --temp 0.8 --seed 42
else
  exec "$parley" pipe --raw --llm "$model" -n 96
fi
