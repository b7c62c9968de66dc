#include "api/json/MsgpackAccounts.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <vector>

#include <omp.h>

#include "api/json/AccountFields.h"
#include "api/json/ParallelAccounts.h"
#include "api/json/Utf8.h"

namespace xm::json {
namespace {

constexpr size_t kNone = std::string_view::npos;
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

// A MessagePack value of one account, read in place behind the strict reader's Node interface
// (AccountFields.h), without the paths: any failure throws Refused and the strict reader names
// it. What it accepts is what nlohmann's reader and the strict rules accept, read the same way:
// string keys only (a key given twice is left to the strict reader), integers and floats as
// doubles, strings well-formed UTF-8.
struct Refused {};

class BytesNode {
 public:
  BytesNode() = default;
  BytesNode(std::string_view bytes, size_t at) : bytes_(bytes), at_(at), present_(true) {}

  [[noreturn]] void fail(const std::string&) const { throw Refused{}; }

  // Checks the keys and keeps where each value starts, for child().
  void object(std::initializer_list<std::string_view> allowed) const {
    const auto b = lead();
    if (!((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf)) fail("");
    size_t length = 0;
    uint64_t nested = 0;
    if (!header(bytes_, at_, length, nested)) fail("");
    size_t at = at_ + length;
    fields_ = {};
    for (uint64_t e = 0; e < nested / 2; ++e) {
      size_t next = 0;
      const std::string_view key = stringAt(bytes_, at, next);
      // An allowed key is ASCII: checking it against the list checks its UTF-8 too.
      if (next == kNone || !fields_.add(allowed, key, next)) fail("");
      at = valueEnd(bytes_, next);
      if (at == kNone) fail("");
    }
    fields_.kept = true;
  }
  BytesNode child(std::string_view key) const {
    if (!fields_.kept) object({});  // not an object, or an unexpected key: refused
    const size_t* v = fields_.find(key);
    return v ? BytesNode(bytes_, *v) : BytesNode();
  }
  bool has(std::string_view key) const { return child(key).present_; }
  BytesNode at(std::string_view key) const {
    BytesNode c = child(key);
    if (!c.present_) fail("");
    return c;
  }

  size_t array() const {
    const auto b = lead();
    if (!((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd)) fail("");
    size_t length = 0;
    uint64_t nested = 0;
    if (!header(bytes_, at_, length, nested)) fail("");
    next_ = at_ + length;
    nextIndex_ = 0;
    return static_cast<size_t>(nested);
  }
  // Elements in order (AccountFields.h reads them so).
  BytesNode operator[](size_t i) const {
    while (nextIndex_ < i) {
      next_ = valueEnd(bytes_, next_);
      if (next_ == kNone) fail("");
      ++nextIndex_;
    }
    if (nextIndex_ != i) fail("");
    return BytesNode(bytes_, next_);
  }

  double bounded(double lo, double hi, bool loOpen, const char*) const {
    const double x = number();
    if (!std::isfinite(x) || (loOpen ? !(x > lo) : !(x >= lo)) || !(x <= hi)) fail("");
    return x;
  }
  // Not checked for UTF-8 here: AccountFields.h looks every such string up, and one that names
  // a catalogue id is that id's valid UTF-8 (anything else is refused). id() checks.
  std::string_view string() const {
    size_t next = 0;
    const std::string_view s = present_ ? stringAt(bytes_, at_, next) : std::string_view();
    if (!present_ || next == kNone) fail("");
    return s;
  }
  std::string id() const {
    const std::string_view s = string();
    if (s.empty() || s.size() > kMaxIdBytes || firstInvalidUtf8(s)) fail("");
    return std::string(s);
  }

 private:
  uint8_t lead() const {
    if (!present_ || at_ >= bytes_.size()) fail("");
    return static_cast<uint8_t>(bytes_[at_]);
  }
  // An integer or a float as nlohmann converts it to double.
  double number() const {
    const uint8_t b = lead();
    const auto* p = reinterpret_cast<const uint8_t*>(bytes_.data()) + at_ + 1;
    auto need = [&](size_t n) {
      if (bytes_.size() - at_ - 1 < n) fail("");
    };
    if (b <= 0x7f) return static_cast<double>(b);
    if (b >= 0xe0) return static_cast<double>(static_cast<int8_t>(b));
    switch (b) {
      case 0xca: {
        need(4);
        const auto bits = static_cast<uint32_t>(bigEndian(p, 4));
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return static_cast<double>(f);
      }
      case 0xcb: {
        need(8);
        const uint64_t bits = bigEndian(p, 8);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
      }
      case 0xcc:
        need(1);
        return static_cast<double>(bigEndian(p, 1));
      case 0xcd:
        need(2);
        return static_cast<double>(bigEndian(p, 2));
      case 0xce:
        need(4);
        return static_cast<double>(bigEndian(p, 4));
      case 0xcf:
        need(8);
        return static_cast<double>(bigEndian(p, 8));
      case 0xd0:
        need(1);
        return static_cast<double>(static_cast<int8_t>(bigEndian(p, 1)));
      case 0xd1:
        need(2);
        return static_cast<double>(static_cast<int16_t>(bigEndian(p, 2)));
      case 0xd2:
        need(4);
        return static_cast<double>(static_cast<int32_t>(bigEndian(p, 4)));
      case 0xd3:
        need(8);
        return static_cast<double>(static_cast<int64_t>(bigEndian(p, 8)));
      default:
        fail("");
    }
  }

  std::string_view bytes_;
  size_t at_ = 0;
  bool present_ = false;
  mutable KeptFields<size_t> fields_;
  mutable size_t next_ = 0, nextIndex_ = 0;
};

// A walk from one account start to the next: the starts passed, up to `most` of them or the
// first at or past `until`, and where it stopped (kNone when a value was malformed).
struct AccountWalk {
  std::vector<size_t> starts;
  size_t next = kNone;
};

// `done` (when set) is told each MiB walked, so that a mapped file's pages go as they are passed.
void walkAccounts(std::string_view bytes, size_t at, size_t until, size_t most, AccountWalk& w,
                  const std::function<void(size_t, size_t)>& done) {
  size_t walked = at;
  while (at < until && w.starts.size() < most) {
    w.starts.push_back(at);
    at = valueEnd(bytes, at);
    if (at == kNone) break;
    if (done && at - walked >= (size_t{1} << 20)) {
      done(walked, at);
      walked = at;
    }
  }
  w.next = at;
  if (done && at != kNone && at > walked) done(walked, at);
}

// Whether bytes[i] looks like the start of an account: a map whose first key is one an account
// has. A look-alike (inside an id, say) is possible; what a walk from it finds is checked.
bool looksLikeAccount(std::string_view bytes, size_t i) {
  const auto b = static_cast<uint8_t>(bytes[i]);
  if (!(b >= 0x81 && b <= 0x8f) || i + 1 >= bytes.size()) return false;
  size_t next = 0;
  const std::string_view key = stringAt(bytes, i + 1, next);
  return next != kNone && (key == "id" || key == "positions" || key == "collateral");
}

// The starts of `count` accounts from `first`, and the end past the last, walked on every
// thread: the bytes from `first` are cut into segments, each walked from the first place in it
// that looks like an account to the first start past it. A segment's walk is kept when the walk
// before it arrived exactly at its first start (walks from one place are one walk); where it did
// not (a look-alike came first, or none was found), the segment is walked again from where the
// walk before it arrived. The first segment's walk starts at `first`, a true start.
bool walkAllAccounts(std::string_view bytes, size_t first, uint64_t count, uint64_t walkFrom,
                     const std::function<void(size_t, size_t)>& done, std::vector<size_t>& starts,
                     size_t& end) {
  const size_t total = static_cast<size_t>(count);
  starts.reserve(total);
  const int64_t segments = count < walkFrom ? 1 : std::max(1, 4 * omp_get_max_threads());
  const size_t span =
      (bytes.size() - first + static_cast<size_t>(segments) - 1) / static_cast<size_t>(segments);
  auto segmentBegin = [&](int64_t k) { return first + static_cast<size_t>(k) * span; };
  auto segmentEnd = [&](int64_t k) { return std::min(bytes.size(), segmentBegin(k + 1)); };
  std::vector<AccountWalk> walks(static_cast<size_t>(segments));
#pragma omp parallel for schedule(dynamic, 1) if (segments > 1)
  for (int64_t k = 0; k < segments; ++k) {
    size_t at = segmentBegin(k);
    while (k > 0 && at < segmentEnd(k) && !looksLikeAccount(bytes, at)) ++at;
    if (at < segmentEnd(k)) walkAccounts(bytes, at, segmentEnd(k), total, walks[k], done);
  }
  size_t at = first;
  for (int64_t k = 0; k < segments && starts.size() < total; ++k) {
    const AccountWalk& w = walks[k];
    const size_t left = total - starts.size();
    const bool kept =
        w.next != kNone && !w.starts.empty() && w.starts[0] == at && w.starts.size() <= left;
    AccountWalk again;
    if (!kept) walkAccounts(bytes, at, segmentEnd(k), left, again, done);
    const AccountWalk& used = kept ? w : again;
    starts.insert(starts.end(), used.starts.begin(), used.starts.end());
    at = used.next;
    if (at == kNone) return false;
  }
  if (starts.size() < total) return false;  // the last segment ends with the bytes: too short
  end = at;
  return true;
}

}  // namespace

std::optional<MsgpackAccountsLayout> layOutMsgpackAccounts(
    std::string_view bytes, const std::function<void(size_t, size_t)>& done, uint64_t walkFrom) {
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
      if (!walkAllAccounts(bytes, layout.first, count, walkFrom, done, layout.starts, layout.end))
        return std::nullopt;
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
    const std::vector<Instrument>& instruments, const std::function<void(size_t, size_t)>& done) {
  const int64_t count = static_cast<int64_t>(layout.starts.size());
  constexpr int64_t kPiece = kMsgpackPieceAccounts;
  const int64_t pieces = (count + kPiece - 1) / kPiece;
  std::vector<std::vector<Account>> read(static_cast<size_t>(pieces));
  std::atomic<bool> refused{false};
  const IdIndex assets(assetIndex), instrumentIds(instrumentIndex);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t k = 0; k < pieces; ++k) {
    if (refused.load(std::memory_order_relaxed)) continue;
    try {
      const int64_t last = std::min(count, (k + 1) * kPiece);
      read[k].reserve(static_cast<size_t>(last - k * kPiece));
      for (int64_t a = k * kPiece; a < last; ++a) {
        const size_t begin = layout.starts[a];
        const size_t end = a + 1 < count ? layout.starts[a + 1] : layout.end;
        read[k].push_back(parseAccountAs(BytesNode(bytes.substr(begin, end - begin), 0), assets,
                                         instrumentIds, instruments));
      }
      if (done) done(layout.starts[k * kPiece], last < count ? layout.starts[last] : layout.end);
    } catch (...) {  // Refused, a parse error, or out of memory: the strict reader decides
      refused = true;
    }
  }
  if (refused) return std::nullopt;
  return joinPieces(std::move(read));
}

}  // namespace xm::json
