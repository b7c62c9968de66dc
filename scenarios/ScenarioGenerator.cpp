#include "scenarios/ScenarioGenerator.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "scenarios/ShockDraws.h"

namespace xm {
namespace {

// The generator's preconditions, which the request parser enforces with errors naming the
// field: breaking one is a bug in the caller.
void require(bool cond, const char* what) {
  if (!cond) throw std::logic_error(std::string("ScenarioGenerator: ") + what);
}

}  // namespace

ScenarioGenerator::ScenarioGenerator(const FactorModel& model, ShockSpec spec)
    : loading_(model.loading), spec_(std::move(spec)) {
  if (spec_.sampling == Sampling::Sobol) {
    require(spec_.replications >= 1 && spec_.scenarios >= spec_.replications,
            "sobol needs at least one scenario per replication");
    require(!spec_.studentT && !spec_.fhs, "sobol draws normal shocks only");
    sobol_ = scrambledSobolTable(spec_.seed, spec_.replications, factors());
  }
  if (spec_.sampling == Sampling::Antithetic) require(!spec_.fhs, "antithetic FHS");
}

DrawPlan ScenarioGenerator::plan() const {
  return {spec_.seed,         spec_.sampling, spec_.scenarios,
          spec_.replications, factors(),      sobol_.empty() ? nullptr : sobol_.data()};
}

void ScenarioGenerator::independentDraws(int64_t first, int64_t count, ShockMatrix& out) const {
  const int f = factors();
  const DrawPlan p = plan();
  out.resize(f, count);
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < count; ++s) {
    for (int j = 0; j < f; ++j) {
      out(j, s) = sampledDraw(p, static_cast<uint64_t>(first + s), static_cast<uint32_t>(j));
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
    const uint64_t mixing = mixingScenario(spec_.sampling, static_cast<uint64_t>(first + s));
    const double scale = spec_.studentT ? studentTScale(spec_.seed, mixing, spec_.dof) : 1.0;
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
