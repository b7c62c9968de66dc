#pragma once
// The contract's request parser (contract §2): strict, naming the offending field by JSON
// Pointer. Strict means: wrong types, missing required fields, unknown enum values and unknown
// keys are errors, never silent defaults. Optional fields take the contract's documented
// defaults. The fields themselves are parsed in RequestFields.cpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/json/Json.h"
#include "host/model/MarginRequest.h"

namespace xm {

// Parses and validates a request. Throws InputError naming the field. Accounts are converted
// while parsing and their JSON dropped (peak memory: the compact request, not its DOM). A string
// that is not valid UTF-8 (or an invalid escape) is refused naming the string's JSON Pointer, a
// key by its object's; nesting deeper than 32 levels is refused.
MarginRequest parseRequestText(std::string_view text, const Limits& limits = {});
// A MessagePack body: the same rules, every string and key checked for UTF-8 (MessagePack's
// reader does not check them), nesting limited before it can cost stack.
MarginRequest parseRequestMsgpack(std::string_view bytes, const Limits& limits = {});
// An already parsed document (tests, the backtest): its strings are checked as above.
MarginRequest parseRequest(Json body, const Limits& limits = {});

// Whether `bytes` open a MessagePack map (0x80-0x8f, 0xde, 0xdf: bytes no JSON text begins
// with): how a request file tells its format.
bool isMsgpackMap(std::string_view bytes);

class MarketSnapshot;
// The stored snapshot of an id, or an InputError (not_found) naming `path`.
using SnapshotLookup = std::function<std::shared_ptr<const MarketSnapshot>(
    const std::string& id, const std::string& path)>;

// What a request may carry beyond the contract's four objects (contract §10).
struct RequestOptions {
  // When set, "snapshot": "id" stands for a stored snapshot's market, instruments and config
  // (which the request may then not carry); accounts are parsed against its catalogue.
  SnapshotLookup snapshots;
  // Further top-level members kept aside unparsed (e.g. "neutralize"), returned in `extras`.
  std::vector<std::string> extraKeys;
  // A snapshot's definition or a what-if: "accounts" is refused, and not required.
  bool noAccounts = false;
  // An MPI rank's share (api/mpi): only accounts [keepFirst, keepLast) are converted and kept
  // (paths still name their index in the whole request); every account's id is still checked
  // against every other's. When set, legCounts receives each account's number of positions
  // plus collateral holdings, read from the text before any conversion.
  int64_t keepFirst = 0;
  int64_t keepLast = INT64_MAX;
  std::vector<int32_t>* legCounts = nullptr;
  // When set, each kept account is handed here as soon as it is parsed instead of being kept in
  // the request (a streaming run: memory holds a batch, not the accounts).
  std::function<void(Account&&)> accountSink;
  // The parallel readers of the accounts (ParallelAccounts.h, MsgpackAccounts.h) read requests
  // from this size on when every account is kept (none of the options above), in pieces of
  // pieceBytes (0: about a sixteenth of the bytes per thread, within [64 KiB, 1 MiB]). Tests set
  // both low to cut small requests into many pieces.
  size_t parallelFromBytes = size_t{256} << 10;
  size_t pieceBytes = 0;
  // Where the parallel MessagePack reader's guess of its layout fails, it walks its accounts to
  // find their starts, on every thread from this many accounts on (MsgpackAccounts.h); tests
  // set it low.
  uint64_t walkAccountsFrom = 4096;
  // When set, the parallel readers tell it each range of the bytes they are done with for now
  // (a mapped file then drops those pages: InputText::dropPages), so that a large request's text
  // does not stay in memory beside its accounts.
  std::function<void(size_t begin, size_t end)> textDone;
  // When set, the parallel readers call it on the calling thread as soon as the market,
  // instruments and config are read, while the accounts are: the caller may start preparing the
  // market (scenarios, revaluation) meanwhile. The catalogue (accounts empty) lives for the call
  // only. Called once, but for a rare second call whose catalogue replaces the first (a reader's
  // guess of where the accounts end proved wrong, yet the bytes around its guess read as a
  // request): the request read is the last catalogue's.
  std::function<void(const MarginRequest& catalogue)> catalogueRead;
};

struct ParsedRequest {
  MarginRequest request;  // on a snapshot: its market (no history), instruments and config
                          // (with noAccounts only its config: nothing needs the rest)
  std::shared_ptr<const MarketSnapshot> snapshot;  // the one "snapshot" named, or null
  Json extras;                                     // an object of the extraKeys present
  int64_t accountPieces = 0;  // pieces the parallel reader read the accounts in (0: strict)
};

ParsedRequest parseRequestText(std::string_view text, const Limits& limits,
                               const RequestOptions& options);
// The same, reading the file at `path` in 1 MiB pieces (never the whole text in memory); a parse
// error is located by mapping the file then.
ParsedRequest parseRequestFile(const std::string& path, const Limits& limits,
                               const RequestOptions& options);
ParsedRequest parseRequestMsgpack(std::string_view bytes, const Limits& limits,
                                  const RequestOptions& options);
ParsedRequest parseRequest(Json body, const Limits& limits, const RequestOptions& options);

}  // namespace xm
