#include "api/cli/Commands.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "api/cli/Args.h"
#include "api/cli/Progress.h"
#include "api/json/BacktestJson.h"
#include "api/mpi/DistributedBacktest.h"
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
  const mpi::Job& job = mpi::Job::current();
  Json portfolio, config;
  auto read = [&] {
    portfolio = readJsonFile(a.options.at("--portfolio"), "--portfolio");
    if (a.has("--config")) config = readJsonFile(a.options.at("--config"), "--config");
  };
  if (!job.distributed()) {
    read();
  } else {
    // Rank 0 reads the portfolio and the config and broadcasts them (each rank still reads
    // --prices and --implied-vol: those folders must be visible on every node).
    std::optional<ErrorReport> failure;
    std::string text;
    try {
      if (job.rank() == 0) {
        read();
        text = Json::array({portfolio, config}).dump();
      }
    } catch (...) {
      failure = reportCurrentException();
    }
    mpi::agree(job, failure);
    job.broadcast(text);
    if (job.rank() != 0) {
      Json both = Json::parse(text);
      portfolio = std::move(both[0]);
      config = std::move(both[1]);
    }
  }
  // --method and --compare set config.method and config.compare (contract §11).
  for (const char* flag : {"--method", "--compare"}) {
    if (!a.has(flag)) continue;
    const std::string key = std::string(flag).substr(2);
    if (!config.is_null() && !config.is_object()) break;  // the parser names /config
    if (config.is_object() && config.contains(key)) {
      throw InputError("",
                       std::string(flag) + " and the --config file's \"" + key +
                           "\" both set config." + key + ": give it once",
                       ErrorKind::Usage);
    }
    const std::string& value = a.options.at(flag);
    if (key == "method") {
      config[key] = value;
      continue;
    }
    Json list = Json::array();
    for (size_t begin = 0; begin <= value.size();) {
      const size_t comma = std::min(value.find(',', begin), value.size());
      list.push_back(value.substr(begin, comma - begin));
      begin = comma + 1;
    }
    config[key] = std::move(list);
  }
  // Estimated correlations change every day, so cached shocks are rarely reused (fixed ones hit
  // one entry): a small cache keeps a 4-year backtest's memory at tens of MiB, not 256.
  setShockCacheCapacity(size_t{16} << 20);
  // Under mpirun the days are divided among the ranks; rank 0 writes the report.
  const mpi::JobDayShards shards(job);
  ProgressReporter progress("backtest", job.rank() == 0 ? progressMode(a) : ProgressMode::Off,
                            std::cerr);
  const BacktestReport report =
      runBacktest(portfolio, a.options.at("--prices"), config, start, end,
                  a.has("--implied-vol") ? a.options.at("--implied-vol") : std::string(),
                  job.distributed() ? &shards : nullptr, progress.listener());
  progress.finish();
  if (job.rank() != 0) return 0;
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
