#pragma once
// The contract's request parser (contract §2): strict, naming the offending field by JSON
// Pointer. Strict means: wrong types, missing required fields, unknown enum values and unknown
// keys are errors, never silent defaults. Optional fields take the contract's documented
// defaults. The fields themselves are parsed in RequestFields.cpp.

#include <string_view>

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

}  // namespace xm
