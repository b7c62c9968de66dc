#include "api/cli/Commands.h"

#include <iostream>
#include <sstream>
#include <string>

#include "api/cli/Args.h"
#include "api/json/Json.h"
#include "host/margin/BackendRegistry.h"
#include "host/model/Errors.h"
#include "host/model/Version.h"

namespace xm {

int infoCommand(const Args&) {
  Json backends = Json::array();
  for (const BackendAvailability& b : listBackends()) {
    backends.push_back({{"name", b.name},
                        {"compiled", b.compiled},
                        {"usable", b.usable},
                        {"device", b.device},
                        {"reason", b.reason}});
  }
  const Limits limits;
  Json info{{"version", kVersion},
            {"backends", backends},
            {"limits",
             {{"min_scenarios", limits.minScenarios},
              {"max_scenarios", limits.maxScenarios},
              {"max_accounts", limits.maxAccounts},
              {"max_work", limits.maxWork}}}};
  std::cout << toText(info, 2) << "\n";
  return 0;
}

}  // namespace xm
