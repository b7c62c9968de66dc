#pragma once
// Correlated standard shocks Z for a range of scenarios (contract §3): Z_s = L * eps_s, scaled by
// the scenario's Student-t mixing draw when shocks are Student-t; eps under the spec's sampling
// (ShockDraws.h).
//
// Determinism: eps (ShockDraws.h) is bitwise identical everywhere; Z for one scenario depends only
// on (seed, s, L) and the fixed summation order of the product, so a scenario's Z is identical
// whatever range it was generated in and however many threads generated it.

#include <cstdint>
#include <memory>
#include <vector>

#include <Eigen/Dense>

#include "scenarios/FactorModel.h"
#include "scenarios/Sampling.h"
#include "scenarios/ShockDraws.h"

namespace xm {

// Filtered historical simulation: standardised residuals of whole historical days. Scenario s
// takes day fhsDay(seed, s, days) for every factor in `factors`, overriding its normal draw. The
// implied-vol factor of such an asset replays that day's implied-vol residual when it has one
// (volColumn), else is rebuilt from the price residual, Z_v = rho z + sqrt(1-rho^2) eps_v.
// Factors not listed keep their correlated normal draws.
struct FhsTable {
  std::vector<int> factors;    // price factors with history
  std::vector<int> volFactor;  // per listed factor: its asset's implied-vol factor, or -1
  std::vector<double> rho;     // per listed factor: its asset's spot_vol_corr
  std::vector<int> volColumn;  // per listed factor: the residuals column of its implied vol, or -1
  // days × (factors.size() + implied-vol columns): column k is factors[k]'s residual
  Eigen::MatrixXd residuals;

  bool operator==(const FhsTable& o) const {
    return factors == o.factors && volFactor == o.volFactor && rho == o.rho &&
           volColumn == o.volColumn && residuals.rows() == o.residuals.rows() &&
           residuals.cols() == o.residuals.cols() && residuals == o.residuals;
  }
};

struct ShockSpec {
  uint64_t seed = 1;
  bool studentT = false;
  double dof = 0.0;
  std::shared_ptr<const FhsTable> fhs;  // set: filtered historical simulation
  // config.sampling (Sampling.h). Sobol draws depend on the set's size S (its replication
  // layout), so `scenarios` must then be S; antithetic needs an even S. Student-t and FHS are
  // refused with Sobol, FHS with antithetic (the request parser says why).
  Sampling sampling = Sampling::Mc;
  int replications = 1;
  int64_t scenarios = 0;

  // The draws of the margin scenario set, for another use of the same model (the clearing
  // simulation's path steps): independent draws whatever the set's sampling.
  ShockSpec plain() const {
    ShockSpec s = *this;
    s.sampling = Sampling::Mc;
    s.replications = 1;
    return s;
  }
};

// factors × scenarios, row-major: row f is factor f over consecutive scenarios.
using ShockMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class ScenarioGenerator {
 public:
  ScenarioGenerator(const FactorModel& model, ShockSpec spec);

  // Correlated shocks of scenarios [first, first + count): out is resized to factors × count.
  void generate(int64_t first, int64_t count, ShockMatrix& out) const;

  // The independent draws eps of the same range, factors × count (before correlation).
  void independentDraws(int64_t first, int64_t count, ShockMatrix& out) const;

  // What ShockDraws.h's sampledDraw needs; points into this generator (its Sobol table).
  DrawPlan plan() const;

  int factors() const { return static_cast<int>(loading_.rows()); }

 private:
  Eigen::MatrixXd loading_;
  ShockSpec spec_;
  std::vector<uint64_t> sobol_;  // the scrambled table (sobol only)
};

}  // namespace xm
