#pragma once
// An account's fields (contract §2), written once for every reader of an account: the strict
// reader's Node (nlohmann, RequestFields.cpp) and the parallel reader's simdjson element
// (ParallelAccounts.cpp). `N` provides Node's accessors: object, has, at, child, array,
// operator[], string, id, bounded and fail. `Index` maps an id as N::string() returns it (a
// std::string, or a std::string_view into the text) to its index.

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "host/model/MarginRequest.h"
#include "host/model/Units.h"

namespace xm::json {

// An object's fields as a reader without paths keeps them while it checks the keys (its
// object()), for child() to find without reading the object again: at most three, none unknown,
// none twice (nlohmann keeps a repeated key's last value, simdjson finds its first: such objects
// are left to the strict reader).
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
      acct.collateral.push_back(
          {it->second,
           c.at("amount").bounded(-kMaxQuantity, kMaxQuantity, false, "within [-1e15, 1e15]")});
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
      pos.qty = p.at("qty").bounded(-kMaxQuantity, kMaxQuantity, false, "within [-1e15, 1e15]");
      const bool spot = instruments[pos.instrument].type == InstrumentType::Spot;
      if (!spot || p.has("entry_price")) {
        const N e = p.at("entry_price");
        pos.entryPrice =
            instruments[pos.instrument].type == InstrumentType::Option
                ? e.bounded(0, kMaxEntryPrice, false, "within [0, 1e15]")
                : e.bounded(kMinLinearEntry, kMaxEntryPrice, false, "within [1e-12, 1e15]");
      }
      acct.positions.push_back(pos);
    }
  }
  return acct;
}

}  // namespace xm::json
