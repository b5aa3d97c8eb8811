#!/usr/bin/env bash
# Installs every Debian 12 package Parley's build, tests and benchmarks need.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-dev
  libspdlog-dev libcli11-dev nlohmann-json3-dev
  libsndfile1-dev libsoxr-dev portaudio19-dev libasound2-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  libopus-dev libopusenc-dev libopusfile-dev libogg-dev libwebrtc-audio-processing-dev
  libespeak-ng-dev espeak-ng-data espeak-ng libicu-dev
  libcpp-httplib-dev libssl-dev
  nodejs
  clang libclang-rt-dev  # fuzz targets (tests/fuzz, scripts/fuzz.sh)
  chromium  # the kiosk page test drives it headless (tests/server/kiosk_test.cc)
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exec "$(dirname "$0")/reference_tools.sh"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
"$(dirname "$0")/reference_tools.sh"
