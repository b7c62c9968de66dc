#pragma once
// The risk factors of a market and the factor that correlates them (contract §3).
//
// Factors, in order: one price factor per risky asset (market order), then one implied-vol factor
// per risky asset with vol_of_vol > 0 (market order). Correlated shocks are Z = L * eps, with
//   L = [ L_a                    0              ]
//       [ diag(rho_v) * L_a[v,:]  diag(sqrt(1 - rho_v^2)) ]
// where L_a is the Cholesky factor of the risky assets' correlation matrix and rho_v the asset's
// spot_vol_corr: exactly Z_v = rho * Z_asset + sqrt(1 - rho^2) * eps_v, and L * L^T is the full
// factor correlation matrix (fullFactorCorrelation()).

#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace xm {

// What the factor model takes of a market, per asset in market order: a risky asset gets a price
// factor, and one with vol_of_vol > 0 an implied-vol factor correlated `spotVolCorr` with it.
// `correlation` is assets × assets (entries of riskless assets are ignored).
struct FactorAsset {
  bool risky = false;
  bool volFactor = false;
  double spotVolCorr = 0.0;
};
struct FactorInputs {
  std::vector<FactorAsset> assets;
  Eigen::MatrixXd correlation;
};

// What to do with a correlation matrix that is not positive semidefinite (README, "Model").
enum class RepairMethod { None, Clip, Nearest };

// Thrown by buildFactorModel for a matrix that is not positive semidefinite and no repair; the
// caller knows where the matrix came from and says so.
class NotPositiveSemidefinite : public std::domain_error {
 public:
  explicit NotPositiveSemidefinite(double smallestEigenvalue)
      : std::domain_error("correlation matrix not positive semidefinite"),
        smallestEigenvalue(smallestEigenvalue) {}
  double smallestEigenvalue;
};

struct FactorModel {
  int assetFactors = 0;
  int volFactors = 0;
  std::vector<int> priceFactorOf;  // per market asset: its price factor, or -1 if riskless
  std::vector<int> volFactorOf;    // per market asset: its implied-vol factor, or -1
  Eigen::MatrixXd loading;         // L: factors × factors
  RepairMethod repair = RepairMethod::None;  // applied to the asset correlation matrix
  double repairDistance = 0.0;               // Frobenius norm of (repaired - given)

  int factors() const { return assetFactors + volFactors; }
};

// Builds the factor model; throws NotPositiveSemidefinite for a matrix that is not positive
// semidefinite when `repair` is None.
FactorModel buildFactorModel(const FactorInputs& inputs, RepairMethod repair);

// The full factors × factors correlation matrix the model implies, built from its definition
// (for tests and diagnostics; the engine uses `loading`).
Eigen::MatrixXd fullFactorCorrelation(const FactorInputs& inputs, const FactorModel& model);

// A square-root factor A with A * A^T = c of a symmetric positive semidefinite matrix: its
// Cholesky factor when c is positive definite, a pivoted LDL^T factor when it is only
// semidefinite. Returns false when c has an eigenvalue below -tolerance.
bool factorCorrelation(const Eigen::MatrixXd& c, Eigen::MatrixXd& factor, double* minEigenvalue);

// Repairs: eigenvalue clipping (Rebonato & Jaeckel 1999) and the nearest correlation matrix in
// the Frobenius norm (Higham 2002, alternating projections with Dykstra's correction).
Eigen::MatrixXd clipEigenvalues(const Eigen::MatrixXd& c, double floor = 1e-8);
Eigen::MatrixXd nearestCorrelation(const Eigen::MatrixXd& c, double tolerance = 1e-12,
                                   int maxIterations = 1000);

}  // namespace xm
