#pragma once
// A market snapshot (contract §10): a request's market, instruments and config with what every
// account shares already prepared — the scenarios, the P&L cube of every instrument, the row
// tails — so that the accounts of later requests cost only their aggregation. Immutable once
// built: requests share it through shared_ptr, and a replaced or evicted snapshot lives until its
// last request ends.
//
// Its figures are those of the full request, to the bit: the rows are the same functions of the
// same scenarios, and an account's figures never depend on what else is computed with it.
// Snapshots run on the CPU backend: a CUDA session holds the device for its lifetime
// (cuda/CudaBackend.cu), which a snapshot kept between requests must not.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/margin/MarginEngine.h"
#include "host/model/MarginRequest.h"

namespace xm {

// New marks for a snapshot: spot prices by asset index, implied vols by option instrument index.
struct Marks {
  std::vector<std::pair<int, double>> prices;
  std::vector<std::pair<int, double>> impliedVols;
};

class MarketSnapshot {
 public:
  // `definition` carries no accounts. Throws InputError (naming /config/backend) for a CUDA
  // backend; `auto` runs on the CPU. With `shocks`, revalues those (new marks) instead of drawing.
  MarketSnapshot(std::string id, MarginRequest definition, const EngineOptions& options = {},
                 std::shared_ptr<const ShockMatrix> shocks = nullptr);
  MarketSnapshot(const MarketSnapshot&) = delete;
  MarketSnapshot& operator=(const MarketSnapshot&) = delete;

  // The snapshot `id` at new marks: prices and implied vols replaced, every row revalued on this
  // snapshot's scenario returns (its shocks are reused, not drawn again).
  std::shared_ptr<MarketSnapshot> withMarks(std::string id, const Marks& marks,
                                            const EngineOptions& options = {}) const;

  const std::string& id() const { return id_; }
  const MarginRequest& definition() const { return definition_; }
  const PreparedMarket& prepared() const { return *prepared_; }
  int64_t bytes() const { return bytes_; }
  int64_t generation() const { return generation_; }  // 0 when built, +1 per marks derivation

  // What accounts refer to: asset and instrument ids to their indices.
  const std::unordered_map<std::string, int>& assetIndex() const { return assetIndex_; }
  const std::unordered_map<std::string, int>& instrumentIndex() const { return instrumentIndex_; }

  // A request on this snapshot: its market (without history: nothing after preparation reads
  // it), instruments and config, with `accounts`. What the response writers take.
  MarginRequest requestWith(std::vector<Account> accounts) const;

 private:
  std::string id_;
  MarginRequest definition_;
  MarginRequest shell_;  // definition_ without market history
  std::unique_ptr<PreparedMarket> prepared_;
  std::unordered_map<std::string, int> assetIndex_, instrumentIndex_;
  int64_t bytes_ = 0;
  int64_t generation_ = 0;
};

// A snapshot id: 1 to 64 of [A-Za-z0-9._-]. Throws InputError at `path` otherwise.
void checkSnapshotId(const std::string& id, const std::string& path);

}  // namespace xm
