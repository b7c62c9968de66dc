#pragma once
// The parallel reader of a MessagePack request's accounts: the root map's "accounts" array is
// found by walking the headers (MessagePack's lengths make each value's end known without reading
// it), cut into pieces of whole accounts, and each account is read in place on the OpenMP threads
// by the strict reader's field rules (AccountFields.h), its keys and strings checked for UTF-8 as
// the strict reader checks them. Internal to api/json.
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
constexpr int64_t kMsgpackPieceAccounts = 256;
inline int64_t msgpackPieces(size_t accounts) {
  return std::max<int64_t>(
      1, (static_cast<int64_t>(accounts) + kMsgpackPieceAccounts - 1) / kMsgpackPieceAccounts);
}

// The accounts, in order, or nullopt when any is not valid or two share an id.
std::optional<std::vector<Account>> readMsgpackAccounts(
    std::string_view bytes, const MsgpackAccountsLayout& layout,
    const std::unordered_map<std::string, int>& assetIndex,
    const std::unordered_map<std::string, int>& instrumentIndex,
    const std::vector<Instrument>& instruments,
    const std::function<void(size_t, size_t)>& done = {});

}  // namespace xm::json
