#!/usr/bin/env python3
"""Progress on standard error (issue 19): `run`, `simulate`, `backtest` and `generate` rewrite one
line on a terminal (a real pseudo-terminal here), print nothing into a pipe or with --quiet, and
write one JSON object per line with --progress json.
    progress_check.py --binary build/xmargin --source ."""
import argparse, json, os, pty, select, subprocess, sys, tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--binary", required=True)
ap.add_argument("--source", required=True)
args = ap.parse_args()
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    failed += 0 if ok else 1


def on_terminal(argv):
    """Runs argv with standard error on a pseudo-terminal; returns (status, what it wrote there)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=120), out.decode("utf-8", "replace")


def piped(argv):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=300)
    return p.returncode, p.stderr.decode("utf-8", "replace")


work = tempfile.mkdtemp()
x, src = args.binary, args.source
request = f"{work}/request.json"
subprocess.run([x, "generate", "demo", "--accounts", "3000", "--scenarios", "2000", "--out", request,
                "--quiet"], check=True)
req = json.load(open(request))
for a in req["market"]["assets"]:
    if a["id"] != "USD":
        a.setdefault("daily_volume", 2e8)
req["clearing"] = {"paths": 256, "steps": 4, "step_hours": 6, "insurance_fund": 1e6}
json.dump(req, open(f"{work}/simulate.json", "w"))

jobs = {
    "run": ([x, "run", request, "--out", f"{work}/r.json", "--batch-accounts", "256"], ["accounts"], 3000),
    "simulate": ([x, "simulate", f"{work}/simulate.json", "--out", f"{work}/s.json"], ["accounts", "paths"], 256),
    "backtest": ([x, "backtest", "--prices", f"{src}/data/prices", "--portfolio",
                  f"{src}/examples/backtest/portfolios.json", "--start", "2023-03-01", "--end", "2023-04-30",
                  "--out", f"{work}/b.json"], ["days"], None),
    "generate": ([x, "generate", "demo", "--accounts", "5000", "--out", f"{work}/g.json"], ["accounts"], 5000),
}
for name, (argv, units, total) in jobs.items():
    status, tty = on_terminal(argv)
    check(f"{name} on a terminal: exit 0", status == 0, tty[-300:])
    check(f"{name} on a terminal: rewrites one line", "\r\x1b[K" in tty, repr(tty[-200:]))
    last = tty.split("\r\x1b[K")[-1]
    check(f"{name} on a terminal: ends at 100% with its time", "(100%)" in last and "done in" in last,
          repr(last))
    for unit in units:
        check(f"{name} on a terminal: counts {unit}", f" {unit} (" in tty, repr(tty[-200:]))
    if total is not None:
        check(f"{name} on a terminal: the total", f"/ {total:,} {units[-1]}" in tty, repr(last))

    status, quiet = on_terminal(argv + ["--quiet"])
    check(f"{name} --quiet on a terminal: no progress", status == 0 and "\x1b[K" not in quiet and "%)" not in quiet,
          repr(quiet[-200:]))
    status, pipe = piped(argv)
    check(f"{name} into a pipe: no progress", status == 0 and "\x1b[K" not in pipe and "%)" not in pipe,
          repr(pipe[-200:]))

    status, text = piped(argv + ["--progress", "json"])
    lines = [l for l in text.splitlines() if l.startswith("{")]
    try:
        objs = [json.loads(l) for l in lines]
    except ValueError as e:
        objs = []
        check(f"{name} --progress json: every line is JSON", False, str(e))
    check(f"{name} --progress json: lines", status == 0 and len(objs) >= len(units), text[-300:])
    for unit in units:
        mine = [o for o in objs if o.get("unit") == unit]
        ok = bool(mine) and mine[-1]["finished"] and mine[-1]["done"] == mine[-1]["total"]
        check(f"{name} --progress json: {unit} finish", ok, repr(mine[-1:]))
        dones = [o["done"] for o in mine]
        check(f"{name} --progress json: {unit} never goes back", dones == sorted(dones), repr(dones))
        if mine:
            keys = {"command", "unit", "done", "total", "elapsed_s", "rate_per_s", "eta_s", "finished"}
            check(f"{name} --progress json: fields", set(mine[-1]) == keys and mine[-1]["command"] == name,
                  repr(mine[-1]))
        if unit == units[-1] and total is not None and mine:
            check(f"{name} --progress json: total {total}", mine[-1]["total"] == total, repr(mine[-1]))

status, err = piped(jobs["run"][0] + ["--progress", "bar"])
check("--progress bar: usage error naming the choices", status == 2 and "auto, tty, json or off" in err, err)
status, err = piped(jobs["run"][0] + ["--progress", "json", "--quiet"])
check("--quiet with --progress: usage error", status == 2 and "give one" in err, err)
print(f"{'FAILED' if failed else 'passed'}: {failed} failures")
sys.exit(1 if failed else 0)
