#pragma once
// An account's fields (contract §2): the strict reader's rules (parseAccountAs, through its
// Node: object, has, at, child, array, operator[], string, id, bounded and fail; `Index` maps an
// id to its index), and the ranges of its numbers, which the parallel readers (ParallelAccounts
// for JSON, MsgpackAccounts for MessagePack) check as well: they read each account in one pass
// by the same rules (AccountNames.h), and tests/json/ParallelReaderTest.cpp and the request and
// msgpack fuzz targets hold them to the strict reader, request for request, error for error.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "host/model/MarginRequest.h"
#include "host/model/Units.h"

namespace xm::json {

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
