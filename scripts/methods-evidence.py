#!/usr/bin/env python3
"""The margin-method comparison of docs/methods.md: Monte Carlo ES beside the venues' stress grid
and flat rates (contract §11) on the same books, printed as Markdown tables.

  1. the demo exchange (`xmargin generate demo`, 2,000 accounts): total and per-account margin by
     method, config.method "es" with config.compare ["grid", "flat"];
  2. `xmargin backtest --compare grid,flat` of examples/backtest/portfolios.json on data/prices,
     2020-2023 (FHS, the model docs/backtests.md recommends), and of examples/backtest/short-vol.json
     with options at Deribit's DVOL (data/implied_vol) from 2021-06-01: how often each method's
     initial margin was breached by the realised next-day loss, and its mean;
  3. with --plot PNG (needs matplotlib: /usr/bin/python3, bench/setup.sh installs it), the three
     margins and the realised losses of the four books through 2022.

Flat rates are the venues' published kind: perpetuals and futures on BTC and ETH 5% initial / 3%
maintenance (dYdX's BTC-USD and ETH-USD), other coins 10% / 5%, options 15% / 7.5% of the
underlying beside the premium (Deribit's standard option margin). The grid takes its documented
defaults (docs/methods.md).

    python3 scripts/methods-evidence.py [--xmargin build/xmargin] [--plot docs/methods-2022.png]
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FHS = {"vol_model": {"ewma": {"lambda": 0.94}}, "shocks": {"fhs": {"lookback_days": 1000}}}


def flat_rates(instruments):
    """config.flat for every derivative of `instruments` by the rule in the docstring."""
    rates = {}
    for ins in instruments:
        if ins["type"] == "spot":
            continue
        if ins["type"] == "option":
            rates[ins["id"]] = {"imf": 0.15, "mmf": 0.075}
        elif ins["underlying"] in ("BTC", "ETH"):
            rates[ins["id"]] = {"imf": 0.05, "mmf": 0.03}
        else:
            rates[ins["id"]] = {"imf": 0.10, "mmf": 0.05}
    return rates


def run_json(args):
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def demo_exchange(xmargin, tmp):
    path = os.path.join(tmp, "demo.json")
    subprocess.run([xmargin, "generate", "demo", "--out", path], check=True, capture_output=True)
    with open(path) as f:
        request = json.load(f)
    request["config"].update({"method": "es", "compare": ["grid", "flat"],
                              "flat": flat_rates(request["instruments"])})
    results = {}
    for aggregation in ("sum", "correlation"):
        request["config"]["grid_aggregation"] = aggregation
        with open(path, "w") as f:
            json.dump(request, f)
        results[aggregation] = run_json([xmargin, "run", path])
    return request, results


def print_demo(request, results):
    r = results["sum"]
    accounts = r["accounts"]
    t = r["totals"]
    es, grid, flat = t["initial_margin"], t["compare"]["grid"]["im"], t["compare"]["flat"]["im"]
    grid_corr = results["correlation"]["totals"]["compare"]["grid"]["im"]
    print(f"Demo exchange: {len(accounts)} accounts, {len(request['instruments'])} instruments, "
          f"{r['run']['scenarios']} scenarios, run {r['run']['elapsed_ms']:.0f} ms "
          f"(CPU, all three methods).\n")
    print("| method | total initial margin | vs ES | accounts below it (equity < IM) |")
    print("|---|---:|---:|---:|")

    def below(key):
        n = 0
        for a in accounts:
            im = a["initial_margin"] if key == "es" else a["compare"][key]["im"]
            n += a["equity"] < im
        return n

    print(f"| ES 99% (the model) | {es:,.0f} | 1.00 | {below('es')} |")
    print(f"| stress grid, sum | {grid:,.0f} | {grid / es:.2f} | {below('grid')} |")
    print(f"| stress grid, correlation credit | {grid_corr:,.0f} | {grid_corr / es:.2f} | "
          f"{sum(a['equity'] < b['compare']['grid']['im'] for a, b in zip(accounts, results['correlation']['accounts']))} |")
    print(f"| flat rates | {flat:,.0f} | {flat / es:.2f} | {below('flat')} |\n")
    ratios_grid = [a["compare"]["grid"]["im"] / a["initial_margin"] for a in accounts
                   if a["initial_margin"] > 0]
    ratios_flat = [a["compare"]["flat"]["im"] / a["initial_margin"] for a in accounts
                   if a["initial_margin"] > 0]
    higher_grid = sum(x > 1 for x in ratios_grid)
    higher_flat = sum(x > 1 for x in ratios_flat)
    print(f"Per account (the {len(ratios_grid)} with ES margin > 0): grid / ES median "
          f"{statistics.median(ratios_grid):.2f} (grid higher for {higher_grid}), flat / ES median "
          f"{statistics.median(ratios_flat):.2f} (flat higher for {higher_flat}); flat below ES "
          f"by more than half for {sum(x < 0.5 for x in ratios_flat)}.\n")


def backtest(xmargin, portfolio, start, end, tmp, extra=()):
    with open(os.path.join(ROOT, "examples", "backtest", portfolio)) as f:
        instruments = json.load(f)["instruments"]
    config = dict(FHS, scenarios=10000, flat=flat_rates(instruments))
    path = os.path.join(tmp, "config.json")
    with open(path, "w") as f:
        json.dump(config, f)
    series = os.path.join(tmp, portfolio + ".csv")
    report = run_json([xmargin, "backtest", "--prices", os.path.join(ROOT, "data", "prices"),
                       "--portfolio", os.path.join(ROOT, "examples", "backtest", portfolio),
                       "--start", start, "--end", end, "--config", path, "--compare", "grid,flat",
                       "--series", series, *extra])
    return report, series


def print_backtest(report, title):
    b = report["backtest"]
    print(f"#### {title}: {b['start']} .. {b['end']}, {b['test_days']} days\n")
    print("| account | ES breaches | grid breaches | flat breaches | mean ES | mean grid | mean flat "
          "| ES saves vs grid | ES saves vs flat |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for a in report["accounts"]:
        m = a["methods"]
        es, grid, flat = m["es"]["mean_margin"], m["grid"]["mean_margin"], m["flat"]["mean_margin"]

        def saving(other):
            return f"{1 - es / other:+.0%}" if other > 0 else "n/a (0)"

        print(f"| {a['id']} | {m['es']['margin_breaches']} | {m['grid']['margin_breaches']} | "
              f"{m['flat']['margin_breaches']} | {es:,.0f} | {grid:,.0f} | {flat:,.0f} | "
              f"{saving(grid)} | {saving(flat)} |")
    print()


def plot(series_path, out):
    import datetime

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = {}
    with open(series_path) as f:
        for row in csv.DictReader(f):
            if row["date"].startswith("2022"):
                rows.setdefault(row["account"], []).append(row)
    fig, axes = plt.subplots(len(rows), 1, figsize=(11, 2.6 * len(rows)), sharex=True)
    for ax, (account, data) in zip(axes, rows.items()):
        days = [datetime.date.fromisoformat(r["date"]) for r in data]
        loss = [float(r["loss"]) for r in data]
        ax.bar(days, [max(x, 0) for x in loss], width=1.0, color="0.75", label="realised loss")
        for key, label, style in (("initial_margin", "ES 99% (FHS)", "C0-"),
                                  ("im_grid", "stress grid", "C3-"),
                                  ("im_flat", "flat rates", "C2--")):
            ax.plot(days, [float(r[key]) for r in data], style, linewidth=1.2, label=label)
            breaches = [(d, l) for d, l, r in zip(days, loss, data) if l > float(r[key])]
            if breaches:
                ax.plot(*zip(*breaches), style[:2] + "x", markersize=5)
        ax.set_title(account, fontsize=10, loc="left")
        ax.set_ylabel("USD")
    axes[0].legend(loc="upper right", fontsize=8, ncol=4)
    fig.suptitle("Initial margin by method and realised next-day loss, 2022 (x: a breach)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--xmargin", default=os.path.join(ROOT, "build", "xmargin"))
    parser.add_argument("--plot", help="write the 2022 plot (PNG) here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        request, results = demo_exchange(args.xmargin, tmp)
        print_demo(request, results)
        report, series = backtest(args.xmargin, "portfolios.json", "2020-01-01", "2023-12-30", tmp)
        print_backtest(report, "Four books on real closes")
        short_vol, _ = backtest(args.xmargin, "short-vol.json", "2021-06-01", "2023-12-30", tmp,
                                ("--implied-vol", os.path.join(ROOT, "data", "implied_vol")))
        print_backtest(short_vol, "Short-vol books, options at Deribit's DVOL")
        if args.plot:
            plot(series, args.plot)


if __name__ == "__main__":
    main()
