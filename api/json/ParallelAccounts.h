#pragma once
// The parallel reader of a request's "accounts" (the bulk of every large request): the array is
// cut into pieces of about `pieceBytes` at account boundaries found on all cores, and each piece
// is read by simdjson's On-Demand parser and converted straight into Accounts by the same field
// rules as the strict reader (AccountFields.h). Internal to api/json: RequestParser.cpp uses it.
//
// It reads valid requests only. Whatever it cannot prove valid — malformed JSON, a field the
// rules refuse, a key given twice, a number simdjson cannot read — makes it give up (nullopt),
// and the strict reader then reads the request and names the first error in document order with
// its JSON Pointer, exactly as it always has. A valid request is read once.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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

// The accounts between layout.open and layout.close in document order, or nullopt when any of
// them is not valid (see above) or two share an id. Runs on the OpenMP threads.
std::optional<std::vector<Account>> readAccounts(
    std::string_view text, const AccountsLayout& layout,
    const std::unordered_map<std::string, int>& assetIndex,
    const std::unordered_map<std::string, int>& instrumentIndex,
    const std::vector<Instrument>& instruments, const TextDone& done = {});

// Accounts read in pieces, joined in order; nullopt when two share an id (checked on all threads).
std::optional<std::vector<Account>> joinPieces(std::vector<std::vector<Account>> pieces);

}  // namespace xm::json
