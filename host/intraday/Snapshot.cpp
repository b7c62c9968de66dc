#include "host/intraday/Snapshot.h"

#include "host/model/Errors.h"

namespace xm {

void checkSnapshotId(const std::string& id, const std::string& path) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    throw InputError(path, (path.empty() ? std::string("snapshot id") : path) +
                               ": a snapshot id is 1 to 64 characters of A-Z, a-z, 0-9, '.', "
                               "'_' and '-'");
  }
}

namespace {

MarginRequest onTheCpu(MarginRequest definition) {
  XM_ASSERT(definition.accounts.empty(), "a snapshot definition carries no accounts");
  if (definition.config.backend == BackendChoice::Cuda) {
    throw InputError("/config/backend",
                     "/config/backend: snapshots run on the CPU backend (a device session holds "
                     "the GPU for as long as it lives); use \"cpu\" or \"auto\", or send the "
                     "whole request to /v1/margin");
  }
  definition.config.backend = BackendChoice::Cpu;
  return definition;
}

}  // namespace

MarketSnapshot::MarketSnapshot(std::string id, MarginRequest definition,
                               const EngineOptions& options,
                               std::shared_ptr<const ShockMatrix> shocks)
    : id_(std::move(id)), definition_(onTheCpu(std::move(definition))) {
  prepared_ =
      std::make_unique<PreparedMarket>(definition_, RowSet::All, options, std::move(shocks));
  shell_.market = definition_.market;
  shell_.market.history.clear();
  shell_.instruments = definition_.instruments;
  shell_.config = definition_.config;
  for (size_t a = 0; a < definition_.market.assets.size(); ++a)
    assetIndex_.emplace(definition_.market.assets[a].id, static_cast<int>(a));
  for (size_t i = 0; i < definition_.instruments.size(); ++i)
    instrumentIndex_.emplace(definition_.instruments[i].id, static_cast<int>(i));
  int64_t history = 0;
  for (const auto& [asset, series] : definition_.market.history)
    history += static_cast<int64_t>(series.size() * sizeof(series[0]));
  const int64_t n = static_cast<int64_t>(definition_.market.assets.size());
  bytes_ = prepared_->bytes() + history + 2 * n * n * static_cast<int64_t>(sizeof(double)) +
           2 * static_cast<int64_t>(definition_.instruments.size() * sizeof(Instrument));
}

std::shared_ptr<MarketSnapshot> MarketSnapshot::withMarks(std::string id, const Marks& marks,
                                                          const EngineOptions& options) const {
  MarginRequest next = definition_;
  for (const auto& [asset, price] : marks.prices) next.market.assets[asset].price = price;
  for (const auto& [instrument, iv] : marks.impliedVols) next.instruments[instrument].iv = iv;
  auto snapshot = std::make_shared<MarketSnapshot>(std::move(id), std::move(next), options,
                                                   prepared_->shocks());
  snapshot->generation_ = generation_ + 1;
  return snapshot;
}

MarginRequest MarketSnapshot::requestWith(std::vector<Account> accounts) const {
  MarginRequest request = shell_;
  request.accounts = std::move(accounts);
  return request;
}

}  // namespace xm
