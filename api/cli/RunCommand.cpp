#include "api/cli/Commands.h"

#include <iostream>
#include <sstream>
#include <string>

#include "api/cli/Args.h"
#include "api/json/JsonCodec.h"
#include "host/margin/MarginEngine.h"
#include "host/market/PriceFiles.h"
#include "host/model/Errors.h"
#include "host/model/WireNames.h"
#include "scenarios/ShockCache.h"

namespace xm {

int runCommand(const Args& a) {
  if (a.positional.size() != 1)
    throw InputError("", "run takes one REQUEST.json (see --help)", ErrorKind::Usage);
  applyThreads(a);
  Limits limits;
  limits.maxScenarios = intOption(a, "--max-scenarios", limits.maxScenarios, 1, 100'000'000);
  EngineOptions options;
  options.batchAccounts = intOption(a, "--batch-accounts", 0, 1, int64_t{1} << 40);
  MarginRequest request = readRequest(a.positional[0], limits);
  if (a.has("--prices")) {
    if (!request.market.history.empty()) {
      throw InputError("/market/history",
                       "give daily closes either in market.history or with --prices, not both",
                       ErrorKind::Usage);
    }
    if (loadPriceFiles(a.options.at("--prices"), request.market) == 0) {
      throw InputError("",
                       "--prices: no <ASSET>-USD_1d.csv file in " + a.options.at("--prices") +
                           " matches an asset of the request",
                       ErrorKind::Usage);
    }
  }
  if (a.has("--implied-vol")) {
    if (loadImpliedVolFiles(a.options.at("--implied-vol"), request.market) == 0) {
      throw InputError("",
                       "--implied-vol: no <ASSET>-DVOL_1d.csv file in " +
                           a.options.at("--implied-vol") +
                           " matches an asset with history (market.history or --prices)",
                       ErrorKind::Usage);
    }
  }
  if (a.has("--backend")) {
    const std::string& b = a.options.at("--backend");
    const auto choice = fromWireName<BackendChoice>(b);
    if (!choice)
      throw InputError(
          "", "--backend must be " + wireNameChoices<BackendChoice>() + ", got \"" + b + "\"",
          ErrorKind::Usage);
    request.config.backend = *choice;
  }
  if (a.has("--precision")) {
    const std::string& p = a.options.at("--precision");
    const auto choice = fromWireName<Precision>(p);
    if (!choice)
      throw InputError(
          "", "--precision must be " + wireNameChoices<Precision>() + ", got \"" + p + "\"",
          ErrorKind::Usage);
    request.config.precision = *choice;
  }
  const int indent = a.has("--pretty") ? 2 : -1;
  auto compute = [&](std::ostream& out) {
    StreamingResponseWriter writer(request, out, indent);
    writer.finish(runMargin(request, options, writer));
  };
  writeOutput(a, compute);
  return 0;
}

}  // namespace xm
