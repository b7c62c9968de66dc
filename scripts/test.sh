#!/usr/bin/env bash
# The test command: install what is missing, build with warnings as errors, run every test with
# ctest (unit tests per room, the layering and format checks, the binary against the contract).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh -DXM_WERROR=ON
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
