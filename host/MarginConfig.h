#pragma once
// The request's `config` (contract §2) and the service's limits on it.

#include <cstdint>

namespace xm {

enum class RiskMeasure { ES, VaR };
enum class ShockModel { Normal, StudentT, Fhs };
enum class BackendChoice { Auto, Cpu, Cuda };
// What to do with a correlation matrix that is not positive semidefinite (README, "Model").
enum class CorrelationRepair { None, Clip, Nearest };
// Arithmetic of the CUDA backend's P&L cube, scenario losses and selection keys (README, "CUDA
// backend"). The CPU backend always computes in fp64 and reports so.
enum class Precision { Fp64, Fp32 };
// Where vols and correlations come from: the request ("given") or EWMA on market.history.
enum class VolModel { Given, Ewma };

struct MarginConfig {
  RiskMeasure measure = RiskMeasure::ES;
  double confidence = 0.99;
  double horizonDays = 1.0;
  int64_t scenarios = 10000;
  uint64_t seed = 1;
  ShockModel shocks = ShockModel::Normal;
  double dof = 0.0;  // Student-t degrees of freedom, > 2
  int fhsLookbackDays = 1000;  // filtered historical simulation
  double imMultiplier = 1.0;
  double mmRatio = 0.5;
  BackendChoice backend = BackendChoice::Auto;
  CorrelationRepair correlationRepair = CorrelationRepair::None;
  Precision precision = Precision::Fp64;
  VolModel volModel = VolModel::Given;
  double ewmaLambda = 0.94;  // RiskMetrics' daily decay
};

struct Limits {
  int64_t minScenarios = 1;
  int64_t maxScenarios = 1'000'000;
  int64_t maxAccounts = 10'000'000;
  // accounts × scenarios of one request; the nightly run (1M × 100k) fits.
  double maxWork = 1e11;
};

const char* toString(RiskMeasure m);
const char* toString(BackendChoice b);
const char* toString(CorrelationRepair r);
const char* toString(Precision p);

}  // namespace xm
