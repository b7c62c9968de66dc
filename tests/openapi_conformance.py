#!/usr/bin/python3
"""Checks that real answers of `xmargin serve` match api/openapi.yaml.

Starts the real binary on an ephemeral loopback port, sends a request for every documented
route and every documented status it can provoke, and validates each answer's content type and
body against the schema the spec gives for that path, method and status (JSON Schema 2020-12,
as OpenAPI 3.1 uses). Also validates the contract's example request against MarginRequest and
checks that every documented path and status was exercised. Needs Debian's python3-yaml and
python3-jsonschema (scripts/setup.sh installs them). Ends with 'N passed, M failed'.
"""
import argparse, http.client, json, os, signal, socket, subprocess, sys, tempfile

import jsonschema
import yaml

ap = argparse.ArgumentParser()
ap.add_argument("--binary", required=True)
ap.add_argument("--source", required=True)
args = ap.parse_args()

spec = yaml.safe_load(open(os.path.join(args.source, "api/openapi.yaml")))
example = json.load(open(os.path.join(args.source, "examples/contract-request.json")))
passed, failed, exercised = 0, 0, set()


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def deref(node):
    """Follows a local $ref (#/a/b) in the spec."""
    while isinstance(node, dict) and set(node) == {"$ref"}:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def validator(schema):
    # Validate against the whole spec so that $ref's to #/components/... resolve.
    root = dict(spec)
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    resolver = jsonschema.RefResolver.from_schema(root)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def validate(name, schema, instance):
    errors = sorted(validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    check(name, not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:3]))


def expect(name, method, path, status, body=None, headers=None):
    headers = dict(headers or {})
    if body is not None and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=headers)
    res = conn.getresponse()
    raw = res.read()
    conn.close()
    return conform(name, method, path, status, res, raw)


def expect_raw(name, method, path, status, data, pause=0):
    """Sends exact bytes (framing http.client will not produce) and checks the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(data)
    res = http.client.HTTPResponse(sock, method=method)
    res.begin()
    raw = res.read()
    sock.close()
    return conform(name, method, path, status, res, raw)


def template_of(path):
    """The spec's path for a concrete one: /v1/snapshots/abc -> /v1/snapshots/{id}."""
    path = path.split("?")[0]
    for template in spec["paths"]:
        a, b = template.split("/"), path.split("/")
        if len(a) == len(b) and all(x == y or (x.startswith("{") and y) for x, y in zip(a, b)):
            return template
    return path


def conform(name, method, path, status, res, raw):
    check(f"{name}: status", res.status == status, f"got {res.status}, expected {status}: {raw[:200]!r}")
    path = template_of(path)
    op = spec["paths"].get(path, {}).get(method.lower())
    responses = op["responses"] if op else {}
    documented = responses.get(str(res.status))
    if res.status == 405 and op is None:
        # A method the path does not have: the spec documents it once, as components/responses/
        # MethodNotAllowed, since OpenAPI has no per-path responses.
        documented = spec["components"]["responses"]["MethodNotAllowed"]
        exercised.add((path, "405"))
    if documented is None:
        check(f"{name}: status {res.status} documented for {method} {path}", path not in spec["paths"],
              "not in the spec")
        return res, raw
    exercised.add((path, method.lower(), str(res.status)))
    documented = deref(documented)
    ctype = res.getheader("Content-Type", "").split(";")[0]
    content = documented.get("content", {})
    check(f"{name}: content type {ctype}", ctype in content, f"spec has {list(content)}")
    for header, h in documented.get("headers", {}).items():
        value = res.getheader(header)
        check(f"{name}: header {header}", value is not None, "missing")
        if value is not None:
            validate(f"{name}: header {header}", h["schema"], value)
    if ctype == "application/json" and ctype in content:
        validate(f"{name}: body", content[ctype]["schema"], json.loads(raw))
    return res, raw


