#!/usr/bin/env python3
"""The evidence of docs/sampling.md: how far each sampling method's ES moves from seed to seed,
account by account, against plain Monte Carlo at the same number of scenarios.

For a request, each method (mc, antithetic, sobol) and each scenario count, `xmargin run` margins
every account under SEEDS seeds. An account's true ES error at that count is the standard
deviation of its ES across the seeds; the ratio to plain MC's is the method's gain (below 1:
better), and (1 / ratio)^2 the equivalent speed-up (plain MC's error falls as 1 / sqrt(S), so it
needs that many times the scenarios for the same error). Accounts with no risk are left out.
The calibration column is the median over accounts of the mean reported es_stderr divided by
the measured spread (1: the reported error is honest).

    scripts/sampling-evidence.py REQUEST.json [--seeds 40] [--scenarios 2500,10000,40000]
        [--methods mc,antithetic,sobol] [--binary build/xmargin] [--json OUT.json]

Prints a Markdown table; --json writes the figures too.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = q * (len(xs) - 1)
    lo = int(i)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (i - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("request")
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--scenarios", default="2500,10000,40000")
    ap.add_argument("--methods", default="mc,antithetic,sobol")
    ap.add_argument("--binary", default="build/xmargin")
    ap.add_argument("--json")
    args = ap.parse_args()

    with open(args.request) as f:
        request = json.load(f)
    # The request's text but for its config, which each run replaces.
    body = {k: v for k, v in request.items() if k != "config"}
    prefix = json.dumps(body)[:-1] + ', "config": '
    base_config = dict(request.get("config", {}))

    def run(method, scenarios, seed):
        config = dict(base_config, scenarios=scenarios, seed=seed, sampling=method, backend="cpu")
        text = prefix + json.dumps(config) + "}"
        out = subprocess.run([args.binary, "run", "-"], input=text.encode(), capture_output=True,
                             check=True).stdout
        r = json.loads(out)
        return [(a["es"], a["es_stderr"]) for a in r["accounts"]]

    counts = [int(x) for x in args.scenarios.split(",")]
    methods = args.methods.split(",")
    spread = {}  # (method, S) -> per account (sd of es, mean reported stderr, mean es)
    for s in counts:
        for m in methods:
            t0 = time.time()
            runs = [run(m, s, seed) for seed in range(1, args.seeds + 1)]
            per = []
            for a in range(len(runs[0])):
                es = [r[a][0] for r in runs]
                se = [r[a][1] for r in runs]
                per.append((statistics.stdev(es), statistics.fmean(se), statistics.fmean(es)))
            spread[(m, s)] = per
            print(f"  {m:10s} S={s:6d}: {args.seeds} seeds in {time.time() - t0:.0f} s",
                  file=sys.stderr)

    rows = []
    print("| scenarios | method | median error / ES | error ratio to mc: median | p90 | "
          "equivalent speed-up (median) | reported / measured error (median) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for s in counts:
        mc = spread.get(("mc", s))
        for m in methods:
            per = spread[(m, s)]
            live = [i for i, (sd, _, es) in enumerate(per) if es > 0 and sd > 0 and
                    (mc is None or mc[i][0] > 0)]
            rel = [per[i][0] / per[i][2] for i in live]
            ratios = [per[i][0] / mc[i][0] for i in live] if mc else []
            calib = [per[i][1] / per[i][0] for i in live]
            med = quantile(ratios, 0.5) if ratios else float("nan")
            row = {
                "scenarios": s, "method": m, "accounts": len(live),
                "median_relative_error": quantile(rel, 0.5),
                "ratio_median": med, "ratio_p90": quantile(ratios, 0.9) if ratios else None,
                "speedup_median": 1 / med ** 2 if ratios else None,
                "calibration_median": quantile(calib, 0.5),
                "calibration_p10": quantile(calib, 0.1), "calibration_p90": quantile(calib, 0.9),
            }
            rows.append(row)
            print(f"| {s:,} | {m} | {100 * row['median_relative_error']:.2f}% | "
                  f"{med:.3f} | {row['ratio_p90'] or float('nan'):.3f} | "
                  f"{row['speedup_median'] or float('nan'):.1f}x | "
                  f"{row['calibration_median']:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"request": args.request, "seeds": args.seeds, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
