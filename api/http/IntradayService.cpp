#include "api/http/IntradayService.h"

#include <chrono>
#include <memory>

#include "host/base/Parallel.h"
#include "host/model/Errors.h"

namespace xm {

Json IntradayService::put(const std::string& id, std::string_view body,
                          const EngineOptions& options, bool& created) {
  checkSnapshotId(id, "");
  MarginRequest definition = parseSnapshotDefinition(body, limits_);
  auto snapshot = std::make_shared<const MarketSnapshot>(id, std::move(definition), options);
  created = store_.find(id) == nullptr;
  const std::vector<std::string> evicted = store_.put(snapshot);
  return snapshotToJson(*snapshot, evicted);
}

Json IntradayService::get(const std::string& id) {
  checkSnapshotId(id, "");
  return snapshotToJson(*store_.get(id, ""));
}

Json IntradayService::drop(const std::string& id) {
  checkSnapshotId(id, "");
  if (!store_.drop(id)) store_.get(id, "");  // throws not_found
  return {{"deleted", id}};
}

Json IntradayService::marks(const std::string& id, std::string_view body,
                            const EngineOptions& options) {
  checkSnapshotId(id, "");
  const std::shared_ptr<const MarketSnapshot> from = store_.get(id, "");
  std::string into;
  const Marks marks = parseMarks(body, *from, into);
  auto next = from->withMarks(into, marks, options);
  const std::vector<std::string> evicted = store_.put(next);
  Json j = snapshotToJson(*next, evicted);
  j["from"] = id;
  return j;
}

std::string IntradayService::whatIf(std::string_view body) {
  const WhatIfRequest request = parseWhatIfText(body, limits_, lookup());
  return whatIfToText(request,
                      xm::whatIf(request.snapshot->prepared(), request.account, request.trades));
}

Json IntradayService::neutralize(std::string_view body, const EngineOptions& options) {
  const NeutralizeRequest request = parseNeutralizeText(body, limits_, lookup());
  return runNeutralize(request, options);
}

}  // namespace xm
