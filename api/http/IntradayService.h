#pragma once
// The intraday routes' work (contract §10), apart from their HTTP plumbing (HttpServer.cpp):
// the snapshot store, margin on a snapshot, marks, what-if and neutralization. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "api/json/IntradayJson.h"
#include "host/intraday/SnapshotStore.h"
#include "host/margin/MarginEngine.h"

namespace xm {

class IntradayService {
 public:
  IntradayService(int64_t snapshotMemory, const Limits& limits)
      : store_(snapshotMemory), limits_(limits) {}

  SnapshotLookup lookup() {
    return [this](const std::string& id, const std::string& path) { return store_.get(id, path); };
  }
  SnapshotStore& store() { return store_; }

  // PUT /v1/snapshots/{id}: builds and stores it (replacing one of that id). `created` tells
  // whether the id was new.
  Json put(const std::string& id, std::string_view body, const EngineOptions& options,
           bool& created);
  Json get(const std::string& id);
  Json list() const { return snapshotListToJson(store_); }
  Json drop(const std::string& id);
  // POST /v1/snapshots/{id}/marks: derives and stores the snapshot at new marks.
  Json marks(const std::string& id, std::string_view body, const EngineOptions& options);
  std::string whatIf(std::string_view body);
  Json neutralize(std::string_view body, const EngineOptions& options);

 private:
  SnapshotStore store_;
  const Limits limits_;
};

}  // namespace xm
