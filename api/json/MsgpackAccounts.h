#pragma once
// The parallel reader of a MessagePack request's accounts: the root map's "accounts" array is
// found by walking the root's headers (MessagePack's lengths make each value's end known without
// reading it), cut into pieces of whole accounts (the cuts and the array's end guessed, and
// proven by reading; else found by walking every account on every thread), and each account is
// read in place on the OpenMP threads in one pass by the contract's rules (AccountFields.h's
// ranges), its id checked for UTF-8 as the strict reader checks it, while the calling thread
// reads the rest of the request. Internal to api/json.
//
// As the JSON reader (ParallelAccounts.h), it reads valid requests only: on anything else it
// gives up (nullopt) and the strict reader names the first error.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json/AccountNames.h"
#include "host/model/MarginRequest.h"

namespace xm::json {

// Where the root map's "accounts" array sits: bytes [header, first) are its header, which says
// it has `count` accounts; they start at `first` and the last ends at `end`. The accounts are read
// in pieces: the first from `first`, the others from each cut (ascending, in (first, end)), each
// to the next cut or `end`.
struct MsgpackAccountsLayout {
  size_t header = 0;
  size_t first = 0;
  size_t end = 0;
  uint64_t count = 0;
  std::vector<size_t> cuts;
};

// The layout guessed without walking the accounts: the array's end found by a bisection for the
// last place from which accounts go on (a place looks like an account's start where a map whose
// keys are an account's begins, and a few such maps follow one another), then a walk from it to
// the first value that is no account; past each multiple of `pieceBytes`, a cut at the end of the
// first such map whose end begins another. Only a guess: readMsgpackAccounts proves it (each
// piece read arrives exactly at the next cut, the last at `end`, and `count` accounts are read) or
// refuses it. Nullopt when no accounts array is found or its first element is no account.
std::optional<MsgpackAccountsLayout> guessMsgpackAccountsLayout(std::string_view bytes,
                                                                size_t pieceBytes);

// The layout found exactly, by walking every account, cut past each multiple of `pieceBytes` at
// the start of the account after the first one starting at or past it (where the guess cuts). From
// `walkFrom` accounts on, the walk runs on every thread. `done`, when set, is told each range of
// the bytes the walk or read is done with for now (as the JSON reader's TextDone), from several
// threads at once. Nullopt when the bytes have no accounts array or it is malformed.
std::optional<MsgpackAccountsLayout> layOutMsgpackAccounts(
    std::string_view bytes, size_t pieceBytes, const std::function<void(size_t, size_t)>& done = {},
    uint64_t walkFrom = 4096);

// The accounts, in order, read against the catalogue that `catalogue` returns (run by the
// calling thread while the others read accounts: AccountNames.h's readPieces), or nullopt when
// any is not valid, two share an id, `catalogue` returns none, or the layout is not the accounts'
// (a wrong guess).
std::optional<std::vector<Account>> readMsgpackAccounts(
    std::string_view bytes, const MsgpackAccountsLayout& layout,
    const std::function<std::optional<Catalogue>()>& catalogue,
    const std::function<void(size_t, size_t)>& done = {});

}  // namespace xm::json
