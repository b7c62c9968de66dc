#!/usr/bin/env bash
# Fuzzes one target with libFuzzer under ASan and UBSan for a bounded time:
#   scripts/fuzz.sh TARGET [SECONDS]     TARGET: request, msgpack, backtest, http, report (default 120 s)
# The targets are in tests/fuzz/FuzzTargets.h. Each starts from its seed corpus
# tests/fuzz/TARGET/corpus and its kept crashers tests/fuzz/TARGET/regressions, with the dictionary
# tests/fuzz/TARGET/dict. A crashing input is saved as tests/fuzz/TARGET/regressions/crash-*: fix the
# bug and keep the file (FuzzRegressionTest replays every file there). New coverage found during
# the run stays in a scratch directory; the last lines print executions, coverage and findings.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-}
seconds=${2:-120}
case "$target" in
  request|msgpack|backtest|http|report) ;;
  *) echo "usage: scripts/fuzz.sh request|msgpack|backtest|http|report [SECONDS]" >&2; exit 2 ;;
esac
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
cmake --build build-fuzz --target "xm_fuzz_$target" --parallel "$(nproc)"
mkdir -p "tests/fuzz/$target/regressions"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
max_len=16384
[ "$target" = backtest ] && max_len=65536
build-fuzz/tests/fuzz/xm_fuzz_$target "$work" "tests/fuzz/$target/corpus" "tests/fuzz/$target/regressions" \
  -dict="tests/fuzz/$target/dict" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
  -rss_limit_mb=4096 -artifact_prefix="tests/fuzz/$target/regressions/" -print_final_stats=1
