#!/usr/bin/env bash
# One command on a fresh machine: install the dependencies, build, and run the built-in demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/xmargin demo "$@"
