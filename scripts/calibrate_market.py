#!/usr/bin/env python3
"""Estimates the built-in example market from the real daily prices in data/.

Prints the C++ table used by host/synthetic/MarketData.cpp: each asset's close on the as-of date, its
annualised volatility (sqrt(365) x the standard deviation of daily log returns over the
trailing window) and the correlation matrix of those returns over days where every asset
traded; for BTC and ETH also vol-of-vol and spot-vol correlation from Deribit's DVOL index
(standard deviation of daily log changes of DVOL, annualised, and their correlation with the
asset's log returns). Pure Python: run it as `python3 scripts/calibrate_market.py`.
"""
import csv, math, os, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
AS_OF = "2023-12-31"
WINDOW = 365
ASSETS = ["BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "AVAX", "DOT", "LINK", "LTC",
          "MATIC", "USDT", "USDC"]

def closes(asset):
    with open(os.path.join(ROOT, "prices", f"{asset}-USD_1d.csv")) as f:
        return {r["Date"]: float(r["Close"]) for r in csv.DictReader(f)}

def adv30(asset):
    with open(os.path.join(ROOT, "prices", f"{asset}-USD_1d.csv")) as f:
        v = [float(r["Volume"]) for r in csv.DictReader(f) if r["Date"] <= AS_OF and r.get("Volume")]
    return sum(v[-30:]) / len(v[-30:])

def dvol(asset):
    with open(os.path.join(ROOT, "implied_vol", f"{asset}-DVOL_1d.csv")) as f:
        return {r["date"]: float(r["close"]) for r in csv.DictReader(f)}

def returns(series, dates):
    return [math.log(series[b] / series[a]) for a, b in zip(dates, dates[1:])]

def std(x):
    m = sum(x) / len(x)
    return math.sqrt(sum((v - m) ** 2 for v in x) / (len(x) - 1))

def corr(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    return sxy / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))

data = {a: closes(a) for a in ASSETS}
common = sorted(set.intersection(*(set(d) for d in data.values())))
dates = [d for d in common if d <= AS_OF][-(WINDOW + 1):]
rets = {a: returns(data[a], dates) for a in ASSETS}
print(f"// {len(dates) - 1} daily returns from {dates[0]} to {dates[-1]}")
for a in ASSETS:
    extra = ""
    if a in ("BTC", "ETH"):
        iv = dvol(a)
        d2 = [d for d in dates if d in iv]
        ivr = returns(iv, d2)
        sr = returns(data[a], d2)
        extra = f", {std(ivr) * math.sqrt(365):.4f}, {corr(sr, ivr):.4f}, {iv[d2[-1]] / 100:.4f}"
    else:
        extra = ", 0.0, 0.0, 0.0"
    print(f'    {{"{a}", {data[a][AS_OF]:.6g}, {std(rets[a]) * math.sqrt(365):.4f}{extra}, {adv30(a):.4g}}},')
print("// correlations")
for a in ASSETS:
    print("    {" + ", ".join(f"{corr(rets[a], rets[b]):.4f}" for b in ASSETS) + "},")
