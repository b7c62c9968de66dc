#pragma once
// The service's snapshots (contract §10): by id, least recently used evicted first so that their
// bytes stay within a capacity (`xmargin serve --snapshot-memory`). Thread-safe; snapshots are
// shared, so a request keeps the one it started with while another replaces or drops it.

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/intraday/Snapshot.h"

namespace xm {

class SnapshotStore {
 public:
  explicit SnapshotStore(int64_t capacityBytes) : capacity_(capacityBytes) {}

  struct Info {
    std::string id;
    int64_t bytes = 0;
    int64_t generation = 0;
    int64_t uses = 0;  // requests served since it was stored
  };

  // Stores `snapshot` under its id (replacing one of the same id), evicting the least recently
  // used others until the total fits. Returns the evicted ids. A snapshot larger than the whole
  // capacity is refused (InputError, limit_exceeded, naming `path`) and nothing is evicted.
  std::vector<std::string> put(std::shared_ptr<const MarketSnapshot> snapshot,
                               const std::string& path = "");
  // The snapshot, marked as just used; null when there is none of that id.
  std::shared_ptr<const MarketSnapshot> find(const std::string& id);
  // As find, but a missing id is an InputError (not_found, 404) naming `path`.
  std::shared_ptr<const MarketSnapshot> get(const std::string& id, const std::string& path);
  bool drop(const std::string& id);
  std::vector<Info> list() const;  // most recently used first
  int64_t bytes() const;
  int64_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::shared_ptr<const MarketSnapshot> snapshot;
    int64_t uses = 0;
  };
  using Lru = std::list<Entry>;  // front: most recently used

  const int64_t capacity_;
  mutable std::mutex mu_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> byId_;
  int64_t bytes_ = 0;
};

}  // namespace xm