def start(extra_args, env=None):
    proc = subprocess.Popen([args.binary, "serve", "--port", "0", *extra_args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    line = proc.stdout.readline()
    return proc, int(line.strip().rsplit(":", 1)[1].split()[0].rstrip(")"))


def stop(proc, name):
    proc.send_signal(signal.SIGTERM)
    check(f"{name}: exits 0 on SIGTERM", proc.wait(timeout=60) == 0)


# The request side of the contract.
validate("example request matches MarginRequest", {"$ref": "#/components/schemas/MarginRequest"}, example)

proc, port = start(["--max-body-bytes", "200000", "--max-scenarios", "100000", "--max-work", "50000",
                    "--snapshot-memory", "1048576", "--report"])
try:
    expect("report before any run", "GET", "/v1/report", 404)
    expect("margin", "POST", "/v1/margin", 200, example)
    student = json.loads(json.dumps(example))
    student["config"]["shocks"] = {"student_t": {"dof": 4}}
    student["config"]["correlation_repair"] = "nearest"
    expect("margin, student-t", "POST", "/v1/margin", 200, student)
    # Variance reduction (docs/sampling.md): the method and its replications reported in run.
    for sampling, extra in (("antithetic", {}), ("sobol", {"replications": 8})):
        sampled = json.loads(json.dumps(example))
        sampled["config"].update({"sampling": sampling, **extra})
        validate(f"{sampling} request matches MarginRequest", {"$ref": "#/components/schemas/MarginRequest"}, sampled)
        _, raw = expect(f"margin, {sampling}", "POST", "/v1/margin", 200, sampled)
        check(f"{sampling} reported", json.loads(raw)["run"]["sampling"] == sampling, raw[-300:])
    ewma = json.loads(json.dumps(example))
    ewma["market"]["history"] = {"BTC": [{"date": f"2026-11-{d:02d}", "close": 90000 + 500 * (d % 3)} for d in range(1, 24)]}
    ewma["config"]["vol_model"] = {"ewma": {"lambda": 0.94}}
    validate("EWMA request matches MarginRequest", {"$ref": "#/components/schemas/MarginRequest"}, ewma)
    _, raw = expect("margin, ewma", "POST", "/v1/margin", 200, ewma)
    check("ewma estimates reported", json.loads(raw)["run"]["ewma"]["estimates"]["BTC"]["days"] == 22, raw[-300:])
    apc = json.loads(json.dumps(ewma))
    for d, day in enumerate(apc["market"]["history"]["BTC"]):
        day["volume"] = 1e9 + d
        day["iv"] = 0.5 + 0.02 * (d % 4)
    apc["market"]["assets"][2]["daily_volume"] = 5e8
    apc["config"]["anti_procyclicality"] = {"floor": True, "stress_weight": 0.2, "buffer": 0.25,
                                            "lookback_days": 1000, "stress_window_days": 10}
    apc["config"]["add_ons"] = {"liquidity": {"coefficient": 1.0, "adv_days": 10}, "minimum_rate": 0.01}
    validate("APC and add-ons request matches MarginRequest", {"$ref": "#/components/schemas/MarginRequest"}, apc)
    _, raw = expect("margin, anti-procyclicality and add-ons", "POST", "/v1/margin", 200, apc)
    answer = json.loads(raw)
    check("anti-procyclicality reported", "BTC" in answer["run"]["anti_procyclicality"]["assets"], raw[-600:])
    check("add-ons per account", answer["accounts"][0]["add_ons"]["liquidity"] > 0, raw[:600])
    check("implied-vol dynamics estimated", answer["run"]["ewma"]["estimates"]["BTC"]["iv_days"] == 22, raw[-900:])
    # The venues' methods (contract §11): grid setting the margin, ES and flat beside it.
    methods = json.loads(json.dumps(example))
    methods["config"].update({
        "method": "grid", "compare": ["es", "flat"], "grid_aggregation": "correlation",
        "grid": {"*": {"range": 0.12, "points": 7, "extreme": {"multiple": 3, "fraction": 0.35}},
                 "BTC": {"range": 0.16, "vol_shift": {"mode": "absolute", "up": 0.1, "down": 0.1,
                                                      "scale_by_expiry": False}}},
        "flat": {i["id"]: ({"tiers": [{"notional_up_to": 1e5, "imf": 0.05, "mmf": 0.03},
                                      {"imf": 0.1, "mmf": 0.05}]} if i["type"] == "perpetual"
                           else {"imf": 0.1, "mmf": 0.05})
                 for i in methods["instruments"] if i["type"] != "spot"}})
    validate("methods request matches MarginRequest", {"$ref": "#/components/schemas/MarginRequest"}, methods)
    _, raw = expect("margin, grid with es and flat compared", "POST", "/v1/margin", 200, methods)
    answer = json.loads(raw)
    first = answer["accounts"][0]
    check("grid sets the margin", first["initial_margin"] == first["grid"]["loss"] + first["grid"]["contingency"], raw[:800])
    check("es and flat compared", set(first["compare"]) == {"es", "flat"} and "compare" in answer["totals"], raw[:800])
    check("run echoes the method", answer["run"]["method"] == "grid" and answer["run"]["compare"] == ["es", "flat"], raw[-800:])
    check("liquidation prices reported", all("liquidation_price" in p for p in first["positions"]), raw[:800])
    unused = json.loads(json.dumps(example))
    unused["config"]["grid"] = {}
    _, raw = expect("grid given, method es", "POST", "/v1/margin", 400, unused)
    check("an unused grid names /config/grid", json.loads(raw)["error"]["path"] == "/config/grid", raw)
    bad = json.loads(json.dumps(example))
    bad["accounts"][0]["positions"][0]["qty"] = "two"
    _, raw = expect("bad input", "POST", "/v1/margin", 400, bad)
    check("bad input names the field", json.loads(raw)["error"]["path"] == "/accounts/0/positions/0/qty", raw)
    expect("malformed", "POST", "/v1/margin", 400, b"{\"market\": ")
    expect("wrong method", "GET", "/v1/margin", 405)
    expect("too large", "POST", "/v1/margin", 413, b" " * 300000)
    expect("wrong content type", "POST", "/v1/margin", 415, b"x", {"Content-Type": "text/csv"})
    expect_raw("no length", "POST", "/v1/margin", 411, b"POST /v1/margin HTTP/1.1\r\nHost: t\r\n\r\n")
    expect_raw("unknown transfer coding", "POST", "/v1/margin", 501,
               b"POST /v1/margin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n")
    expect_raw("head too large", "POST", "/v1/margin", 431,
               b"POST /v1/margin HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
    chunks = json.dumps(example).encode()
    expect_raw("chunked body", "POST", "/v1/margin", 200,
               b"POST /v1/margin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
               b"".join(b"%x\r\n%s\r\n" % (len(chunks[i:i + 100]), chunks[i:i + 100]) for i in range(0, len(chunks), 100)) +
               b"0\r\n\r\n")
    big = json.loads(json.dumps(example))
    big["config"]["scenarios"] = 60000  # 1 account x 60,000 > --max-work 50,000
    _, raw = expect("work over the limit", "POST", "/v1/margin", 413, big)
    check("work limit named", "50000" in json.loads(raw)["error"]["message"], raw)
    sim = json.loads(json.dumps(example))
    for a in sim["market"]["assets"]:
        a["daily_volume"] = 1e9
    sim["clearing"] = {"paths": 20, "steps": 4, "insurance_fund": 1e4,
                       "circuit_breaker": {"move": 0.1},
                       "stress_paths": [{"name": "crash", "returns": {"BTC": [-0.3], "ETH": [-0.35]}}]}
    expect("simulate", "POST", "/v1/simulate", 200, sim)
    bad_sim = json.loads(json.dumps(sim))
    bad_sim["clearing"]["loss_allocation"] = "bail-in"
    _, raw = expect("simulate, bad clearing", "POST", "/v1/simulate", 400, bad_sim)
    check("simulate error names the field", json.loads(raw)["error"]["path"] == "/clearing/loss_allocation", raw)
    expect("simulate, msgpack", "POST", "/v1/simulate", 415, b"\x80", {"Content-Type": "application/msgpack"})
    expect("simulate, wrong method", "GET", "/v1/simulate", 405)
    expect("info", "GET", "/v1/info", 200)
    expect("info, wrong method", "POST", "/v1/info", 405, b"{}")
    expect("healthz", "GET", "/healthz", 200)
    expect("healthz, wrong method", "POST", "/healthz", 405, b"{}")
    expect("readyz", "GET", "/readyz", 200)
    expect("readyz, wrong method", "DELETE", "/readyz", 405)
    res, raw = expect("metrics", "GET", "/metrics", 200)
    text = raw.decode()
    for family in ["xmargin_http_requests_total", "xmargin_http_request_duration_seconds_bucket",
                   "xmargin_accounts_computed_total", "xmargin_scenario_accounts_computed_total",
                   "xmargin_backend_info"]:
        check(f"metrics has {family}", family in text)
    expect("metrics, wrong method", "POST", "/metrics", 405, b"{}")
    _, raw = expect("unknown route", "GET", "/v2/nothing", 404)
    validate("unknown route body", {"$ref": "#/components/schemas/Error"}, json.loads(raw))

    # The intraday routes (contract §10).
    definition = {k: example[k] for k in ("market", "instruments", "config")}
    expect("snapshot, created", "PUT", "/v1/snapshots/mkt", 201, definition)
    expect("snapshot, replaced", "PUT", "/v1/snapshots/mkt", 200, definition)
    _, raw = expect("snapshot, with accounts", "PUT", "/v1/snapshots/bad", 400, example)
    check("snapshot with accounts names /accounts", json.loads(raw)["error"]["path"] == "/accounts")
    huge = json.loads(json.dumps(definition))
    huge["config"]["scenarios"] = 100000
    expect("snapshot over --snapshot-memory", "PUT", "/v1/snapshots/huge", 413, huge)
    expect("snapshot, msgpack", "PUT", "/v1/snapshots/mkt", 415, b"\x80", {"Content-Type": "application/msgpack"})
    expect("snapshot, get", "GET", "/v1/snapshots/mkt", 200)
    _, raw = expect("snapshot, unknown", "GET", "/v1/snapshots/nope", 404)
    check("unknown snapshot is not_found", json.loads(raw)["error"]["code"] == "not_found")
    expect("snapshot, wrong method", "POST", "/v1/snapshots/mkt", 405, b"{}")
    res, raw = expect("snapshots", "GET", "/v1/snapshots", 200)
    check("snapshots lists mkt", [x["id"] for x in json.loads(raw)["snapshots"]] == ["mkt"])
    expect("snapshots, wrong method", "POST", "/v1/snapshots", 405, b"{}")
    on = {"snapshot": "mkt", "accounts": example["accounts"]}
    _, full = expect("margin, full", "POST", "/v1/margin", 200, example)
    _, mine = expect("margin on a snapshot", "POST", "/v1/margin", 200, on)
    check("margin on a snapshot equals the full request's accounts",
          json.loads(full)["accounts"] == json.loads(mine)["accounts"])
    expect("margin on an unknown snapshot", "POST", "/v1/margin", 404, {"snapshot": "nope", "accounts": []})
    acct = example["accounts"][0]
    trade = {"instrument": example["instruments"][0]["id"], "qty": 1, "price": 90000}
    _, raw = expect("whatif", "POST", "/v1/whatif", 200, {"snapshot": "mkt", "account": acct, "trades": [trade]})
    check("whatif before equals the full request's account",
          json.loads(raw)["before"] == json.loads(full)["accounts"][0])
    expect("whatif, bad trade", "POST", "/v1/whatif", 400,
           {"snapshot": "mkt", "account": acct, "trades": [dict(trade, qty=0)]})
    expect("whatif, unknown snapshot", "POST", "/v1/whatif", 404, {"snapshot": "nope", "account": acct, "trades": []})
    expect("whatif, msgpack", "POST", "/v1/whatif", 415, b"\x80", {"Content-Type": "application/msgpack"})
    expect("whatif, wrong method", "GET", "/v1/whatif", 405)
    neutral = dict(on, neutralize={"target_coverage": 1.2, "fee_rate": 0.0005})
    expect("neutralize on a snapshot", "POST", "/v1/neutralize", 200, neutral)
    expect("neutralize, full", "POST", "/v1/neutralize", 200, example)
    expect("neutralize, bad setting", "POST", "/v1/neutralize", 400, dict(on, neutralize={"step": 2}))
    expect("neutralize, unknown snapshot", "POST", "/v1/neutralize", 404, dict(on, snapshot="nope"))
    expect("neutralize, msgpack", "POST", "/v1/neutralize", 415, b"\x80", {"Content-Type": "application/msgpack"})
    expect("neutralize, wrong method", "GET", "/v1/neutralize", 405)
    btc = example["market"]["assets"][1]
    _, raw = expect("marks", "POST", "/v1/snapshots/mkt/marks", 200,
                    {"prices": {btc["id"]: btc["price"] * 0.97}})
    check("marks derive generation 1", json.loads(raw)["generation"] == 1)
    moved = json.loads(json.dumps(example))
    moved["market"]["assets"][1]["price"] = btc["price"] * 0.97
    _, full2 = expect("margin at the new marks, full", "POST", "/v1/margin", 200, moved)
    _, mine2 = expect("margin on the marked snapshot", "POST", "/v1/margin", 200, on)
    check("marks equal a full request at the new marks",
          json.loads(full2)["accounts"] == json.loads(mine2)["accounts"])
    expect("marks, unknown asset", "POST", "/v1/snapshots/mkt/marks", 400, {"prices": {"DOGE": 1}})
    expect("marks, unknown snapshot", "POST", "/v1/snapshots/nope/marks", 404, {"prices": {btc["id"]: 1}})
    expect("marks, msgpack", "POST", "/v1/snapshots/mkt/marks", 415, b"\x80", {"Content-Type": "application/msgpack"})
    expect("marks, wrong method", "GET", "/v1/snapshots/mkt/marks", 405)
    res, raw = expect("report of the latest run", "GET", "/v1/report", 200)
    check("the latest report is a page", raw.startswith(b"<!DOCTYPE html>") and b"data-chart" in raw)
    _, response = expect("margin for a report", "POST", "/v1/margin", 200, example)
    res, raw = expect("report of posted documents", "POST", "/v1/report", 200,
                      {"response": json.loads(response), "request": example, "title": "conformance"})
    check("the posted report has its title", b"<title>conformance" in raw)
    expect("report, bad document", "POST", "/v1/report", 400, {"response": {"accounts": 1}})
    expect("report, msgpack", "POST", "/v1/report", 415, b"\x80", {"Content-Type": "application/msgpack"})
    expect("report, wrong method", "DELETE", "/v1/report", 405)
    expect("snapshot, delete", "DELETE", "/v1/snapshots/mkt", 200)
    expect("snapshot, delete again", "DELETE", "/v1/snapshots/mkt", 404)
    expect("margin on a dropped snapshot", "POST", "/v1/margin", 404, on)
finally:
    stop(proc, "open server")

with tempfile.NamedTemporaryFile("w", suffix=".token", delete=False) as f:
    f.write("conformance-token\n")
proc, port = start(["--token-file", f.name, "--timeout-ms", "100", "--workers", "1"])
try:
    expect("margin without token", "POST", "/v1/margin", 401, example)
    expect("info without token", "GET", "/v1/info", 401)
    expect("healthz without token", "GET", "/healthz", 200)
    auth = {"Authorization": "Bearer conformance-token"}
    expect("info with token", "GET", "/v1/info", 200, headers=auth)
    slow = json.loads(json.dumps(example))
    slow["config"]["scenarios"] = 1000000  # seconds of work against a 100 ms limit
    expect("past the time limit", "POST", "/v1/margin", 503, slow, auth)
    slow_sim = json.loads(json.dumps(slow))
    slow_sim["config"]["scenarios"] = 10000
    slow_sim["clearing"] = {"paths": 200000, "steps": 100, "liquidation": {"impact": {"coefficient": 0}}}
    expect("simulate without token", "POST", "/v1/simulate", 401, slow_sim)
    expect("simulate past the time limit", "POST", "/v1/simulate", 503, slow_sim, auth)
    slow_def = json.loads(json.dumps({k: slow[k] for k in ("market", "instruments", "config")}))
    slow_def["config"]["seed"] = 99  # shocks not cached by the requests before
    slow_neutral = json.loads(json.dumps(slow))
    slow_neutral["config"]["seed"] = 98
    expect("snapshots without token", "GET", "/v1/snapshots", 401)
    expect("snapshot without token", "PUT", "/v1/snapshots/x", 401, slow_def)
    expect("snapshot get without token", "GET", "/v1/snapshots/x", 401)
    expect("snapshot delete without token", "DELETE", "/v1/snapshots/x", 401)
    expect("snapshot past the time limit", "PUT", "/v1/snapshots/x", 503, slow_def, auth)
    expect("marks without token", "POST", "/v1/snapshots/x/marks", 401, {"prices": {}})
    expect("whatif without token", "POST", "/v1/whatif", 401, {})
    expect("neutralize without token", "POST", "/v1/neutralize", 401, slow)
    expect("report without token", "GET", "/v1/report", 401)
    expect("posted report without token", "POST", "/v1/report", 401, {"response": {}})
    expect("neutralize past the time limit", "POST", "/v1/neutralize", 503, slow_neutral, auth)
    expect_raw("body never arrives", "POST", "/v1/margin", 408,
               b"POST /v1/margin HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer conformance-token\r\n"
               b"Content-Length: 100\r\n\r\n{")
finally:
    stop(proc, "token server")
    os.unlink(f.name)

# Every documented (path, method, status) except those no test can provoke on demand, and a
# wrong method on every path.
unreachable = {("/v1/margin", "post", "500"), ("/v1/simulate", "post", "500"), ("/readyz", "get", "503"),
               # Milliseconds of work: past a time limit only when queued behind others, which no
               # single request provokes on demand (the admission's timeout is tested with margin).
               ("/v1/whatif", "post", "503"), ("/v1/snapshots/{id}/marks", "post", "503")}
for path, ops in spec["paths"].items():
    check(f"exercised a wrong method on {path}", (path, "405") in exercised)
    for method, op in ops.items():
        if method == "parameters":
            continue
        for status in op["responses"]:
            key = (path, method, status)
            if key not in unreachable:
                check(f"exercised {method.upper()} {path} {status}", key in exercised)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
