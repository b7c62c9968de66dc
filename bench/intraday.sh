#!/usr/bin/env bash
# The intraday routes' figures (issue 15) against a real `xmargin serve` on this machine:
# what-if latency and throughput with 4 keep-alive connections, the same account as a full
# request, 300 accounts on a snapshot against the full request, and new marks
# (bench/IntradayLoad.cpp); then the what-if again under wrk (bench/setup.sh installs it), whose
# client costs the shared cores less.
#   bench/intraday.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
mkdir -p bench/out
cmake --build build --target bench_intraday_load xmargin > /dev/null
build/bench/bench_intraday_load --binary build/xmargin --clients 4 --seconds "$seconds" 2>/dev/null
command -v wrk > /dev/null || { echo "wrk not installed (bench/setup.sh): skipped"; exit 0; }
log=bench/out/intraday-serve.log
build/xmargin serve --port 0 > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening" "$log" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$log" | head -1 | cut -d: -f2)
python3 - "$port" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("PUT", "/v1/snapshots/bench", open("bench/out/intraday-definition.json", "rb").read(),
          {"Content-Type": "application/json"})
r = c.getresponse()
assert r.status == 201, r.read()
PY
cat > bench/out/intraday-whatif.lua <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("bench/out/intraday-whatif.json", "rb")
wrk.body = f:read("*a")
f:close()
LUA
echo "wrk, POST /v1/whatif, 4 connections, 2 threads, ${seconds} s:"
wrk -t2 -c4 -d"${seconds}s" --latency -s bench/out/intraday-whatif.lua "http://127.0.0.1:$port/v1/whatif" |
  grep -E "Latency|50%|90%|99%|Requests/sec|requests in|Non-2xx"
