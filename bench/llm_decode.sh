#!/usr/bin/env bash
# Decode and prefill speed of the GGUF runner on TinyLlama-1.1B-shaped random-weight models
# (real shape, dtypes and sizes; random weights), plus the memory-bandwidth ceiling.
#   bench/llm_decode.sh [BUILD_DIR] [THREADS]
# Writes the models to ${MODELS_DIR:-/tmp/parley-bench-models} (about 2.5 GB) and prints one
# JSON line per model. ceiling_tokens_per_s = triad bandwidth / weight bytes read per token.
# When llama.cpp is installed from npm (see bench/llamacpp_reference.mjs; LLAMACPP_DIR, default
# /tmp/parley-llamacpp), it runs on the same files right after each Parley run.
set -euo pipefail
build=${1:-build}
threads=${2:-2}
models=${MODELS_DIR:-/tmp/parley-bench-models}
mkdir -p "$models"
parley="$build/assistant/parley"
triad=$("$build/bench/bench_matmul" --benchmark_filter=triad 2>/dev/null | sed -n 's/.*2 threads \([0-9.]*\) GB\/s.*/\1/p')
echo "triad bandwidth (2 threads): $triad GB/s"
for type in q4_0 q4_k_m q8_0; do
  file="$models/tinyllama-1.1b-$type.gguf"
  [ -f "$file" ] || "$parley" random-gguf --shape tinyllama-1.1b --type "$type" -o "$file" >/dev/null
  line=$("$parley" bench llm "$file" --threads "$threads" --prompt-tokens 128 --gen-tokens 32 --repetitions 2)
  bytes=$(echo "$line" | sed -n 's/.*"weight_bytes_per_token":\([0-9]*\).*/\1/p')
  ceiling=$(awk -v t="$triad" -v b="$bytes" 'BEGIN { printf "%.1f", t * 1e9 / b }')
  echo "${line%\}},\"type\":\"$type\",\"triad_GBps\":$triad,\"ceiling_tokens_per_s\":$ceiling}"
  reference=${LLAMACPP_DIR:-/tmp/parley-llamacpp}
  if [ -d "$reference/node_modules/node-llama-cpp" ]; then
    cp bench/llamacpp_reference.mjs "$reference/"
    node "$reference/llamacpp_reference.mjs" "$file" "$threads" 128 32
  fi
done
