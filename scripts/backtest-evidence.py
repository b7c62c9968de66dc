#!/usr/bin/env python3
"""The model comparison of docs/backtests.md: `xmargin backtest` of examples/backtest/portfolios.json
on data/prices over 2020-2023 for each model, printed as Markdown tables.

    python3 scripts/backtest-evidence.py [--xmargin build/xmargin] [--start 2020-01-01] [--end 2023-12-30]
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
MODELS = [
    ("given (fixed vols)", {}),
    ("EWMA normal", {"vol_model": EWMA}),
    ("EWMA Student-t(4)", {"vol_model": EWMA, "shocks": {"student_t": {"dof": 4}}}),
    ("FHS (EWMA-filtered)", {"vol_model": EWMA, "shocks": FHS}),
    ("FHS + 25% buffer", {"vol_model": EWMA, "shocks": FHS, "anti_procyclicality": {"buffer": 0.25}}),
    ("FHS + 10-year floor", {"vol_model": EWMA, "shocks": FHS, "anti_procyclicality": {"floor": True}}),
    ("FHS + floor + 25% buffer", {"vol_model": EWMA, "shocks": FHS, "anti_procyclicality": APC}),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xmargin", default=os.path.join(ROOT, "build", "xmargin"))
    ap.add_argument("--start", default="2020-01-01")
    ap.add_argument("--end", default="2023-12-30")
    ap.add_argument("--scenarios", type=int, default=10000)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in MODELS:
            config = dict(config, scenarios=args.scenarios)
            path = os.path.join(tmp, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            t0 = time.time()
            out = subprocess.run([args.xmargin, "backtest", "--prices", os.path.join(ROOT, "data", "prices"),
                                  "--portfolio", os.path.join(ROOT, "examples", "backtest", "portfolios.json"),
                                  "--start", args.start, "--end", args.end, "--config", path],
                                 check=True, capture_output=True, text=True).stdout
            results[name] = json.loads(out)
            print(f"{name}: {time.time() - t0:.1f} s", file=sys.stderr)
    first = next(iter(results.values()))
    b = first["backtest"]
    print(f"{b['start']} .. {b['end']}: {b['test_days']} days, 1-day horizon, VaR and ES at "
          f"{b['confidence']:.0%}, {args.scenarios} scenarios; expected VaR exceedances "
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


if __name__ == "__main__":
    main()
