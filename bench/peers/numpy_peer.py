#!/usr/bin/python3
"""What a quant team writes instead of xmargin: the same model in NumPy/SciPy.

Reads an xmargin request (contract §2), and computes every account's VaR, ES and ES standard
error with the contract's model: correlated lognormal shocks through the Cholesky factor of the
factor correlation matrix (implied-vol factors included), full revaluation with Black-Scholes
options (scipy.special.ndtr), a sparse (accounts x rows) position matrix times the
(rows x scenarios) P&L cube, and np.partition for the tail. Its draws are NumPy's (PCG64), not
xmargin's Philox, so the two agree within Monte Carlo error, not bit for bit.

Both cores: accounts are split across PROCESSES worker processes (fork; the cube is shared
copy-on-write), each with single-threaded BLAS. Prints one JSON object:
{"seconds": wall seconds, "accounts": {id: {"var", "es", "es_stderr"}}}.
"""
import argparse, datetime, json, math, os, sys, time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import multiprocessing as mp

import numpy as np
import scipy.sparse as sp
from scipy.special import ndtr

YEAR = 365 * 86400.0


def ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def black_scholes(call, s, k, t, vol, r):
    """Vectorised over s and vol; t a scalar."""
    if t <= 0:
        return np.maximum(s - k, 0.0) if call else np.maximum(k - s, 0.0)
    sd = vol * math.sqrt(t)
    d1 = (np.log(s / k) + (r + 0.5 * vol * vol) * t) / sd
    d2 = d1 - sd
    disc = math.exp(-r * t)
    return s * ndtr(d1) - k * disc * ndtr(d2) if call else k * disc * ndtr(-d2) - s * ndtr(-d1)


def factor_count(req):
    """Risk factors: one per risky asset, one per risky asset with vol_of_vol > 0."""
    assets = req["market"]["assets"]
    return sum(1 for a in assets if a.get("vol", 0) > 0) + sum(
        1 for a in assets if a.get("vol", 0) > 0 and a.get("vol_of_vol", 0) > 0)


