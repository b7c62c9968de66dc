#pragma once
// The risk report (README, "Reports"): one self-contained HTML page a risk officer reads the
// nightly run in — totals and statuses, the margin cross-margining saves, the coverage of
// initial margin, the riskiest accounts with each position's ES contribution, diversification
// by account size, exposure by asset, and, when given, the clearing simulation's insurance fund,
// liquidations and loss allocation, and the backtest's margin against realised loss.
//
// A ReportBuilder takes the figures account by account and keeps only what the page shows
// (histograms, sums by bucket and asset, the riskiest accounts): its memory does not grow with
// the number of accounts, so a million-account response is read as a stream.

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json/Json.h"
#include "host/margin/MarginEngine.h"
#include "host/model/MarginRequest.h"

namespace xm::report {

// One day of one account in a backtest's --series file.
struct SeriesRow {
  long long day = 0;
  std::string account;
  double var = 0.0, es = 0.0, initialMargin = 0.0, loss = 0.0;
};
// Reads `xmargin backtest --series` CSV (date,account,var,es,initial_margin,loss[,im_<method>…]).
// Throws InputError naming `what` and the line.
std::vector<SeriesRow> readBacktestSeries(std::string_view csv, const std::string& what);

class ReportBuilder {
 public:
  // `request`, when given, is the run's request: it places each position under its underlying
  // asset with its gross notional (exposure by asset). Without it exposure is shown by
  // instrument (ES contributions only). The builder keeps the pointer: it must outlive it.
  explicit ReportBuilder(const MarginRequest* request = nullptr);

  // A response's parts (contract §4), accounts in request order. Each throws InputError naming
  // the field by its JSON Pointer (`/accounts/3/es`) when the document is not a response.
  void run(const Json& run);
  void totals(const Json& totals);
  void account(const Json& account);
  // The same from the engine's own figures (xmargin serve --report).
  void response(const MarginRequest& request, const MarginResponse& response);
  // A clearing simulation's answer (contract §9): its "simulation" object; its "t0" is a
  // response and goes through the calls above.
  void simulation(const Json& simulation);
  // A backtest's answer (README, "Backtesting") and, optionally, its daily series.
  void backtest(const Json& backtest, std::vector<SeriesRow> series = {});

  // The page. `title` heads it; `generated` is the time it states it was made (ISO 8601).
  std::string html(const std::string& title, const std::string& generated) const;

  int64_t accounts() const { return accounts_; }

  // What the page is made of, for tests.
  struct Bucket {
    int64_t accounts = 0;
    double isolated = 0.0, margin = 0.0, benefit = 0.0;
  };
  struct AssetExposure {
    double longNotional = 0.0, shortNotional = 0.0, esContribution = 0.0;
  };
  struct Leg {
    std::string name;  // instrument id, or "collateral ASSET"
    double value = 0.0, standaloneEs = 0.0, esContribution = 0.0;
  };
  struct Risky {
    std::string id, status;
    double equity = 0.0, es = 0.0, esStderr = 0.0, isolated = 0.0, initialMargin = 0.0,
           maintenanceMargin = 0.0;
    std::vector<Leg> legs;
  };
  // equity / IM in bins of kCoverageStep from 0 to kCoverageMax, below 0 and above the top.
  static constexpr double kCoverageStep = 0.1, kCoverageMax = 3.0;
  static constexpr int kCoverageBins = 30;
  static constexpr size_t kRiskiest = 100;  // the table; the first 10 get contribution charts
  const std::vector<int64_t>& coverage() const { return coverage_; }
  int64_t coverageBelowZero() const { return coverageBelow_; }
  int64_t coverageAbove() const { return coverageAbove_; }
  int64_t noMargin() const { return noMargin_; }
  // The riskiest accounts by ES, largest first.
  std::vector<Risky> riskiest() const;
  // Diversification by the account's number of legs (positions + collateral): 1, 2, 3–4, 5–8, …
  const std::map<int, Bucket>& bySize() const { return bySize_; }
  static std::string sizeLabel(int bucket);
  const std::map<std::string, AssetExposure>& exposure() const { return exposure_; }
  bool exposureByAsset() const { return request_ != nullptr; }

 private:
  struct Sums {
    int64_t ok = 0, marginCall = 0, liquidate = 0;
    double equity = 0.0, es = 0.0, isolated = 0.0, benefit = 0.0, im = 0.0, mm = 0.0;
  };
  void addRisky(Risky r);

  const MarginRequest* request_;
  int64_t accounts_ = 0;
  Sums sums_;
  std::optional<Json> run_, totals_, simulation_, backtest_;
  std::vector<SeriesRow> series_;
  std::vector<int64_t> coverage_ = std::vector<int64_t>(kCoverageBins, 0);
  int64_t coverageBelow_ = 0, coverageAbove_ = 0, noMargin_ = 0;
  std::vector<Risky> risky_;  // a min-heap on es, at most kRiskiest
  std::map<int, Bucket> bySize_;
  std::map<std::string, AssetExposure> exposure_;
};

// Reads a response document (the text of `xmargin run`'s output) into `builder` as a stream:
// the accounts one at a time, never the whole document in memory. `what` names the input in
// errors ("RESPONSE" or "/response").
void readResponse(std::string_view text, ReportBuilder& builder, const std::string& what);

// The report of POST /v1/report's body: {"response": {...}, "request": {...}?,
// "simulation": {...}?, "backtest": {...}?, "series": "CSV text"?, "title": "..."?}, at least
// one of response and simulation. Throws InputError naming the field.
std::string reportFromDocument(const Json& body, const Limits& limits,
                               const std::string& generated);

// The same from the body's text: malformed JSON, nesting deeper than 32 and a body that is not an
// object are InputErrors.
std::string reportFromText(std::string_view body, const Limits& limits,
                           const std::string& generated);

// The time now as ISO 8601 UTC ("2026-12-05T00:41:07Z").
std::string nowIso8601();

}  // namespace xm::report
