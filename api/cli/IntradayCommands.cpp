// The intraday commands (contract §10) and `run --snapshot`: a snapshot built from a file (its
// market, instruments and config), optionally moved to new marks, then the accounts of a request
// that names it — the same code and figures as the service's routes.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "api/cli/Args.h"
#include "api/cli/Commands.h"
#include "api/json/IntradayJson.h"
#include "api/json/JsonCodec.h"
#include "host/base/Files.h"
#include "host/model/Errors.h"

namespace xm {

std::shared_ptr<const MarketSnapshot> loadSnapshot(const Args& a, const Limits& limits,
                                                   const EngineOptions& options) {
  const std::string& path = a.options.at("--snapshot");
  const std::string id = std::filesystem::path(path).stem().string();
  try {
    checkSnapshotId(id, "");
  } catch (const InputError&) {
    throw InputError("",
                     "--snapshot " + path +
                         ": the file's name without .json is the snapshot's id and must be 1 to "
                         "64 characters of A-Z, a-z, 0-9, '.', '_' and '-'",
                     ErrorKind::Usage);
  }
  const InputText input(path, "snapshot");
  MarginRequest definition = parseSnapshotDefinition(input.text(), limits);
  loadMarketFiles(a, definition);
  std::shared_ptr<const MarketSnapshot> snapshot =
      std::make_shared<MarketSnapshot>(id, std::move(definition), options);
  if (a.has("--marks")) {
    const InputText marks(a.options.at("--marks"), "marks");
    std::string into;
    const Marks m = parseMarks(marks.text(), *snapshot, into);
    snapshot = snapshot->withMarks(into, m, options);
  }
  return snapshot;
}

SnapshotLookup lookupOf(std::shared_ptr<const MarketSnapshot> snapshot) {
  return [snapshot](const std::string& id, const std::string& path) {
    if (id != snapshot->id()) {
      throw InputError(path,
                       path + ": no snapshot \"" + id + "\": --snapshot gave \"" + snapshot->id() +
                           "\" (its file name without .json)",
                       ErrorKind::NotFound);
    }
    return snapshot;
  };
}

int whatifCommand(const Args& a) {
  if (a.positional.size() != 1 || !a.has("--snapshot"))
    throw InputError("", "whatif takes WHATIF.json and --snapshot FILE (see --help)",
                     ErrorKind::Usage);
  applyThreads(a);
  const Limits limits;
  const auto snapshot = loadSnapshot(a, limits, {});
  const InputText input(a.positional[0], "what-if");
  const WhatIfRequest request = parseWhatIfText(input.text(), limits, lookupOf(snapshot));
  const std::string text =
      whatIfToText(request, whatIf(snapshot->prepared(), request.account, request.trades));
  const int indent = a.has("--pretty") ? 2 : -1;
  writeOutput(a, [&](std::ostream& out) {
    out << (indent < 0 ? text : Json::parse(text).dump(indent)) << "\n";
  });
  return 0;
}

int neutralizeCommand(const Args& a) {
  if (a.positional.size() != 1)
    throw InputError("", "neutralize takes one REQUEST.json (see --help)", ErrorKind::Usage);
  applyThreads(a);
  const Limits limits;
  const InputText input(a.positional[0], "request");
  NeutralizeRequest request;
  if (a.has("--snapshot")) {
    const auto snapshot = loadSnapshot(a, limits, {});
    request = parseNeutralizeText(input.text(), limits, lookupOf(snapshot));
  } else {
    if (a.has("--marks"))
      throw InputError("", "--marks moves a --snapshot; give one", ErrorKind::Usage);
    request = parseNeutralizeText(input.text(), limits, {});
    loadMarketFiles(a, request.margin.request);
  }
  const Json answer = runNeutralize(request, {});
  const int indent = a.has("--pretty") ? 2 : -1;
  writeOutput(a, [&](std::ostream& out) { out << answer.dump(indent) << "\n"; });
  return 0;
}

}  // namespace xm
