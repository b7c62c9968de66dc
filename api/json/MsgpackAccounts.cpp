#include "api/json/MsgpackAccounts.h"

#include <atomic>
#include <initializer_list>

#include "api/json/AccountFields.h"
#include "api/json/Json.h"
#include "api/json/ParallelAccounts.h"
#include "api/json/Utf8.h"

namespace xm::json {
namespace {

constexpr size_t kNone = std::string_view::npos;
// A request nests at most 32 levels (RequestParser.cpp); an account sits two levels down.
constexpr int kAccountDepth = 30;

uint64_t bigEndian(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

// One MessagePack header at bytes[i]: how many bytes it and its payload take before any nested
// values, and how many nested values follow (2 per map entry). False when malformed or cut short.
bool header(std::string_view bytes, size_t i, size_t& length, uint64_t& nested) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  if (i >= n) return false;
  const uint8_t b = p[i];
  nested = 0;
  auto sized = [&](int lengthBytes, uint64_t extra, uint64_t perItem) {
    if (i + 1 + static_cast<size_t>(lengthBytes) > n) return false;
    const uint64_t count = bigEndian(p + i + 1, lengthBytes);
    length = 1 + static_cast<size_t>(lengthBytes) + static_cast<size_t>(extra);
    if (perItem == 0) {
      length += static_cast<size_t>(count);
    } else {
      nested = count * perItem;
    }
    return true;
  };
  if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
    length = 1;
  } else if (b <= 0x8f) {
    length = 1;
    nested = 2 * uint64_t{b & 0x0fu};
  } else if (b <= 0x9f) {
    length = 1;
    nested = b & 0x0fu;
  } else if (b <= 0xbf) {
    length = 1 + (b & 0x1fu);
  } else {
    switch (b) {
      case 0xc4:
        return sized(1, 0, 0);  // bin
      case 0xc5:
        return sized(2, 0, 0);
      case 0xc6:
        return sized(4, 0, 0);
      case 0xc7:
        return sized(1, 1, 0);  // ext: length, type, data
      case 0xc8:
        return sized(2, 1, 0);
      case 0xc9:
        return sized(4, 1, 0);
      case 0xca:
        length = 5;
        break;
      case 0xcb:
        length = 9;
        break;
      case 0xcc:
      case 0xd0:
        length = 2;
        break;
      case 0xcd:
      case 0xd1:
        length = 3;
        break;
      case 0xce:
      case 0xd2:
        length = 5;
        break;
      case 0xcf:
      case 0xd3:
        length = 9;
        break;
      case 0xd4:
        length = 3;
        break;  // fixext 1..16: type and data
      case 0xd5:
        length = 4;
        break;
      case 0xd6:
        length = 6;
        break;
      case 0xd7:
        length = 10;
        break;
      case 0xd8:
        length = 18;
        break;
      case 0xd9:
        return sized(1, 0, 0);  // str
      case 0xda:
        return sized(2, 0, 0);
      case 0xdb:
        return sized(4, 0, 0);
      case 0xdc:
        return sized(2, 0, 1);  // array
      case 0xdd:
        return sized(4, 0, 1);
      case 0xde:
        return sized(2, 0, 2);  // map
      case 0xdf:
        return sized(4, 0, 2);
      default:
        return false;  // 0xc1: never used
    }
  }
  return true;
}

// The index just past the value at bytes[i] (nested values included), or kNone.
size_t valueEnd(std::string_view bytes, size_t i) {
  uint64_t pending = 1;  // values still to pass
  while (pending > 0) {
    size_t length = 0;
    uint64_t nested = 0;
    if (!header(bytes, i, length, nested) || length > bytes.size() - i) return kNone;
    i += length;
    --pending;
    // Each nested value takes a byte at least: more than the bytes left is malformed (and would
    // otherwise loop for as long as a forged count says).
    if (nested > bytes.size() - i) return kNone;
    pending += nested;
  }
  return i;
}

// The string at bytes[i] (kNone when it is not a string); `next` the index past it.
std::string_view stringAt(std::string_view bytes, size_t i, size_t& next) {
  size_t length = 0;
  uint64_t nested = 0;
  if (i >= bytes.size() || !header(bytes, i, length, nested)) return {};
  const auto b = static_cast<uint8_t>(bytes[i]);
  const bool text = (b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb);
  if (!text || length > bytes.size() - i) {
    next = kNone;
    return {};
  }
  const size_t head = b <= 0xbf ? 1 : b == 0xd9 ? 2 : b == 0xda ? 3 : 5;
  next = i + length;
  return bytes.substr(i + head, length - head);
}

// A DOM value of one account behind the strict reader's Node interface (AccountFields.h),
// without the paths: any failure throws Refused and the strict reader names it.
struct Refused {};

class DomNode {
 public:
  explicit DomNode(const Json* j) : j_(j) {}
  [[noreturn]] void fail(const std::string&) const { throw Refused{}; }
  void object(std::initializer_list<std::string_view> allowed) const {
    if (!j_ || !j_->is_object()) fail("");
    for (auto it = j_->begin(); it != j_->end(); ++it) {
      bool known = false;
      for (auto a : allowed) known = known || it.key() == a;
      if (!known) fail("");
    }
  }
  DomNode child(std::string_view key) const {
    if (!j_ || !j_->is_object()) return DomNode(nullptr);
    const auto it = j_->find(key);
    return DomNode(it == j_->end() ? nullptr : &*it);
  }
  bool has(std::string_view key) const { return child(key).j_ != nullptr; }
  DomNode at(std::string_view key) const {
    const DomNode c = child(key);
    if (!c.j_) fail("");
    return c;
  }
  size_t array() const {
    if (!j_ || !j_->is_array()) fail("");
    return j_->size();
  }
  DomNode operator[](size_t i) const { return DomNode(&(*j_)[i]); }
  double bounded(double lo, double hi, bool loOpen, const char*) const {
    if (!j_ || !j_->is_number()) fail("");
    const double x = j_->get<double>();
    if (!std::isfinite(x) || (loOpen ? !(x > lo) : !(x >= lo)) || !(x <= hi)) fail("");
    return x;
  }
  std::string string() const {
    if (!j_ || !j_->is_string()) fail("");
    const std::string& s = j_->get_ref<const std::string&>();
    if (firstInvalidUtf8(s)) fail("");
    return s;
  }
  std::string id() const {
    std::string s = string();
    if (s.empty() || s.size() > 256) fail("");
    return s;
  }

