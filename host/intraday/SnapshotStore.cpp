#include "host/intraday/SnapshotStore.h"

#include "host/model/Errors.h"

namespace xm {

std::vector<std::string> SnapshotStore::put(std::shared_ptr<const MarketSnapshot> snapshot,
                                            const std::string& path) {
  const int64_t need = snapshot->bytes();
  if (need > capacity_) {
    throw InputError(path,
                     (path.empty() ? std::string("snapshot") : path) + ": the snapshot \"" +
                         snapshot->id() + "\" needs " + std::to_string(need) +
                         " bytes, more than the whole snapshot memory of " +
                         std::to_string(capacity_) +
                         " bytes (--snapshot-memory); use fewer scenarios or instruments",
                     ErrorKind::LimitExceeded);
  }
  std::vector<std::string> evicted;
  std::shared_ptr<const MarketSnapshot> replaced;  // released after the lock
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = byId_.find(snapshot->id()); it != byId_.end()) {
    bytes_ -= it->second->snapshot->bytes();
    replaced = std::move(it->second->snapshot);
    lru_.erase(it->second);
    byId_.erase(it);
  }
  while (bytes_ + need > capacity_ && !lru_.empty()) {
    const Entry& last = lru_.back();
    evicted.push_back(last.snapshot->id());
    bytes_ -= last.snapshot->bytes();
    byId_.erase(last.snapshot->id());
    lru_.pop_back();
  }
  const std::string id = snapshot->id();
  lru_.push_front(Entry{std::move(snapshot), 0});
  byId_[id] = lru_.begin();
  bytes_ += need;
  return evicted;
}

std::shared_ptr<const MarketSnapshot> SnapshotStore::find(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = byId_.find(id);
  if (it == byId_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  ++it->second->uses;
  return it->second->snapshot;
}

std::shared_ptr<const MarketSnapshot> SnapshotStore::get(const std::string& id,
                                                         const std::string& path) {
  auto snapshot = find(id);
  if (!snapshot) {
    throw InputError(path,
                     (path.empty() ? std::string("snapshot") : path) + ": no snapshot \"" + id +
                         "\" (never stored, dropped, or evicted to stay within the snapshot "
                         "memory); PUT /v1/snapshots/" +
                         id + " with its market, instruments and config",
                     ErrorKind::NotFound);
  }
  return snapshot;
}

bool SnapshotStore::drop(const std::string& id) {
  std::shared_ptr<const MarketSnapshot> dropped;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = byId_.find(id);
  if (it == byId_.end()) return false;
  bytes_ -= it->second->snapshot->bytes();
  dropped = std::move(it->second->snapshot);
  lru_.erase(it->second);
  byId_.erase(it);
  return true;
}

std::vector<SnapshotStore::Info> SnapshotStore::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Info> out;
  for (const Entry& e : lru_)
    out.push_back({e.snapshot->id(), e.snapshot->bytes(), e.snapshot->generation(), e.uses});
  return out;
}

int64_t SnapshotStore::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace xm
