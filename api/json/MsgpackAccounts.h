#pragma once
// The parallel reader of a MessagePack request's accounts: the root map's "accounts" array is
// found by walking the headers (MessagePack's lengths make each value's end known without reading
// it), cut into pieces of whole accounts, and each account is read in place on the OpenMP threads
// in one pass by the contract's rules (AccountFields.h's ranges), its id checked for UTF-8 as the
// strict reader checks it, while the calling thread reads the rest of the request. Internal to
// api/json.
//
// As the JSON reader (ParallelAccounts.h), it reads valid requests only: on anything else it
// gives up (nullopt) and the strict reader names the first error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/json/AccountNames.h"
#include "host/model/MarginRequest.h"

namespace xm::json {

// Where the root map's "accounts" array sits: bytes [header, first) are its header, its elements
// start at starts[i] and the last ends at `end`.
struct MsgpackAccountsLayout {
  size_t header = 0;
  size_t first = 0;
  size_t end = 0;
  std::vector<size_t> starts;
};

// `done`, when set, is told each range of the bytes the reader is done with for now (as the JSON
// reader's TextDone), from several threads at once.
// From `walkFrom` accounts on their starts are found on every thread.
std::optional<MsgpackAccountsLayout> layOutMsgpackAccounts(
    std::string_view bytes, const std::function<void(size_t, size_t)>& done = {},
    uint64_t walkFrom = 4096);

// The accounts are read in pieces of this many, one piece at least.
constexpr int64_t kMsgpackPieceAccounts = 1024;
inline int64_t msgpackPieces(size_t accounts) {
  return std::max<int64_t>(
      1, (static_cast<int64_t>(accounts) + kMsgpackPieceAccounts - 1) / kMsgpackPieceAccounts);
}

// The accounts, in order, read against the catalogue that `catalogue` returns (run by the
// calling thread while the others read accounts: AccountNames.h's readPieces), or nullopt when
// any is not valid, two share an id, or `catalogue` returns none.
std::optional<std::vector<Account>> readMsgpackAccounts(
    std::string_view bytes, const MsgpackAccountsLayout& layout,
    const std::function<std::optional<Catalogue>()>& catalogue,
    const std::function<void(size_t, size_t)>& done = {});

}  // namespace xm::json
