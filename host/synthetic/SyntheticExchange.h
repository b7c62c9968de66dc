#pragma once
// Synthetic but realistic exchanges for the demo and the benchmarks: the real 2023-12-31 market
// (MarketData.h), extended with synthetic altcoins when more assets are asked for; perpetuals,
// inverse perpetuals, quarterly futures, spot and a Deribit-like option chain with a smile; and
// accounts drawn from the archetypes an exchange sees (directional traders, basis and covered-
// call hedgers, option sellers, market makers), levered from 1.5x to 50x.
//
// Deterministic: the same spec gives the same request on every platform (own generator, no
// implementation-defined std:: distributions).

#include <cstdint>
#include <string>

#include "host/base/Progress.h"
#include "host/model/MarginRequest.h"

namespace xm {

struct ExchangeSpec {
  std::string name;
  int64_t accounts = 2000;
  int assets = 14;        // risky assets (the first 14 are real, the rest synthetic)
  int instruments = 120;  // total, options included
  int minOptions = 60;
  double positionsPerAccount = 8.0;
  int64_t scenarios = 10000;
  double confidence = 0.99;
  uint64_t seed = 20231231;
};

// "demo", "exchange-S", "exchange-M", "exchange-L"; throws InputError for another name.
ExchangeSpec exchangePreset(const std::string& name);

// `progress`, when given, is told the accounts built (every 1,024 and at the end).
MarginRequest makeSyntheticExchange(const ExchangeSpec& spec, ProgressListener* progress = nullptr);

}  // namespace xm
