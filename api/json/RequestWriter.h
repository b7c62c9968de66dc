#pragma once
// A request as the contract's JSON (contract §2): the generator writes requests with it, and the
// backtest report echoes the config it ran with.

#include "api/json/Json.h"
#include "host/model/MarginRequest.h"

namespace xm {

Json requestToJson(const MarginRequest& request);
Json configToJson(const MarginConfig& config);

}  // namespace xm
