#pragma once
// The JSON document type of the API (insertion-ordered, like the contract's examples) and the
// one way every writer turns a document into text.

#include <string>

#include <nlohmann/json.hpp>

namespace xm {

using Json = nlohmann::ordered_json;

// JSON text of `j` that never throws: a byte that is not valid UTF-8 (which validated input cannot
// hold, but a message quoting a file name might) is written as U+FFFD. Every writer uses it.
std::string toText(const Json& j, int indent = -1);

}  // namespace xm
