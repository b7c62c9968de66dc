#include <iostream>
#include <string>

#include "api/cli/Args.h"
#include "api/cli/Commands.h"
#include "api/json/ClearingJson.h"
#include "host/base/Files.h"
#include "host/model/Errors.h"

namespace xm {

int simulateCommand(const Args& a) {
  if (a.positional.size() != 1)
    throw InputError("", "simulate takes one REQUEST.json (see --help)", ErrorKind::Usage);
  applyThreads(a);
  const std::string format = a.has("--format") ? a.options.at("--format") : "json";
  if (format != "json" && format != "table")
    throw InputError("", "--format must be json or table, got \"" + format + "\"",
                     ErrorKind::Usage);
  const InputText input(a.positional[0], "request");
  SimulateRequest sim = parseSimulateText(input.text());
  loadMarketFiles(a, sim.request);
  const ClearingResult result = simulateClearing(sim.request, sim.clearing);
  writeOutput(a, [&](std::ostream& out) {
    if (format == "table")
      out << clearingTable(sim, result);
    else
      out << toText(clearingToJson(sim, result), a.has("--pretty") ? 2 : -1) << "\n";
  });
  return 0;
}

}  // namespace xm
