#!/usr/bin/env bash
# Same-run comparison of Parley's ONNX executor with ONNX Runtime on the three real graphs:
# the Zipformer2 streaming encoder (one 45-frame chunk), the Piper VITS graph (the golden 233
# phoneme ids) and Silero VAD v5 (one 576-sample chunk of silero_test.wav).
#   bench/onnx_vs_ort.sh [BUILD_DIR=build] [THREADS=1] [REPEATS=3]
# For each graph and each repeat, `parley bench onnx` and bench/onnx_ort_reference.mjs
# (onnxruntime-node from .refs/, reference only) run back to back on the same input_N.pb files;
# the script prints every JSON line, then the best-of-repeats table (ms per run and ratio, for
# wall clock and for process CPU time, which is steadier when other jobs share the cores).
# For Silero (~0.05 ms per run) ORT's figure includes Node's per-call overhead of session.run.
# Silero's inputs are written to ${SILERO_INPUTS:-/tmp/parley-silero-inputs} with /usr/bin/python3
# (python3-onnx, python3-numpy). Needs node and .refs/ (scripts/reference_tools.sh).
set -euo pipefail
build=${1:-build}
threads=${2:-1}
repeats=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
T=${PARLEY_TESTDATA:-$root/../shared/testdata}
parley="$build/assistant/parley"
[ -x "$parley" ] || { echo "no $parley (build the parley target first)" >&2; exit 1; }

silero_dir=${SILERO_INPUTS:-/tmp/parley-silero-inputs}
if [ ! -f "$silero_dir/input_2.pb" ]; then
  mkdir -p "$silero_dir"
  /usr/bin/python3 - "$T/vad/silero_test.wav" "$silero_dir" <<'EOF'
import sys, wave, numpy as np
from onnx import numpy_helper
wav, out = sys.argv[1], sys.argv[2]
with wave.open(wav) as w:
    pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
start = 16000  # one second in: speech
x = pcm[start - 64:start + 512].reshape(1, 576)
tensors = [x, np.zeros((2, 1, 128), np.float32), np.array(16000, np.int64)]
for i, t in enumerate(tensors):
    with open(f"{out}/input_{i}.pb", "wb") as f:
        f.write(numpy_helper.from_array(t).SerializeToString())
EOF
fi

names=(zipformer2_encoder piper_vits silero_vad_v5)
models=("$T/asr/zipformer2_small_random/encoder.onnx"
        "$T/tts/piper_vits_medium_random/model.onnx"
        "$T/vad/silero_vad_v5.onnx")
inputs=("$T/asr/zipformer2_small_random/golden/zipformer2_encoder/test_data_set_0"
        "$T/tts/piper_vits_medium_random/golden/test_data_set_0"
        "$silero_dir")
runs=(10 3 200)

field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
minimum() { awk -v a="$1" -v b="$2" 'BEGIN { print (b != "" && b < a ? b : a) }'; }
summary=()
for i in "${!names[@]}"; do
  ours=1e9 theirs=1e9 ours_cpu=1e9 theirs_cpu=1e9
  for ((r = 0; r < repeats; ++r)); do
    line=$("$parley" bench onnx "${models[$i]}" --inputs "${inputs[$i]}" --threads "$threads" \
           --runs "${runs[$i]}")
    echo "parley ${names[$i]}: $line"
    ours=$(minimum "$ours" "$(echo "$line" | field best_ms)")
    ours_cpu=$(minimum "$ours_cpu" "$(echo "$line" | field best_cpu_ms)")
    line=$(node "$here/onnx_ort_reference.mjs" "${models[$i]}" "${inputs[$i]}" "$threads" \
           "${runs[$i]}")
    echo "ort    ${names[$i]}: $line"
    theirs=$(minimum "$theirs" "$(echo "$line" | field best_ms)")
    theirs_cpu=$(minimum "$theirs_cpu" "$(echo "$line" | field best_cpu_ms)")
  done
  summary+=("$(awk -v n="${names[$i]}" -v a="$ours" -v b="$theirs" -v c="$ours_cpu" \
    -v d="$theirs_cpu" 'BEGIN { printf "| %s | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f |",
                                n, a, b, a / b, c, d, c / d }')")
done
echo
echo "threads=$threads, best of $repeats repeats (ms per run; wall clock, then process CPU time)"
echo "| graph | Parley ms | ORT ms | Parley / ORT | Parley CPU ms | ORT CPU ms | CPU ratio |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
