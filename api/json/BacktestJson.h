#pragma once
// The backtest's JSON (README, "Backtesting"): the portfolio file read into a BacktestPortfolio
// (host/backtest/Backtest.h, which describes the fields a portfolio may hold), and the report
// written as JSON, a table or a daily CSV series.

#include <ostream>
#include <string>

#include "api/json/JsonCodec.h"
#include "host/backtest/Backtest.h"

namespace xm {

// Reads a portfolio: checks what a backtest takes, swaps the backtest-only fields (tenor_days,
// moneyness, iv "index", a missing entry_price) for placeholders recorded as rolls, and parses
// the rest as a request with `config` (null: the defaults). Throws InputError naming the field
// (of the portfolio: its JSON Pointer; of the config: under /config).
BacktestPortfolio parseBacktestPortfolio(const Json& portfolio, const Json& config,
                                         const Limits& limits = {});

// parseBacktestPortfolio, then runBacktest on price folders from directories.
BacktestReport runBacktest(const Json& portfolio, const std::string& pricesDir, const Json& config,
                           long long startDay, long long endDay,
                           const std::string& impliedVolDir = "", const DayShards* shards = nullptr,
                           ProgressListener* progress = nullptr);
// The same on price files from anywhere (PriceFiles.h; the fuzzer's are in memory), with the
// request limits the config is checked against. `impliedVol` may be null.
BacktestReport runBacktest(const Json& portfolio, const PriceFolder& prices, const Json& config,
                           long long startDay, long long endDay, const PriceFolder* impliedVol,
                           const Limits& limits = {}, const DayShards* shards = nullptr,
                           ProgressListener* progress = nullptr);

Json backtestToJson(const BacktestReport& report);
std::string backtestTable(const BacktestReport& report);
// date,account,var,es,initial_margin,loss: one row per account per day.
void writeBacktestSeries(const BacktestReport& report, std::ostream& out);

}  // namespace xm
