#pragma once
// What the parallel readers of accounts (ParallelAccounts for JSON, MsgpackAccounts for
// MessagePack) share: accounts read without the catalogue, their assets and instruments numbered
// by name on each thread (AccountNames) and resolved against the catalogue once it is known; the
// loop that reads pieces of accounts on every thread while the calling thread reads the
// catalogue (readPieces); and the join of the pieces with the duplicate-id check. Internal to
// api/json.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <omp.h>

#include "host/model/MarginRequest.h"

namespace xm::json {

// What accounts are read against: the catalogue's indices of its assets and instruments, and its
// instruments.
struct Catalogue {
  const std::unordered_map<std::string, int>* assetIndex = nullptr;
  const std::unordered_map<std::string, int>* instrumentIndex = nullptr;
  const std::vector<Instrument>* instruments = nullptr;
};

// The keys an account and its lists' objects may have (contract §2), as bits of a mask: a reader
// refuses a key given twice (nlohmann keeps the last value).
enum AccountKey : unsigned {
  kId,
  kCollateral,
  kPositions,
  kAsset,
  kAmount,
  kInstrument,
  kQty,
  kEntry,
  kOther  // any other key
};
inline constexpr std::string_view kAccountKeyNames[kOther] = {
    "id", "collateral", "positions", "asset", "amount", "instrument", "qty", "entry_price"};
// Inline, by the key's length (the MessagePack reader calls it for every key it reads: a loop
// over the names, out of line, measured 4% slower on its whole read).
inline AccountKey accountKeyNamed(std::string_view key) {
  auto is = [&](AccountKey k) { return key == kAccountKeyNames[k] ? k : kOther; };
  switch (key.size()) {
    case 2:
      return is(kId);
    case 3:
      return is(kQty);
    case 5:
      return is(kAsset);
    case 6:
      return is(kAmount);
    case 9:
      return is(kPositions);
    case 10:
      return key[0] == 'c' ? is(kCollateral) : is(kInstrument);
    case 11:
      return is(kEntry);
    default:
      return kOther;
  }
}

// One reading thread's names. A reader checks as it reads what the catalogue does not decide,
// numbers each collateral's asset and each position's instrument by name (asset(), instrument():
// in the order this thread met them) and leaves an entry_price not given NaN; resolve() then
// turns the numbers into the catalogue's indices and checks the rules that depend on an
// instrument's type (AccountFields.h's: entry_price required but for spot, and its range).
class AccountNames {
 public:
  int asset(std::string_view name) { return assets_.numberOf(name); }
  int instrument(std::string_view name) { return instruments_.numberOf(name); }
  // False when an account names what the catalogue does not have or breaks an entry_price rule.
  bool resolve(std::vector<Account>& accounts, const Catalogue& catalogue);

 private:
  // Names numbered in the order met: an open-addressing table of their hashes (linear probing)
  // over the list of names; their indices in the catalogue once it is known (-1: none).
  class Numbering {
   public:
    // Inline: the readers call it for every position (their loops are compiled flat).
    int numberOf(std::string_view name) {
      if (2 * (names_.size() + 1) > slots_.size()) grow(std::max<size_t>(16, 4 * names_.size()));
      const uint64_t hash = hashOf(name);
      for (size_t s = hash & mask_;; s = (s + 1) & mask_) {
        Slot& slot = slots_[s];
        if (slot.number < 0) {
          slot = {hash, static_cast<int>(names_.size())};
          names_.emplace_back(name);
          return slot.number;
        }
        if (slot.hash == hash && names_[static_cast<size_t>(slot.number)] == name)
          return slot.number;
      }
    }
    // The catalogue's index of every name numbered so far.
    const std::vector<int>& indicesIn(const std::unordered_map<std::string, int>& index);

