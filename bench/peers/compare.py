#!/usr/bin/python3
"""xmargin against the NumPy/SciPy peer on one request, in one run, alternating the two.

Usage: bench/peers/compare.py [REQUEST] [--rounds N]   (default: bench/out/exchange-S.json, 3)
Times each whole process (JSON reading included for both), ROUNDS times each, alternating,
then compares ES account by account: z = (ES_xmargin - ES_peer) / sqrt(se_x^2 + se_p^2). The
two draw different scenarios (Philox vs PCG64), so agreement is within Monte Carlo error.
Both use both cores: xmargin's OpenMP threads; the peer's two worker processes.
"""
import argparse, json, math, os, statistics, subprocess, sys, tempfile, time

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
ap = argparse.ArgumentParser()
ap.add_argument("request", nargs="?", default=os.path.join(root, "bench/out/exchange-S.json"))
ap.add_argument("--rounds", type=int, default=3)
args = ap.parse_args()
xm = os.path.join(root, "build/xmargin")
if not os.path.exists(args.request):
    subprocess.run([xm, "generate", "exchange-S", "--out", args.request], check=True)

out = tempfile.mkdtemp()
times = {"xmargin": [], "numpy": []}
for r in range(args.rounds):
    t0 = time.perf_counter()
    subprocess.run([xm, "run", args.request, "--out", f"{out}/xm.json"], check=True)
    times["xmargin"].append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    with open(f"{out}/peer.json", "w") as f:
        subprocess.run(["/usr/bin/python3", os.path.join(root, "bench/peers/numpy_peer.py"), args.request], stdout=f, check=True)
    times["numpy"].append(time.perf_counter() - t0)

x = json.load(open(f"{out}/xm.json"))
p = json.load(open(f"{out}/peer.json"))["accounts"]
zs = []
for a in x["accounts"]:
    q = p[a["id"]]
    se = math.hypot(a["es_stderr"], q["es_stderr"])
    if se > 0:
        zs.append((a["es"] - q["es"]) / se)
n = len(zs)
mx, mp = statistics.median(times["xmargin"]), statistics.median(times["numpy"])
print(f"rounds: {args.rounds}, alternating; request: {os.path.basename(args.request)}")
print("| engine | wall (s), each round | median (s) |")
print("| --- | --- | --- |")
for k in ("xmargin", "numpy"):
    print(f"| {k} | {', '.join(f'{t:.2f}' for t in times[k])} | {statistics.median(times[k]):.2f} |")
print(f"speed-up (median NumPy / median xmargin): {mp / mx:.2f}x")
print(f"ES agreement over {n} accounts with risk: |z| < 4 for {sum(abs(z) < 4 for z in zs)} "
      f"({100 * sum(abs(z) < 4 for z in zs) / n:.2f}%), |z| < 3 for {100 * sum(abs(z) < 3 for z in zs) / n:.2f}%; "
      f"mean z {statistics.mean(zs):+.3f}, sd z {statistics.pstdev(zs):.3f}, max |z| {max(map(abs, zs)):.2f}")
