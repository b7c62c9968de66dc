#pragma once
// An account's fields (contract §2), written once for every reader of an account: the strict
// reader's Node (nlohmann, RequestFields.cpp) and the parallel reader's simdjson element
// (ParallelAccounts.cpp). `N` provides Node's accessors: object, has, at, child, array,
// operator[], string, id, bounded and fail. `Index` maps an id as N::string() returns it (a
// std::string, or a std::string_view into the text) to its index.

#include <string>
#include <unordered_map>
#include <vector>

#include "host/model/MarginRequest.h"
#include "host/model/Units.h"

namespace xm::json {

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
