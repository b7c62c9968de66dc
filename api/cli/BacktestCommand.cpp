#include "api/cli/Commands.h"

#include <iostream>
#include <sstream>
#include <string>

#include "api/cli/Args.h"
#include "api/json/BacktestJson.h"
#include "host/base/Files.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"
#include "scenarios/ShockCache.h"

namespace xm {

int backtestCommand(const Args& a) {
  if (!a.positional.empty())
    throw InputError("", "backtest takes options only (see --help)", ErrorKind::Usage);
  if (!a.has("--prices") || !a.has("--portfolio")) {
    throw InputError("", "backtest needs --prices DIR and --portfolio FILE (see --help)",
                     ErrorKind::Usage);
  }
  const std::string format = a.has("--format") ? a.options.at("--format") : "json";
  if (format != "json" && format != "table") {
    throw InputError("", "--format must be json or table, got \"" + format + "\"",
                     ErrorKind::Usage);
  }
  applyThreads(a);
  const long long start = dateOption(a, "--start"), end = dateOption(a, "--end");
  const Json portfolio = readJsonFile(a.options.at("--portfolio"), "--portfolio");
  const Json config =
      a.has("--config") ? readJsonFile(a.options.at("--config"), "--config") : Json();
  // Estimated correlations change every day, so cached shocks are rarely reused (fixed ones hit
  // one entry): a small cache keeps a 4-year backtest's memory at tens of MiB, not 256.
  setShockCacheCapacity(size_t{16} << 20);
  const BacktestReport report =
      runBacktest(portfolio, a.options.at("--prices"), config, start, end,
                  a.has("--implied-vol") ? a.options.at("--implied-vol") : std::string());
  auto write = [&](std::ostream& out) {
    if (format == "table")
      out << backtestTable(report);
    else
      out << toText(backtestToJson(report), 2) << "\n";
  };
  if (a.has("--series")) {
    writeFileAtomically(a.options.at("--series"),
                        [&](std::ostream& out) { writeBacktestSeries(report, out); });
  }
  writeOutput(a, write);
  return 0;
}

}  // namespace xm
