#!/usr/bin/env python3
"""Writes the seed corpora of the msgpack, backtest and http fuzz targets (tests/fuzz/<target>/corpus)
from the request corpus, the example portfolios and excerpts of data/. Deterministic: rerun it
after changing the formats; the request corpus is kept by hand. MessagePack is written by a small
encoder here (the system Python has no msgpack module)."""
import json, os, struct

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
fuzz = os.path.join(root, "tests/fuzz")


def pack(v):
    if v is None: return b"\xc0"
    if v is True: return b"\xc3"
    if v is False: return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128: return bytes([v])
        if -32 <= v < 0: return struct.pack("b", v)
        return b"\xd3" + struct.pack(">q", v) if v < 0 else b"\xcf" + struct.pack(">Q", v)
    if isinstance(v, float): return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32: return bytes([0xA0 | len(b)]) + b
        if len(b) < 256: return b"\xd9" + bytes([len(b)]) + b
        return b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, list):
        head = bytes([0x90 | len(v)]) if len(v) < 16 else b"\xdc" + struct.pack(">H", len(v))
        return head + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        head = bytes([0x80 | len(v)]) if len(v) < 16 else b"\xde" + struct.pack(">H", len(v))
        return head + b"".join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(type(v))


def write(target, name, data):
    d = os.path.join(fuzz, target, "corpus")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# MessagePack: every JSON seed of the request target, packed.
src = os.path.join(fuzz, "request/corpus")
for name in sorted(os.listdir(src)):
    try:
        doc = json.load(open(os.path.join(src, name)))
    except ValueError:
        continue
    write("msgpack", name.replace(".json", ".msgpack"), pack(doc))


# Backtest: dates, portfolio, config, then files.
def csv_excerpt(path, first, last):
    lines = open(path).read().splitlines()
    return "\n".join([lines[0]] + [l for l in lines[1:] if first <= l[:10] <= last]) + "\n"


def seed(name, dates, portfolio, config, files):
    parts = [dates, json.dumps(portfolio), json.dumps(config) if config is not None else ""]
    parts += [f"{fname}\n{text}" for fname, text in files]
    write("backtest", name, "\n====\n".join(parts))


prices = os.path.join(root, "data/prices")
ivs = os.path.join(root, "data/implied_vol")
btc = csv_excerpt(os.path.join(prices, "BTC-USD_1d.csv"), "2022-09-01", "2022-11-15")
eth = csv_excerpt(os.path.join(prices, "ETH-USD_1d.csv"), "2022-09-01", "2022-11-15")
btc_iv = csv_excerpt(os.path.join(ivs, "BTC-DVOL_1d.csv"), "2022-09-01", "2022-11-15")
eth_iv = csv_excerpt(os.path.join(ivs, "ETH-DVOL_1d.csv"), "2022-09-01", "2022-11-15")
given = {"market": {"assets": [{"id": "BTC", "vol": 0.6}, {"id": "ETH", "vol": 0.75}],
                    "correlations": [{"a": "BTC", "b": "ETH", "rho": 0.8}]},
         "instruments": [{"id": "BTC-PERP", "type": "perpetual", "underlying": "BTC", "contract_size": 1},
                         {"id": "ETH-PERP", "type": "perpetual", "underlying": "ETH", "contract_size": 1},
                         {"id": "BTC-INV", "type": "inverse_perpetual", "underlying": "BTC", "contract_size": 100},
                         {"id": "BTC-30D-C", "type": "option", "underlying": "BTC", "right": "call",
                          "tenor_days": 30, "moneyness": 1.0, "iv": 0.6, "contract_size": 1},
                         {"id": "ETH-Q", "type": "future", "underlying": "ETH", "tenor_days": 90, "contract_size": 1}],
         "accounts": [{"id": "outright", "positions": [{"instrument": "BTC-PERP", "qty": 1}]},
                      {"id": "pair", "positions": [{"instrument": "ETH-PERP", "qty": 15}, {"instrument": "BTC-PERP", "qty": -1}]},
                      {"id": "mixed", "collateral": [{"asset": "ETH", "amount": 3}],
                       "positions": [{"instrument": "BTC-30D-C", "qty": -2}, {"instrument": "BTC-INV", "qty": 50, "entry_price": 20000},
                                     {"instrument": "ETH-Q", "qty": 1}]}]}