 private:
  const Json* j_;
};

// Every key of the account well-formed UTF-8 (its strings are checked as they are read).
void checkKeys(const Json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (firstInvalidUtf8(it.key())) throw Refused{};
      checkKeys(it.value());
    }
  } else if (j.is_array()) {
    for (const Json& v : j) checkKeys(v);
  }
}

// nlohmann's DOM builder behind a depth limit (as the strict reader's BoundedDomSax).
class AccountSax final : public nlohmann::json_sax<Json> {
 public:
  explicit AccountSax(Json& out) : dom_(out, false) {}
  bool null() override { return dom_.null(); }
  bool boolean(bool v) override { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) override { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) override { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) override {
    return dom_.number_float(v, s);
  }
  bool string(string_t& v) override { return dom_.string(v); }
  bool binary(binary_t& v) override { return dom_.binary(v); }
  bool start_object(std::size_t n) override {
    return ++depth_ < kAccountDepth && dom_.start_object(n);
  }
  bool key(string_t& k) override { return dom_.key(k); }
  bool end_object() override {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) override {
    return ++depth_ < kAccountDepth && dom_.start_array(n);
  }
  bool end_array() override {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  int depth_ = 0;
};

}  // namespace

std::optional<MsgpackAccountsLayout> layOutMsgpackAccounts(std::string_view bytes) {
  size_t length = 0;
  uint64_t entries = 0;
  if (bytes.empty() || !header(bytes, 0, length, entries)) return std::nullopt;
  const auto root = static_cast<uint8_t>(bytes[0]);
  if (!((root >= 0x80 && root <= 0x8f) || root == 0xde || root == 0xdf)) return std::nullopt;
  size_t i = length;
  for (uint64_t e = 0; e < entries / 2; ++e) {
    size_t next = 0;
    const std::string_view key = stringAt(bytes, i, next);
    if (next == kNone) return std::nullopt;
    if (key == "accounts") {
      MsgpackAccountsLayout layout;
      layout.header = next;
      uint64_t count = 0;
      const auto b = next < bytes.size() ? static_cast<uint8_t>(bytes[next]) : 0;
      if (!((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd)) return std::nullopt;
      if (!header(bytes, next, length, count)) return std::nullopt;
      layout.first = next + length;
      if (count > bytes.size() - layout.first) return std::nullopt;
      layout.starts.reserve(static_cast<size_t>(count));
      size_t at = layout.first;
      for (uint64_t a = 0; a < count; ++a) {
        layout.starts.push_back(at);
        at = valueEnd(bytes, at);
        if (at == kNone) return std::nullopt;
      }
      layout.end = at;
      return layout;
    }
    i = valueEnd(bytes, next);
    if (i == kNone) return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::vector<Account>> readMsgpackAccounts(
    std::string_view bytes, const MsgpackAccountsLayout& layout,
    const std::unordered_map<std::string, int>& assetIndex,
    const std::unordered_map<std::string, int>& instrumentIndex,
    const std::vector<Instrument>& instruments) {
  const int64_t count = static_cast<int64_t>(layout.starts.size());
  constexpr int64_t kPiece = kMsgpackPieceAccounts;
  const int64_t pieces = (count + kPiece - 1) / kPiece;
  std::vector<std::vector<Account>> read(static_cast<size_t>(pieces));
  std::atomic<bool> refused{false};
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t k = 0; k < pieces; ++k) {
    if (refused.load(std::memory_order_relaxed)) continue;
    try {
      const int64_t last = std::min(count, (k + 1) * kPiece);
      read[k].reserve(static_cast<size_t>(last - k * kPiece));
      for (int64_t a = k * kPiece; a < last; ++a) {
        const size_t begin = layout.starts[a];
        const size_t end = a + 1 < count ? layout.starts[a + 1] : layout.end;
        Json account;
        AccountSax sax(account);
        if (!Json::sax_parse(bytes.substr(begin, end - begin), &sax,
                             nlohmann::detail::input_format_t::msgpack, true))
          throw Refused{};
        checkKeys(account);
        read[k].push_back(
            parseAccountAs(DomNode(&account), assetIndex, instrumentIndex, instruments));
      }
    } catch (...) {  // Refused, a parse error, or out of memory: the strict reader decides
      refused = true;
    }
  }
  if (refused) return std::nullopt;
  return joinPieces(std::move(read));
}

}  // namespace xm::json
