#!/usr/bin/env bash
# Installs dependencies, builds (Release, -O3) and runs the whole test suite with CTest, then the
# sanitizer stages.
# Usage: scripts/test.sh                         — the Release suite every change must pass
#        PARLEY_CI_SANITIZERS=1 scripts/test.sh  — also every sanitizer and fuzz stage below
#        PARLEY_CI_ASAN / PARLEY_CI_TSAN / PARLEY_CI_FUZZ=0|1 switch stages 2, 3, 4 one by one
#        (each defaults to PARLEY_CI_SANITIZERS); .ci/run sets the ones CI runs
# Stages
#   1. Release suite in $BUILD_DIR (default build).
#   2. ASan+UBSan (PARLEY_SANITIZE_ADDRESS) in build-asan: the whole suite again, except the tests
#      in asan_exclude below (too slow under ASan; each with its reason).
#   3. TSan (PARLEY_SANITIZE_THREAD) in build-tsan: the audio ring and pipeline tests (the code
#      that crosses threads), built alone.
#   4. Fuzz smoke (scripts/fuzz.sh --smoke) when clang with libFuzzer is installed: every fuzz
#      target replays its seeds and committed regressions, then 10,000 seeded runs (<= 60 s).
# Stages 2-4 together: about 50 more minutes on 2 cores (estimated). Run end to end so far:
# stage 3 (2026-12-05: 83/83 clean; on in .ci/run) and stage 4 (2026-12-05: one gguf finding,
# fixed; 2026-12-06 with seeded runs: 15/15 clean in 5 min on one clean clone, then a leak
# inside libsndfile in sound_file on the next — not in .ci/run yet). Stage 2, the whole suite under ASan, has not been run
# end to end yet (issue 12). Clean-clone .ci/run on 2026-12-05 (idle 2 cores, packages already
# installed): stage 1 ~7 min, stage 3 ~2.5 min.
# CI time on 2 cores (estimate, 2026-12-05, measured on the shared dev machine): stage 1 ~12.5 min.
# Stage 2: GCC compiles 1.8-2.1x slower with ASan+UBSan at -O3 (ops_conv.cc 32 -> 56 s,
# tokenizer_bpe.cc 15 -> 30 s, pipeline.cc 64 -> 132 s); 16 llm/onnx/audio/pipeline/fuzz test
# executables ran 1-2x their Release time (llm_tokenizer_test 4.9 -> 9.1 s, pipeline_pipeline_test
# 5.3 -> 4.9 s) => at most ~2x stage 1, ~25 min. Stage 3: TSan compiles at ~0.85-1x Release, the
# libraries plus 11 tests, ~8-10 min. Stage 4: clang -O1 build of the libraries + 15 fuzzers
# ~10 min, then 15 x (seed replay + 30 s) ~10 min. Total ~65-70 min, inside CI's 90.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
sanitizers=${PARLEY_CI_SANITIZERS:-0}

stage() { echo; echo "==== test.sh: $* ($(date -u +%H:%M:%S))"; }

./scripts/setup.sh
stage "Release suite in $build_dir"
# shellcheck disable=SC2086
cmake -G Ninja -S . -B "$build_dir" ${CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 900

run_asan=${PARLEY_CI_ASAN:-$sanitizers}
run_tsan=${PARLEY_CI_TSAN:-$sanitizers}
run_fuzz=${PARLEY_CI_FUZZ:-$sanitizers}

# ---- ASan + UBSan: the whole suite ----
if [ "$run_asan" != 0 ]; then
# Excluded under ASan (ctest -E regex), each only because of its run time under ASan (3-10x
# slower); the Release stage runs them:
asan_exclude=(
  '^OnnxConformance\.'       # every official ONNX node test (~1,000 models, one load each)
  '^DefaultModelHeldOut\.'   # the shipped LLM generating for the whole held-out set
)
stage "ASan+UBSan suite in build-asan"
cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DPARLEY_SANITIZE_ADDRESS=ON \
  -DPARLEY_BUILD_BENCH=OFF
cmake --build build-asan -j "$jobs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitizers/lsan.supp}
ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 1800 \
  -E "$(IFS='|'; echo "${asan_exclude[*]}")"
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi

# ---- TSan: the threaded parts ----
if [ "$run_tsan" != 0 ]; then
# The SPSC audio ring, every pipeline test (turn state, barge-in, queues, timers, the pipeline
# with scripted engines) and the server tests whose threads are all ours: the work queue, event
# bus and metrics from many threads (http_units), the Wyoming server on its own sockets and
# threads (wyoming), transcript formats. Only these executables are built, so ctest's labels
# select them.
# Not here, each for its reason:
#   * the tests served by cpp-httplib (chat_server, audio_routes, load): Debian's
#     libcpp-httplib.so is not instrumented, and TSan reports races between two of its worker
#     threads inside the std::regex objects it keeps in function-local statics (first use on one
#     worker, later use on another behind a guard check TSan cannot see; seen 2026-12-06 in
#     AudioHttp.ConcurrentRequestsShareOneWorker and ServerLoad.FiftyClients...: no frame of ours
#     on either side, hidden symbols, so no suppression can name them, and ignoring the library
#     with called_from_lib also hides its mutexes, which then gives false "unlock of an unlocked
#     mutex" reports in our RemoteChat code). They run in the Release and ASan stages;
#   * the tests that start `parley`, Node or Chromium as child processes (serve_cli,
#     openai_node, remote_backend, kiosk): their threads live in other processes.
tsan_tests=(audio_spsc_ring_test)
for f in tests/pipeline/*_test.cc; do tsan_tests+=("pipeline_$(basename "$f" .cc)"); done
for t in http_units wyoming transcript_formats; do tsan_tests+=("server_${t}_test"); done
stage "TSan ring, pipeline and server tests in build-tsan"
cmake -G Ninja -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DPARLEY_SANITIZE_THREAD=ON \
  -DPARLEY_BUILD_BENCH=OFF
cmake --build build-tsan -j "$jobs" --target "${tsan_tests[@]}"
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
# OpenBLAS single-threaded here: Debian's libopenblas is not instrumented, and its workers hand
# results back through their own spin flags, which TSan cannot see — with several BLAS threads
# it reports a race between OpenBLAS's sgemm_beta memset and our next read of C (seen
# 2026-12-05 in PipelineTest.RealEnginesRunOnTestdata; clean with one BLAS thread). Our own
# threads (pipeline stages, kernels::ThreadPool, rings) are what this stage checks.
OPENBLAS_NUM_THREADS=1 ctest --test-dir build-tsan --output-on-failure -j "$jobs" --timeout 1800 \
  -L '^(audio|pipeline|server)$'
unset TSAN_OPTIONS
fi

# ---- Fuzz smoke ----
if [ "$run_fuzz" != 0 ]; then
  if command -v clang++ >/dev/null; then
    stage "fuzz smoke"
    JOBS=$jobs FUZZ_NICE=0 ./scripts/fuzz.sh --smoke
  else
    echo "test.sh: clang++ not installed, fuzz smoke skipped"
  fi
fi
stage "all stages passed"
