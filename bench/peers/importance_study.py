#!/usr/bin/python3
"""Importance sampling for the exchange's common tail, measured (docs/sampling.md).

Glasserman, Heidelberger & Shahabuddin's mean shift: the independent draws are drawn from
N(mu, I) instead of N(0, I) and every scenario carries the likelihood ratio
w = exp(-mu . eps + |mu|^2 / 2). One shift serves one scenario set, so for a whole exchange it
must be one direction for every account: here the direction of the largest aggregate loss, the
mean of eps over the 1% of pilot scenarios where the sum of every account's loss is largest,
scaled to length z_confidence (the shift that centres the draws on the aggregate's VaR).

Weighted estimators: VaR is the largest loss x with (1/S) sum w 1{L > x} <= p ... reached,
ES = VaR + (1/(S p)) sum w (L - VaR)+ (Rockafellar-Uryasev with the weighted empirical law).

Runs the NumPy peer's model (bench/peers/numpy_peer.py: the contract's model, NumPy draws) for
SEEDS seeds with and without the shift, and reports, per account, the standard deviation of ES
across seeds: the ratio IS / MC (median, p90, share of accounts worse off), split by whether
the account's loss rises with the aggregate's (exposed) or falls (hedged).

    /usr/bin/python3 bench/peers/importance_study.py REQUEST.json [--seeds 40] [--scenarios 10000]
"""
import argparse
import json
import math
import os
import sys

import numpy as np
from scipy.special import ndtri

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_peer  # noqa: E402


def weighted_es(losses, w, p):
    """losses: accounts x S, w: S. Weighted empirical ES at tail probability p, per account."""
    n = losses.shape[1]
    order = np.argsort(-losses, axis=1)
    sl = np.take_along_axis(losses, order, axis=1)
    sw = w[order] / n
    cum = np.cumsum(sw, axis=1)
    idx = np.minimum((cum < p).sum(axis=1), n - 1)  # first position where the tail reaches p
    var = sl[np.arange(len(sl)), idx]
    excess = np.clip(sl - var[:, None], 0, None)
    return var + (sw * excess).sum(axis=1) / p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("request")
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--scenarios", type=int, default=10000)
    args = ap.parse_args()
    req = json.load(open(args.request))
    conf = req.get("config", {}).get("confidence", 0.99)
    p = 1 - conf
    S, F = args.scenarios, numpy_peer.factor_count(req)

    def losses_of(eps):
        cube, W, ids, k, _ = numpy_peer.build(req, eps)
        return -(W @ cube), ids  # accounts x S

    # Pilot: the direction of the largest aggregate loss.
    pilot = np.random.default_rng(10_000).standard_normal((4 * S, F))
    loss, ids = losses_of(pilot)
    total = loss.sum(axis=0)
    worst = np.argsort(-total)[: int(p * len(total))]
    d = pilot[worst].mean(axis=0)
    mu = ndtri(conf) * d / np.linalg.norm(d)
    # Exposed: the account's loss correlates positively with the aggregate's.
    corr = np.array([np.corrcoef(l, total)[0, 1] if l.std() > 0 else 0.0 for l in loss])

    es_mc, es_is = [], []
    for seed in range(1, args.seeds + 1):
        eps = np.random.default_rng(seed).standard_normal((S, F))
        l, _ = losses_of(eps)
        es_mc.append(weighted_es(l, np.ones(S), p))
        shifted = eps + mu
        w = np.exp(-shifted @ mu + 0.5 * mu @ mu)
        l, _ = losses_of(shifted)
        es_is.append(weighted_es(l, w, p))
        print(f"  seed {seed}", file=sys.stderr)
    sd_mc = np.std(np.array(es_mc), axis=0, ddof=1)
    sd_is = np.std(np.array(es_is), axis=0, ddof=1)
    live = sd_mc > 0
    ratio = sd_is[live] / sd_mc[live]
    exposed = corr[live] > 0

    def line(name, r):
        if len(r) == 0:
            return f"| {name} | 0 | | | |"
        return (f"| {name} | {len(r)} | {np.median(r):.3f} | {np.quantile(r, 0.9):.3f} | "
                f"{100 * np.mean(r > 1):.0f}% |")

    print(f"shift |mu| = {np.linalg.norm(mu):.3f}, S = {S}, {args.seeds} seeds, "
          f"{int(live.sum())} accounts with risk")
    print("| accounts | n | IS / MC error: median | p90 | worse off |")
    print("|---|---:|---:|---:|---:|")
    print(line("all", ratio))
    print(line("exposed to the shift (loss rises with the aggregate's)", ratio[exposed]))
    print(line("hedged against it (loss falls)", ratio[~exposed]))


if __name__ == "__main__":
    main()
