#include "api/cli/Commands.h"

#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "api/cli/Args.h"
#include "api/cli/Progress.h"
#include "api/json/CsvWriter.h"
#include "api/json/JsonCodec.h"
#include "api/json/ResponseWriter.h"
#include "api/mpi/DistributedRun.h"
#include "host/base/Files.h"
#include "host/intraday/Snapshot.h"
#include "host/margin/MarginEngine.h"
#include "host/model/Errors.h"
#include "host/model/WireNames.h"
#include "scenarios/ShockCache.h"

namespace xm {
namespace {

// run REQUEST --snapshot FILE: the accounts of REQUEST on the snapshot FILE defines.
int runOnSnapshot(const Args& a, const Limits& limits, const EngineOptions& options) {
  if (a.has("--backend") || a.has("--precision"))
    throw InputError("",
                     "with --snapshot, the backend and precision are the snapshot file's "
                     "config (snapshots run on the CPU)",
                     ErrorKind::Usage);
  const auto snapshot = loadSnapshot(a, limits, options);
  const InputText input(a.positional[0], "request");
  RequestOptions parse;
  parse.snapshots = lookupOf(snapshot);
  const ParsedRequest parsed = parseRequestText(input.text(), limits, parse);
  if (!parsed.snapshot) {
    throw InputError("/snapshot",
                     "/snapshot: with --snapshot, the request names it: \"snapshot\": \"" +
                         snapshot->id() + "\"");
  }
  const int indent = a.has("--pretty") ? 2 : -1;
  writeOutput(a, [&](std::ostream& out) {
    StreamingResponseWriter writer(parsed.request, out, indent);
    writer.finish(snapshot->prepared().run(parsed.request.accounts, options, writer));
  });
  return 0;
}

// --format csv --out DIR: DIR/accounts.csv, positions.csv, collateral.csv and run.json (the run
// and totals), each complete or untouched; none is renamed into place before the run succeeded.
int runToCsv(const Args& a, const MarginRequest& request, EngineOptions options, ProgressMode mode,
             EarlyPreparation& early) {
  const std::string dir = a.options.at("--out");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw InputError(
        "", "--out " + dir + ": not a directory that can be created (" + ec.message() + ")",
        ErrorKind::IoError);
  ProgressReporter progress("run", mode, std::cerr);
  options.progress = progress.listener();
  writeFileAtomically(dir + "/run.json", [&](std::ostream& runOut) {
    writeFileAtomically(dir + "/accounts.csv", [&](std::ostream& accounts) {
      writeFileAtomically(dir + "/positions.csv", [&](std::ostream& positions) {
        writeFileAtomically(dir + "/collateral.csv", [&](std::ostream& collateral) {
          CsvResponseWriter writer(request, accounts, positions, collateral);
          const RunSummary summary = early.run(request, options, writer);
          writer.finish();
          progress.finish();
          runOut << toText(Json{{"run", runToJson(summary.run)},
                                {"totals", totalsToJson(summary.totals)}},
                           2)
                 << "\n";
        });
      });
    });
  });
  return 0;
}

}  // namespace

int runCommand(const Args& a) {
  if (a.positional.size() != 1)
    throw InputError("", "run takes one REQUEST.json (see --help)", ErrorKind::Usage);
  applyThreads(a);
  Limits limits;
  limits.maxScenarios = intOption(a, "--max-scenarios", limits.maxScenarios, 1, 100'000'000);
  EngineOptions options;
  options.batchAccounts = intOption(a, "--batch-accounts", 0, 1, int64_t{1} << 40);
  const mpi::Job& job = mpi::Job::current();
  if (a.has("--snapshot") && job.distributed())
    throw InputError("", "--snapshot runs as one process, not under mpirun", ErrorKind::Usage);
  const std::string format = a.has("--format") ? a.options.at("--format") : "json";
  if (format != "json" && format != "msgpack" && format != "csv")
    throw InputError("", "--format must be json, msgpack or csv, got \"" + format + "\"",
                     ErrorKind::Usage);
  if (format == "csv" && !a.has("--out"))
    throw InputError("", "--format csv writes files: give --out DIR", ErrorKind::Usage);
  if (format != "json" && (a.has("--snapshot") || job.distributed()))
    throw InputError("", "--format " + format + " is for a single-process run without --snapshot",
                     ErrorKind::Usage);
  if (format != "json" && a.has("--pretty"))
    throw InputError("", "--pretty indents JSON; --format is " + format, ErrorKind::Usage);
  // Progress of one process (under mpirun each rank margins its share: none is shown).
  const ProgressMode mode = job.distributed() ? ProgressMode::Off : progressMode(a);
  if (a.has("--snapshot")) return runOnSnapshot(a, limits, options);
  if (a.has("--marks"))
    throw InputError("", "--marks moves a --snapshot; give one", ErrorKind::Usage);
  // --backend and --precision override the request's config.
  BackendChoice backend = BackendChoice::Auto;
  Precision precision = Precision::Fp64;
  if (a.has("--backend")) {
    const std::string& b = a.options.at("--backend");
    const auto choice = fromWireName<BackendChoice>(b);
    if (!choice)
      throw InputError(
          "", "--backend must be " + wireNameChoices<BackendChoice>() + ", got \"" + b + "\"",
          ErrorKind::Usage);
    backend = *choice;
  }
  if (a.has("--precision")) {
    const std::string& p = a.options.at("--precision");
    const auto choice = fromWireName<Precision>(p);
    if (!choice)
      throw InputError(
          "", "--precision must be " + wireNameChoices<Precision>() + ", got \"" + p + "\"",
          ErrorKind::Usage);
    precision = *choice;
  }
  auto complete = [&](MarginRequest& request) {
    loadMarketFiles(a, request);
    if (a.has("--backend")) request.config.backend = backend;
    if (a.has("--precision")) request.config.precision = precision;
  };
  const int indent = a.has("--pretty") ? 2 : -1;
  if (job.distributed()) {
    // Rank 0 reads the request (streamed, never whole in its memory) and broadcasts it; each
    // rank margins its share of the accounts batch by batch as it parses them (--prices and
    // --implied-vol are read by every rank: those folders must be visible on every node).
    mpi::selectGpuOfRank(job);
    mpi::runMarginDistributed(
        job, a.positional[0], limits, options, indent, complete,
        [&](const std::function<void(std::ostream&)>& write) { writeOutput(a, write); });
    return 0;
  }
  // The market is prepared while the accounts are read (a large request's readers hand over its
  // catalogue first): scenario generation and revaluation overlap the parsing.
  EarlyPreparation early;
  RequestOptions parse;
  parse.catalogueRead = [&](const MarginRequest& catalogue) {
    early.start(catalogue, options, complete);
  };
  MarginRequest request = readRequest(a.positional[0], limits, parse);
  if (early.started()) {  // completed already: the same market and config, the files read once
    request.market = early.definition().market;
    request.config = early.definition().config;
  } else {
    complete(request);
  }
  if (format == "csv") return runToCsv(a, request, options, mode, early);
  ProgressReporter progress("run", mode, std::cerr);
  options.progress = progress.listener();
  auto compute = [&](std::ostream& out) {
    if (format == "msgpack") {
      // The same document as the HTTP service's Accept: application/msgpack, streamed batch by
      // batch as the JSON is.
      StreamingResponseWriter writer(request, out, StreamingResponseWriter::Msgpack{});
      writer.finish(early.run(request, options, writer));
    } else {
      StreamingResponseWriter writer(request, out, indent);
      writer.finish(early.run(request, options, writer));
    }
    progress.finish();
  };
  writeOutput(a, compute);
  return 0;
}

}  // namespace xm
