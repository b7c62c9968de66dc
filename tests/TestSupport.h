#pragma once
// Helpers shared by the tests: small requests as JSON (and NormalReference.h).

#include <cmath>
#include <string>

#include "api/json/JsonCodec.h"
#include "tests/NormalReference.h"

namespace xm::test {

// A one-asset market (BTC at 50,000, vol 0.8) plus USD and ETH, with the given instruments,
// accounts and config merged in.
inline Json baseRequest() {
  return Json::parse(R"({
    "market": {"as_of": "2026-01-01T00:00:00Z", "rate": 0.0,
      "assets": [{"id": "USD", "price": 1.0},
                 {"id": "BTC", "price": 50000.0, "vol": 0.8},
                 {"id": "ETH", "price": 2500.0, "vol": 0.9, "vol_of_vol": 1.2, "spot_vol_corr": -0.3}],
      "correlations": [{"a": "BTC", "b": "ETH", "rho": 0.7}]},
    "instruments": [
      {"id": "BTC-PERP", "type": "perpetual", "underlying": "BTC", "contract_size": 1},
      {"id": "BTC-INV", "type": "inverse_perpetual", "underlying": "BTC", "contract_size": 100},
      {"id": "ETH-FUT", "type": "future", "underlying": "ETH", "contract_size": 1,
       "expiry": "2026-03-27T08:00:00Z"},
      {"id": "BTC-SPOT", "type": "spot", "underlying": "BTC", "contract_size": 1},
      {"id": "BTC-C", "type": "option", "underlying": "BTC", "right": "call", "strike": 55000,
       "expiry": "2026-02-27T08:00:00Z", "iv": 0.75, "contract_size": 1},
      {"id": "ETH-P", "type": "option", "underlying": "ETH", "right": "put", "strike": 2200,
       "expiry": "2026-01-30T08:00:00Z", "iv": 0.85, "contract_size": 1}],
    "accounts": [],
    "config": {"scenarios": 4000, "seed": 7}
  })");
}

inline Json account(const std::string& id, Json positions, Json collateral = Json::array()) {
  return {{"id", id}, {"collateral", std::move(collateral)}, {"positions", std::move(positions)}};
}

inline Json position(const std::string& instrument, double qty, double entry) {
  return {{"instrument", instrument}, {"qty", qty}, {"entry_price", entry}};
}

}  // namespace xm::test
