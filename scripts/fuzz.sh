#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, -fsanitize=fuzzer,address,undefined) and runs
# them one after another, then prints executions, coverage and findings per target.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   fuzz each target SECONDS (default 60); all targets
#                                               when none is named (names: gguf, onnx, ...)
#        scripts/fuzz.sh --smoke [TARGET...]    CI smoke: replay seeds + committed regressions, then
#                                               a fixed, seeded number of fuzzing runs per target
#                                               (FUZZ_SMOKE_RUNS, default smoke_runs below, -seed=1:
#                                               the same inputs on every run of the same build, so a
#                                               landing is not failed by a lucky new finding; a
#                                               guard cap of FUZZ_SMOKE_SECONDS, default 600, that a
#                                               healthy target never reaches); fails on any finding
#        scripts/fuzz.sh --build                build the fuzzers and seed corpora only
# Environment: FUZZ_BUILD_DIR (default build-fuzz), JOBS (build parallelism, default nproc),
#              FUZZ_NICE (niceness of the runs, default 10), FUZZ_ARGS (extra libFuzzer flags).
# Layout under $FUZZ_BUILD_DIR/fuzz: fuzz_<target> executables, seeds/<target> (regenerated from
# the repository by tests/fuzz/make_seeds.py + fuzz_make_audio_seeds), corpus/<target> (grows
# across runs), findings/<target>/{crash,leak,timeout,oom}-*, logs/<target>.log.
# A finding: reproduce with `$FUZZ_BUILD_DIR/fuzz/fuzz_<target> FILE`, fix the library, then copy
# FILE to tests/fuzz/regressions/<target>/ so fuzz_regressions_test replays it in the normal suite.
set -euo pipefail
cd "$(dirname "$0")/.."
src_dir=$(pwd)
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc)}
niceness=${FUZZ_NICE:-10}

mode=run
seconds=60
if [ "${1:-}" = "--smoke" ]; then mode=smoke; shift
elif [ "${1:-}" = "--build" ]; then mode=build; shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift
fi

all_targets=(gguf safetensors hf_config hf_tokenizer tokenizer chat_template tool_call_grammar onnx sound_file
             opus_packet ogg_opus assistant_config tool_call_parser manifest text_shaping voice_config
             wyoming http_request)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

if ! command -v clang++ >/dev/null || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long){return 0;}' |
     clang++ -x c++ -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
  echo "fuzz: clang++ with libFuzzer is required (apt-get install clang libclang-rt-dev)" >&2
  exit 2
fi

# ---- build ----
if [ ! -f "$build_dir/build.ninja" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  # -O1: the usual fuzzing trade-off (fast builds, readable reports, still quick to execute).
  CC=clang CXX=clang++ cmake -G Ninja -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DPARLEY_BUILD_FUZZERS=ON -DPARLEY_BUILD_TESTS=OFF -DPARLEY_BUILD_BENCH=OFF "${launcher[@]}"
fi
fuzz_dir="$build_dir/fuzz"
build_targets=(fuzz_make_audio_seeds)
for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
cmake --build "$build_dir" -j "$jobs" --target "${build_targets[@]}"

rm -rf "$fuzz_dir/seeds"
/usr/bin/python3 tests/fuzz/make_seeds.py "$fuzz_dir/seeds" >/dev/null
"$fuzz_dir/fuzz_make_audio_seeds" "$fuzz_dir/seeds"
[ "$mode" = build ] && exit 0

# ---- run ----
# Leaks inside third-party libraries we cannot fix are suppressed, each with its reason.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src_dir/tests/sanitizers/lsan.supp}
mkdir -p "$fuzz_dir/logs"
# Smoke run counts: 10,000 per target, fewer where one execution is slow under ASan at -O1
# (text_shaping runs ~100 std::regex passes per input).
smoke_runs() {
  case "$1" in
    text_shaping) echo 1000 ;;
    *) echo 10000 ;;
  esac
}
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
failed=0
for t in "${targets[@]}"; do
  exe="$fuzz_dir/fuzz_$t"
  corpus="$fuzz_dir/corpus/$t"
  findings="$fuzz_dir/findings/$t"
  seeds="$fuzz_dir/seeds/$t"
  regressions="$src_dir/tests/fuzz/regressions/$t"
  mkdir -p "$corpus" "$findings" "$seeds"
  inputs=("$corpus" "$seeds")
  [ -d "$regressions" ] && inputs+=("$regressions")
  log="$fuzz_dir/logs/$t.log"
  common=(-rss_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="$findings/")
  # shellcheck disable=SC2086
  set +e
  if [ "$mode" = smoke ]; then
    # Replay every seed and committed regression once, then fuzz.
    nice -n "$niceness" "$exe" "${common[@]}" -runs=0 "${inputs[@]}" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
      # The run count, not the clock, ends the smoke, so every run of the same build fuzzes the
      # same inputs; the time cap is only a guard against a hang of the whole target. (With a
      # 60 s cap a slower machine stopped sound_file before the input a faster one reached.)
      runs=${FUZZ_SMOKE_RUNS:-$(smoke_runs "$t")}
      nice -n "$niceness" "$exe" "${common[@]}" -seed=1 -runs="$runs" \
        -max_total_time="${FUZZ_SMOKE_SECONDS:-600}" ${FUZZ_ARGS:-} "${inputs[@]}" >>"$log" 2>&1
      rc=$?
    fi
  else
    nice -n "$niceness" "$exe" "${common[@]}" -max_total_time="$seconds" ${FUZZ_ARGS:-} "${inputs[@]}" >"$log" 2>&1
    rc=$?
  fi
  set -e
  execs=$(grep 'stat::number_of_executed_units:' "$log" | tail -1 | awk '{print $2}')
  rate=$(grep 'stat::average_exec_per_sec:' "$log" | tail -1 | awk '{print $2}')
  covline=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(echo "$covline" | grep -o 'cov: [0-9]*' | awk '{print $2}')
  ft=$(echo "$covline" | grep -o 'ft: [0-9]*' | awk '{print $2}')
  nfind=$(find "$findings" -type f | wc -l)
  status=ok
  if [ $rc -ne 0 ] || [ "$nfind" -gt 0 ]; then status="FINDING (exit $rc, $nfind files in $findings; log $log)"; failed=1; fi
  printf '%-17s %12s %9s %7s %7s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "$(find "$corpus" -type f | wc -l)" "$status" >>"$summary"
  tail -1 "$summary"
done
echo
printf '%-17s %12s %9s %7s %7s %8s  %s\n' target execs exec/s cov ft corpus result
cat "$summary"
exit $failed
