#!/usr/bin/env bash
# The intraday routes' figures (issue 15) against a real `xmargin serve` on this machine:
# what-if latency and throughput with 4 keep-alive connections, the same account as a full
# request, 300 accounts on a snapshot against the full request, and new marks.
#   bench/intraday.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
cmake --build build --target bench_intraday_load xmargin > /dev/null
build/bench/bench_intraday_load --binary build/xmargin --clients 4 --seconds "${1:-10}" 2>/dev/null
