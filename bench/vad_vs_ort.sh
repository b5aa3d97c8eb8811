#!/usr/bin/env bash
# Silero VAD speed, 1 thread, window by window (512 samples = 32 ms at 16 kHz): Parley's ONNX
# executor (`parley bench vad`) and onnxruntime-node (bench/vad_ort_reference.js, installed by
# scripts/reference_tools.sh into .refs/) in the same run, alternating, on the same file.
#   bench/vad_vs_ort.sh [BUILD_DIR] [MODEL ...]
# Prints one JSON line per runtime and model; equal probability_sum = the same work done.
set -euo pipefail
build=${1:-build}
shift || true
data=${PARLEY_SHARED_TESTDATA:-$(cd "$(dirname "$0")/.." && pwd)/../shared/testdata}
refs=${PARLEY_REFS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.refs/node_modules}
wav="$data/vad/silero_test.wav"
models=("$@")
[ ${#models[@]} -gt 0 ] || models=("$data/vad/silero_vad_v5.onnx")
for model in "${models[@]}"; do
  "$build/assistant/parley" bench vad --vad "$model" "$wav" --passes 3
  if command -v node >/dev/null && [ -d "$refs/onnxruntime-node" ]; then
    node "$(dirname "$0")/vad_ort_reference.js" "$refs" "$model" "$wav" 3
  else
    echo "onnxruntime-node not found at $refs (scripts/reference_tools.sh installs it)" >&2
  fi
done
