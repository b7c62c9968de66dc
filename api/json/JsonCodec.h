#pragma once
// The contract's JSON (contract §2, §4, §5): a strict request parser that names the offending
// field by JSON Pointer, and the response and error writers.
//
// Strict means: wrong types, missing required fields, unknown enum values and unknown keys are
// errors, never silent defaults. Optional fields take the contract's documented defaults.

#include <ostream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "host/model/Errors.h"
#include "host/margin/MarginEngine.h"
#include "host/model/MarginRequest.h"

namespace xm {

using Json = nlohmann::ordered_json;

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

// JSON text of `j` that never throws: a byte that is not valid UTF-8 (which validated input cannot
// hold, but a message quoting a file name might) is written as U+FFFD. Every writer uses it.
std::string toText(const Json& j, int indent = -1);

// A request as the contract's JSON (the generator writes requests with it).
Json requestToJson(const MarginRequest& request);
// A config as the request's `config` object (the backtest report echoes it).
Json configToJson(const MarginConfig& config);

Json accountToJson(const MarginRequest& request, int64_t index, const AccountResult& r);
// The same account as compact JSON text appended to `out` (no DOM: the fast path of the writers).
void appendAccountJson(std::string& out, const MarginRequest& request, int64_t index,
                       const AccountResult& r);
Json runToJson(const RunInfo& run);
Json totalsToJson(const MarginTotals& t);
Json responseToJson(const MarginRequest& request, const MarginResponse& response);
// The response as compact JSON text, without a DOM of the accounts.
std::string responseToText(const MarginRequest& request, const MarginResponse& response);

// {"error": {"code", "message", "path"}} (contract §5).
Json errorToJson(const std::string& code, const std::string& message, const std::string& path);
Json errorToJson(const InputError& e);
Json errorToJson(const ErrorReport& report);

// Streams `{"accounts": [...], "run": {...}, "totals": {...}}` batch by batch: memory stays
// bounded by one batch whatever the number of accounts. `indent` < 0 writes compact JSON.
class StreamingResponseWriter final : public ResultSink {
 public:
  StreamingResponseWriter(const MarginRequest& request, std::ostream& out, int indent = -1);
  void accounts(int64_t first, const std::vector<AccountResult>& results) override;
  void finish(const RunSummary& summary);

 private:
  const MarginRequest& request_;
  std::ostream& out_;
  int indent_;
  bool any_ = false;
};

}  // namespace xm
