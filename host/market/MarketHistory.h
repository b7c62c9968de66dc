#pragma once
// The estimators that turn daily closes (host/model/History.h) into volatilities and
// correlations (config.vol_model {"ewma": {"lambda": λ}}).
//
// EWMA (RiskMetrics, zero mean), on daily log returns r_t = ln(C_t / C_{t-1}) between consecutive
// closes of the series:
//   variance  σ²_t = λ σ²_{t-1} + (1 - λ) r_t²,   seeded with σ²_0 = r_1² (so σ²_1 = r_1²)
//   covariance c_t = λ c_{t-1} + (1 - λ) r_a,t r_b,t on the days every asset of the estimate has
//             a return (a common calendar), so the matrix is positive semidefinite by construction
//   vol       sqrt(365 σ²_T), annualised with √365 (crypto trades every day); the correlation is
//             c_ab / sqrt(c_aa c_bb) on the common calendar.
// An asset whose history also carries its implied-vol index (`iv`, e.g. Deribit's DVOL) gets its
// implied-vol dynamics the same way, on the days where two consecutive closes both carry one:
//   v_t = ln(iv_t / iv_{t-1}),  vol_of_vol = sqrt(365 EWMA(v²)),
//   spot_vol_corr = EWMA(r v) / sqrt(EWMA(r²) EWMA(v²))   (each seeded with its first product).
// Only closes dated on or before market.as_of are used.

#include <map>
#include <string>
#include <vector>

#include <memory>

#include <Eigen/Dense>

#include "host/model/History.h"

namespace xm {

struct Market;
struct FactorModel;
struct FhsTable;

struct EwmaEstimate {
  std::vector<int> assets;      // market asset indices estimated, in market order
  std::vector<double> vol;      // annualised, per estimated asset (its own full series)
  std::vector<int> days;        // returns used per asset
  Eigen::MatrixXd correlation;  // over `assets`, on the common calendar
  int commonDays = 0;           // returns on the common calendar
  // Per estimated asset: implied-vol dynamics from its history's iv, when >= 2 days have one.
  std::vector<int> ivDays;  // 0: none estimated
  std::vector<double> volOfVol, spotVolCorr;
};

// Log returns of a series, and the EWMA daily variance after the last one (seeded with r_1²).
std::vector<double> logReturns(const std::vector<DailyClose>& closes);
double ewmaVariance(const std::vector<double>& returns, double lambda);

// Filtered historical simulation's residuals (config.shocks {"fhs": {"lookback_days": N}}): for
// every risky asset with history, z_t = r_t / σ_{t|t-1}, the return over the EWMA vol forecast
// from the returns before it (the first kFhsBurnIn returns only seed the forecast); and for such
// an asset with an implied-vol factor and iv in its history, the same of its implied vol's log
// changes, replayed as the factor's shock. Kept on the days where every series has one, the last
// `lookbackDays` of them up to as_of. Throws InputError (/config/shocks) when no risky asset has
// history or fewer than 20 days remain.
constexpr int kFhsBurnIn = 20;
std::shared_ptr<const FhsTable> buildFhsTable(const Market& market, const FactorModel& model,
                                              double lambda, int lookbackDays);

// Anti-procyclicality's reference vols of one series (annualised, √365, zero-mean like EWMA), from
// its returns up to as_of, the last `lookbackDays` of which form the window: the long-run vol
// sqrt(365 mean r²) over the window, and the stressed vol, the highest such vol over any
// `stressWindowDays` consecutive returns inside it (the window's worst year by default), never
// below the long-run vol. Both 0 without returns.
struct ReferenceVols {
  double longRun = 0.0;
  double stressed = 0.0;
  int days = 0;  // returns in the window
};
ReferenceVols referenceVols(const std::vector<DailyClose>& closes, long long asOfDay,
                            int lookbackDays, int stressWindowDays);

// Mean daily volume of the last `days` closes up to as_of that carry one; -1 when none does.
double averageDailyVolume(const std::vector<DailyClose>& closes, long long asOfDay, int days);

// Throws InputError (path /market/history) when an asset has fewer than 2 closes up to asOf or
// the assets share fewer than 2 common return days.
EwmaEstimate estimateEwma(const MarketHistory& history, long long asOfDay, double lambda,
                          int nAssets);

}  // namespace xm
