#!/usr/bin/env bash
# 64 concurrent clients for 60 s against `xmargin serve`, each posting distinct requests and
# checking every answer against `xmargin run`'s (bench/HttpSoak.cpp). Prints the RESULTS.md row.
#   bench/http-soak.sh [CLIENTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/bench/bench_http_soak ] || scripts/build.sh
exec build/bench/bench_http_soak --binary build/xmargin --clients "${1:-64}" --seconds "${2:-60}"
