#pragma once
// The intraday routes' JSON (contract §10): snapshot definitions and their descriptions, marks,
// what-if, and position neutralization.

#include <memory>
#include <string>
#include <string_view>

#include "api/json/Json.h"
#include "api/json/RequestParser.h"
#include "host/intraday/Neutralize.h"
#include "host/intraday/Snapshot.h"
#include "host/intraday/SnapshotStore.h"
#include "host/intraday/WhatIf.h"

namespace xm {

// A snapshot's definition: a request's market, instruments and config, without accounts.
MarginRequest parseSnapshotDefinition(std::string_view text, const Limits& limits = {});
MarginRequest parseSnapshotDefinition(Json body, const Limits& limits = {});
Json snapshotToJson(const MarketSnapshot& s, const std::vector<std::string>& evicted = {});
Json snapshotListToJson(const SnapshotStore& store);

// New marks for `snapshot`: {"snapshot"?: new id, "prices"?: {asset: price},
// "implied_vols"?: {option instrument: iv}}. `into` receives the new id (the same by default).
Marks parseMarks(std::string_view text, const MarketSnapshot& snapshot, std::string& into);

struct WhatIfRequest {
  std::shared_ptr<const MarketSnapshot> snapshot;
  Account account;
  std::vector<Trade> trades;
};
WhatIfRequest parseWhatIfText(std::string_view text, const Limits& limits,
                              const SnapshotLookup& snapshots);
// {"before": account, "after": account, "incremental_im", "contribution_change": [...]} as text.
std::string whatIfToText(const WhatIfRequest& request, const WhatIfResult& result);

struct NeutralizeRequest {
  ParsedRequest margin;  // full, or on a snapshot
  NeutralizeConfig config;
};
// A margin request (full, or on a snapshot when `snapshots` is set) with an optional
// "neutralize" object: target_coverage, hedge_instruments, fee_rate, step, max_moves.
NeutralizeRequest parseNeutralizeText(std::string_view text, const Limits& limits,
                                      const SnapshotLookup& snapshots);
Json neutralizeToJson(const NeutralizeRequest& request, const std::vector<Proposal>& proposals,
                      const RunInfo& run);

// Runs a parsed neutralization (full: prepared here with every row; or on its snapshot) and
// writes its answer. The CLI and the service share it.
Json runNeutralize(const NeutralizeRequest& request, const EngineOptions& options);
// Margin of `parsed` (full, or on its snapshot), whole in memory.
MarginResponse computeParsedMargin(const ParsedRequest& parsed, const EngineOptions& options);

}  // namespace xm
