#pragma once
// The market's risk factors (scenarios/FactorModel.h) built from a request's market: what the
// factor model takes of it, and the error that names where a bad correlation matrix came from.

#include <Eigen/Dense>

#include "host/model/MarginConfig.h"
#include "host/model/Market.h"
#include "scenarios/FactorModel.h"

namespace xm {

FactorInputs factorInputs(const Market& market);
RepairMethod repairMethod(CorrelationRepair repair);
CorrelationRepair correlationRepairOf(RepairMethod method);

// Throws InputError (at market.correlationPath) for a matrix that is not positive semidefinite
// when `repair` is None.
FactorModel buildFactorModel(const Market& market, CorrelationRepair repair);
Eigen::MatrixXd fullFactorCorrelation(const Market& market, const FactorModel& model);

}  // namespace xm
