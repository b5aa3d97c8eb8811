#!/usr/bin/env bash
# Turn latency of the whole voice pipeline on the default models (`parley demo`: espeak-ng asks
# questions into the simulated microphone; VAD -> streaming ASR -> endpoint -> LLM with tools ->
# clause chunker -> TTS -> playback), >= 20 turns, with the per-stage breakdown from the turn trace.
#   bench/pipeline_latency.sh [BUILD_DIR=build] [TURNS=24]
# Environment: LLM=FILE.gguf uses that chat model instead of the default (e.g. a TinyLlama-1.1B
# shaped Q4_K_M from `parley random-gguf --shape tinyllama-1.1b --type q4_k_m -o FILE`: random
# weights, so only its first-token latency means anything), MAX_TOKENS (default 48),
# THREADS (pins OMP/OpenBLAS threads; the engines use kernels' pool, default 2 here).
# The clock is simulated but counts real processing time (as on a device); idle time is skipped.
# Prints the trace summary (p50/p90 per stage) and the two figures the issue sets targets for:
# endpoint -> first audio sample out, and speech end -> first audio (includes the endpoint's
# trailing-silence wait).
set -euo pipefail
build=${1:-build}
turns=${2:-24}
parley="$build/assistant/parley"
[ -x "$parley" ] || { echo "no $parley (build the parley target first)" >&2; exit 1; }
"$parley" models which asr >/dev/null 2>&1 || { echo "no default ASR model installed (models/asr)" >&2; exit 1; }
questions=(
  "what time is it" "set a timer for five minutes" "turn the volume up" "what can you do"
  "what day is it today" "set an alarm for seven thirty" "cancel the timer" "hello"
  "turn the volume down" "how long until ten" "stop" "list my timers"
)
args=()
for ((i = 0; i < turns; ++i)); do args+=(-q "${questions[i % ${#questions[@]}]}"); done
[ -n "${LLM:-}" ] && args+=(--llm "$LLM")
trace=$(mktemp /tmp/parley-latency-XXXXXX.jsonl)
out=$(mktemp /tmp/parley-latency-XXXXXX.wav)
trap 'rm -f "$trace" "$out"' EXIT
echo "pipeline_latency: $turns turns, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
OMP_NUM_THREADS=${THREADS:-2} OPENBLAS_NUM_THREADS=${THREADS:-2} \
  "$parley" demo "${args[@]}" --set "llm.max_tokens=${MAX_TOKENS:-48}" --trace "$trace" --out "$out" 2>&1 |
  sed -n '/^turn trace:/,$p'
/usr/bin/python3 - "$trace" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def p50(key):
    v = sorted(r["stage_ms"][key] for r in rows if key in r.get("stage_ms", {}))
    return statistics.median(v) if v else float("nan"), len(v)
for key, target in [("endpoint_to_first_audio", 300), ("speech_end_to_first_audio", 900)]:
    m, n = p50(key)
    print(f"{key}: p50 {m:.0f} ms over {n} turns (target <= {target} ms: {'met' if m <= target else 'NOT met'})")
PY
