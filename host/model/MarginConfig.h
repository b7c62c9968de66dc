#pragma once
// The request's `config` (contract §2) and the service's limits on it.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xm {

enum class RiskMeasure { ES, VaR };
enum class ShockModel { Normal, StudentT, Fhs };
enum class BackendChoice { Auto, Cpu, Cuda };
// What to do with a correlation matrix that is not positive semidefinite (README, "Model").
enum class CorrelationRepair { None, Clip, Nearest };
// Arithmetic of the CUDA backend's P&L cube, scenario losses and selection keys (README, "CUDA
// backend"). The CPU backend always computes in fp64 and reports so.
enum class Precision { Fp64, Fp32 };
// Where vols and correlations come from: the request ("given") or EWMA on market.history.
enum class VolModel { Given, Ewma };

// Anti-procyclicality (README, "Anti-procyclicality"): the three tools of EMIR RTS 153/2013
// Art. 28, on the vols of the assets with history. Active when any of floor, stressWeight or
// buffer is set.
struct AntiProcyclicality {
  bool enabled = false;
  int lookbackDays = 3650;     // the window of the long-run and the stressed vol
  int stressWindowDays = 365;  // the stressed vol: the worst run of this many days in the window
  bool floor = false;          // vol >= the equal-weight vol over the lookback (Art. 28(1)(c))
  double stressWeight = 0.0;   // var <- (1-w) var + w stressed var (Art. 28(1)(b))
  double buffer = 0.0;         // margin buffer, released as stress rises (Art. 28(1)(a))
};

// Add-ons to initial margin (README, "Add-ons").
struct AddOnConfig {
  // Square-root market impact of liquidating the account's net exposure per asset:
  // coefficient * daily vol * N * sqrt(N / ADV). Off when coefficient is 0.
  double liquidityCoefficient = 0.0;
  int advDays = 30;  // ADV: mean daily volume of the last advDays history days
  // Initial margin is at least this fraction of the positions' gross notional. Off when 0.
  double minimumRate = 0.0;
};

// How the scenario set is sampled (docs/sampling.md): independent draws, antithetic pairs, or
// scrambled Sobol points in `replications` independent randomisations (randomised quasi-Monte
// Carlo; the figures are the replications' means, es_stderr their spread).
enum class SamplingMethod { Mc, Antithetic, Sobol };
constexpr int kDefaultReplications = 8;
constexpr int kMaxReplications = 1024;

// How initial and maintenance margin are set (contract §11): Monte Carlo ES (the model), a
// venue's stress grid (Deribit, OKX, Bybit; SPAN), or its flat rates per instrument (dYdX,
// Hyperliquid, BitMEX).
enum class MarginMethod { Es, Grid, Flat };

// A flat rate's tier: positions whose notional is at most `notionalUpTo` (base currency) pay
// `imf` and `mmf` of their whole notional; the last tier applies beyond its bound.
struct FlatTier {
  double notionalUpTo = 0.0;  // +inf for a plain rate
  double imf = 0.0;
  double mmf = 0.0;
};

// One underlying's stress grid (contract §11; defaults and their sources in docs/methods.md):
// `points` price moves evenly spaced over [-range, +range], each at implied vol up, unchanged and
// down; optionally two extreme moves ±extremeMultiple·range (vol unchanged) whose P&L counts at
// extremeFraction (SPAN's extreme scenarios). Vol shifts are fractions of the implied vol
// (relative) or vol points (absolute), times √(30 / days to expiry) when scaled by expiry (days
// floored at 1). Contingencies: shortOptionMinimum of the underlying's price per unit of net short
// options of one instrument (added), and the underlying's requirement at least
// netNotionalMinimum of its net delta notional.
enum class VolShiftMode { Relative, Absolute };
struct GridParams {
  double range = 0.16;
  int points = 9;
  VolShiftMode volMode = VolShiftMode::Relative;
  double volUp = 0.40, volDown = 0.40;
  bool scaleByExpiry = true;
  double extremeMultiple = 0.0;  // 0: no extreme moves
  double extremeFraction = 0.0;
  double shortOptionMinimum = 0.01;
  double netNotionalMinimum = 0.01;
};
// How the underlyings' grid losses combine: added (Deribit's cross portfolio margin), or
// sqrt(L' rho L) with rho the market's correlation of their prices (a correlation credit).
enum class GridAggregation { Sum, Correlation };

struct MarginConfig {
  RiskMeasure measure = RiskMeasure::ES;
  double confidence = 0.99;
  double horizonDays = 1.0;
  int64_t scenarios = 10000;
  uint64_t seed = 1;
  ShockModel shocks = ShockModel::Normal;
  double dof = 0.0;            // Student-t degrees of freedom, > 2
  int fhsLookbackDays = 1000;  // filtered historical simulation
  SamplingMethod sampling = SamplingMethod::Mc;
  int replications = kDefaultReplications;  // sobol only
  double imMultiplier = 1.0;
  double mmRatio = 0.5;
  BackendChoice backend = BackendChoice::Auto;
  CorrelationRepair correlationRepair = CorrelationRepair::None;
  Precision precision = Precision::Fp64;
  VolModel volModel = VolModel::Given;
  double ewmaLambda = 0.94;  // RiskMetrics' daily decay
  AntiProcyclicality antiProcyclicality;
  AddOnConfig addOns;
  MarginMethod method = MarginMethod::Es;
  std::vector<MarginMethod> compare;  // methods reported beside the one that sets the margin
  // config.flat, per instrument index (empty: no rate); tiers ascending by notionalUpTo.
  std::vector<std::vector<FlatTier>> flat;
  // config.grid, per asset index (every asset: the defaults where not named; empty: all defaults).
  std::vector<GridParams> grid;
  GridParams gridParams(size_t asset) const { return grid.empty() ? GridParams{} : grid[asset]; }
  GridAggregation gridAggregation = GridAggregation::Sum;
  bool uses(MarginMethod m) const {
    if (method == m) return true;
    for (MarginMethod c : compare)
      if (c == m) return true;
    return false;
  }
};

struct Limits {
  int64_t minScenarios = 1;
  int64_t maxScenarios = 1'000'000;
  int64_t maxAccounts = 10'000'000;
  // accounts × scenarios of one request; the nightly run (1M × 100k) fits.
  double maxWork = 1e11;
};

}  // namespace xm
