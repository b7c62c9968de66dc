#!/usr/bin/env bash
# The clearing simulation's cost on exchange-S (issue 14's target): 1,000 Monte Carlo paths x 24
# hourly steps against a 24,000-scenario margin run of the same exchange, alternately.
#   bench/clearing.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mkdir -p bench/out
[ -f bench/out/exchange-S.json ] || build/xmargin generate exchange-S --out bench/out/exchange-S.json
python3 - <<'PY'
import json
r = json.load(open("bench/out/exchange-S.json"))
for a in r["market"]["assets"]:
    if a["id"] != "USD" and "daily_volume" not in a:
        a["daily_volume"] = 1e9
r["clearing"] = {"paths": 1000, "steps": 24, "step_hours": 1, "insurance_fund": 5e7,
                 "loss_allocation": "adl"}
json.dump(r, open("bench/out/exchange-S.simulate.json", "w"))
del r["clearing"]
r["config"]["scenarios"] = 24000
json.dump(r, open("bench/out/exchange-S.24k.json", "w"))
PY
for i in $(seq "$runs"); do
  /usr/bin/time -f "simulate 1000x24: %e s, peak RSS %M KiB" \
    build/xmargin simulate bench/out/exchange-S.simulate.json --out bench/out/exchange-S.simulate.out.json
  /usr/bin/time -f "margin 24,000 scenarios: %e s, peak RSS %M KiB" \
    build/xmargin run bench/out/exchange-S.24k.json --out bench/out/exchange-S.24k.out.json
done
