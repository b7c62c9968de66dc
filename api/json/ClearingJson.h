#pragma once
// The clearing simulation's JSON (contract §9): a margin request with a `clearing` object in,
// the t0 margin results and the simulation's figures out, and the risk officer's table.

#include <string>
#include <string_view>

#include "api/json/Json.h"
#include "host/clearing/Clearing.h"

namespace xm {

struct SimulateRequest {
  MarginRequest request;
  ClearingConfig clearing;
};

// Parses and validates; throws InputError naming the field (/clearing/... for the simulation's).
SimulateRequest parseSimulateRequest(Json body, const Limits& limits = {});
SimulateRequest parseSimulateText(std::string_view text, const Limits& limits = {});

Json clearingToJson(const SimulateRequest& sim, const ClearingResult& result);
std::string clearingTable(const SimulateRequest& sim, const ClearingResult& result);

}  // namespace xm
