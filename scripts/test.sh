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
#   3. TSan (PARLEY_SANITIZE_THREAD) in build-tsan: the audio ring, pipeline and own-thread server
#      tests (the code that crosses threads), built alone.
#   4. Fuzz smoke (scripts/fuzz.sh --smoke) when clang with libFuzzer is installed: every fuzz
#      target replays its seeds and committed regressions, then a fixed number of seeded runs.
# .ci/run runs all four (PARLEY_CI_SANITIZERS=1). Clean clone on the idle 2-core development
# machine, 2026-12-06, packages already installed: 55 min — stage 1 11 min (849/849), stage 2
# 31 min (27 build, GCC compiles ~2x slower with ASan+UBSan; 4 min suite, 846/846 with one test
# skipped by design), stage 3 5.5 min (125/125), stage 4 7 min (17/17 targets clean).
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
# The SPSC audio ring, the kernels thread pool, every pipeline test (turn state, barge-in, queues,
# timers, the pipeline with scripted engines) and the server tests whose threads are all ours:
# the work queue, event bus and metrics from many threads (http_units), the Wyoming server on its
# own sockets and threads (wyoming), transcript formats. Only these executables are built, so ctest's labels
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
tsan_tests=(audio_spsc_ring_test kernels_thread_pool_test)
for f in tests/pipeline/*_test.cc; do tsan_tests+=("pipeline_$(basename "$f" .cc)"); done
for t in http_units wyoming transcript_formats; do tsan_tests+=("server_${t}_test"); done
stage "TSan ring, thread pool, pipeline and server tests in build-tsan"
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
# The thread pool every engine runs on (its label, kernels, holds tests not built here).
ctest --test-dir build-tsan --output-on-failure -j "$jobs" --timeout 600 \
  -R '^(Threads/ThreadPoolTest|ThreadPool)\.'
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
