#pragma once
// `xmargin backtest`: margins a fixed portfolio on every day of a range of real closes, with only
// the data up to that day, and compares each day's VaR and initial margin with the loss realised
// over the next horizon (README, "Backtesting").
//
// The portfolio (a JSON file) holds `instruments` and `accounts` as in a request, and optionally
// `market` without prices, dates or history: `base_currency`, `rate`, `assets` (ids with `vol`,
// `vol_of_vol`, `spot_vol_corr`, `daily_volume`: the "given" vols) and `correlations` or
// `correlation`. Prices and history come from --prices DIR. Backtest-only fields:
//   - a future or option may give `tenor_days` instead of `expiry`, and an option `moneyness`
//     instead of `strike`: the contract is rolled, re-struck every day at that tenor and
//     moneyness (strike = moneyness x the day's close), held over the horizon, then rolled again;
//   - `entry_price` may be left out: it is then the day's price (the option's: 0). Risk and the
//     realised loss do not depend on it, except an inverse perpetual's exposure (size / entry).
// Options are revalued at their own `iv` at both ends, so the backtest tests their price risk;
// or, with --implied-vol DIR (DIR/<ASSET>-DVOL_1d.csv: a 30-day implied-vol index in percent,
// like data/implied_vol/), an option whose `iv` is "index" is valued each day at the day's index
// and its realised P&L at the index h days later: vega risk is tested too. The index is the
// history's `iv`, so with vol_model ewma the engine estimates each option underlying's
// vol_of_vol and spot_vol_corr from it, and FHS replays its residuals (MarketHistory.h); with
// "given" the portfolio's vol_of_vol (if any) drives the model's implied-vol shocks.
//
// Days run in parallel; each day is one request to the engine, so its figures are bitwise those
// of that request margined alone, whatever the thread count (the report is deterministic).

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "api/JsonCodec.h"
#include "host/BacktestStats.h"
#include "host/PriceFiles.h"

namespace xm {

struct AccountBacktest {
  std::string id;
  int days = 0;
  int varExceedances = 0;  // realised loss > VaR
  int marginBreaches = 0;  // realised loss > initial margin
  LikelihoodRatio kupiec, christoffersen, conditionalCoverage;
  Zone zone = Zone::Green;
  double meanVar = 0.0, meanMargin = 0.0;
  double maxMarginJump = 0.0;  // largest one-day rise of initial margin, as a fraction
  long long maxMarginJumpDay = 0;
  double worstLoss = 0.0;
  long long worstLossDay = 0;
};

// One test day: per account (portfolio order) the model's figures and the realised loss.
struct BacktestDay {
  long long day = 0;  // days since the epoch
  std::vector<double> var, es, initialMargin, loss;
};

struct BacktestReport {
  long long start = 0, end = 0;
  int horizonDays = 1;
  double confidence = 0.99;
  Json config;                // the config the days ran with, as JSON
  Json impliedVol = Json::object();  // per asset with an implied-vol index: what it drives
  int skippedDays = 0;        // in the range but without every asset's close at t and t + h
  std::vector<BacktestDay> days;
  std::vector<AccountBacktest> accounts;
};

// Throws InputError naming the field (of the portfolio: its JSON Pointer; of the config: under
// /config) or the file. `config` is the request's config object (null: the defaults).
BacktestReport runBacktest(const Json& portfolio, const std::string& pricesDir, const Json& config,
                           long long startDay, long long endDay, const std::string& impliedVolDir = "");
// The same on price files from anywhere (PriceFiles.h; the fuzzer's are in memory), with the
// request limits the config is checked against. `impliedVol` may be null.
BacktestReport runBacktest(const Json& portfolio, const PriceFolder& prices, const Json& config,
                           long long startDay, long long endDay, const PriceFolder* impliedVol,
                           const Limits& limits = {});

Json backtestToJson(const BacktestReport& report);
std::string backtestTable(const BacktestReport& report);
// date,account,var,es,initial_margin,loss: one row per account per day.
void writeBacktestSeries(const BacktestReport& report, std::ostream& out);

}  // namespace xm
