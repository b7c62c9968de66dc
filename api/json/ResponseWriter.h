#pragma once
// The contract's response and error envelopes (contract §4, §5): as a DOM, as compact text
// without a DOM of the accounts, and streamed batch by batch.

#include <cstdint>
#include <future>
#include <ostream>
#include <string>
#include <vector>

#include "api/json/Json.h"
#include "host/margin/MarginEngine.h"
#include "host/model/Errors.h"
#include "host/model/MarginRequest.h"

namespace xm {

Json accountToJson(const MarginRequest& request, int64_t index, const AccountResult& r);
// An account not in catalog.accounts (a streamed batch's), its positions indexing
// catalog.instruments.
Json accountToJson(const MarginRequest& catalog, const Account& account, const AccountResult& r);
// The same account as compact JSON text appended to `out` (no DOM: the fast path of the writers).
// Both come from one description of the account's fields (ResponseWriter.cpp, writeAccount).
void appendAccountJson(std::string& out, const MarginRequest& request, int64_t index,
                       const AccountResult& r);
// `account`, not one of the request's: `catalog` gives the ids its positions and collateral
// refer to, and the config.
void appendAccountJson(std::string& out, const MarginRequest& catalog, const Account& account,
                       const AccountResult& r);
Json runToJson(const RunInfo& run);
Json totalsToJson(const MarginTotals& t);
Json responseToJson(const MarginRequest& request, const MarginResponse& response);
// The response as compact JSON text, without a DOM of the accounts.
std::string responseToText(const MarginRequest& request, const MarginResponse& response);
// The response as MessagePack, without a DOM of the accounts: Json::to_msgpack(responseToJson()).
std::string responseToMsgpack(const MarginRequest& request, const MarginResponse& response);

// {"error": {"code", "message", "path"}} (contract §5).
Json errorToJson(const std::string& code, const std::string& message, const std::string& path);
Json errorToJson(const InputError& e);
Json errorToJson(const ErrorReport& report);

// What follows the accounts: `],"run":{...},"totals":{...}}` and a newline.
void writeResponseClosing(std::ostream& out, const RunSummary& summary, int indent);

// Streams `{"accounts": [...], "run": {...}, "totals": {...}}` batch by batch: memory stays
// bounded by one batch whatever the number of accounts. `indent` < 0 writes compact JSON.
class StreamingResponseWriter final : public ResultSink {
 public:
  StreamingResponseWriter(const MarginRequest& request, std::ostream& out, int indent = -1);
  // The same document as MessagePack, byte for byte Json::to_msgpack(responseToJson(...)) (the
  // request's accounts: their count opens the array).
  struct Msgpack {};
  StreamingResponseWriter(const MarginRequest& request, std::ostream& out, Msgpack);
  // A shard of the response (an MPI rank's accounts): each account with the separator it has in
  // the whole response (`follows`: accounts come before the shard's), and no opening: shards
  // written in order between the opening and the closing (writeResponseClosing) are the whole
  // response, byte for byte.
  struct Shard {
    bool follows = false;
  };
  StreamingResponseWriter(const MarginRequest& request, std::ostream& out, int indent, Shard shard);
  // The opening a shard leaves out.
  static const char* opening() { return "{\"accounts\":["; }
  // The accounts the results of accounts() refer to (by `first` + i), their positions indexing
  // request.instruments: request.accounts unless a streamed batch is set here.
  void batch(const std::vector<Account>& accounts) { accounts_ = &accounts; }
  ~StreamingResponseWriter() override;
  StreamingResponseWriter(const StreamingResponseWriter&) = delete;
  StreamingResponseWriter& operator=(const StreamingResponseWriter&) = delete;
  // Formats the batch on the OpenMP threads and hands it to the stream on a thread of its own,
  // which writes while the engine computes the next batch; the stream is the writer's until
  // finish() (or the writer's end).
  void accounts(int64_t first, const std::vector<AccountResult>& results) override;
  void finish(const RunSummary& summary);
  // Waits until every batch is in the stream (its exception rethrown): a shard has no finish().
  void drain() { waitForWrite(); }

 private:
  void waitForWrite();  // the batch in flight written (its exception rethrown)

  const MarginRequest& request_;
  std::ostream& out_;
  int indent_;
  bool msgpack_ = false;
  bool any_ = false;
  const std::vector<Account>* accounts_;
  std::future<void> pending_;
};

}  // namespace xm
