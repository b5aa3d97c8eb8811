#!/usr/bin/env bash
# Installs the reference implementations that tests and benchmarks compare against — never linked
# into the product — into .refs/node_modules (git-ignored): ONNX Runtime (onnxruntime-node) and
# sherpa-onnx (sherpa-onnx-node + sherpa-onnx-linux-x64), and the `openai` client that
# tests/server/openai_client_test.mjs drives `parley serve` with, and playwright-core, which drives
# Debian's chromium through the kiosk page (tests/server/kiosk_chromium.mjs; no browser download).
# --ignore-scripts: the packages ship their Linux x64 binaries; their install scripts would only
# try other downloads.
# Failure is not fatal: tests that need a reference skip with a message when it is absent.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  echo "reference_tools: npm not found; reference comparisons will be skipped" >&2
  exit 0
fi
if [ -f .refs/node_modules/sherpa-onnx-node/package.json ] &&
   [ -f .refs/node_modules/onnxruntime-node/package.json ] &&
   [ -f .refs/node_modules/openai/package.json ] &&
   [ -f .refs/node_modules/playwright-core/package.json ]; then
  exit 0
fi
mkdir -p .refs
npm install --prefix .refs --no-audit --no-fund --ignore-scripts \
  sherpa-onnx-node@1.13 onnxruntime-node openai@4 playwright-core@1 >/dev/null 2>.refs/npm-install.log ||
  echo "reference_tools: npm install failed (see .refs/npm-install.log); comparisons will skip" >&2
exit 0
