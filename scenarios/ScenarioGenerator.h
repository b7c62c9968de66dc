#pragma once
// Correlated standard shocks Z for a range of scenarios (contract §3): Z_s = L * eps_s, scaled by
// the scenario's Student-t mixing draw when shocks are Student-t.
//
// Determinism: eps (ShockDraws.h) is bitwise identical everywhere; Z for one scenario depends only
// on (seed, s, L) and the fixed summation order of the product, so a scenario's Z is identical
// whatever range it was generated in and however many threads generated it.

#include <cstdint>

#include <Eigen/Dense>

#include "scenarios/FactorModel.h"

namespace xm {

struct ShockSpec {
  uint64_t seed = 1;
  bool studentT = false;
  double dof = 0.0;
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

  int factors() const { return static_cast<int>(loading_.rows()); }

 private:
  Eigen::MatrixXd loading_;
  ShockSpec spec_;
};

}  // namespace xm
