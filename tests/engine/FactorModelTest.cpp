// The factor model: L L^T equals the full factor correlation (implied-vol factors included),
// semidefinite matrices are accepted, indefinite ones refused with the path, and the repairs.
#include <gtest/gtest.h>

#include "host/engine/MarketFactors.h"
#include "host/model/Errors.h"
#include "scenarios/FactorModel.h"

namespace xm {
namespace {

Market threeAssets(double rhoAB, double rhoAC, double rhoBC) {
  Market m;
  m.assets = {{"USD", 1.0, 0.0, 0.0, 0.0},
              {"A", 10.0, 0.5, 1.5, -0.4},
              {"B", 20.0, 0.6, 0.0, 0.0},
              {"C", 30.0, 0.7, 0.8, 0.6}};
  m.correlation = Eigen::MatrixXd::Identity(4, 4);
  m.correlation(1, 2) = m.correlation(2, 1) = rhoAB;
  m.correlation(1, 3) = m.correlation(3, 1) = rhoAC;
  m.correlation(2, 3) = m.correlation(3, 2) = rhoBC;
  return m;
}

TEST(FactorModel, LoadingReproducesFullFactorCorrelation) {
  const Market m = threeAssets(0.8, 0.3, -0.2);
  const FactorModel f = buildFactorModel(m, CorrelationRepair::None);
  ASSERT_EQ(f.assetFactors, 3);
  ASSERT_EQ(f.volFactors, 2);
  EXPECT_EQ(f.priceFactorOf[0], -1);  // USD is riskless
  EXPECT_EQ(f.volFactorOf[1], 3);
  EXPECT_EQ(f.volFactorOf[3], 4);
  const Eigen::MatrixXd full = fullFactorCorrelation(m, f);
  // Spot-vol correlation of A's vol factor with A: -0.4; with C: -0.4 * 0.3.
  EXPECT_NEAR(full(3, 0), -0.4, 1e-15);
  EXPECT_NEAR(full(3, 2), -0.4 * 0.3, 1e-15);
  EXPECT_NEAR(full(3, 4), -0.4 * 0.6 * 0.3, 1e-15);
  EXPECT_LT((f.loading * f.loading.transpose() - full).cwiseAbs().maxCoeff(), 1e-14);
  // Lower triangular: a Cholesky factor.
  EXPECT_LT(f.loading.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().cwiseAbs().maxCoeff(),
            1e-300);
}

TEST(FactorModel, SemidefiniteMatrixIsAccepted) {
  // Perfectly correlated A and B: singular but positive semidefinite.
  const Market m = threeAssets(1.0, 0.5, 0.5);
  const FactorModel f = buildFactorModel(m, CorrelationRepair::None);
  const Eigen::MatrixXd full = fullFactorCorrelation(m, f);
  EXPECT_LT((f.loading * f.loading.transpose() - full).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(FactorModel, IndefiniteMatrixIsRefusedWithItsPath) {
  Market m = threeAssets(0.9, 0.9, -0.9);  // eigenvalue -0.8: not a correlation matrix
  m.correlationPath = "/market/correlations";
  try {
    buildFactorModel(m, CorrelationRepair::None);
    FAIL() << "an indefinite matrix was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/market/correlations");
    EXPECT_NE(std::string(e.what()).find("positive semidefinite"), std::string::npos);
  }
}

TEST(FactorModel, RepairsGiveValidCorrelationMatrices) {
  const Market m = threeAssets(0.9, 0.9, -0.9);
  for (CorrelationRepair r : {CorrelationRepair::Clip, CorrelationRepair::Nearest}) {
    const FactorModel f = buildFactorModel(m, r);
    EXPECT_GT(f.repairDistance, 0.0);
    const Eigen::MatrixXd c =
        f.loading.topLeftCorner(3, 3) * f.loading.topLeftCorner(3, 3).transpose();
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(c(i, i), 1.0, 1e-12);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(c);
    EXPECT_GT(eig.eigenvalues().minCoeff(), -1e-12);
  }
  // The nearest matrix is never farther from the input than the clipped one.
  EXPECT_LE(buildFactorModel(m, CorrelationRepair::Nearest).repairDistance,
            buildFactorModel(m, CorrelationRepair::Clip).repairDistance + 1e-9);
}

TEST(FactorModel, NearestCorrelationMatchesHighamsExample) {
  // Higham (2002), section 4 (also NAG g02aa's example): the nearest correlation matrix to the
  // tridiagonal [2 -1; -1 2 -1; ...] of order 4.
  Eigen::MatrixXd g(4, 4);
  g << 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2;
  Eigen::MatrixXd expected(4, 4);
  expected << 1.0000, -0.8084, 0.1916, 0.1068, -0.8084, 1.0000, -0.6562, 0.1916, 0.1916, -0.6562,
      1.0000, -0.8084, 0.1068, 0.1916, -0.8084, 1.0000;
  const Eigen::MatrixXd x = nearestCorrelation(g);
  EXPECT_LT((x - expected).cwiseAbs().maxCoeff(), 1e-4) << x;
}

}  // namespace
}  // namespace xm
