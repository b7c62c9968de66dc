#pragma once
// Appends JSON text for the response's fixed shape without building a DOM per account (which
// cost a third of exchange-S's engine time). Strings are escaped by nlohmann (Json(s).dump());
// numbers are std::to_chars' shortest round-trip form, so every double reads back exactly.
// Non-finite numbers, which validated inputs cannot produce, are written as null, as nlohmann
// does.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xm {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& beginObject() { return open('{'); }
  JsonWriter& endObject() { return close('}'); }
  JsonWriter& beginArray() { return open('['); }
  JsonWriter& endArray() { return close(']'); }

  JsonWriter& key(std::string_view k) {
    comma();
    string(k);
    out_ += ':';
    afterKey_ = true;
    return *this;
  }
  JsonWriter& value(double x) {
    comma();
    if (!std::isfinite(x)) {
      out_ += "null";
      return *this;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    out_.append(buf, r.ptr);
    return *this;
  }
  JsonWriter& value(int64_t x) {
    comma();
    out_ += std::to_string(x);
    return *this;
  }
  JsonWriter& value(std::string_view s) {
    comma();
    string(s);
    return *this;
  }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) {
    comma();
    out_ += b ? "true" : "false";
    return *this;
  }
  template <typename T>
  JsonWriter& field(std::string_view k, T v) {
    key(k);
    return value(v);
  }

 private:
  JsonWriter& open(char c) {
    comma();
    out_ += c;
    first_ = true;
    return *this;
  }
  JsonWriter& close(char c) {
    out_ += c;
    first_ = false;
    return *this;
  }
  void comma() {
    if (afterKey_) {
      afterKey_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }
  // Plain ids (no quote, backslash, control or non-ASCII byte) need no escaping; anything else
  // goes through nlohmann's escaper (which writes U+FFFD for a byte that is not UTF-8: requests
  // are validated, so that only guards text of other origin).
  void string(std::string_view s) {
    for (unsigned char c : s) {
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
        out_ += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
      }
    }
    out_ += '"';
    out_ += s;
    out_ += '"';
  }

  std::string& out_;
  bool first_ = true;
  bool afterKey_ = false;
};

// The same interface building a DOM (nlohmann::ordered_json), so a shape is written once, as a
// template over the writer (ResponseWriter.cpp's account), and comes out as text or as a DOM.
class JsonDomWriter {
 public:
  using Json = nlohmann::ordered_json;
  explicit JsonDomWriter(Json& root) : root_(root) {}
  JsonDomWriter& beginObject() { return open(Json::object()); }
  JsonDomWriter& endObject() { return close(); }
  JsonDomWriter& beginArray() { return open(Json::array()); }
  JsonDomWriter& endArray() { return close(); }
  JsonDomWriter& key(std::string_view k) {
    key_ = std::string(k);
    return *this;
  }
  JsonDomWriter& value(double x) { return put(x); }
  JsonDomWriter& value(int64_t x) { return put(x); }
  JsonDomWriter& value(std::string_view s) { return put(std::string(s)); }
  JsonDomWriter& value(const char* s) { return put(std::string(s)); }
  JsonDomWriter& value(bool b) { return put(b); }
  template <typename T>
  JsonDomWriter& field(std::string_view k, T v) {
    key(k);
    return value(v);
  }

 private:
  Json& slot() {
    if (stack_.empty()) return root_;
    Json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(nullptr);
      return top.back();
    }
    return top[key_];
  }
  JsonDomWriter& put(Json v) {
    slot() = std::move(v);
    return *this;
  }
  JsonDomWriter& open(Json empty) {
    Json& s = slot();
    s = std::move(empty);
    stack_.push_back(&s);
    return *this;
  }
  JsonDomWriter& close() {
    stack_.pop_back();
    return *this;
  }
  Json& root_;
  std::vector<Json*> stack_;
  std::string key_;
};

}  // namespace xm
