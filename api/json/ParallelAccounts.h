#pragma once
// The parallel reader of a request's "accounts" (the bulk of every large request): the array is
// cut into pieces of about `pieceBytes` at account boundaries (guessed, and proven by reading
// them; else found exactly on all cores), and each piece is read by simdjson's On-Demand parser
// straight into Accounts by the strict reader's rules (the contract's §2; AccountFields.h's
// ranges), while the calling thread reads the rest of the request; the accounts are then resolved
// against the catalogue it read. Internal to api/json: RequestParser.cpp uses it.
//
// It reads valid requests only. Whatever it cannot prove valid — malformed JSON, a field the
// rules refuse, a key given twice, a number simdjson cannot read — makes it give up (nullopt),
// and the strict reader then reads the request and names the first error in document order with
// its JSON Pointer, exactly as it always has. A valid request is read once.

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

// Told text[begin, end) is read for now (a mapped file may drop those pages): may be empty.
using TextDone = std::function<void(size_t begin, size_t end)>;

// Where the request's top-level "accounts" array sits: text[open] is '[' and text[close] its ']'.
// The cuts are the commas between accounts where the pieces begin and end, ascending.
struct AccountsLayout {
  size_t open = 0;
  size_t close = 0;
  std::vector<size_t> cuts;
};

// The layout of `text`'s accounts, or nullopt when it has none the reader can find (no top-level
// "accounts" array, or a text that is not valid JSON where it looked). Cuts are about
// `pieceBytes` apart. Runs on the OpenMP threads.
std::optional<AccountsLayout> layOutAccounts(std::string_view text, size_t pieceBytes,
                                             const TextDone& done = {});

// The layout of `text`'s accounts guessed in a few microseconds, without reading them: cuts at
// the commas where an account's object begins ("}, {" and then an account's key), about
// `pieceBytes` apart, and the close found from the last cut. Only a guess: readAccounts proves it
// or refuses it. Every piece read as a list of accounts, "[" piece "]", and text[close] a ']',
// the accounts array is those pieces' lists joined (JSON's grammar reads a concatenation of lists
// as the one list: each piece parses alike alone or inside the array), so its cuts and close are
// the array's own. A wrong guess gets nullopt there, as bad text does (the caller then lays the
// text out exactly). Nullopt here when too few cuts look right to be worth it.
std::optional<AccountsLayout> guessAccountsLayout(std::string_view text, size_t pieceBytes);

// The accounts between layout.open and layout.close in document order, read against the
// catalogue that `catalogue` returns: nullopt when any of them is not valid (see above), names an
// asset or instrument the catalogue does not have or shares its id with another, or when
// `catalogue` returns none. Runs on the OpenMP threads: the calling thread first runs
// `catalogue` (reading the rest of the request), whose exception is rethrown here, while the
// others read accounts, by their names until the catalogue is known, then against it.
std::optional<std::vector<Account>> readAccounts(
    std::string_view text, const AccountsLayout& layout,
    const std::function<std::optional<Catalogue>()>& catalogue, const TextDone& done = {});

}  // namespace xm::json
