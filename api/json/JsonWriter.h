#pragma once
// Appends JSON text for the response's fixed shape without building a DOM per account (which
// cost a third of exchange-S's engine time). Strings are escaped by nlohmann (Json(s).dump());
// numbers are std::to_chars' shortest round-trip form, so every double reads back exactly.
// Non-finite numbers, which validated inputs cannot produce, are written as null, as nlohmann
// does.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
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

namespace xm {

// The same interface writing MessagePack, byte for byte what nlohmann's to_msgpack writes for the
// DOM JsonDomWriter would build (the smallest header for each count and length, integers in the
// smallest form, a double as float32 when that holds it exactly): the streamed MessagePack answer
// equals the DOM's. A container's count is patched into its header when it closes.
class MsgpackWriter {
 public:
  explicit MsgpackWriter(std::string& out) : out_(out) {}

  MsgpackWriter& beginObject() { return open(true); }
  MsgpackWriter& endObject() { return close(); }
  MsgpackWriter& beginArray() { return open(false); }
  MsgpackWriter& endArray() { return close(); }

  MsgpackWriter& key(std::string_view k) {
    element();
    string(k);
    afterKey_ = true;
    return *this;
  }
  MsgpackWriter& value(double x) {
    element();
    const auto f = static_cast<float>(x);
    if (x >= static_cast<double>(std::numeric_limits<float>::lowest()) &&
        x <= static_cast<double>(std::numeric_limits<float>::max()) &&
        static_cast<double>(f) == x) {
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      out_ += static_cast<char>(0xca);
      bigEndian(bits, 4);
    } else {
      uint64_t bits;
      std::memcpy(&bits, &x, sizeof bits);
      out_ += static_cast<char>(0xcb);
      bigEndian(bits, 8);
    }
    return *this;
  }
  MsgpackWriter& value(int64_t x) {
    element();
    if (x >= 0) {
      const auto u = static_cast<uint64_t>(x);
      if (u < 128) {
        out_ += static_cast<char>(u);
      } else if (u <= UINT8_MAX) {
        out_ += static_cast<char>(0xcc);
        bigEndian(u, 1);
      } else if (u <= UINT16_MAX) {
        out_ += static_cast<char>(0xcd);
        bigEndian(u, 2);
      } else if (u <= UINT32_MAX) {
        out_ += static_cast<char>(0xce);
        bigEndian(u, 4);
      } else {
        out_ += static_cast<char>(0xcf);
        bigEndian(u, 8);
      }
    } else if (x >= -32) {
      out_ += static_cast<char>(static_cast<int8_t>(x));
    } else if (x >= INT8_MIN) {
      out_ += static_cast<char>(0xd0);
      bigEndian(static_cast<uint64_t>(x), 1);
    } else if (x >= INT16_MIN) {
      out_ += static_cast<char>(0xd1);
      bigEndian(static_cast<uint64_t>(x), 2);
    } else if (x >= INT32_MIN) {
      out_ += static_cast<char>(0xd2);
      bigEndian(static_cast<uint64_t>(x), 4);
    } else {
      out_ += static_cast<char>(0xd3);
      bigEndian(static_cast<uint64_t>(x), 8);
    }
    return *this;
  }
  MsgpackWriter& value(std::string_view s) {
    element();
    string(s);
    return *this;
  }
  MsgpackWriter& value(const char* s) { return value(std::string_view(s)); }
  MsgpackWriter& value(bool b) {
    element();
    out_ += static_cast<char>(b ? 0xc3 : 0xc2);
    return *this;
  }
  template <typename T>
  MsgpackWriter& field(std::string_view k, T v) {
    key(k);
    return value(v);
  }

  // The header of a string, an array or a map of `n` (as to_msgpack writes it) appended to `out`.
  static void header(std::string& out, char kind, uint64_t n) {
    MsgpackWriter w(out);
    w.head(kind, n);
  }

 private:
  struct Frame {
    size_t at;  // the header's placeholder byte
    bool map;
    uint64_t count = 0;
  };

  // A value or a key: counted in its container (a key's value is not counted again).
  void element() {
    if (afterKey_) {
      afterKey_ = false;
      return;
    }
    if (!frames_.empty()) ++frames_.back().count;
  }
  MsgpackWriter& open(bool map) {
    element();
    frames_.push_back({out_.size(), map});
    out_ += '\0';
    return *this;
  }
  MsgpackWriter& close() {
    const Frame f = frames_.back();
    frames_.pop_back();
    std::string head;
    MsgpackWriter(head).head(f.map ? 'm' : 'a', f.count);
    out_.replace(f.at, 1, head);
    return *this;
  }
  // 's' string, 'a' array, 'm' map.
  void head(char kind, uint64_t n) {
    const int fixedMax = kind == 's' ? 31 : 15;
    const unsigned fixed = kind == 's' ? 0xa0 : kind == 'a' ? 0x90 : 0x80;
    if (n <= static_cast<uint64_t>(fixedMax)) {
      out_ += static_cast<char>(fixed | n);
    } else if (kind == 's' && n <= UINT8_MAX) {
      out_ += static_cast<char>(0xd9);
      bigEndian(n, 1);
    } else if (n <= UINT16_MAX) {
      out_ += static_cast<char>(kind == 's' ? 0xda : kind == 'a' ? 0xdc : 0xde);
      bigEndian(n, 2);
    } else {
      out_ += static_cast<char>(kind == 's' ? 0xdb : kind == 'a' ? 0xdd : 0xdf);
      bigEndian(n, 4);
    }
  }
  void string(std::string_view s) {
    head('s', s.size());
    out_ += s;
  }
  void bigEndian(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }

  std::string& out_;
  std::vector<Frame> frames_;
  bool afterKey_ = false;
};

}  // namespace xm
