#include "scenarios/FactorModel.h"

#include <cmath>
#include <stdexcept>

namespace xm {
namespace {

// Tolerance for "semidefinite": eigenvalues above -kPsdTolerance count as zero.
constexpr double kPsdTolerance = 1e-10;

Eigen::MatrixXd unitDiagonal(const Eigen::MatrixXd& c) {
  const Eigen::VectorXd d = c.diagonal().cwiseMax(1e-300).cwiseSqrt().cwiseInverse();
  Eigen::MatrixXd out = d.asDiagonal() * c * d.asDiagonal();
  out.diagonal().setOnes();
  return out;
}

}  // namespace

bool factorCorrelation(const Eigen::MatrixXd& c, Eigen::MatrixXd& factor, double* minEigenvalue) {
  const Eigen::Index n = c.rows();
  if (minEigenvalue) *minEigenvalue = 1.0;
  if (n == 0) {
    factor.resize(0, 0);
    return true;
  }
  Eigen::LLT<Eigen::MatrixXd> llt(c);
  if (llt.info() == Eigen::Success) {
    factor = llt.matrixL();
    return true;
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(c, Eigen::EigenvaluesOnly);
  const double lambdaMin = eig.eigenvalues().minCoeff();
  if (minEigenvalue) *minEigenvalue = lambdaMin;
  if (lambdaMin < -kPsdTolerance) return false;
  // Semidefinite (perfectly correlated assets, say): P^T L D L^T P with D >= 0.
  Eigen::LDLT<Eigen::MatrixXd> ldlt(c);
  const Eigen::VectorXd d = ldlt.vectorD().cwiseMax(0.0).cwiseSqrt();
  Eigen::MatrixXd l = ldlt.matrixL();
  factor = ldlt.transpositionsP().transpose() * (l * d.asDiagonal());
  return true;
}

Eigen::MatrixXd clipEigenvalues(const Eigen::MatrixXd& c, double floor) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(c);
  const Eigen::VectorXd lambda = eig.eigenvalues().cwiseMax(floor);
  return unitDiagonal(eig.eigenvectors() * lambda.asDiagonal() * eig.eigenvectors().transpose());
}

Eigen::MatrixXd nearestCorrelation(const Eigen::MatrixXd& c, double tolerance, int maxIterations) {
  // Higham (2002), Algorithm 3.3 with unit weights: alternate the projection onto the PSD cone
  // (S) and onto unit-diagonal matrices (U), with Dykstra's correction on the S step.
  Eigen::MatrixXd y = c, x = c;
  Eigen::MatrixXd correction = Eigen::MatrixXd::Zero(c.rows(), c.cols());
  for (int it = 0; it < maxIterations; ++it) {
    const Eigen::MatrixXd r = y - correction;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(r);
    const Eigen::VectorXd lambda = eig.eigenvalues().cwiseMax(0.0);
    x = eig.eigenvectors() * lambda.asDiagonal() * eig.eigenvectors().transpose();
    correction = x - r;
    Eigen::MatrixXd next = x;
    next.diagonal().setOnes();
    const double change = (next - y).norm() / std::max(1.0, y.norm());
    y = next;
    if (change < tolerance) break;
  }
  // The limit is semidefinite up to rounding; clip the last crumbs so the factorisation succeeds.
  return clipEigenvalues(y, 0.0);
}

FactorModel buildFactorModel(const FactorInputs& market, RepairMethod repair) {
  FactorModel model;
  const int n = static_cast<int>(market.assets.size());
  model.priceFactorOf.assign(n, -1);
  model.volFactorOf.assign(n, -1);
  std::vector<int> risky;
  for (int a = 0; a < n; ++a) {
    if (market.assets[a].risky) {
      model.priceFactorOf[a] = model.assetFactors++;
      risky.push_back(a);
    }
  }
  for (int a = 0; a < n; ++a) {
    if (market.assets[a].volFactor) {
      model.volFactorOf[a] = model.assetFactors + model.volFactors++;
    }
  }

  const int m = model.assetFactors;
  Eigen::MatrixXd c(m, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) c(i, j) = market.correlation(risky[i], risky[j]);

  Eigen::MatrixXd la;
  double lambdaMin = 1.0;
  if (!factorCorrelation(c, la, &lambdaMin)) {
    if (repair == RepairMethod::None) throw NotPositiveSemidefinite(lambdaMin);
    const Eigen::MatrixXd repaired =
        repair == RepairMethod::Clip ? clipEigenvalues(c) : nearestCorrelation(c);
    model.repair = repair;
    model.repairDistance = (repaired - c).norm();
    if (!factorCorrelation(repaired, la, &lambdaMin)) {
      throw std::logic_error("a repaired correlation matrix must factorise");
    }
  }

  const int f = model.factors();
  model.loading = Eigen::MatrixXd::Zero(f, f);
  model.loading.topLeftCorner(m, m) = la;
  for (int a = 0; a < n; ++a) {
    const int v = model.volFactorOf[a];
    if (v < 0) continue;
    const double rho = market.assets[a].spotVolCorr;
    model.loading.row(v).head(m) = rho * la.row(model.priceFactorOf[a]);
    model.loading(v, v) = std::sqrt(std::max(0.0, 1.0 - rho * rho));
  }
  return model;
}

Eigen::MatrixXd fullFactorCorrelation(const FactorInputs& market, const FactorModel& model) {
  const int f = model.factors();
  const int n = static_cast<int>(market.assets.size());
  Eigen::MatrixXd full = Eigen::MatrixXd::Identity(f, f);
  // For each pair of factors, the correlation implied by Z_v = rho Z_a + sqrt(1-rho^2) eps_v.
  struct Ref {
    int asset;
    bool vol;
  };
  std::vector<Ref> refs(f);
  for (int a = 0; a < n; ++a) {
    if (model.priceFactorOf[a] >= 0) refs[model.priceFactorOf[a]] = {a, false};
    if (model.volFactorOf[a] >= 0) refs[model.volFactorOf[a]] = {a, true};
  }
  for (int i = 0; i < f; ++i) {
    for (int j = 0; j < f; ++j) {
      if (i == j) continue;
      const Ref& p = refs[i];
      const Ref& q = refs[j];
      const double rp = p.vol ? market.assets[p.asset].spotVolCorr : 1.0;
      const double rq = q.vol ? market.assets[q.asset].spotVolCorr : 1.0;
      full(i, j) = rp * rq * (p.asset == q.asset ? 1.0 : market.correlation(p.asset, q.asset));
    }
  }
  return full;
}

}  // namespace xm
