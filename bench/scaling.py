#!/usr/bin/python3
"""Scaling of `xmargin run`: wall time and peak memory as accounts, scenarios, positions per
account and threads grow, on exchange-S's market (20 assets, 200 instruments). Writes
bench/out/scaling.json, bench/scaling.png, and prints the tables for bench/RESULTS.md.

Each point is the best of two runs. Peak RSS includes the request file's pages, which xmargin
maps read-only (clean page cache the kernel can drop), and the compact parsed request.

Usage: bench/scaling.py [--max-accounts 1000000] (needs build/xmargin and Debian's
python3-matplotlib; about 6 minutes at the default sizes on 2 cores).
"""
import argparse, json, os, subprocess, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
xm = os.path.join(root, "build/xmargin")
out = os.path.join(root, "bench/out/scaling")
os.makedirs(out, exist_ok=True)
ap = argparse.ArgumentParser()
ap.add_argument("--max-accounts", type=int, default=1_000_000)
args = ap.parse_args()


def request(accounts, scenarios, positions=8):
    path = f"{out}/req-a{accounts}-s{scenarios}-p{positions}.json"
    if not os.path.exists(path):
        subprocess.run([xm, "generate", "exchange-S", "--accounts", str(accounts), "--scenarios", str(scenarios),
                        "--positions", str(positions), "--out", path], check=True, stderr=subprocess.DEVNULL)
    return path


def measure(path, threads=None, batch=None, runs=2):
    """Best wall time of `runs` runs, after a sync (a large file just written is still being
    flushed, which would slow the first run)."""
    cmd = ["/usr/bin/time", "-f", "%e %M", xm, "run", path, "--out", f"{out}/resp.json"]
    if threads:
        cmd += ["--threads", str(threads)]
    if batch:
        cmd += ["--batch-accounts", str(batch)]
    subprocess.run(["sync"], check=True)
    best = None
    for _ in range(runs):
        p = subprocess.run(cmd, capture_output=True, text=True, check=True)
        wall, rss = p.stderr.strip().splitlines()[-1].split()
        run = json.load(open(f"{out}/resp.json"))["run"]
        r = {"wall_s": float(wall), "peak_rss_mib": int(rss) / 1024, "engine_ms": run["elapsed_ms"],
             "stages_ms": run["stages_ms"], "request_mib": os.path.getsize(path) / 2**20}
        if best is None or r["wall_s"] < best["wall_s"]:
            best = r
    return best


results = {"accounts": [], "scenarios": [], "positions": [], "threads": [], "batches": []}
accounts = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.max_accounts]
for n in accounts:
    r = measure(request(n, 1000)); r["accounts"] = n; results["accounts"].append(r); print("accounts", n, r, flush=True)
for s in (1_000, 10_000, 100_000):
    r = measure(request(1000, s)); r["scenarios"] = s; results["scenarios"].append(r); print("scenarios", s, r, flush=True)
for p in (2, 8, 32):
    r = measure(request(10_000, 10_000, p)); r["positions"] = p; results["positions"].append(r); print("positions", p, r, flush=True)
for t in (1, 2):
    r = measure(request(10_000, 10_000), threads=t); r["threads"] = t; results["threads"].append(r); print("threads", t, r, flush=True)
big = max(a for a in accounts if a <= 100_000)
for b in (1_000, 65_536):
    r = measure(request(big, 1000), batch=b); r["batch"] = b; r["accounts"] = big; results["batches"].append(r); print("batch", b, r, flush=True)
json.dump(results, open(os.path.join(root, "bench/out/scaling.json"), "w"), indent=1)

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

fig, ax = plt.subplots(2, 2, figsize=(11, 8))
def panel(a, rows, key, title, xlabel):
    xs = [r[key] for r in rows]
    a.loglog(xs, [r["wall_s"] for r in rows], "o-", label="wall (s)")
    a.loglog(xs, [r["engine_ms"] / 1000 for r in rows], "s--", label="engine (s)")
    a.set_xlabel(xlabel); a.set_ylabel("seconds"); a.set_title(title); a.grid(True, which="both", alpha=0.3)
    b = a.twinx(); b.loglog(xs, [r["peak_rss_mib"] for r in rows], "^:", color="tab:red", label="peak RSS (MiB)")
    b.set_ylabel("peak RSS (MiB)", color="tab:red")
    a.legend(loc="upper left", fontsize=8)
panel(ax[0][0], results["accounts"], "accounts", "Accounts (1,000 scenarios)", "accounts")
panel(ax[0][1], results["scenarios"], "scenarios", "Scenarios (1,000 accounts)", "scenarios")
panel(ax[1][0], results["positions"], "positions", "Positions per account (10,000 x 10,000)", "mean positions per account")
t = results["threads"]
ax[1][1].bar([str(r["threads"]) for r in t], [r["wall_s"] for r in t], label="wall (s)")
ax[1][1].bar([str(r["threads"]) for r in t], [r["engine_ms"] / 1000 for r in t], width=0.4, label="engine (s)")
ax[1][1].set_xlabel("threads"); ax[1][1].set_title("Threads (exchange-S, 10,000 x 10,000)"); ax[1][1].legend()
fig.suptitle("xmargin run on exchange-S's market, 2-core machine")
fig.tight_layout()
fig.savefig(os.path.join(root, "bench/scaling.png"), dpi=110)

def table(rows, key, label):
    print(f"\n| {label} | request (MiB) | wall (s) | engine (ms) | peak RSS (MiB) |\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r[key]:,} | {r['request_mib']:.1f} | {r['wall_s']:.2f} | {r['engine_ms']:.0f} | {r['peak_rss_mib']:.0f} |")
table(results["accounts"], "accounts", "accounts (1,000 scenarios)")
table(results["scenarios"], "scenarios", "scenarios (1,000 accounts)")
table(results["positions"], "positions", "positions per account (10,000 accounts, 10,000 scenarios)")
table(results["threads"], "threads", "threads (exchange-S)")
table(results["batches"], "batch", f"--batch-accounts ({big:,} accounts, 1,000 scenarios)")