files = [("BTC-USD_1d.csv", btc), ("ETH-USD_1d.csv", eth)]
seed("given.txt", "2022-11-01 2022-11-10", given, {"scenarios": 50}, files)
seed("ewma-fhs.txt", "2022-11-01 2022-11-10", {k: v for k, v in given.items() if k != "market"},
     {"scenarios": 60, "vol_model": {"ewma": {"lambda": 0.94}}, "shocks": {"fhs": {"lookback_days": 30}},
      "anti_procyclicality": {"buffer": 0.25, "lookback_days": 60, "stress_window_days": 10}}, files)
short_vol = json.load(open(os.path.join(root, "examples/backtest/short-vol.json")))
seed("short-vol.txt", "2022-11-01 2022-11-08", short_vol, {"scenarios": 40, "vol_model": {"ewma": {}}, "horizon_days": 2},
     files + [("BTC-DVOL_1d.csv", btc_iv), ("ETH-DVOL_1d.csv", eth_iv)])
seed("liquidity.txt", "2022-11-05 2022-11-06", given,
     {"scenarios": 30, "add_ons": {"liquidity": {"coefficient": 1.0, "adv_days": 5}, "minimum_rate": 0.01}}, files)

# HTTP: raw requests as a client sends them (first byte: even = open server, odd = with token).
body = open(os.path.join(fuzz, "request/corpus/small.json")).read()
doc = json.loads(body)


def req(method, path, headers=(), payload=b""):
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\n" + "".join(f"{h}\r\n" for h in headers)
    return head.encode() + b"\r\n" + payload


def with_length(method, path, payload, headers=()):
    return req(method, path, list(headers) + [f"Content-Length: {len(payload)}"], payload)


def chunked(payload, size):
    out = b""
    for i in range(0, len(payload), size):
        part = payload[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


p = body.encode()
seeds = {
    "healthz.txt": b"\x00" + req("GET", "/healthz"),
    "margin.txt": b"\x00" + with_length("POST", "/v1/margin", p, ["Content-Type: application/json"]),
    "margin-msgpack.txt": b"\x00" + with_length("POST", "/v1/margin", pack(doc),
                                                ["Content-Type: application/msgpack", "Accept: application/msgpack"]),
    "margin-chunked.txt": b"\x00" + req("POST", "/v1/margin", ["Content-Type: application/json",
                                                               "Transfer-Encoding: chunked"], chunked(p, 97)),
    "pipeline.txt": b"\x00" + req("GET", "/readyz") + with_length("POST", "/v1/margin", p) + req("GET", "/metrics")
                    + req("GET", "/v1/info", ["Connection: close"]),
    "token.txt": b"\x01" + with_length("POST", "/v1/margin", p, ["Authorization: Bearer fuzz-token"]) +
                 req("GET", "/v1/info", ["Authorization: bearer fuzz-token"]),
    "unauthorized.txt": b"\x01" + with_length("POST", "/v1/margin", p, ["Authorization: Bearer nope"]),
    "expect.txt": b"\x00" + with_length("POST", "/v1/margin", p, ["Expect: 100-continue"]),
    "lies.txt": b"\x00" + req("POST", "/v1/margin", ["Content-Length: 10"], b"0123456789GARBAGE\r\n\r\n"),
    "framing.txt": b"\x00" + req("POST", "/v1/margin", ["Transfer-Encoding: chunked", "Content-Length: 4"], b"0\r\n\r\n"),
    "head.txt": b"\x00" + req("HEAD", "/healthz") + req("OPTIONS", "/v1/margin") + req("DELETE", "/nothing"),
    "bad-body.txt": b"\x00" + with_length("POST", "/v1/margin", b'{"market": {"as_of": "x\xff"}}'),
}
for name, data in seeds.items():
    write("http", name, data)