   private:
    struct Slot {
      uint64_t hash = 0;
      int number = -1;
    };
    // A name's hash, 8 bytes at a time (names are short: std::hash's bytewise tail cost more
    // than the rest of a lookup). Equal hashes are compared in full: only speed depends on it.
    static uint64_t hashOf(std::string_view s) {
      auto mix = [](uint64_t x) {
        x ^= x >> 32;
        x *= 0xD6E8FEB86659FD93ull;
        return x ^ (x >> 32);
      };
      auto word = [&](size_t at) {
        uint64_t w;
        std::memcpy(&w, s.data() + at, sizeof w);
        return w;
      };
      uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
      if (s.size() < 8) {
        uint64_t w = 0;
        for (size_t i = 0; i < s.size(); ++i)
          w |= uint64_t{static_cast<unsigned char>(s[i])} << 8 * i;
        return mix(h ^ w);
      }
      for (size_t at = 0; at + 8 < s.size(); at += 8) h = mix(h ^ word(at));
      return mix(h ^ word(s.size() - 8));  // the last 8 bytes, overlapping the word before
    }
    void grow(size_t size);
    std::vector<std::string> names_;
    std::vector<Slot> slots_;
    size_t mask_ = 0;
    std::vector<int> indices_;
  };
  Numbering assets_, instruments_;
};

// A reading thread's room for a piece's accounts: as many as its pieces so far held for their
// bytes (an eighth more), so that a piece's vector does not grow by moving them.
class PieceSizing {
 public:
  void reserve(std::vector<Account>& out, size_t bytes) const {
    if (accounts_ > 0) out.reserve(bytes / (bytes_ / accounts_) * 9 / 8 + 1);
  }
  void read(size_t bytes, size_t accounts) {
    bytes_ += bytes;
    accounts_ += accounts;
  }

 private:
  size_t bytes_ = 0, accounts_ = 0;
};

// Accounts read in pieces, joined in order on all threads; nullopt when two share an id.
// `hashes`: each piece's ids' std::hash, or none to have them computed here.
std::optional<std::vector<Account>> joinPieces(std::vector<std::vector<Account>> pieces,
                                               std::vector<std::vector<uint64_t>> hashes = {});

// Pieces [0, pieces) of accounts read on the OpenMP threads against the catalogue that
// `catalogue` returns, joined in order: nullopt when a piece is refused (read() throws), an
// account does not resolve, two share an id, or `catalogue` returns none. The calling thread
// first runs `catalogue` (reading the rest of the request), whose exception is rethrown here,
// then reads pieces too; each thread makes its reader once, makeReader(names) (its names:
// AccountNames), and calls it as read(piece, out). A piece read once the catalogue is known is
// resolved at once, while its accounts are in cache; those read before it, afterwards.
template <typename MakeReader>
std::optional<std::vector<Account>> readPieces(
    int64_t pieces, const std::function<std::optional<Catalogue>()>& catalogue,
    const MakeReader& makeReader) {
  std::vector<std::vector<Account>> read(static_cast<size_t>(pieces));
  std::vector<std::vector<uint64_t>> hashes(static_cast<size_t>(pieces));
  std::vector<int> readerOf(static_cast<size_t>(pieces), -1);  // -1: resolved as it was read
  std::vector<AccountNames> names(static_cast<size_t>(omp_get_max_threads()));
  Catalogue known;
  std::atomic<bool> catalogueKnown{false}, refused{false};
  std::exception_ptr failed;
#pragma omp parallel
  {
    const int thread = omp_get_thread_num();
    if (thread == 0) {  // the calling thread reads the catalogue first, then pieces too
      try {
        if (const auto c = catalogue()) {
          known = *c;
          catalogueKnown.store(true, std::memory_order_release);
        } else {
          refused = true;
        }
      } catch (...) {
        failed = std::current_exception();
        refused = true;
      }
    }
    AccountNames& mine = names[static_cast<size_t>(thread)];
    auto reader = makeReader(mine);
#pragma omp for schedule(dynamic, 1)
    for (int64_t i = 0; i < pieces; ++i) {
      if (refused.load(std::memory_order_relaxed)) continue;
      try {
        reader(i, read[i]);
        for (const Account& a : read[i]) hashes[i].push_back(std::hash<std::string_view>{}(a.id));
        if (!catalogueKnown.load(std::memory_order_acquire))
          readerOf[i] = thread;  // resolved once the catalogue is known
        else if (!mine.resolve(read[i], known))
          refused = true;
      } catch (...) {  // refused, or out of memory: the strict reader decides
        refused = true;
      }
    }
  }
  if (failed) std::rethrow_exception(failed);
  if (refused) return std::nullopt;
  for (int64_t i = 0; i < pieces; ++i)  // those read while the catalogue was
    if (readerOf[i] >= 0 && !names[static_cast<size_t>(readerOf[i])].resolve(read[i], known))
      return std::nullopt;
  return joinPieces(std::move(read), std::move(hashes));
}

}  // namespace xm::json
