#include "host/engine/MarketFactors.h"

#include <sstream>

#include "host/model/Errors.h"

namespace xm {

FactorInputs factorInputs(const Market& market) {
  FactorInputs in;
  in.assets.reserve(market.assets.size());
  for (const Asset& a : market.assets)
    in.assets.push_back({a.risky(), a.hasVolFactor(), a.spotVolCorr});
  in.correlation = market.correlation;
  return in;
}

RepairMethod repairMethod(CorrelationRepair repair) {
  switch (repair) {
    case CorrelationRepair::None:
      return RepairMethod::None;
    case CorrelationRepair::Clip:
      return RepairMethod::Clip;
    case CorrelationRepair::Nearest:
      return RepairMethod::Nearest;
  }
  return RepairMethod::None;
}

CorrelationRepair correlationRepairOf(RepairMethod method) {
  switch (method) {
    case RepairMethod::None:
      return CorrelationRepair::None;
    case RepairMethod::Clip:
      return CorrelationRepair::Clip;
    case RepairMethod::Nearest:
      return CorrelationRepair::Nearest;
  }
  return CorrelationRepair::None;
}

FactorModel buildFactorModel(const Market& market, CorrelationRepair repair) {
  try {
    return buildFactorModel(factorInputs(market), repairMethod(repair));
  } catch (const NotPositiveSemidefinite& e) {
    std::ostringstream msg;
    msg << market.correlationPath << ": the correlation matrix of the risky assets is not positive "
        << "semidefinite (smallest eigenvalue " << e.smallestEigenvalue
        << "); fix it or set config.correlation_repair to \"clip\" or \"nearest\"";
    throw InputError(market.correlationPath, msg.str());
  }
}

Eigen::MatrixXd fullFactorCorrelation(const Market& market, const FactorModel& model) {
  return fullFactorCorrelation(factorInputs(market), model);
}

}  // namespace xm
