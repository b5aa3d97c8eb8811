#!/usr/bin/env bash
# Same-run comparison of Parley's streaming recognizer with sherpa-onnx (sherpa-onnx-node from
# .refs/, reference only) on the Zipformer2 graph (../shared/testdata/asr, random weights): the
# whole streaming decode — features, encoder, search — of one file of >= 60 s (every
# ../shared/testdata/audio/*.wav plus vad/silero_test.wav, concatenated at 16 kHz), 1 thread.
#   bench/asr_vs_sherpa.sh [BUILD_DIR=build] [THREADS=1] [REPEATS=3] [METHOD=greedy|beam]
# Each repeat runs `parley bench asr` (best of 1 decode) and tests/asr/sherpa_transcribe.js back
# to back; model loading is excluded on both sides; both append 0.66 s of tail padding. Prints
# every JSON line, then the best-of-repeats compute seconds, RTF and our/sherpa ratio.
# The concatenated file is written with /usr/bin/python3 (numpy) to ${ASR_BENCH_WAV}.
set -euo pipefail
build=${1:-build}
threads=${2:-1}
repeats=${3:-3}
method=${4:-greedy}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
T=${PARLEY_TESTDATA:-$root/../shared/testdata}
refs=${PARLEY_REFS_DIR:-$root/.refs/node_modules}
parley="$build/assistant/parley"
[ -x "$parley" ] || { echo "no $parley (build the parley target first)" >&2; exit 1; }
[ -d "$refs/sherpa-onnx-node" ] || { echo "no $refs/sherpa-onnx-node (scripts/reference_tools.sh)" >&2; exit 1; }
model="$T/asr/zipformer2_small_random"
wav=${ASR_BENCH_WAV:-/tmp/parley-asr-bench.wav}
if [ ! -f "$wav" ]; then
  /usr/bin/python3 - "$wav" "$T"/audio/*.wav "$T/vad/silero_test.wav" <<'PY'
import sys, wave, numpy as np
out, parts = sys.argv[1], []
for path in sys.argv[2:]:
    with wave.open(path) as w:
        assert w.getsampwidth() == 2, path
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        if w.getnchannels() > 1:
            pcm = pcm.reshape(-1, w.getnchannels()).mean(axis=1).astype(np.int16)
        assert w.getframerate() == 16000, path
        parts.append(pcm)
pcm = np.concatenate(parts)
with wave.open(out, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
    w.writeframes(pcm.tobytes())
print(f"wrote {out}: {len(pcm) / 16000:.1f} s", file=sys.stderr)
PY
fi
sherpa_method=greedy_search
[ "$method" = beam ] && sherpa_method=modified_beam_search
best_ours=1e9 best_sherpa=1e9 audio=0
for ((r = 0; r < repeats; ++r)); do
  ours=$("$parley" bench asr --asr "$model" "$wav" --threads "$threads" --method "$method" --repetitions 1)
  echo "$ours"
  theirs=$(node "$root/tests/asr/sherpa_transcribe.js" "$refs" "$model" "$sherpa_method" 0.66 \
           --threads "$threads" "$wav" | sed 's/"tokens":\[[^]]*\],"timestamps":\[[^]]*\],//; s/"text":"[^"]*",//')
  echo "$theirs"
  read -r o a < <(echo "$ours" | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["compute_seconds"], j["audio_seconds"])')
  s=$(echo "$theirs" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["compute_seconds"])')
  best_ours=$(/usr/bin/python3 -c "print(min($best_ours, $o))")
  best_sherpa=$(/usr/bin/python3 -c "print(min($best_sherpa, $s))")
  audio=$a
done
/usr/bin/python3 - "$best_ours" "$best_sherpa" "$audio" "$threads" "$method" <<'PY'
import sys
ours, sherpa, audio, threads, method = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
print(f"\nzipformer2 {method}, {audio:.1f} s of audio, {threads} thread(s), best of repeats")
print(f"{'':10} {'compute s':>10} {'RTF':>8}")
print(f"{'parley':10} {ours:10.3f} {ours / audio:8.4f}")
print(f"{'sherpa':10} {sherpa:10.3f} {sherpa / audio:8.4f}")
print(f"parley / sherpa = {ours / sherpa:.2f}x (target <= 0.8)")
PY
