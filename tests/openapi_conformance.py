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


def conform(name, method, path, status, res, raw):
    check(f"{name}: status", res.status == status, f"got {res.status}, expected {status}: {raw[:200]!r}")
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

proc, port = start(["--max-body-bytes", "200000", "--max-scenarios", "100000", "--max-work", "50000"])
try:
    expect("margin", "POST", "/v1/margin", 200, example)
    student = json.loads(json.dumps(example))
    student["config"]["shocks"] = {"student_t": {"dof": 4}}
    student["config"]["correlation_repair"] = "nearest"
    expect("margin, student-t", "POST", "/v1/margin", 200, student)
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
    expect_raw("body never arrives", "POST", "/v1/margin", 408,
               b"POST /v1/margin HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer conformance-token\r\n"
               b"Content-Length: 100\r\n\r\n{")
finally:
    stop(proc, "token server")
    os.unlink(f.name)

# Every documented (path, method, status) except those no test can provoke on demand, and a
# wrong method on every path.
unreachable = {("/v1/margin", "post", "500"), ("/v1/simulate", "post", "500"), ("/readyz", "get", "503")}
for path, ops in spec["paths"].items():
    check(f"exercised a wrong method on {path}", (path, "405") in exercised)
    for method, op in ops.items():
        for status in op["responses"]:
            key = (path, method, status)
            if key not in unreachable:
                check(f"exercised {method.upper()} {path} {status}", key in exercised)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
