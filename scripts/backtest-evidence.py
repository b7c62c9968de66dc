#!/usr/bin/env python3
"""The model comparison of docs/backtests.md: `xmargin backtest` of examples/backtest/portfolios.json
on data/prices over 2020-2023, and of examples/backtest/short-vol.json (options valued at Deribit's
DVOL, data/implied_vol) over 2021-06 to 2023, for each model, printed as Markdown tables.

    python3 scripts/backtest-evidence.py [--xmargin build/xmargin] [--scenarios 10000]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EWMA = {"ewma": {"lambda": 0.94}}
FHS = {"fhs": {"lookback_days": 1000}}
APC = {"floor": True, "buffer": 0.25}
SHORT_VOL_MODELS = [
    ("given (fixed vols and vol-of-vol)", {}),
    ("EWMA normal", {"vol_model": EWMA}),
    ("EWMA Student-t(4)", {"vol_model": EWMA, "shocks": {"student_t": {"dof": 4}}}),
    ("FHS (prices and implied vols)", {"vol_model": EWMA, "shocks": FHS}),
    ("FHS + 25% buffer", {"vol_model": EWMA, "shocks": FHS, "anti_procyclicality": {"buffer": 0.25}}),
]
MODELS = [
    ("given (fixed vols)", {}),
    ("EWMA normal", {"vol_model": EWMA}),
    ("EWMA Student-t(4)", {"vol_model": EWMA, "shocks": {"student_t": {"dof": 4}}}),
    ("FHS (EWMA-filtered)", {"vol_model": EWMA, "shocks": FHS}),
    ("FHS + 25% buffer", {"vol_model": EWMA, "shocks": FHS, "anti_procyclicality": {"buffer": 0.25}}),
    ("FHS + 10-year floor", {"vol_model": EWMA, "shocks": FHS, "anti_procyclicality": {"floor": True}}),
    ("FHS + floor + 25% buffer", {"vol_model": EWMA, "shocks": FHS, "anti_procyclicality": APC}),
]


def backtest(xmargin, portfolio, start, end, config, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        out = subprocess.run([xmargin, "backtest", "--prices", os.path.join(ROOT, "data", "prices"),
                              "--portfolio", os.path.join(ROOT, "examples", "backtest", portfolio),
                              "--start", start, "--end", end, "--config", path, *extra],
                             check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def tables(results, scenarios):
    first = next(iter(results.values()))
    b = first["backtest"]
    print(f"{b['start']} .. {b['end']}: {b['test_days']} days, 1-day horizon, VaR and ES at "
          f"{b['confidence']:.0%}, {scenarios} scenarios; expected VaR exceedances "
          f"{first['accounts'][0]['expected_exceedances']:.1f}.\n")
    for i, account in enumerate(first["accounts"]):
        print(f"#### {account['id']}\n")
        print("| model | VaR exceedances | kupiec_p | christoffersen_p | zone | IM (ES) breaches | mean margin | max one-day margin rise |")
        print("|---|---:|---:|---:|---|---:|---:|---:|")
        for name, r in results.items():
            a = r["accounts"][i]
            print(f"| {name} | {a['var_exceedances']} | {a['kupiec_p']:.3f} | {a['christoffersen_p']:.3f} | "
                  f"{a['zone']} | {a['margin_breaches']} | {a['mean_margin']:,.0f} | {a['max_margin_jump']:.0%} |")
        print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xmargin", default=os.path.join(ROOT, "build", "xmargin"))
    ap.add_argument("--scenarios", type=int, default=10000)
    args = ap.parse_args()
    print("### Four books, 2020-2023 (options at a fixed iv)\n")
    results = {}
    for name, config in MODELS:
        t0 = time.time()
        results[name] = backtest(args.xmargin, "portfolios.json", "2020-01-01", "2023-12-30",
                                 dict(config, scenarios=args.scenarios))
        print(f"{name}: {time.time() - t0:.1f} s", file=sys.stderr)
    tables(results, args.scenarios)
    print("### Short-vol books with implied vol, 2021-06 to 2023 (options at Deribit's DVOL)\n")
    results = {}
    for name, config in SHORT_VOL_MODELS:
        t0 = time.time()
        results[name] = backtest(args.xmargin, "short-vol.json", "2021-06-01", "2023-12-30",
                                 dict(config, scenarios=args.scenarios),
                                 ["--implied-vol", os.path.join(ROOT, "data", "implied_vol")])
        print(f"{name}: {time.time() - t0:.1f} s", file=sys.stderr)
    tables(results, args.scenarios)


if __name__ == "__main__":
    main()
