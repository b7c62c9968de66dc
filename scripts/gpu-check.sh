#!/usr/bin/env bash
# One call on a GPU machine: build with the carried dependencies (.deps, from
# scripts/fetch-gpu-deps.sh), run the GPU-vs-CPU tests and a GPU benchmark, print a table.
#   device tool: command "bash scripts/gpu-check.sh", carry [".deps"]
# Writes the full logs and the table to $OUT (or bench/out) as well.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench/out}
mkdir -p "$out" bench/out
log() { echo "== $*"; }

[ -d .deps/root/usr ] || { echo "no .deps: run scripts/fetch-gpu-deps.sh here first"; exit 2; }
export LD_LIBRARY_PATH="$PWD/.deps/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"

log "configure and build"
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DXM_CUDA=ON -DXM_SERVER=OFF \
  -DXM_BUILD_BENCH=OFF -DCMAKE_PREFIX_PATH="$PWD/.deps/root/usr" \
  -DXM_GTEST_SOURCE="$PWD/.deps/root/usr/src/googletest" >"$out/configure.log" 2>&1 \
  || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu --parallel "$(nproc)" >"$out/build.log" 2>&1 || { grep -E "error" -A3 "$out/build.log" | head -40; exit 1; }
build-gpu/xmargin info | tee "$out/info.json"

log "GPU-vs-CPU tests"
build-gpu/tests/xm_tests_cuda 2>&1 | tee "$out/gpu-tests.log" | grep -E "^\[ *(OK|FAILED|SKIPPED|PASSED) *\]|Failure" | head -60
tests_rc=${PIPESTATUS[0]}
log "all tests on this machine"
all_rc=0
for t in build-gpu/tests/xm_tests_*; do "$t" --gtest_brief=1 >>"$out/all-tests.log" 2>&1 || all_rc=1; done
tail -3 "$out/all-tests.log"

log "benchmark"
bench() {  # workload backend precision [sampling]
  local file=bench/out/$1.json
  [ -f "$file" ] || build-gpu/xmargin generate "$1" --out "$file" 2>/dev/null
  if [ -n "${4:-}" ]; then  # the same workload under config.sampling (docs/sampling.md)
    python3 -c "
import json, sys
r = json.load(open('$file')); r['config']['sampling'] = '$4'
json.dump(r, open('bench/out/$1-$4.json', 'w'))"
    file=bench/out/$1-$4.json
  fi
  local t0 t1
  t0=$(date +%s.%N)
  build-gpu/xmargin run "$file" --backend "$2" --precision "$3" --out bench/out/resp.json 2>"$out/err.txt" || { echo "$1 $2 $3 failed: $(cat "$out/err.txt")"; return; }
  t1=$(date +%s.%N)
  python3 - "$1" "$2" "$3" "$t0" "$t1" <<'PY'
import json, sys
w, b, p, t0, t1 = sys.argv[1:]
r = json.load(open("bench/out/resp.json"))["run"]
s = r["stages_ms"]
w += f" ({r['sampling']})" if "sampling" in r else ""
print(f"| {w} | {r['backend']} | {r['precision']} | {float(t1) - float(t0):.2f} | {r['elapsed_ms']:.0f} | "
      f"{s['prepare']:.0f} | {s['risk']:.0f} | {s['margin']:.0f} | {r['device']} |")
PY
}
{
  echo "| workload | backend | precision | wall (s) | engine (ms) | prepare (ms) | risk (ms) | margin (ms) | device |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  bench exchange-S cpu fp64
  bench exchange-S cuda fp64
  bench exchange-S cuda fp32
  bench exchange-S cpu fp64 sobol
  bench exchange-S cuda fp64 sobol
  bench exchange-S cuda fp64 antithetic
  bench exchange-M cuda fp64
  bench exchange-M cuda fp32
} | tee "$out/table.md"

log "clearing simulation: exchange-S, 1,000 paths x 24 steps, marking on each backend"
python3 - <<'PY'
import json
r = json.load(open("bench/out/exchange-S.json"))
for a in r["market"]["assets"]:
    if a["id"] != "USD" and "daily_volume" not in a:
        a["daily_volume"] = 1e9
r["clearing"] = {"paths": 1000, "steps": 24, "insurance_fund": 5e7}
for backend in ("cpu", "cuda"):
    r["config"]["backend"] = backend
    json.dump(r, open(f"bench/out/simulate-{backend}.json", "w"))
PY
for backend in cpu cuda; do
  t0=$(date +%s.%N)
  build-gpu/xmargin simulate "bench/out/simulate-$backend.json" --out "bench/out/simulate-$backend.out.json" || echo "simulate $backend failed"
  t1=$(date +%s.%N)
  echo "| simulate | $backend | $(python3 -c "print(round($t1 - $t0, 2))") s |" | tee -a "$out/table.md"
done
python3 -c "
import json
a = json.load(open('bench/out/simulate-cpu.out.json'))['simulation']['monte_carlo']
b = json.load(open('bench/out/simulate-cuda.out.json'))['simulation']['monte_carlo']
print('simulate: cuda liquidation probabilities identical to cpu:', a['accounts'] == b['accounts'], '; fund end mean', a['insurance_fund']['end']['mean'], 'vs', b['insurance_fund']['end']['mean'])" | tee -a "$out/table.md"
echo "gpu tests rc=$tests_rc, all tests rc=$all_rc"
[ "$tests_rc" -eq 0 ] && [ "$all_rc" -eq 0 ]
