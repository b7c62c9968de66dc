#!/usr/bin/env python3
"""`mpirun -n N xmargin run` against one process (README, "Scale-out"): the response byte for byte
the same for N = 1, 2, 3 (run.elapsed_ms and run.stages_ms aside: they are timings), compact and
--pretty, to --out and to standard output; a rank that fails alone fails the job with its error
envelope, printed once, --out untouched; a killed rank ends the job non-zero without a hang.

    mpi_identity.py --binary build/xmargin --mpirun /usr/bin/mpiexec
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--binary", required=True)
parser.add_argument("--mpirun", required=True)
args = parser.parse_args()
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
env.pop("XM_FAULT", None)
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail[:2000]))
    failures += not ok


def timing_free(data):
    data = re.sub(rb'"elapsed_ms":\s*[-0-9.eE+]+', b'"elapsed_ms":0', data)
    return re.sub(rb'"stages_ms":\s*\{[^}]*\}', b'"stages_ms":{}', data)


def run(cmd, timeout=300):
    return subprocess.run(cmd, env=env, capture_output=True, timeout=timeout)


def mpirun(n, *cmd):
    return [args.mpirun, "-n", str(n), "--oversubscribe", *cmd]


with tempfile.TemporaryDirectory() as tmp:
    def path(name):
        return os.path.join(tmp, name)

    run([args.binary, "generate", "demo", "--accounts", "700", "--scenarios", "2000",
         "--out", path("demo.json")]).check_returncode()
    with open(path("demo.json")) as f:
        request = json.load(f)
    request["accounts"][5]["positions"] = []  # a riskless account
    request["accounts"][6]["positions"] = []
    request["accounts"][6]["collateral"] = []  # and an empty one
    with open(path("demo.json"), "w") as f:
        json.dump(request, f)
    request["config"].update({"compare": ["grid"], "grid_aggregation": "correlation"})
    with open(path("grid.json"), "w") as f:
        json.dump(request, f)

    for req in ("demo.json", "grid.json"):
        for pretty in ([], ["--pretty"]):
            one = run([args.binary, "run", path(req), "--out", path("one.json"), *pretty])
            check(f"one process {req} {pretty}", one.returncode == 0, one.stderr.decode())
            base = timing_free(open(path("one.json"), "rb").read())
            for n in (1, 2, 3):
                r = run(mpirun(n, args.binary, "run", path(req), "--out", path(f"n{n}.json"), *pretty))
                got = timing_free(open(path(f"n{n}.json"), "rb").read()) if r.returncode == 0 else b""
                check(f"mpirun -n {n} {req} {pretty}: identical to one process",
                      r.returncode == 0 and got == base, r.stderr.decode())
    r = run(mpirun(2, args.binary, "run", path("demo.json")))
    one = run([args.binary, "run", path("demo.json")])
    check("mpirun -n 2 to standard output: identical", r.returncode == 0 and
          timing_free(r.stdout) == timing_free(one.stdout), r.stderr.decode())

    # A rank failing alone: its fault, rank 0's envelope, --out untouched.
    with open(path("kept.json"), "w") as f:
        f.write("previous answer\n")
    wrapper = ('if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then export XM_FAULT=cpu.accounts; fi; '
               'exec "$0" "$@"')
    r = run(mpirun(3, "sh", "-c", wrapper, args.binary, "run", path("demo.json"),
                   "--out", path("kept.json")), timeout=120)
    err = r.stderr.decode()
    envelopes = [line for line in err.splitlines() if line.startswith('{"error"')]
    check("one rank's fault fails the job", r.returncode == 1, f"{r.returncode} {err}")
    check("its envelope, printed once, names the rank",
          len(envelopes) == 1 and "injected fault at cpu.accounts" in envelopes[0]
          and "(rank 1)" in envelopes[0], err)
    check("--out untouched", open(path("kept.json")).read() == "previous answer\n")

    # Out of memory on one rank: the job's error is out_of_memory, once.
    oom = ('if [ "$OMPI_COMM_WORLD_RANK" = 2 ]; then export XM_FAULT=cpu.accounts:bad_alloc; fi; '
           'exec "$0" "$@"')
    r = run(mpirun(3, "sh", "-c", oom, args.binary, "run", path("demo.json"),
                   "--out", path("kept.json")), timeout=120)
    err = r.stderr.decode()
    check("one rank out of memory: out_of_memory, once, naming the rank",
          r.returncode == 1 and err.count('{"error"') == 1 and '"out_of_memory"' in err
          and "(rank 2)" in err, f"{r.returncode} {err}")
    check("--out untouched", open(path("kept.json")).read() == "previous answer\n")

    # Bad input: every rank finds it; printed once, exit 2.
    bad = json.loads(json.dumps(request))
    bad["accounts"][400]["positions"][0]["qty"] = "two"
    with open(path("bad.json"), "w") as f:
        json.dump(bad, f)
    r = run(mpirun(2, args.binary, "run", path("bad.json"), "--out", path("kept.json")))
    err = r.stderr.decode()
    check("bad input: exit 2, one envelope naming the field",
          r.returncode == 2 and err.count('{"error"') == 1 and "/accounts/400/positions/0/qty" in err,
          f"{r.returncode} {err}")
    # The backtest: days divided among ranks; report, series and table identical.
    source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(path("bt-config.json"), "w") as f:
        json.dump({"scenarios": 2000, "vol_model": {"ewma": {"lambda": 0.94}}}, f)
    backtest = [args.binary, "backtest", "--prices", os.path.join(source, "data", "prices"),
                "--portfolio", os.path.join(source, "examples", "backtest", "portfolios.json"),
                "--start", "2022-10-01", "--end", "2022-12-31", "--config", path("bt-config.json"),
                "--compare", "grid"]
    for fmt in ("json", "table"):
        one = run(backtest + ["--format", fmt, "--out", path("bt0"), "--series", path("s0.csv")])
        check(f"backtest, one process ({fmt})", one.returncode == 0, one.stderr.decode())
        for n in (1, 2, 3):
            r = run(mpirun(n, *backtest, "--format", fmt, "--out", path(f"bt{n}"),
                           "--series", path(f"s{n}.csv")))
            same = (r.returncode == 0 and
                    open(path(f"bt{n}"), "rb").read() == open(path("bt0"), "rb").read() and
                    open(path(f"s{n}.csv"), "rb").read() == open(path("s0.csv"), "rb").read())
            check(f"mpirun -n {n} backtest ({fmt}): report and series identical", same, r.stderr.decode())
    wrapper_bt = ('if [ "$OMPI_COMM_WORLD_RANK" = 2 ]; then export XM_FAULT=backtest.days; fi; '
                  'exec "$0" "$@"')
    r = run(mpirun(3, "sh", "-c", wrapper_bt, *backtest, "--out", path("kept.json")))
    err = r.stderr.decode()
    check("backtest: a rank's failing day fails the job, reported once naming the rank",
          r.returncode == 1 and err.count('{"error"') == 1 and "(rank 2)" in err, err)
    check("--out untouched", open(path("kept.json")).read() == "previous answer\n")

    # The simulation: Monte Carlo paths divided among ranks (with a circuit breaker: two sets of
    # paths), a stress path on rank 0; the result identical.
    sim = json.loads(json.dumps(request))
    for i, a in enumerate(sim["accounts"]):  # thin margins, some none: liquidations, deficits, ADL
        for c in a.get("collateral", []):
            c["amount"] *= 0.0 if i % 5 == 0 else 0.3
    sim["clearing"] = {"paths": 150, "steps": 12, "insurance_fund": 0, "loss_allocation": "adl",
                       "liquidation": {"impact": {"coefficient": 0}},
                       "circuit_breaker": {"move": 0.08},
                       "stress_paths": [{"name": "crash", "returns": {"BTC": [-0.25], "ETH": [-0.3]}}]}
    with open(path("sim.json"), "w") as f:
        json.dump(sim, f)
    one = run([args.binary, "simulate", path("sim.json"), "--out", path("sim0.json")])
    check("simulate, one process", one.returncode == 0, one.stderr.decode())
    answer = json.load(open(path("sim0.json"))) if one.returncode == 0 else {}
    mc = answer.get("simulation", {}).get("monte_carlo", {})
    check("the simulation liquidates and deleverages (every tally field travels)",
          mc.get("liquidations", {}).get("count", {}).get("mean", 0) > 0 and
          mc.get("adl", {}).get("probability", 0) > 0, json.dumps(mc)[:800])
    for n in (1, 2, 3):
        r = run(mpirun(n, args.binary, "simulate", path("sim.json"), "--out", path(f"sim{n}.json")))
        same = r.returncode == 0 and timing_free(open(path(f"sim{n}.json"), "rb").read()) == \
            timing_free(open(path("sim0.json"), "rb").read())
        check(f"mpirun -n {n} simulate: identical to one process", same, r.stderr.decode())

    r = run(mpirun(2, args.binary, "generate", "demo", "--out", path("g.json")))
    check("commands not yet distributed: a usage error, once",
          r.returncode == 2 and r.stderr.decode().count('{"error"') == 1, r.stderr.decode())

    # A rank killed mid-run (SIGKILL at its first account): the job ends non-zero, no hang,
    # --out untouched.
    killer = ('if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then export XM_FAULT=cpu.accounts:kill; fi; '
              'exec "$0" "$@"')
    try:
        r = run(mpirun(3, "sh", "-c", killer, args.binary, "run", path("demo.json"),
                       "--out", path("kept.json")), timeout=120)
        check("a killed rank fails the job", r.returncode != 0, str(r.returncode))
    except subprocess.TimeoutExpired:
        check("a killed rank fails the job without a hang", False, "timed out after 120 s")
    check("--out untouched after the kill", open(path("kept.json")).read() == "previous answer\n")

print(f"{failures} failures")
sys.exit(1 if failures else 0)
