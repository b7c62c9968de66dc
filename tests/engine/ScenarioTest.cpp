// The draws: Philox known answers, the normal quantile against references, purity of
// eps[s][j] in (seed, s, j), and the moments of normal, chi-square and Student-t draws.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "host/engine/MarketFactors.h"
#include "scenarios/ScenarioGenerator.h"
#include "scenarios/ShockDraws.h"
#include "tests/NormalReference.h"

namespace xm {
namespace {

TEST(Philox, KnownAnswerVectorsFromRandom123) {
  // Random123's kat_vectors, "philox4x32 10": counter[4] key[2] -> output[4].
  struct Kat {
    uint32_t c[4], k[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& kat : kats) {
    const Philox4x32 r = philox4x32_10(kat.c[0], kat.c[1], kat.c[2], kat.c[3], kat.k[0], kat.k[1]);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(r.v[i], kat.out[i]) << "word " << i;
  }
}

TEST(PortableMath, LogWithinTwoUlpOfLibm) {
  std::mt19937_64 gen(42);
  std::uniform_real_distribution<double> exponent(-700, 700);
  for (int i = 0; i < 200000; ++i) {
    const double x = std::exp(exponent(gen));
    const double ref = std::log(x);
    EXPECT_NEAR(portableLog(x), ref, 2.5 * std::abs(ref) * 2.2e-16 + 1e-300) << "x=" << x;
  }
  EXPECT_EQ(portableLog(1.0), 0.0);
}

TEST(PortableMath, NormalQuantileMatchesTextbookValues) {
  // Published quantiles of the standard normal (e.g. Abramowitz & Stegun table 26.5).
  EXPECT_NEAR(normalQuantile(0.975), 1.959963984540054, 1e-14);
  EXPECT_NEAR(normalQuantile(0.99), 2.326347874040841, 1e-14);
  EXPECT_NEAR(normalQuantile(0.995), 2.575829303548901, 1e-14);
  EXPECT_NEAR(normalQuantile(0.5), 0.0, 1e-16);
  EXPECT_NEAR(normalQuantile(1e-10), -6.361340902404056, 1e-12);
  // And against bisection on erfc across the range, tails included.
  for (double p : {1e-300, 1e-100, 1e-20, 1e-6, 0.01, 0.2, 0.5, 0.7, 0.93, 0.999999, 1 - 1e-15}) {
    EXPECT_NEAR(normalQuantile(p), test::phiInverse(p),
                1e-12 * std::max(1.0, std::abs(test::phiInverse(p))))
        << "p=" << p;
  }
}

TEST(ShockDraws, EachDrawIsAPureFunctionOfSeedScenarioIndex) {
  // The same eps[s][j] whichever range generates it.
  FactorModel model;
  model.assetFactors = 5;
  model.loading = Eigen::MatrixXd::Identity(5, 5);
  ScenarioGenerator gen(model, {123, false, 0, nullptr});
  ShockMatrix whole, part;
  gen.independentDraws(0, 1000, whole);
  gen.independentDraws(517, 100, part);
  for (int j = 0; j < 5; ++j)
    for (int s = 0; s < 100; ++s) EXPECT_EQ(part(j, s), whole(j, 517 + s));
  EXPECT_EQ(whole(3, 999), normalDraw(123, 999, 3));
  EXPECT_NE(normalDraw(123, 5, 0), normalDraw(124, 5, 0));
  EXPECT_NE(normalDraw(123, 5, 0), normalDraw(123, 6, 0));
  EXPECT_NE(normalDraw(123, 5, 0), normalDraw(123, 5, 1));
}

TEST(ShockDraws, NormalMomentsAndTail) {
  const int n = 400000;
  double sum = 0, sum2 = 0, sum4 = 0;
  int below = 0;
  for (int s = 0; s < n; ++s) {
    const double z = normalDraw(9, s, s % 7);
    sum += z;
    sum2 += z * z;
    sum4 += z * z * z * z;
    below += z < -2.326347874040841;
  }
  // Standard errors: mean 1/sqrt(n) = 0.0016, variance sqrt(2/n) = 0.0022, kurtosis ~0.02.
  EXPECT_NEAR(sum / n, 0.0, 0.0064);
  EXPECT_NEAR(sum2 / n, 1.0, 0.009);
  EXPECT_NEAR(sum4 / n, 3.0, 0.06);
  // P(Z < z_0.01) = 0.01, standard error sqrt(0.01 * 0.99 / n) = 1.6e-4.
  EXPECT_NEAR(static_cast<double>(below) / n, 0.01, 6.4e-4);
}

TEST(ShockDraws, ChiSquareAndStudentTMoments) {
  for (double dof : {3.0, 4.0, 7.5, 30.0}) {
    const int n = 200000;
    double sum = 0, sum2 = 0, t2 = 0;
    for (int s = 0; s < n; ++s) {
      const double w = chiSquareDraw(11, s, dof);
      sum += w;
      sum2 += w * w;
      const double scale = studentTScale(11, s, dof);
      const double z = normalDraw(11, s, 0) * scale;
      t2 += z * z;
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    // chi-square(dof): mean dof, variance 2 dof; 4 standard errors.
    EXPECT_NEAR(mean, dof, 4 * std::sqrt(2 * dof / n)) << "dof=" << dof;
    EXPECT_NEAR(var, 2 * dof, 0.05 * 2 * dof) << "dof=" << dof;
    // Unit-variance Student-t. E[T^4] = 3 (dof - 2) / (dof - 4) is finite only for dof > 4, so
    // only there does the sample variance have a standard error: 5 of them.
    if (dof > 4.5) {
      const double sdT2 = std::sqrt((3 * (dof - 2) / (dof - 4) - 1) / n);
      EXPECT_NEAR(t2 / n, 1.0, 5 * sdT2) << "dof=" << dof;
    }
  }
}

TEST(ShockDraws, StudentTHasFatterTailsThanNormal) {
  const int n = 200000;
  int tNormal = 0, tStudent = 0;
  for (int s = 0; s < n; ++s) {
    const double z = normalDraw(5, s, 0);
    tNormal += std::abs(z) > 3.0;
    tStudent += std::abs(z * studentTScale(5, s, 4.0)) > 3.0;
  }
  // P(|Z| > 3) = 0.0027 for the normal; a unit-variance t(4) is T4 / sqrt(2), so it puts
  // P(|T4| > 3 sqrt(2)) = 0.01324 there (the t(4) density integrated numerically).
  // Standard errors 1.2e-4 and 2.6e-4: bands of about 4 of them.
  EXPECT_NEAR(static_cast<double>(tNormal) / n, 0.0027, 0.0005);
  EXPECT_NEAR(static_cast<double>(tStudent) / n, 0.01324, 0.0011);
}

}  // namespace
}  // namespace xm

#include "scenarios/ShockCache.h"

namespace xm {
namespace {

TEST(ShockCache, ReturnsTheGeneratorsBitsAndKeysOnEverything) {
  Market m;
  m.assets = {{"A", 1.0, 0.5, 0.0, 0.0}, {"B", 2.0, 0.7, 1.0, -0.5}};
  m.correlation = Eigen::MatrixXd::Identity(2, 2);
  m.correlation(0, 1) = m.correlation(1, 0) = 0.3;
  const FactorModel model = buildFactorModel(m, CorrelationRepair::None);
  const ShockSpec spec{42, true, 5.0, nullptr};
  ShockMatrix fresh;
  ScenarioGenerator(model, spec).generate(0, 3000, fresh);
  const auto first = cachedShocks(model, spec, 3000);
  const auto again = cachedShocks(model, spec, 3000);
  EXPECT_EQ(first.get(), again.get());  // served from the cache
  EXPECT_TRUE(*first == fresh);         // bit for bit
  EXPECT_NE(cachedShocks(model, {43, true, 5.0, nullptr}, 3000).get(), first.get());
  EXPECT_NE(cachedShocks(model, {42, true, 6.0, nullptr}, 3000).get(), first.get());
  EXPECT_NE(cachedShocks(model, {42, false, 0.0, nullptr}, 3000).get(), first.get());
  EXPECT_NE(cachedShocks(model, spec, 3001).get(), first.get());
  FactorModel other = model;
  other.loading(1, 0) += 1e-15;
  EXPECT_NE(cachedShocks(other, spec, 3000).get(), first.get());
  setShockCacheCapacity(0);  // disabled: every call generates
  EXPECT_NE(cachedShocks(model, spec, 3000).get(), cachedShocks(model, spec, 3000).get());
  setShockCacheCapacity(size_t{256} << 20);
}

}  // namespace
}  // namespace xm
