#pragma once
// Daily closes per asset (contract §6, market.history): what a request or a price folder gives
// the market room's estimators (host/market/MarketHistory.h).

#include <map>
#include <vector>

namespace xm {

struct DailyClose {
  long long day = 0;  // days since 1970-01-01
  double close = 0.0;
  double volume = -1.0;  // base currency traded that day; < 0 when not given
  double iv = -1.0;      // the asset's implied-vol index that day, annualised; < 0 when not given
};

// Per asset index, closes in increasing day order (validated: unique days, close > 0).
using MarketHistory = std::map<int, std::vector<DailyClose>>;

}  // namespace xm
