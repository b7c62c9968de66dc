#pragma once
// Per-account figures of the response (contract §4). Losses are positive; money in base currency.

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/MarginConfig.h"

namespace xm {

enum class MarginStatus { Ok, MarginCall, Liquidate };

// One position or collateral holding of an account.
struct LegResult {
  double value = 0.0;           // current value (contract §4)
  double standaloneEs = 0.0;    // ES of this leg alone on the same scenarios
  double esContribution = 0.0;  // Euler: mean of its loss over the account's tail scenarios
  // Under flat rates (contract §11), positions only: the mark of its underlying at which the
  // account's equity meets its flat maintenance margin, other prices fixed; NaN when none.
  double liquidationPrice = 0.0;
  // Under the stress grid: its share of the account's grid loss (Euler at the worst points; the
  // account's shares add up to grid.loss).
  double gridContribution = 0.0;
};

// An account's margin under a venue method (contract §11).
struct MethodMargin {
  double im = 0.0, mm = 0.0;
};

// One underlying of an account under the stress grid (contract §11).
struct GridUnderlying {
  int asset = 0;
  double loss = 0.0;  // the worst loss over the underlying's points, floored at 0
  double move = 0.0;  // the worst point: price move and implied-vol state (GridVol)
  int vol = 0;
  bool extreme = false;           // the worst point is an extreme move (counted at its fraction)
  double shortOptionAddOn = 0.0;  // contingency: short_option_minimum on net short options
  double notionalFloor = 0.0;     // what lifts the loss to net_notional_minimum of net notional
};

// The account's stress-grid figures: the underlyings' losses combined (sum or correlation
// credit), the contingencies on top, and the requirement.
struct GridFigures {
  double loss = 0.0;                        // combined worst losses (before contingencies)
  double contingency = 0.0;                 // short-option add-ons + what the notional floors add
  std::vector<GridUnderlying> underlyings;  // those the account holds, asset order
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
  // Initial margin = im_multiplier * es (or var) + the add-ons below (each >= 0).
  double apcBuffer = 0.0;       // anti-procyclicality buffer, after its release in stress
  double liquidityAddOn = 0.0;  // concentration / liquidity: square-root impact
  double minimumAddOn = 0.0;    // what lifts initial margin to the minimum rate of gross notional
  double grossNotional = 0.0;   // of the positions, base currency
  MarginStatus status = MarginStatus::Ok;
  std::vector<LegResult> positions;   // request order
  std::vector<LegResult> collateral;  // request order
  // config.method flat, or flat in config.compare: its margins (the ES figures above are the
  // model's either way; with method flat, initial/maintenance margin and status are these).
  bool hasFlat = false;       // flat computed (method or compare)
  bool flatCompared = false;  // flat in compare: reported beside, not setting the margin
  MethodMargin flat;
  bool esCompared = false;  // method flat or grid with es in compare: what ES would require
  MethodMargin esMargin;
  bool hasGrid = false;       // grid computed (method or compare)
  bool gridCompared = false;  // grid in compare
  MethodMargin grid;
  GridFigures gridFigures;
};

// What MarginTotals adds of one account, as plain data: an MPI job ships these from every rank to
// rank 0, which adds them in request order (the same additions as one process: the same bits).
struct TotalsEntry {
  double equity = 0.0, initialMargin = 0.0, maintenanceMargin = 0.0, isolatedMargin = 0.0;
  MethodMargin flat, esMargin, grid;
  int32_t status = 0;  // MarginStatus
  uint8_t flatCompared = 0, esCompared = 0, gridCompared = 0, unused = 0;
};
TotalsEntry totalsEntry(const AccountResult& r);

struct MarginTotals {
  int64_t accounts = 0;
  double equity = 0.0;
  double initialMargin = 0.0;
  double maintenanceMargin = 0.0;
  double isolatedMargin = 0.0;
  int64_t ok = 0;
  int64_t marginCall = 0;
  int64_t liquidate = 0;
  bool flatCompared = false, esCompared = false, gridCompared = false;
  MethodMargin flat, esMargin, grid;  // the compared methods' sums

  void add(const AccountResult& r) { add(totalsEntry(r)); }
  void add(const TotalsEntry& e);
};

// Facts about one run, for the response's `run` object.
struct RunInfo {
  BackendChoice backend = BackendChoice::Cpu;  // the backend that ran: Cpu or Cuda
  std::string device;
  int64_t scenarios = 0;
  uint64_t seed = 0;
  int64_t tailCount = 0;  // k = ceil((1 - confidence) * scenarios); sobol: summed over replications
  SamplingMethod sampling = SamplingMethod::Mc;  // config.sampling, echoed when not mc
  int replications = 1;                          // sobol's R
  double elapsedMs = 0.0;
  // Where the time went: compiling the request and picking the backend; scenarios, revaluation
  // and per-row tails (prepare); aggregation and selection of every batch (risk); margin rules
  // and handing results to the sink (margin).
  double compileMs = 0.0, prepareMs = 0.0, riskMs = 0.0, marginMs = 0.0;
  Precision precision = Precision::Fp64;   // what the backend computed in
  MarginMethod method = MarginMethod::Es;  // config.method, echoed with config.compare
  std::vector<MarginMethod> compare;
  VolModel volModel = VolModel::Given;
  double ewmaLambda = 0.0;
  int ewmaCommonDays = 0;  // return days every estimated asset shares (correlations)
  struct VolEstimate {
    std::string asset;
    double vol;      // annualised
    int days;        // returns used
    int ivDays = 0;  // > 0: vol_of_vol and spot_vol_corr estimated from the history's iv
    double volOfVol = 0.0, spotVolCorr = 0.0;
  };
  std::vector<VolEstimate> estimates;  // vol_model "ewma": what replaced the request's vols
  // config.anti_procyclicality: what it did to each asset's vol.
  bool antiProcyclicality = false;
  AntiProcyclicality apcConfig;  // its parameters, echoed
  struct ApcAsset {
    std::string asset;
    double modelVol;     // before anti-procyclicality (given or estimated)
    double longRunVol;   // equal-weight over the lookback
    double stressedVol;  // highest EWMA vol in the lookback
    double vol;          // used
    double stressLevel;  // in [0, 1]: how much of the buffer is released
  };
  std::vector<ApcAsset> apc;
  CorrelationRepair correlationRepair = CorrelationRepair::None;
  double correlationRepairDistance = 0.0;  // Frobenius norm of (repaired - given)
};

}  // namespace xm
