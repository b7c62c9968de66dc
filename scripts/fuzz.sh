#!/usr/bin/env bash
# Fuzzes request parsing and validation (tests/fuzz/FuzzRequest.cpp) with libFuzzer under ASan
# and UBSan for a bounded time: scripts/fuzz.sh [SECONDS] (default 120). Starts from the seed
# corpus tests/fuzz/corpus and the regressions tests/fuzz/regressions; a crashing input is saved
# as tests/fuzz/regressions/crash-* — fix the bug, keep the file: CliTest replays every file there.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
need=()
for p in clang libclang-rt-14-dev libomp-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
[ -f build-fuzz/CMakeCache.txt ] || cmake -S . -B build-fuzz "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DXM_FUZZ=ON -DXM_NATIVE=OFF -DXM_BUILD_BENCH=OFF
cmake --build build-fuzz --target xm_fuzz_request --parallel "$(nproc)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build-fuzz/tests/fuzz/xm_fuzz_request "$work" tests/fuzz/corpus tests/fuzz/regressions \
  -dict=tests/fuzz/request.dict -max_total_time="$seconds" -max_len=16384 -timeout=10 \
  -rss_limit_mb=4096 -artifact_prefix=tests/fuzz/regressions/ -print_final_stats=1
