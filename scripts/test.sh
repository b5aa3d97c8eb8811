#!/usr/bin/env bash
# Installs dependencies, builds (Release, -O3) and runs the whole test suite with CTest.
# Usage: scripts/test.sh            — the suite every change must pass (what CI runs)
#        BUILD_DIR=build-asan CMAKE_ARGS=-DPARLEY_SANITIZE_ADDRESS=ON scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}

./scripts/setup.sh
# shellcheck disable=SC2086
cmake -G Ninja -S . -B "$build_dir" ${CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 900
