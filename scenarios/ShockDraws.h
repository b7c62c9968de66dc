#pragma once
// The scenario set's independent draws, as pure functions of (seed, scenario, index).
//
//   eps[s][j]   standard normal: Philox4x32-10 with key = seed and counter
//               (j / 2, s low word, s high word, kNormalStream); words 0,1 give even j and
//               words 2,3 odd j, as a 53-bit open uniform mapped through AS 241.
//   W[s]        chi-square(dof) mixing draw of scenario s for Student-t shocks: Marsaglia-Tsang
//               gamma sampling on counters (attempt, s low, s high, kMixingStream).
//
// Under config.sampling (docs/sampling.md) scenario s's draw j is instead
//   antithetic  pair p = s / 2: eps[2p][j] = normalDraw(p, j), eps[2p + 1][j] = -eps[2p][j], and
//               the pair shares W[2p] (its Student-t shocks are exact negations too);
//   sobol       s in replication r (Sampling.h), point i = s - begin(r): the normal quantile of
//               point i of replication r's scrambled Sobol sequence in dimension j (Sobol.h).
//               Student-t and FHS are refused with Sobol (docs/sampling.md).
//
// Determinism: every value is bitwise identical on the host and on the device, whatever the
// batch, thread or process that draws it (PortableMath.h explains the floating-point side).

#include <cstdint>

#include "scenarios/Philox.h"
#include "scenarios/PortableMath.h"
#include "scenarios/Sampling.h"
#include "scenarios/Sobol.h"

namespace xm {

constexpr uint32_t kNormalStream = 0;
constexpr uint32_t kMixingStream = 1;
// Marsaglia-Tsang accepts with probability > 0.95 for shape >= 1; 64 straight rejections
// (probability < 1e-83) fall back to the distribution's mean so the draw stays a pure function.
constexpr int kMaxGammaAttempts = 64;

XM_HD double normalDraw(uint64_t seed, uint64_t scenario, uint32_t index) {
  const Philox4x32 r = philox4x32_10(
      index >> 1, static_cast<uint32_t>(scenario), static_cast<uint32_t>(scenario >> 32),
      kNormalStream, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  const double u = (index & 1u) ? uniformOpen53(r.v[2], r.v[3]) : uniformOpen53(r.v[0], r.v[1]);
  return normalQuantile(u);
}

// What a sampled draw needs besides (seed, s, j): the method, the set's size and for Sobol its
// replications and scrambled table (scrambledSobolTable(seed, replications, factors)).
struct DrawPlan {
  uint64_t seed = 1;
  Sampling sampling = Sampling::Mc;
  int64_t scenarios = 0;  // S: Sobol's replication layout depends on it (Sampling.h)
  int replications = 1;
  int factors = 0;
  const uint64_t* sobol = nullptr;  // (replications × factors × kSobolWords), sobol only
};

// eps[s][j] under the plan's sampling (the header comment).
XM_HD double sampledDraw(const DrawPlan& p, uint64_t scenario, uint32_t index) {
  if (p.sampling == Sampling::Antithetic) {
    const double e = normalDraw(p.seed, scenario >> 1, index);
    return (scenario & 1u) ? -e : e;
  }
  if (p.sampling == Sampling::Sobol) {
    const int64_t s = static_cast<int64_t>(scenario);
    const int r = replicationOf(p.scenarios, p.replications, s);
    const uint32_t i = static_cast<uint32_t>(s - replicationBegin(p.scenarios, p.replications, r));
    const uint64_t* words = p.sobol + (static_cast<int64_t>(r) * p.factors + index) * kSobolWords;
    return normalQuantile(scrambledSobolUniform(words, i));
  }
  return normalDraw(p.seed, scenario, index);
}

// The scenario whose Student-t mixing draw scenario s takes: its antithetic pair's first.
XM_HD uint64_t mixingScenario(Sampling sampling, uint64_t scenario) {
  return sampling == Sampling::Antithetic ? scenario & ~uint64_t{1} : scenario;
}

// Chi-square with `dof` > 2 degrees of freedom: 2 * Gamma(dof / 2), Marsaglia & Tsang (2000).
XM_HD double chiSquareDraw(uint64_t seed, uint64_t scenario, double dof) {
  const double d = dof * 0.5 - 1.0 / 3.0;
  const double c = 1.0 / sqrt(9.0 * d);
  for (int attempt = 0; attempt < kMaxGammaAttempts; ++attempt) {
    const Philox4x32 r =
        philox4x32_10(static_cast<uint32_t>(attempt), static_cast<uint32_t>(scenario),
                      static_cast<uint32_t>(scenario >> 32), kMixingStream,
                      static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
    const double x = normalQuantile(uniformOpen53(r.v[0], r.v[1]));
    const double u = uniformOpen53(r.v[2], r.v[3]);
    double v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || portableLog(u) < 0.5 * x2 + d * (1.0 - v + portableLog(v))) {
      return 2.0 * d * v;
    }
  }
  return dof;
}

constexpr uint32_t kFhsStream = 2;

// The historical day (0 .. days-1) that scenario s replays under filtered historical simulation:
// a 53-bit uniform on its own Philox stream, scaled. Pure in (seed, s).
XM_HD int64_t fhsDay(uint64_t seed, uint64_t scenario, int64_t days) {
  const Philox4x32 r =
      philox4x32_10(0, static_cast<uint32_t>(scenario), static_cast<uint32_t>(scenario >> 32),
                    kFhsStream, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  const int64_t d = static_cast<int64_t>(uniformOpen53(r.v[0], r.v[1]) * static_cast<double>(days));
  return d < days ? d : days - 1;
}

// Scale turning a correlated normal vector into a unit-variance multivariate Student-t one:
// sqrt((dof - 2) / W) with W ~ chi-square(dof) shared by every factor of the scenario.
XM_HD double studentTScale(uint64_t seed, uint64_t scenario, double dof) {
  return sqrt((dof - 2.0) / chiSquareDraw(seed, scenario, dof));
}

}  // namespace xm
