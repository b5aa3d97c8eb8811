#!/usr/bin/env bash
# What streamed chat over HTTP (`parley serve`, SSE) adds to the in-process LLM runner: time to
# first token and time per token, plus the memory of 50 idle /events clients. One JSON line per
# configuration (new connection per request, then one kept-alive connection).
#   bench/serve_overhead.sh [BUILD_DIR] [MODEL.gguf] [THREADS] [TOKENS] [RUNS]
# MODEL defaults to ../shared/testdata/llm/stories260K-f32.gguf when present, else a
# SmolLM-135M-shaped random-weight q4_0 model written to /tmp (parley random-gguf).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
model=${2:-}
threads=${3:-1}
tokens=${4:-32}
runs=${5:-15}
if [ -z "$model" ]; then
  if [ -f ../shared/testdata/llm/stories260K-f32.gguf ]; then
    model=../shared/testdata/llm/stories260K-f32.gguf
  else
    model=/tmp/parley-bench-smollm-135m-q4_0.gguf
    [ -f "$model" ] || "$build/assistant/parley" random-gguf --shape smollm-135m --type q4_0 -o "$model" >/dev/null
  fi
fi
for keep_alive in 0 1; do
  "$build/bench/bench_serve_overhead" "$model" "$threads" "$tokens" "$runs" 50 "$keep_alive"
done
