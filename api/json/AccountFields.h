#pragma once
// An account's fields (contract §2), written once for the readers of an account through a node:
// the strict reader's Node (nlohmann, RequestFields.cpp) and the parallel MessagePack reader's
// bytes (MsgpackAccounts.cpp). `N` provides Node's accessors: object, has, at, child, array,
// operator[], string, id, bounded and fail. `Index` maps an id as N::string() returns it (a
// std::string, or a std::string_view into the text) to its index. The parallel JSON reader
// (ParallelAccounts.cpp) reads simdjson's values in one pass instead, by the same rules and the
// ranges below; tests/json/ParallelReaderTest.cpp and the request fuzz target hold it to the
// strict reader.

#include <algorithm>
#include <array>
#include <bit>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/model/MarginRequest.h"
#include "host/model/Units.h"

namespace xm::json {

// An object's fields as a reader without paths keeps them while it checks the keys (its
// object()), for child() to find without reading the object again: at most three, none unknown,
// none twice (nlohmann keeps a repeated key's last value: such objects are left to the strict
// reader).
template <typename Value>
struct KeptFields {
  std::array<std::string_view, 3> keys{};
  std::array<Value, 3> values{};
  size_t count = 0;
  bool kept = false;

  // False when `key` is not allowed, repeats or is a fourth.
  bool add(std::initializer_list<std::string_view> allowed, std::string_view key, Value value) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end() || count == keys.size())
      return false;
    for (size_t f = 0; f < count; ++f)
      if (keys[f] == key) return false;
    keys[count] = key;
    values[count++] = value;
    return true;
  }
  const Value* find(std::string_view key) const {
    for (size_t f = 0; f < count; ++f)
      if (keys[f] == key) return &values[f];
    return nullptr;
  }
};

// The catalogue's ids (assets or instruments) for the MessagePack reader's lookups: views into the
// catalogue's strings in an open-addressing table, one probe of a flat array in the common case.
// find() and end() as an unordered_map's, for AccountFields' rules.
class IdIndex {
 public:
  using Entry = std::pair<std::string_view, int>;
  explicit IdIndex(const std::unordered_map<std::string, int>& ids) {
    const size_t size = std::bit_ceil(std::max<size_t>(16, 2 * ids.size()));
    slots_.assign(size, Entry{std::string_view(), -1});
    mask_ = size - 1;
    for (const auto& [id, index] : ids) {
      size_t s = std::hash<std::string_view>{}(id)&mask_;
      while (slots_[s].second >= 0) s = (s + 1) & mask_;
      slots_[s] = {id, index};
    }
  }
  const Entry* find(std::string_view key) const {
    for (size_t s = std::hash<std::string_view>{}(key)&mask_;; s = (s + 1) & mask_) {
      const Entry& e = slots_[s];
      if (e.second < 0) return nullptr;
      if (e.first == key) return &e;
    }
  }
  const Entry* end() const { return nullptr; }

 private:
  std::vector<Entry> slots_;
  size_t mask_ = 0;
};

// The ranges the rules hold an account's numbers to (closed), for parseAccountAs and for a reader
// that checks them without a Node (ParallelAccounts.cpp).
struct Range {
  double lo, hi;
  const char* what;
  bool holds(double x) const { return x >= lo && x <= hi; }  // false for NaN and infinities
};
inline constexpr Range kQuantityRange{-kMaxQuantity, kMaxQuantity, "within [-1e15, 1e15]"};
inline constexpr Range kOptionEntryRange{0, kMaxEntryPrice, "within [0, 1e15]"};
inline constexpr Range kLinearEntryRange{kMinLinearEntry, kMaxEntryPrice, "within [1e-12, 1e15]"};

// A position's entry_price: required but for spot, and within the range of its kind.
inline bool entryPriceRequired(InstrumentType type) { return type != InstrumentType::Spot; }
inline const Range& entryRangeOf(InstrumentType type) {
  return type == InstrumentType::Option ? kOptionEntryRange : kLinearEntryRange;
}

template <typename N, typename Index>
Account parseAccountAs(const N& n, const Index& assetIndex, const Index& instrumentIndex,
                       const std::vector<Instrument>& instruments) {
  n.object({"id", "collateral", "positions"});
  Account acct;
  acct.id = n.at("id").id();
  if (n.has("collateral")) {
    const N list = n.child("collateral");
    const size_t count = list.array();
    acct.collateral.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const N c = list[i];
      c.object({"asset", "amount"});
      const N a = c.at("asset");
      const auto id = a.string();
      auto it = assetIndex.find(id);
      if (it == assetIndex.end()) a.fail("unknown asset \"" + std::string(id) + "\"");
      const Range& r = kQuantityRange;
      acct.collateral.push_back({it->second, c.at("amount").bounded(r.lo, r.hi, false, r.what)});
    }
  }
  if (n.has("positions")) {
    const N list = n.child("positions");
    const size_t count = list.array();
    acct.positions.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const N p = list[i];
      p.object({"instrument", "qty", "entry_price"});
      const N ref = p.at("instrument");
      const auto id = ref.string();
      auto it = instrumentIndex.find(id);
      if (it == instrumentIndex.end()) ref.fail("unknown instrument \"" + std::string(id) + "\"");
      Position pos;
      pos.instrument = it->second;
      pos.qty =
          p.at("qty").bounded(kQuantityRange.lo, kQuantityRange.hi, false, kQuantityRange.what);
      const InstrumentType type = instruments[pos.instrument].type;
      if (entryPriceRequired(type) || p.has("entry_price")) {
        const Range& r = entryRangeOf(type);
        pos.entryPrice = p.at("entry_price").bounded(r.lo, r.hi, false, r.what);
      }
      acct.positions.push_back(pos);
    }
  }
  return acct;
}

}  // namespace xm::json
