#include <optional>
#include <string>

#include "api/cli/Args.h"
#include "api/cli/Commands.h"
#include "api/report/Report.h"
#include "host/base/Files.h"
#include "host/model/Errors.h"

namespace xm {
namespace {

// An InputError of a named input file, its message led by the file ("simulation sim.json: ...").
[[noreturn]] void rethrowOf(const InputError& e, const std::string& what, const std::string& path) {
  throw InputError(e.path(), what + " " + path + ": " + e.what(), e.kind());
}

}  // namespace

int reportCommand(const Args& a) {
  if (a.positional.size() > 1)
    throw InputError("", "report takes at most one RESPONSE.json (see --help)", ErrorKind::Usage);
  if (a.positional.empty() && !a.has("--simulation"))
    throw InputError("", "report needs a RESPONSE.json or --simulation SIM.json (see --help)",
                     ErrorKind::Usage);
  if (a.has("--series") && !a.has("--backtest"))
    throw InputError("", "--series is a backtest's daily series: give its --backtest too",
                     ErrorKind::Usage);
  const Limits limits;
  // The request places each position under its asset; a simulate request is read as its margin
  // request (its clearing object is the simulation's, not the report's).
  std::optional<MarginRequest> request;
  if (a.has("--request")) {
    const std::string& path = a.options.at("--request");
    Json body = readJsonFile(path, "request");
    if (body.is_object()) body.erase("clearing");
    try {
      request = parseRequest(std::move(body), limits);
    } catch (const InputError& e) {
      rethrowOf(e, "request", path);
    }
  }
  report::ReportBuilder builder(request ? &*request : nullptr);
  if (!a.positional.empty()) {
    const InputText input(a.positional[0], "response");
    report::readResponse(input.text(), builder, "response " + a.positional[0]);
  }
  if (a.has("--simulation")) {
    const std::string& path = a.options.at("--simulation");
    const Json sim = readJsonFile(path, "simulation");
    try {
      if (!sim.is_object() || !sim.contains("simulation") || !sim.contains("t0"))
        throw InputError("", "not a simulation's answer: expected {\"t0\", \"simulation\"}");
      // The response given beside it is the run the report is of; else the simulation's t0.
      if (a.positional.empty()) report::readResponse(sim["t0"].dump(), builder, "");
      builder.simulation(sim["simulation"]);
    } catch (const InputError& e) {
      rethrowOf(e, "simulation", path);
    }
  }
  if (a.has("--backtest")) {
    const std::string& path = a.options.at("--backtest");
    const Json bt = readJsonFile(path, "backtest");
    std::vector<report::SeriesRow> series;
    if (a.has("--series")) {
      const InputText csv(a.options.at("--series"), "series");
      series = report::readBacktestSeries(csv.text(), "series " + a.options.at("--series"));
    }
    try {
      builder.backtest(bt, std::move(series));
    } catch (const InputError& e) {
      rethrowOf(e, "backtest", path);
    }
  }
  const std::string title = a.has("--title") ? a.options.at("--title") : "xmargin risk report";
  const std::string page = builder.html(title, report::nowIso8601());
  writeOutput(a, [&](std::ostream& out) { out << page; });
  return 0;
}

}  // namespace xm
