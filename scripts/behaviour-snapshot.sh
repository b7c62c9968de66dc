#!/usr/bin/env bash
# Writes the outputs a refactor must leave byte-identical into DIR, run-level timings removed:
# the demo's summary, exchange-S's response, the contract example's response, the 2020-2023
# backtest reports (FHS on the four books with its daily series, implied vol on the short-vol
# books), a generated request, `info`, every command's help and two error envelopes. Compare two trees' snapshots with `diff -r`.
#   scripts/behaviour-snapshot.sh BINARY DIR
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1 out=$2
mkdir -p "$out"
# Timings are the only figures allowed to differ: elapsed_ms, stages_ms, and the demo's "in X ms".
strip_json() { sed -E 's/"elapsed_ms": ?[-0-9.e+]+/"elapsed_ms":T/g; s/"stages_ms": ?\{[^}]*\}/"stages_ms":T/g' "$1"; }
"$bin" demo | sed -E 's/[0-9.]+ (ms|s)\b/T \1/g' > "$out/demo.txt"
echo '{"vol_model": {"ewma": {"lambda": 0.94}}, "shocks": {"fhs": {"lookback_days": 1000}}}' > "$out/fhs-config.json"
[ -f bench/out/exchange-S.json ] || "$bin" generate exchange-S --out bench/out/exchange-S.json
"$bin" run bench/out/exchange-S.json --out "$out/exchange-S.raw.json"
strip_json "$out/exchange-S.raw.json" > "$out/exchange-S.json"
"$bin" run examples/contract-request.json --out "$out/contract.raw.json"
strip_json "$out/contract.raw.json" > "$out/contract.json"
"$bin" backtest --prices data/prices --portfolio examples/backtest/portfolios.json \
  --start 2020-01-01 --end 2023-12-30 --config "$out/fhs-config.json" \
  --series "$out/backtest-series.csv" --out "$out/backtest.raw.json"
strip_json "$out/backtest.raw.json" > "$out/backtest.json"
"$bin" backtest --prices data/prices --portfolio examples/backtest/short-vol.json --implied-vol data/implied_vol \
  --start 2021-06-01 --end 2023-12-30 --out "$out/backtest-short-vol.raw.json"
strip_json "$out/backtest-short-vol.raw.json" > "$out/backtest-short-vol.json"
# The help texts and error envelopes of every command, and the generator's requests.
for c in "" run demo generate backtest serve info; do "$bin" $c --help > "$out/help-${c:-main}.txt" 2>&1 || true; done
"$bin" info > "$out/info.json"
"$bin" run /nonexistent > "$out/error-missing.txt" 2>&1 || echo "exit $?" >> "$out/error-missing.txt"
"$bin" bogus > "$out/error-command.txt" 2>&1 || echo "exit $?" >> "$out/error-command.txt"
"$bin" generate demo --accounts 50 --seed 7 --out "$out/generated-demo.json"
rm -f "$out"/*.raw.json "$out/fhs-config.json"
ls -l "$out"
