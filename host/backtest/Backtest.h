#pragma once
// The backtest (`xmargin backtest`): margins a fixed portfolio on every day of a range of real
// closes, with only the data up to that day, and compares each day's VaR and initial margin with
// the loss realised over the next horizon (README, "Backtesting").
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

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "host/backtest/BacktestStats.h"
#include "host/base/Progress.h"
#include "host/market/PriceFiles.h"
#include "host/model/Errors.h"
#include "host/model/MarginRequest.h"

namespace xm {

// What the backtest sets every day on top of the portfolio's request.
struct BacktestRolls {
  std::vector<int> tenorDays;                // per instrument, 0: fixed expiry
  std::vector<double> moneyness;             // per instrument, 0: fixed strike
  std::vector<char> indexIv;                 // per instrument: iv is the day's implied-vol index
  std::vector<std::vector<char>> autoEntry;  // per account, per position: entry = the day's price
};

// A portfolio ready to backtest: the request it is every day (prices, as_of, rolled expiries and
// strikes, index ivs and automatic entries are placeholders, set each day), what rolls, and
// whether the portfolio listed its market's assets (a "given" vol model needs their vols).
struct BacktestPortfolio {
  MarginRequest request;
  BacktestRolls rolls;
  bool listsAssets = false;
};

// What an asset's implied-vol index drives: the iv of its "index" options (else the options'
// own iv), and where the vol-of-vol of its implied-vol factor comes from.
struct ImpliedVolUse {
  bool indexIv = false;
  enum class VolOfVol { EwmaOfIndex, Given, None } volOfVol = VolOfVol::None;
};

// One margin method's record for an account (config.method and each of config.compare): how often
// the realised loss exceeded its initial margin, and the mean of that margin.
struct MethodBacktest {
  MarginMethod method = MarginMethod::Es;
  int breaches = 0;
  double meanMargin = 0.0;
};

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
  std::vector<MethodBacktest> methods;  // config.method, then config.compare in order
};

// One test day: per account (portfolio order) the model's figures and the realised loss.
struct BacktestDay {
  long long day = 0;  // days since the epoch
  std::vector<double> var, es, initialMargin, loss;
  // Per method of config.method then config.compare (in that order), per account: its initial
  // margin.
  std::vector<std::vector<double>> methodMargin;
};

// config.method, then config.compare: the methods a backtest reports.
std::vector<MarginMethod> reportedMethods(const MarginConfig& config);

struct BacktestReport {
  long long start = 0, end = 0;
  int horizonDays = 1;
  double confidence = 0.99;
  MarginConfig config;                              // the config the days ran with
  std::map<std::string, ImpliedVolUse> impliedVol;  // per asset with an implied-vol index
  int skippedDays = 0;  // in the range but without every asset's close at t and t + h
  std::vector<BacktestDay> days;
  std::vector<AccountBacktest> accounts;
};

// A backtest's days divided among processes (api/mpi's MPI job): this process margins the test
// days [first, last) of mine(days); complete() then brings every day's figures to the process
// that reports (reports()), or throws there as on every process when one of them failed
// (`failure`: this process's first failing day's error, if any). The report is the one process's.
class DayShards {
 public:
  virtual ~DayShards() = default;
  virtual std::pair<size_t, size_t> mine(size_t days) const = 0;
  virtual void complete(std::vector<BacktestDay>& days, size_t first, size_t last,
                        const std::optional<ErrorReport>& failure) const = 0;
  virtual bool reports() const = 0;
};

// InputError naming a field of the portfolio: "PATH: message" ("portfolio: ..." at its root).
[[noreturn]] void portfolioError(const std::string& path, const std::string& message);
// The range of days must not be empty backwards (usage error).
void checkBacktestRange(long long startDay, long long endDay);

// Throws InputError naming the field of the portfolio, or (code "usage") the file or day.
// `impliedVol` may be null; with `shards`, this process margins its share of the days, and the
// report (days and accounts) is complete only where shards->reports().
BacktestReport runBacktest(const BacktestPortfolio& portfolio, const PriceFolder& prices,
                           long long startDay, long long endDay, const PriceFolder* impliedVol,
                           const DayShards* shards = nullptr, ProgressListener* progress = nullptr);

}  // namespace xm
