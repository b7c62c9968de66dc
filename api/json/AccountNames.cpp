#include "api/json/AccountNames.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "api/json/AccountFields.h"

namespace xm::json {
namespace {

// Whether two accounts share an id, given each id's hash: each thread checks the ids whose hash
// falls to its share in an open-addressing table of its own (linear probing), read straight from
// the pieces.
bool duplicateIds(const std::vector<std::vector<Account>>& pieces,
                  const std::vector<std::vector<uint64_t>>& hashes) {
  std::atomic<bool> duplicate{false};
#pragma omp parallel
  {
    const auto share = static_cast<uint64_t>(omp_get_thread_num());
    const auto shares = static_cast<uint64_t>(omp_get_num_threads());
    // The share of a hash by its high bits (a multiply, not a division: this runs for every id).
    auto shareOf = [&](uint64_t h) { return (h >> 32) * shares >> 32; };
    size_t mine = 0;
    for (const std::vector<uint64_t>& piece : hashes)
      for (const uint64_t h : piece) mine += shareOf(h) == share;
    struct Slot {
      uint64_t hash = 0;
      const std::string* id = nullptr;  // null: empty
    };
    const uint64_t mask = std::bit_ceil(static_cast<uint64_t>(2 * mine + 2)) - 1;
    std::vector<Slot> table(mask + 1);
    for (size_t p = 0; p < pieces.size() && !duplicate.load(std::memory_order_relaxed); ++p) {
      for (size_t i = 0; i < pieces[p].size(); ++i) {
        const uint64_t h = hashes[p][i];
        if (shareOf(h) != share) continue;
        const std::string& id = pieces[p][i].id;
        uint64_t slot = h & mask;
        for (; table[slot].id; slot = (slot + 1) & mask)
          if (table[slot].hash == h && *table[slot].id == id) duplicate = true;
        table[slot] = {h, &id};
      }
    }
  }
  return duplicate;
}

}  // namespace

void AccountNames::Numbering::grow(size_t size) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(std::bit_ceil(size), Slot{});
  mask_ = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.number < 0) continue;
    size_t s = slot.hash & mask_;
    while (slots_[s].number >= 0) s = (s + 1) & mask_;
    slots_[s] = slot;
  }
}

const std::vector<int>& AccountNames::Numbering::indicesIn(
    const std::unordered_map<std::string, int>& index) {
  for (size_t n = indices_.size(); n < names_.size(); ++n) {
    const auto it = index.find(names_[n]);
    indices_.push_back(it == index.end() ? -1 : it->second);
  }
  return indices_;
}

bool AccountNames::resolve(std::vector<Account>& accounts, const Catalogue& catalogue) {
  const std::vector<int>& assets = assets_.indicesIn(*catalogue.assetIndex);
  const std::vector<int>& instruments = instruments_.indicesIn(*catalogue.instrumentIndex);
  for (Account& acct : accounts) {
    for (Collateral& c : acct.collateral)
      if ((c.asset = assets[static_cast<size_t>(c.asset)]) < 0) return false;
    for (Position& pos : acct.positions) {
      if ((pos.instrument = instruments[static_cast<size_t>(pos.instrument)]) < 0) return false;
      const InstrumentType type =
          (*catalogue.instruments)[static_cast<size_t>(pos.instrument)].type;
      if (std::isnan(pos.entryPrice)) {
        if (entryPriceRequired(type)) return false;
        pos.entryPrice = 0.0;
      } else if (!entryRangeOf(type).holds(pos.entryPrice)) {
        return false;
      }
    }
  }
  return true;
}

std::optional<std::vector<Account>> joinPieces(std::vector<std::vector<Account>> pieces,
                                               std::vector<std::vector<uint64_t>> hashes) {
  const auto count = static_cast<int64_t>(pieces.size());
  if (hashes.empty()) {
    hashes.resize(pieces.size());
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t p = 0; p < count; ++p)
      for (const Account& a : pieces[p]) hashes[p].push_back(std::hash<std::string_view>{}(a.id));
  }
  if (duplicateIds(pieces, hashes)) return std::nullopt;
  std::vector<size_t> offset(pieces.size() + 1, 0);
  for (size_t p = 0; p < pieces.size(); ++p) offset[p + 1] = offset[p] + pieces[p].size();
  std::vector<Account> accounts(offset.back());
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t p = 0; p < count; ++p) {
    std::move(pieces[p].begin(), pieces[p].end(), accounts.begin() + offset[p]);
    std::vector<Account>().swap(pieces[p]);
  }
  return accounts;
}

}  // namespace xm::json
