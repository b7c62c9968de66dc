#!/usr/bin/env bash
# Times `xmargin run` end to end (JSON parsing and writing included) on the exchange-S workload:
# 10,000 accounts, 20 assets, 200 instruments (100+ options), ~8 positions per account plus
# collateral in 1-3 assets, 10,000 scenarios, 99% ES. Prints each run's wall time and peak RSS.
# Usage: bench/exchange-s.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
mkdir -p bench/out
[ -f bench/out/exchange-S.json ] || build/xmargin generate exchange-S --out bench/out/exchange-S.json
build/xmargin run bench/out/exchange-S.json --out bench/out/exchange-S.response.json  # warm-up
for i in $(seq "$runs"); do
  /usr/bin/time -f "run $i: wall %e s, peak RSS %M KiB" \
    build/xmargin run bench/out/exchange-S.json --out bench/out/exchange-S.response.json
done
python3 -c "
import json; r = json.load(open('bench/out/exchange-S.response.json'))
print('engine elapsed_ms', round(r['run']['elapsed_ms'], 1), 'backend', r['run']['backend'], '|', r['run']['device'])
print('totals', r['totals'])"
