#!/usr/bin/env python3
"""docs/backtest-btc.png: one long BTC perpetual, 2020-2023 — each day's realised loss against the
99% VaR that EWMA-normal and FHS computed at the close before it, exceedances marked. Needs matplotlib
(bench/setup.sh installs it into /usr/bin/python3).

    /usr/bin/python3 scripts/backtest-plot.py [--xmargin build/xmargin] [--out docs/backtest-btc.png]
"""
import argparse
import csv
import datetime
import json
import os
import subprocess
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EWMA = {"ewma": {"lambda": 0.94}}
MODELS = [("EWMA normal", {"vol_model": EWMA}),
          ("FHS", {"vol_model": EWMA, "shocks": {"fhs": {"lookback_days": 1000}}})]
PORTFOLIO = {"instruments": [{"id": "BTC-PERP", "type": "perpetual", "underlying": "BTC", "contract_size": 1}],
             "accounts": [{"id": "outright-btc", "positions": [{"instrument": "BTC-PERP", "qty": 1}]}]}


def series(xmargin, config, tmp):
    paths = {name: os.path.join(tmp, name) for name in ("portfolio.json", "config.json", "series.csv")}
    with open(paths["portfolio.json"], "w") as f:
        json.dump(PORTFOLIO, f)
    with open(paths["config.json"], "w") as f:
        json.dump(dict(config, scenarios=10000), f)
    subprocess.run([xmargin, "backtest", "--prices", os.path.join(ROOT, "data", "prices"),
                    "--portfolio", paths["portfolio.json"], "--config", paths["config.json"],
                    "--start", "2020-01-01", "--end", "2023-12-30", "--series", paths["series.csv"],
                    "--out", os.path.join(tmp, "report.json")], check=True)
    with open(paths["series.csv"]) as f:
        rows = list(csv.DictReader(f))
    return ([datetime.date.fromisoformat(r["date"]) for r in rows], [float(r["var"]) for r in rows],
            [float(r["loss"]) for r in rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xmargin", default=os.path.join(ROOT, "build", "xmargin"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "backtest-btc.png"))
    args = ap.parse_args()
    fig, axes = plt.subplots(len(MODELS), 1, figsize=(11, 6.5), sharex=True, sharey=True)
    with tempfile.TemporaryDirectory() as tmp:
        for ax, (name, config) in zip(axes, MODELS):
            days, var, loss = series(args.xmargin, config, tmp)
            hits = [(d, l) for d, v, l in zip(days, var, loss) if l > v]
            ax.plot(days, loss, lw=0.5, color="0.55", label="loss from the close of day t to t+1 (USD)")
            ax.plot(days, var, lw=1.0, color="tab:blue", label="99% VaR margined at the close of day t")
            ax.scatter([d for d, _ in hits], [l for _, l in hits], s=14, color="tab:red", zorder=3,
                       label=f"exceedances: {len(hits)} (expected {0.01 * len(days):.1f})")
            ax.set_title(f"{name}: long 1 BTC perpetual", fontsize=10, loc="left")
            ax.axhline(0, color="0.8", lw=0.5)
            ax.legend(loc="upper right", fontsize=8)
    axes[-1].set_ylim(bottom=-4000)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(args.out)


if __name__ == "__main__":
    main()
