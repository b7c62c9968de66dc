#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/cli/Args.h"
#include "api/cli/Commands.h"
#include "api/cli/Progress.h"
#include "api/json/ClearingJson.h"
#include "api/mpi/DistributedSimulation.h"
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
  const ProgressMode mode = progressMode(a);
  const mpi::Job& job = mpi::Job::current();
  SimulateRequest sim;
  if (!job.distributed()) {
    const InputText input(a.positional[0], "request");
    sim = parseSimulateText(input.text());
    loadMarketFiles(a, sim.request);
  } else {
    // Rank 0 reads the request and broadcasts its text; every rank parses all of it (every
    // path touches every account) and reads --prices / --implied-vol itself.
    mpi::selectGpuOfRank(job);
    std::unique_ptr<InputText> input;
    std::optional<ErrorReport> failure;
    try {
      if (job.rank() == 0) input = std::make_unique<InputText>(a.positional[0], "request");
    } catch (...) {
      failure = reportCurrentException();
    }
    mpi::agree(job, failure);
    std::string received;
    const std::string_view text = job.broadcastView(input ? input->text() : "", received);
    try {
      sim = parseSimulateText(text);
      loadMarketFiles(a, sim.request);
    } catch (...) {
      failure = reportCurrentException();
    }
    mpi::agree(job, failure);
  }
  // Under mpirun the Monte Carlo paths are divided among the ranks; rank 0 writes the result.
  const mpi::JobPathShards shards(job);
  // Progress from rank 0 only (its accounts at t0, then its share of the paths).
  ProgressReporter progress("simulate", job.rank() == 0 ? mode : ProgressMode::Off, std::cerr);
  EngineOptions options;
  options.progress = progress.listener();
  const ClearingResult result = simulateClearing(sim.request, sim.clearing, options, {},
                                                 job.distributed() ? &shards : nullptr);
  progress.finish();
  if (job.rank() != 0) return 0;
  writeOutput(a, [&](std::ostream& out) {
    if (format == "table")
      out << clearingTable(sim, result);
    else
      out << toText(clearingToJson(sim, result), a.has("--pretty") ? 2 : -1) << "\n";
  });
  return 0;
}

}  // namespace xm
