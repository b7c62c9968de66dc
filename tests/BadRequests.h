#pragma once
// Contract §5's bad inputs, each a mutation of a valid request and the JSON Pointer the error
// must name. Shared by the codec tests and the HTTP tests.

#include <cmath>
#include <functional>
#include <vector>

#include "tests/TestSupport.h"

namespace xm::test {

inline Json validRequest() {
  Json r = test::baseRequest();
  r["accounts"].push_back(test::account("acct-1",
                                        Json::array({test::position("BTC-PERP", 1, 50000)}),
                                        Json::array({{{"asset", "USD"}, {"amount", 10000}}})));
  return r;
}

// SOL beside BTC and ETH with pairwise correlations that no matrix can hold (not positive
// semidefinite): refused by the factor model, or repaired when config.correlation_repair says so.
inline void addIndefiniteCorrelations(Json& r) {
  r["market"]["assets"].push_back({{"id", "SOL"}, {"price", 100}, {"vol", 1.0}});
  r["market"]["correlations"] = {{{"a", "BTC"}, {"b", "ETH"}, {"rho", 0.9}},
                                 {{"a", "BTC"}, {"b", "SOL"}, {"rho", 0.9}},
                                 {{"a", "ETH"}, {"b", "SOL"}, {"rho", -0.9}}};
}

struct BadCase {
  const char* name;
  std::function<void(Json&)> mutate;
  const char* path;
  const char* code = "invalid_request";
};

inline const std::vector<BadCase>& badRequests() {
  static const std::vector<BadCase> cases = {
      {"wrong type: price as string", [](Json& r) { r["market"]["assets"][1]["price"] = "50000"; },
       "/market/assets/1/price"},
      {"wrong type: qty as bool", [](Json& r) { r["accounts"][0]["positions"][0]["qty"] = true; },
       "/accounts/0/positions/0/qty"},
      {"wrong type: accounts not array", [](Json& r) { r["accounts"] = Json::object(); },
       "/accounts"},
      {"wrong type: scenarios fractional", [](Json& r) { r["config"]["scenarios"] = 100.5; },
       "/config/scenarios"},
      {"missing market", [](Json& r) { r.erase("market"); }, "/market"},
      {"missing as_of", [](Json& r) { r["market"].erase("as_of"); }, "/market/as_of"},
      {"missing price", [](Json& r) { r["market"]["assets"][1].erase("price"); },
       "/market/assets/1/price"},
      {"missing entry_price",
       [](Json& r) { r["accounts"][0]["positions"][0].erase("entry_price"); },
       "/accounts/0/positions/0/entry_price"},
      {"missing option strike", [](Json& r) { r["instruments"][4].erase("strike"); },
       "/instruments/4/strike"},
      {"missing future expiry", [](Json& r) { r["instruments"][2].erase("expiry"); },
       "/instruments/2/expiry"},
      {"unknown instrument type", [](Json& r) { r["instruments"][0]["type"] = "swap"; },
       "/instruments/0/type"},
      {"unknown option right", [](Json& r) { r["instruments"][4]["right"] = "straddle"; },
       "/instruments/4/right"},
      {"unknown measure", [](Json& r) { r["config"]["measure"] = "cvar"; }, "/config/measure"},
      {"unknown shocks", [](Json& r) { r["config"]["shocks"] = "laplace"; }, "/config/shocks"},
      {"unknown backend", [](Json& r) { r["config"]["backend"] = "tpu"; }, "/config/backend"},
      {"unknown field", [](Json& r) { r["config"]["confidance"] = 0.99; }, "/config/confidance"},
      {"field not for this type", [](Json& r) { r["instruments"][0]["strike"] = 5; },
       "/instruments/0/strike"},
      {"infinite price", [](Json& r) { r["market"]["assets"][1]["price"] = HUGE_VAL; },
       "/market/assets/1/price"},
      {"zero price", [](Json& r) { r["market"]["assets"][1]["price"] = 0; },
       "/market/assets/1/price"},
      {"price beyond 1e12", [](Json& r) { r["market"]["assets"][1]["price"] = 2e12; },
       "/market/assets/1/price"},
      {"qty beyond 1e15", [](Json& r) { r["accounts"][0]["positions"][0]["qty"] = -1e300; },
       "/accounts/0/positions/0/qty"},
      {"amount beyond 1e15", [](Json& r) { r["accounts"][0]["collateral"][0]["amount"] = 1e16; },
       "/accounts/0/collateral/0/amount"},
      {"contract size beyond 1e9", [](Json& r) { r["instruments"][0]["contract_size"] = 1e10; },
       "/instruments/0/contract_size"},
      {"entry price below 1e-12",
       [](Json& r) { r["accounts"][0]["positions"][0]["entry_price"] = 1e-300; },
       "/accounts/0/positions/0/entry_price"},
      {"negative price", [](Json& r) { r["market"]["assets"][1]["price"] = -5; },
       "/market/assets/1/price"},
      {"negative strike", [](Json& r) { r["instruments"][4]["strike"] = -1; },
       "/instruments/4/strike"},
      {"negative vol", [](Json& r) { r["market"]["assets"][1]["vol"] = -0.1; },
       "/market/assets/1/vol"},
      {"negative iv", [](Json& r) { r["instruments"][4]["iv"] = -0.1; }, "/instruments/4/iv"},
      {"rho above 1", [](Json& r) { r["market"]["correlations"][0]["rho"] = 1.2; },
       "/market/correlations/0/rho"},
      {"rho below -1", [](Json& r) { r["market"]["correlations"][0]["rho"] = -1.01; },
       "/market/correlations/0/rho"},
      {"matrix entry outside [-1, 1]",
       [](Json& r) {
         r["market"].erase("correlations");
         r["market"]["correlation"] = {{"assets", {"BTC", "ETH"}},
                                       {"matrix", {{1, 1.5}, {1.5, 1}}}};
       },
       "/market/correlation/matrix/0/1"},
      {"asymmetric matrix",
       [](Json& r) {
         r["market"].erase("correlations");
         r["market"]["correlation"] = {{"assets", {"BTC", "ETH"}},
                                       {"matrix", {{1, 0.5}, {0.4, 1}}}};
       },
       "/market/correlation/matrix/1/0"},
      {"matrix not positive semidefinite", addIndefiniteCorrelations, "/market/correlations"},
      {"unknown instrument reference",
       [](Json& r) { r["accounts"][0]["positions"][0]["instrument"] = "DOGE-PERP"; },
       "/accounts/0/positions/0/instrument"},
      {"unknown underlying", [](Json& r) { r["instruments"][0]["underlying"] = "DOGE"; },
       "/instruments/0/underlying"},
      {"unknown collateral asset",
       [](Json& r) { r["accounts"][0]["collateral"][0]["asset"] = "EUR"; },
       "/accounts/0/collateral/0/asset"},
      {"unknown asset in correlations",
       [](Json& r) { r["market"]["correlations"][0]["b"] = "XRP"; }, "/market/correlations/0/b"},
      {"duplicate asset id", [](Json& r) { r["market"]["assets"][2]["id"] = "BTC"; },
       "/market/assets/2/id"},
      {"duplicate instrument id", [](Json& r) { r["instruments"][1]["id"] = "BTC-PERP"; },
       "/instruments/1/id"},
      {"duplicate account id", [](Json& r) { r["accounts"].push_back(r["accounts"][0]); },
       "/accounts/1/id"},
      {"duplicate correlation pair",
       [](Json& r) {
         r["market"]["correlations"].push_back({{"a", "ETH"}, {"b", "BTC"}, {"rho", 0.5}});
       },
       "/market/correlations/1"},
      {"confidence 0", [](Json& r) { r["config"]["confidence"] = 0; }, "/config/confidence"},
      {"confidence 1", [](Json& r) { r["config"]["confidence"] = 1; }, "/config/confidence"},
      {"confidence 1.5", [](Json& r) { r["config"]["confidence"] = 1.5; }, "/config/confidence"},
      {"student-t dof 2",
       [](Json& r) {
         r["config"]["shocks"] = {{"student_t", {{"dof", 2}}}};
       },
       "/config/shocks/student_t/dof"},
      {"student-t dof 1.5",
       [](Json& r) {
         r["config"]["shocks"] = {{"student_t", {{"dof", 1.5}}}};
       },
       "/config/shocks/student_t/dof"},
      {"scenarios 0", [](Json& r) { r["config"]["scenarios"] = 0; }, "/config/scenarios"},
      {"scenarios above limit", [](Json& r) { r["config"]["scenarios"] = 2000000; },
       "/config/scenarios"},
      {"negative seed", [](Json& r) { r["config"]["seed"] = -1; }, "/config/seed"},
      {"bad timestamp", [](Json& r) { r["market"]["as_of"] = "2026-02-30T00:00:00Z"; },
       "/market/as_of"},
      {"empty id", [](Json& r) { r["accounts"][0]["id"] = ""; }, "/accounts/0/id"},
      {"mm_ratio above 1", [](Json& r) { r["config"]["mm_ratio"] = 1.5; }, "/config/mm_ratio"},
      {"unknown precision", [](Json& r) { r["config"]["precision"] = "fp16"; },
       "/config/precision"},
      {"horizon 0", [](Json& r) { r["config"]["horizon_days"] = 0; }, "/config/horizon_days"},
      // config.sampling and config.replications (docs/sampling.md)
      {"unknown sampling", [](Json& r) { r["config"]["sampling"] = "halton"; }, "/config/sampling"},
      {"sampling as number", [](Json& r) { r["config"]["sampling"] = 1; }, "/config/sampling"},
      {"importance sampling refused",
       [](Json& r) {
         r["config"]["sampling"] = {{"importance", Json::object()}};
       },
       "/config/sampling"},
      {"replications without sobol", [](Json& r) { r["config"]["replications"] = 8; },
       "/config/replications"},
      {"replications 1",
       [](Json& r) {
         r["config"]["sampling"] = "sobol";
         r["config"]["replications"] = 1;
       },
       "/config/replications"},
      {"replications fractional",
       [](Json& r) {
         r["config"]["sampling"] = "sobol";
         r["config"]["replications"] = 8.5;
       },
       "/config/replications"},
      {"antithetic with odd scenarios",
       [](Json& r) {
         r["config"]["sampling"] = "antithetic";
         r["config"]["scenarios"] = 4001;
       },
       "/config/scenarios"},
      {"antithetic with fhs",
       [](Json& r) {
         r["config"]["sampling"] = "antithetic";
         r["config"]["shocks"] = {{"fhs", {{"lookback_days", 500}}}};
       },
       "/config/sampling"},
      {"sobol with student_t",
       [](Json& r) {
         r["config"]["sampling"] = "sobol";
         r["config"]["shocks"] = {{"student_t", {{"dof", 4}}}};
       },
       "/config/sampling"},
      {"sobol with too few scenarios per replication",
       [](Json& r) {
         r["config"]["sampling"] = "sobol";
         r["config"]["scenarios"] = 799;  // 8 replications need 100 each at 99%
       },
       "/config/scenarios"},
  };
  return cases;
}

}  // namespace xm::test