def build(req, eps=None):
    """The cube (rows x S), positions (accounts x rows), ids, k and confidence. `eps` (S x F)
    replaces the independent draws (bench/peers/importance_study.py shifts them)."""
    m, cfg = req["market"], req.get("config", {})
    S = cfg.get("scenarios", 10000)
    h = cfg.get("horizon_days", 1) / 365.0
    conf = cfg.get("confidence", 0.99)
    seed = cfg.get("seed", 1)
    assets = m["assets"]
    ids = [a["id"] for a in assets]
    risky = [i for i, a in enumerate(assets) if a.get("vol", 0) > 0]
    pf = {a: f for f, a in enumerate(risky)}
    volf = {}
    for i, a in enumerate(assets):
        if i in pf and a.get("vol_of_vol", 0) > 0:
            volf[i] = len(risky) + len(volf)
    n = len(assets)
    C = np.eye(n)
    if "correlation" in m:
        idx = [ids.index(x) for x in m["correlation"]["assets"]]
        C[np.ix_(idx, idx)] = np.array(m["correlation"]["matrix"])
    for p in m.get("correlations", []):
        a, b = ids.index(p["a"]), ids.index(p["b"])
        C[a, b] = C[b, a] = p["rho"]
    La = np.linalg.cholesky(C[np.ix_(risky, risky)])
    F = len(risky) + len(volf)
    L = np.zeros((F, F))
    L[: len(risky), : len(risky)] = La
    for a, v in volf.items():
        rho = assets[a].get("spot_vol_corr", 0.0)
        L[v, : len(risky)] = rho * La[pf[a]]
        L[v, v] = math.sqrt(1 - rho * rho)
    rng = np.random.default_rng(seed)
    if eps is None:
        eps = rng.standard_normal((S, F))
    S = eps.shape[0]
    Z = eps @ L.T  # S x F
    shocks = cfg.get("shocks", "normal")
    if isinstance(shocks, dict):
        dof = shocks["student_t"]["dof"]
        Z *= np.sqrt((dof - 2) / rng.chisquare(dof, S))[:, None]

    r = m.get("rate", 0.0)
    asof = ts(m["as_of"])
    price_later = {}
    for a in risky:
        sig = assets[a]["vol"]
        price_later[a] = assets[a]["price"] * np.exp(sig * math.sqrt(h) * Z[:, pf[a]] - 0.5 * sig * sig * h)

    rows, row_of_asset, row_of_ins = [], {}, {}
    for a in risky:
        row_of_asset[a] = len(rows)
        rows.append(price_later[a] - assets[a]["price"])
    ins_by_id = {}
    for ins in req["instruments"]:
        u = ids.index(ins["underlying"])
        ins_by_id[ins["id"]] = (ins, u)
        s0 = assets[u]["price"]
        sh = price_later.get(u, np.full(S, s0))
        if ins["type"] in ("spot", "perpetual", "inverse_perpetual"):
            row_of_ins[ins["id"]] = row_of_asset.get(u, -1)
            continue
        t0 = max(0.0, (ts(ins["expiry"]) - asof) / YEAR)
        th = max(0.0, t0 - h)
        if ins["type"] == "future":
            row = sh * math.exp(r * th) - s0 * math.exp(r * t0)
        else:
            call = ins["right"] == "call"
            iv = ins["iv"]
            ivh = np.full(S, iv)
            if u in volf:
                nu = assets[u]["vol_of_vol"]
                ivh = iv * np.exp(nu * math.sqrt(h) * Z[:, volf[u]] - 0.5 * nu * nu * h)
            row = black_scholes(call, sh, ins["strike"], th, ivh, r) - black_scholes(
                call, s0, ins["strike"], t0, iv, r)
        row_of_ins[ins["id"]] = len(rows)
        rows.append(row)
    cube = np.vstack(rows) if rows else np.zeros((0, S))

    data, cols, indptr, acct_ids = [], [], [0], []
    for acct in req["accounts"]:
        acct_ids.append(acct["id"])
        for p in acct.get("positions", []):
            ins, u = ins_by_id[p["instrument"]]
            w = p["qty"] * ins["contract_size"]
            if ins["type"] == "inverse_perpetual":
                w /= p["entry_price"]
            if row_of_ins[p["instrument"]] >= 0:
                cols.append(row_of_ins[p["instrument"]]); data.append(w)
        for c in acct.get("collateral", []):
            a = ids.index(c["asset"])
            if a in row_of_asset:
                cols.append(row_of_asset[a]); data.append(c["amount"])
        indptr.append(len(cols))
    W = sp.csr_matrix((data, cols, indptr), shape=(len(acct_ids), len(rows)))
    k = max(1, min(S, math.ceil((1 - conf) * S - 1e-9 * max(1.0, (1 - conf) * S))))
    return cube, W, acct_ids, k, conf


CUBE = W = None


def tails(args):
    lo, hi, k, conf = args
    out = []
    for b in range(lo, hi, 2000):
        losses = -(W[b:min(hi, b + 2000)] @ CUBE)  # accounts x S, dense
        S = losses.shape[1]
        top = np.partition(losses, S - k, axis=1)[:, S - k:]
        var = top.min(axis=1)
        es = top.mean(axis=1)
        tv = ((top - es[:, None]) ** 2).mean(axis=1)
        se = np.sqrt((tv + conf * (es - var) ** 2) / k)
        out.append(np.stack([var, es, se], axis=1))
    return np.vstack(out) if out else np.zeros((0, 3))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("request")
    ap.add_argument("--processes", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    req = json.load(open(args.request))
    global CUBE, W
    CUBE, W, ids, k, conf = build(req)
    n = len(ids)
    parts = [(i * n // args.processes, (i + 1) * n // args.processes, k, conf) for i in range(args.processes)]
    with mp.get_context("fork").Pool(args.processes) as pool:
        res = np.vstack(pool.map(tails, parts))
    seconds = time.perf_counter() - t0
    json.dump({"seconds": seconds, "accounts": {i: {"var": float(r[0]), "es": float(r[1]), "es_stderr": float(r[2])}
                                                for i, r in zip(ids, res)}}, sys.stdout)


if __name__ == "__main__":
    main()
