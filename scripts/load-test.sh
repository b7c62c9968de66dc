#!/usr/bin/env bash
# Load figures for `xmargin serve`: wrk (Debian) POSTs to /v1/margin on loopback, first a
# 1-account request, then a 1,000-account request, 10,000 scenarios each. Bounded: DURATION
# seconds per run (default 15), CONNECTIONS open connections (default 4). Prints requests/s and
# the p50/p99 latency wrk measured; the server runs on the same machine and shares its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-15}
connections=${CONNECTIONS:-4}
if ! command -v wrk >/dev/null; then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq wrk >/dev/null
fi
[ -x build/xmargin ] || scripts/build.sh
out=bench/out
mkdir -p "$out"
build/xmargin generate demo --accounts 1 --scenarios 10000 --out "$out/load-1.json" 2>/dev/null
build/xmargin generate demo --accounts 1000 --scenarios 10000 --out "$out/load-1000.json" 2>/dev/null

${XM_ENV:-} build/xmargin serve --port 0 --queue 256 >"$out/serve.out" 2>"$out/serve.err" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$out/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$out/serve.out" | cut -d: -f2)

cat >"$out/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("XM_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read +
                 summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d errors=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, errors, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
LUA

printf '%-16s %11s %9s %10s %10s %8s\n' request connections "req/s" "p50 (ms)" "p99 (ms)" errors
for n in 1 1000; do
  line=$(XM_BODY="$out/load-$n.json" wrk -t 2 -c "$connections" -d "${duration}s" --timeout 60s \
           -s "$out/post.lua" "http://127.0.0.1:$port/v1/margin" | grep RESULT)
  eval "${line#RESULT }"
  printf '%-16s %11s %9s %10s %10s %8s\n' "$n account(s)" "$connections" "$rps" "$p50_ms" "$p99_ms" "$errors"
done
