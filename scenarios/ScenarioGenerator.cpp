#include "scenarios/ScenarioGenerator.h"

#include <cmath>

#include "scenarios/ShockDraws.h"

namespace xm {

ScenarioGenerator::ScenarioGenerator(const FactorModel& model, ShockSpec spec)
    : loading_(model.loading), spec_(spec) {}

void ScenarioGenerator::independentDraws(int64_t first, int64_t count, ShockMatrix& out) const {
  const int f = factors();
  out.resize(f, count);
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < count; ++s) {
    for (int j = 0; j < f; ++j) {
      out(j, s) =
          normalDraw(spec_.seed, static_cast<uint64_t>(first + s), static_cast<uint32_t>(j));
    }
  }
}

void ScenarioGenerator::generate(int64_t first, int64_t count, ShockMatrix& out) const {
  const int f = factors();
  ShockMatrix eps;
  independentDraws(first, count, eps);
  out.resize(f, count);
  // Z(:, s) = L * eps(:, s), summed j = 0..i in order for every scenario: each column is
  // computed the same way whatever the range, so results do not depend on the batch split.
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < count; ++s) {
    const double scale =
        spec_.studentT ? studentTScale(spec_.seed, static_cast<uint64_t>(first + s), spec_.dof)
                       : 1.0;
    for (int i = 0; i < f; ++i) {
      double z = 0.0;
      for (int j = 0; j < f; ++j) z += loading_(i, j) * eps(j, s);
      out(i, s) = z * scale;
    }
    if (spec_.fhs) {
      const FhsTable& t = *spec_.fhs;
      const int64_t day = fhsDay(spec_.seed, static_cast<uint64_t>(first + s), t.residuals.rows());
      for (size_t k = 0; k < t.factors.size(); ++k) {
        const double z = t.residuals(day, static_cast<Eigen::Index>(k));
        out(t.factors[k], s) = z;
        if (t.volFactor[k] < 0) continue;
        const int v = t.volFactor[k];
        out(v, s) = t.volColumn[k] >= 0
                        ? t.residuals(day, t.volColumn[k])
                        : t.rho[k] * z + std::sqrt(1.0 - t.rho[k] * t.rho[k]) * eps(v, s);
      }
    }
  }
}

}  // namespace xm
