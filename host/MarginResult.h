#pragma once
// Per-account figures of the response (contract §4). Losses are positive; money in base currency.

#include <cstdint>
#include <string>
#include <vector>

namespace xm {

enum class MarginStatus { Ok, MarginCall, Liquidate };

// One position or collateral holding of an account.
struct LegResult {
  double value = 0.0;           // current value (contract §4)
  double standaloneEs = 0.0;    // ES of this leg alone on the same scenarios
  double esContribution = 0.0;  // Euler: mean of its loss over the account's tail scenarios
};

struct AccountResult {
  double equity = 0.0;
  double var = 0.0;  // k-th largest loss, not floored
  double es = 0.0;   // mean of the k largest losses, not floored
  double esStderr = 0.0;
  double isolatedMargin = 0.0;  // sum of each leg's standalone ES, each floored at 0
  double diversificationBenefit = 0.0;
  double initialMargin = 0.0;
  double maintenanceMargin = 0.0;
  double excess = 0.0;
  MarginStatus status = MarginStatus::Ok;
  std::vector<LegResult> positions;   // request order
  std::vector<LegResult> collateral;  // request order
};

struct MarginTotals {
  int64_t accounts = 0;
  double equity = 0.0;
  double initialMargin = 0.0;
  double maintenanceMargin = 0.0;
  double isolatedMargin = 0.0;
  int64_t ok = 0;
  int64_t marginCall = 0;
  int64_t liquidate = 0;

  void add(const AccountResult& r);
};

// Facts about one run, for the response's `run` object.
struct RunInfo {
  std::string backend;
  std::string device;
  int64_t scenarios = 0;
  uint64_t seed = 0;
  int64_t tailCount = 0;  // k = ceil((1 - confidence) * scenarios)
  double elapsedMs = 0.0;
  // Where the time went: compiling the request and picking the backend; scenarios, revaluation
  // and per-row tails (prepare); aggregation and selection of every batch (risk); margin rules
  // and handing results to the sink (margin).
  double compileMs = 0.0, prepareMs = 0.0, riskMs = 0.0, marginMs = 0.0;
  std::string precision = "fp64";  // what the backend computed in
  std::string volModel = "given";
  double ewmaLambda = 0.0;
  int ewmaCommonDays = 0;  // return days every estimated asset shares (correlations)
  struct VolEstimate {
    std::string asset;
    double vol;  // annualised
    int days;    // returns used
  };
  std::vector<VolEstimate> estimates;  // vol_model "ewma": what replaced the request's vols
  std::string correlationRepair = "none";
  double correlationRepairDistance = 0.0;  // Frobenius norm of (repaired - given)
};

const char* toString(MarginStatus s);

}  // namespace xm
