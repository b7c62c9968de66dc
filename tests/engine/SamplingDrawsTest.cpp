// The sampled draws (scenarios/Sampling.h, ShockDraws.h, Sobol.h): the unscrambled Sobol points
// against the Joe-Kuo sequence's published values, the net structure scrambling keeps, the
// replication layout, antithetic pairs as exact negations, and every draw a pure function of
// (seed, scenario, factor) whatever range generates it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "host/engine/RiskProblem.h"
#include "scenarios/ScenarioGenerator.h"
#include "scenarios/ShockDraws.h"
#include "scenarios/Sobol.h"

namespace xm {
namespace {

FactorModel correlatedModel(int assets) {
  // An equicorrelated block (rho = 0.6) of `assets` price factors.
  FactorModel model;
  model.assetFactors = assets;
  Eigen::MatrixXd c = Eigen::MatrixXd::Constant(assets, assets, 0.6);
  c.diagonal().setOnes();
  model.loading = Eigen::LLT<Eigen::MatrixXd>(c).matrixL();
  return model;
}

TEST(Sobol, UnscrambledPointsMatchTheJoeKuoSequence) {
  // Joe & Kuo's new-joe-kuo-6.21201 in their generator's Gray-code order (as printed by their
  // sobol.cc and by SciPy's qmc.Sobol(scramble=False)): Gray point n is natural point
  // n ^ (n >> 1). Values as 32-bit fractions x * 2^32. The first eight points of the first two
  // dimensions are the textbook (0,0), (.5,.5), (.75,.25), (.25,.75), (.375,.375), (.875,.875),
  // (.625,.125), (.125,.625).
  struct Row {
    int dim;
    uint32_t first8[8];
    uint32_t at1000, at123457;
  };
  const Row rows[] = {
      {0,
       {0, 2147483648u, 3221225472u, 1073741824u, 1610612736u, 3758096384u, 2684354560u,
        536870912u},
       943718400u,
       2261286912u},
      {1,
       {0, 2147483648u, 1073741824u, 3221225472u, 1610612736u, 3758096384u, 536870912u,
        2684354560u},
       415236096u,
       2932375552u},
      {2,
       {0, 2147483648u, 1073741824u, 3221225472u, 2684354560u, 536870912u, 3758096384u,
        1610612736u},
       2227175424u,
       3467149312u},
      {3,
       {0, 2147483648u, 1073741824u, 3221225472u, 3758096384u, 1610612736u, 2684354560u,
        536870912u},
       2906652672u,
       4081549312u},
      {4,
       {0, 2147483648u, 3221225472u, 1073741824u, 1610612736u, 3758096384u, 2684354560u,
        536870912u},
       1203765248u,
       2874114048u},
      {9,
       {0, 2147483648u, 3221225472u, 1073741824u, 2684354560u, 536870912u, 1610612736u,
        3758096384u},
       297795584u,
       3217195008u},
      {99,
       {0, 2147483648u, 3221225472u, 1073741824u, 3758096384u, 1610612736u, 536870912u,
        2684354560u},
       801112064u,
       1828683776u},
      {511, {}, 1698693120u, 2136506368u},
      {1023,
       {0, 2147483648u, 3221225472u, 1073741824u, 3758096384u, 1610612736u, 536870912u,
        2684354560u},
       3066036224u,
       4067196928u},
  };
  auto gray = [](uint32_t n) { return n ^ (n >> 1); };
  for (const Row& r : rows) {
    SCOPED_TRACE("dimension " + std::to_string(r.dim));
    if (r.dim != 511) {
      for (uint32_t n = 0; n < 8; ++n) EXPECT_EQ(sobolPoint(r.dim, gray(n)), r.first8[n]) << n;
    }
    EXPECT_EQ(sobolPoint(r.dim, gray(1000)), r.at1000);
    EXPECT_EQ(sobolPoint(r.dim, gray(123457)), r.at123457);
  }
}

// Point i of replication r, dimension j, as a uniform.
double scrambled(const std::vector<uint64_t>& table, int dims, int r, int j, uint32_t i) {
  return scrambledSobolUniform(table.data() + (static_cast<size_t>(r) * dims + j) * kSobolWords, i);
}

TEST(Sobol, ScramblingKeepsTheNetStructure) {
  // Matousek's linear scrambling with a digital shift maps a (t, m, s)-net to one: in every
  // dimension the first 2^m points of every replication fall one in each interval
  // [i / 2^m, (i + 1) / 2^m), and in dimensions 0 and 1 (a (0, m, 2)-net) one in each box of
  // 2^a x 2^(m-a). Independent draws would leave a third of the intervals empty.
  const int dims = 600, reps = 3, m = 10;
  const std::vector<uint64_t> table = scrambledSobolTable(2024, reps, dims);
  for (int r = 0; r < reps; ++r) {
    for (int j : {0, 1, 2, 7, 21, 599}) {
      std::set<int> cells;
      for (uint32_t i = 0; i < (1u << m); ++i) {
        const double u = scrambled(table, dims, r, j, i);
        ASSERT_GT(u, 0.0);
        ASSERT_LT(u, 1.0);
        cells.insert(static_cast<int>(u * (1 << m)));
      }
      EXPECT_EQ(cells.size(), 1u << m) << "replication " << r << " dimension " << j;
    }
    for (int a = 0; a <= m; ++a) {
      std::set<int> boxes;
      for (uint32_t i = 0; i < (1u << m); ++i) {
        const int x = static_cast<int>(scrambled(table, dims, r, 0, i) * (1 << a));
        const int y = static_cast<int>(scrambled(table, dims, r, 1, i) * (1 << (m - a)));
        boxes.insert(x * (1 << (m - a)) + y);
      }
      EXPECT_EQ(boxes.size(), 1u << m) << "replication " << r << " boxes 2^" << a;
    }
  }
}

TEST(Sobol, ScramblingIsAPureFunctionOfSeedReplicationAndDimension) {
  const std::vector<uint64_t> small = scrambledSobolTable(7, 2, 3);
  const std::vector<uint64_t> large = scrambledSobolTable(7, 4, 9);
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 3; ++j)
      for (int w = 0; w < kSobolWords; ++w)
        EXPECT_EQ(small[(r * 3 + j) * kSobolWords + w], large[(r * 9 + j) * kSobolWords + w]);
  EXPECT_NE(scrambledSobolTable(8, 2, 3), small);
  // Replications differ from one another: independent randomisations.
  EXPECT_NE(scrambled(large, 9, 0, 0, 5), scrambled(large, 9, 1, 0, 5));
}

TEST(Sampling, ReplicationLayout) {
  for (int64_t n : {10, 2500, 10000, 40001}) {
    for (int reps : {1, 3, 8}) {
      EXPECT_EQ(replicationBegin(n, reps, 0), 0);
      EXPECT_EQ(replicationBegin(n, reps, reps), n);
      for (int r = 0; r < reps; ++r) {
        const int64_t size = replicationBegin(n, reps, r + 1) - replicationBegin(n, reps, r);
        EXPECT_TRUE(size == n / reps || size == n / reps + 1) << n << " / " << reps;
      }
      for (int64_t s = 0; s < n; s += std::max<int64_t>(1, n / 97)) {
        const int r = replicationOf(n, reps, s);
        EXPECT_LE(replicationBegin(n, reps, r), s);
        EXPECT_GT(replicationBegin(n, reps, r + 1), s);
      }
    }
  }
  // Tail blocks: 10,000 scenarios in 8 replications of 1,250, each tail 13 scenarios, the 13th
  // counting half (12.5 of them at 99%); plain MC keeps contract §3's one block of k = 100.
  const std::vector<Replication> sobol = planReplications(Sampling::Sobol, 8, 10000, 0.99);
  ASSERT_EQ(sobol.size(), 8u);
  for (size_t r = 0; r < sobol.size(); ++r) {
    EXPECT_EQ(sobol[r].begin, 1250 * static_cast<int64_t>(r));
    EXPECT_EQ(sobol[r].count, 1250);
    EXPECT_EQ(sobol[r].k, 13);
    EXPECT_EQ(sobol[r].tailOffset, 13 * static_cast<int64_t>(r));
    EXPECT_NEAR(sobol[r].lastWeight, 0.5, 1e-9);
  }
  const std::vector<Replication> mc = planReplications(Sampling::Mc, 1, 10000, 0.99);
  ASSERT_EQ(mc.size(), 1u);
  EXPECT_EQ(mc[0].k, 100);
  EXPECT_EQ(mc[0].lastWeight, 1.0);
  EXPECT_EQ(planReplications(Sampling::Sobol, 4, 8000, 0.99)[0].lastWeight, 1.0);  // 20 exactly
}

TEST(Sampling, AntitheticPairsAreExactNegations) {
  // eps and the correlated Z of scenario 2p + 1 are those of 2p negated, bit for bit, Student-t
  // too (the pair shares its mixing draw); the first of each pair is plain MC's draw of p.
  const FactorModel model = correlatedModel(5);
  for (bool studentT : {false, true}) {
    ShockSpec spec{31, studentT, studentT ? 5.0 : 0.0, nullptr};
    spec.sampling = Sampling::Antithetic;
    spec.scenarios = 2000;
    ShockMatrix eps, z;
    const ScenarioGenerator gen(model, spec);
    gen.independentDraws(0, 2000, eps);
    gen.generate(0, 2000, z);
    for (int64_t p = 0; p < 1000; ++p) {
      for (int j = 0; j < 5; ++j) {
        ASSERT_EQ(eps(j, 2 * p + 1), -eps(j, 2 * p));
        ASSERT_EQ(z(j, 2 * p + 1), -z(j, 2 * p)) << "student-t " << studentT;
        ASSERT_EQ(eps(j, 2 * p), normalDraw(31, p, j));
      }
    }
  }
}

TEST(Sampling, EveryDrawIsAPureFunctionOfSeedScenarioAndFactor) {
  // A range generated alone equals the same scenarios of the whole set, under each sampling.
  const FactorModel model = correlatedModel(4);
  for (Sampling sampling : {Sampling::Antithetic, Sampling::Sobol}) {
    ShockSpec spec{5, false, 0.0, nullptr};
    spec.sampling = sampling;
    spec.replications = sampling == Sampling::Sobol ? 8 : 1;
    spec.scenarios = 10000;
    const ScenarioGenerator gen(model, spec);
    ShockMatrix whole, part;
    gen.generate(0, 10000, whole);
    for (int64_t first : {int64_t{1}, int64_t{1249}, int64_t{5001}}) {
      gen.generate(first, 777, part);
      for (int j = 0; j < 4; ++j)
        for (int64_t s = 0; s < 777; ++s) ASSERT_EQ(part(j, s), whole(j, first + s)) << first;
    }
  }
}

TEST(Sampling, SobolDrawsAreEvenlySpreadNormals) {
  // Each replication's 1,250 draws per factor: mean and variance of a standard normal far
  // closer than independent draws' (whose mean has sd 0.028): within 0.005 and 0.02.
  ShockSpec spec{9, false, 0.0, nullptr};
  spec.sampling = Sampling::Sobol;
  spec.replications = 8;
  spec.scenarios = 10000;
  FactorModel model;
  model.assetFactors = 6;
  model.loading = Eigen::MatrixXd::Identity(6, 6);
  ShockMatrix eps;
  ScenarioGenerator(model, spec).independentDraws(0, 10000, eps);
  for (int r = 0; r < 8; ++r) {
    for (int j = 0; j < 6; ++j) {
      double sum = 0, sum2 = 0;
      for (int64_t s = 1250 * r; s < 1250 * (r + 1); ++s) {
        sum += eps(j, s);
        sum2 += eps(j, s) * eps(j, s);
      }
      EXPECT_NEAR(sum / 1250, 0.0, 0.005) << r << " " << j;
      EXPECT_NEAR(sum2 / 1250, 1.0, 0.02) << r << " " << j;
    }
  }
}

}  // namespace
}  // namespace xm
