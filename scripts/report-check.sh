#!/usr/bin/env bash
# The risk report in a real browser (issue 19): builds a report of a margin run, a clearing
# simulation and a backtest from the repository's own examples, opens it in headless Chromium,
# and checks that every chart drew its marks, every table is there and no script failed (the
# page's own counters on <body>, and the browser's console). Writes a screenshot.
#   scripts/report-check.sh [XMARGIN] [SCREENSHOT.png]
# Exit 0: the page rendered; 1: it did not; 77: no Chromium here (ctest reports it skipped).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
xmargin=${1:-$root/build/xmargin}
shot=${2:-}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "report-check: no chromium on PATH (scripts/setup.sh installs it): skipped"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A margin run of 400 synthetic accounts, and a short clearing simulation of the same exchange.
"$xmargin" generate demo --accounts 400 --scenarios 4000 --out "$work/request.json"
/usr/bin/python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
r = json.load(open(f"{w}/request.json"))
for a in r["market"]["assets"]:
    if a["id"] != "USD":
        a.setdefault("daily_volume", 2e8)
r["clearing"] = {"paths": 200, "steps": 12, "step_hours": 2, "insurance_fund": 2e6,
                 "loss_allocation": "adl"}
json.dump(r, open(f"{w}/simulate.json", "w"))
PY
"$xmargin" run "$work/request.json" --out "$work/response.json"
"$xmargin" simulate "$work/simulate.json" --out "$work/simulation.json"
"$xmargin" backtest --prices "$root/data/prices" --portfolio "$root/examples/backtest/portfolios.json" \
  --start 2023-06-01 --end 2023-09-30 --compare grid --series "$work/series.csv" > "$work/backtest.json"
"$xmargin" report "$work/response.json" --request "$work/request.json" \
  --simulation "$work/simulation.json" --backtest "$work/backtest.json" --series "$work/series.csv" \
  --title "xmargin report check" --out "$work/report.html"

# The page's counters: charts (svg.chart), those that drew a mark, marks, tables, script errors.
flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions
       --user-data-dir="$work/profile" --virtual-time-budget=5000)
"$chromium" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$work/report.html" \
  > "$work/dom.html" 2> "$work/console.log" || true
body=$(grep -o '<body[^>]*>' "$work/dom.html" | head -1 || true)
attr() { sed -n "s/.*$1=\"\\([0-9]*\\)\".*/\\1/p" <<<"$body"; }
charts=$(attr data-charts) rendered=$(attr data-rendered) marks=$(attr data-marks)
tables=$(attr data-tables) errors=$(attr data-errors)
console=$(grep -c 'CONSOLE.*"Uncaught\|:ERROR:CONSOLE\|Uncaught ' "$work/console.log" || true)
echo "report-check: charts=$charts rendered=$rendered marks=$marks tables=$tables" \
     "script_errors=$errors console_errors=$console"
fail=0
[ -n "$charts" ] || { echo "report-check: the page's script did not run (no data-charts)"; fail=1; }
# The run (status, margin saved, coverage, 10 contribution charts, diversification, exposure x2),
# the simulation (fund drawdown, liquidations) and the backtest (methods, through time).
[ "${charts:-0}" -ge 18 ] || { echo "report-check: expected at least 18 charts"; fail=1; }
[ "${rendered:-0}" = "${charts:-x}" ] || { echo "report-check: a chart drew nothing"; fail=1; }
[ "${tables:-0}" -ge 3 ] || { echo "report-check: expected at least 3 tables"; fail=1; }
[ "${errors:-1}" = 0 ] || { echo "report-check: the page's script raised errors"; fail=1; }
[ "$console" = 0 ] || { grep 'CONSOLE\|Uncaught' "$work/console.log"; fail=1; }
for id in status margin-saved coverage diversification exposure-es contrib-1 fund-drawdown \
    liquidation-count backtest-1 backtest-methods; do
  grep -q "data-chart=\"$id\"" "$work/dom.html" || { echo "report-check: no chart $id"; fail=1; }
done
if [ -n "$shot" ]; then
  "$chromium" "${flags[@]}" --hide-scrollbars --window-size=1280,2400 --screenshot="$shot" \
    "file://$work/report.html" 2>/dev/null
  [ -s "$shot" ] || { echo "report-check: no screenshot"; fail=1; }
  echo "report-check: screenshot $shot"
fi
exit $fail
