#include "api/json/MsgpackAccounts.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include <omp.h>

#include "api/json/AccountFields.h"
#include "api/json/AccountNames.h"
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

// Accounts' bytes read in place in one pass, each straight into an Account, by the contract's
// rules (§2; AccountFields.h's ranges, AccountNames numbering the names): what it accepts is what
// nlohmann's reader and the strict rules accept, read the same way: string keys only (a key
// given twice is left to the strict reader), integers and floats as doubles, an id well-formed
// UTF-8 (an asset's or instrument's name is looked up: one the catalogue has is its valid UTF-8).
// Anything else throws Refused and the strict reader names it.
struct Refused {};

class AccountBytes {
 public:
  explicit AccountBytes(std::string_view bytes) : bytes_(bytes) {}
  bool atEnd() const { return at_ == bytes_.size(); }

  // A map's or an array's header: its count of entries or elements.
  uint64_t map() { return container(0x80, 0xde); }
  uint64_t array() { return container(0x90, 0xdc); }

  std::string_view string() {
    const uint8_t b = lead();
    if (b >= 0xa0 && b <= 0xbf) {  // fixstr: every key and most strings
      const size_t length = b & 0x1fu;
      if (bytes_.size() - at_ - 1 < length) throw Refused{};
      const std::string_view s = bytes_.substr(at_ + 1, length);
      at_ += 1 + length;
      return s;
    }
    size_t next = 0;
    const std::string_view s = stringAt(bytes_, at_, next);
    if (next == kNone) throw Refused{};
    at_ = next;
    return s;
  }

  // An integer or a float as nlohmann converts it to double.
  double number() {
    const uint8_t b = lead();
    const auto* p = reinterpret_cast<const uint8_t*>(bytes_.data()) + at_ + 1;
    auto take = [&](size_t n) {
      if (bytes_.size() - at_ - 1 < n) throw Refused{};
      at_ += 1 + n;
      return bigEndian(p, static_cast<int>(n));
    };
    if (b <= 0x7f || b >= 0xe0) {
      ++at_;
      return b <= 0x7f ? static_cast<double>(b) : static_cast<double>(static_cast<int8_t>(b));
    }
    switch (b) {
      case 0xca: {
        const auto bits = static_cast<uint32_t>(take(4));
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return static_cast<double>(f);
      }
      case 0xcb: {
        const uint64_t bits = take(8);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
      }
      case 0xcc:
        return static_cast<double>(take(1));
      case 0xcd:
        return static_cast<double>(take(2));
      case 0xce:
        return static_cast<double>(take(4));
      case 0xcf:
        return static_cast<double>(take(8));
      case 0xd0:
        return static_cast<double>(static_cast<int8_t>(take(1)));
      case 0xd1:
        return static_cast<double>(static_cast<int16_t>(take(2)));
      case 0xd2:
        return static_cast<double>(static_cast<int32_t>(take(4)));
      case 0xd3:
        return static_cast<double>(static_cast<int64_t>(take(8)));
      default:
        throw Refused{};
    }
  }

  // The next key of a map: one of `allowed` and new to `seen`.
  AccountKey key(unsigned allowed, unsigned& seen) {
    const AccountKey key = accountKeyNamed(string());
    const unsigned bit = 1u << key;
    if (!(allowed & bit) || (seen & bit)) throw Refused{};
    seen |= bit;
    return key;
  }

 private:
  uint8_t lead() const {
    if (at_ >= bytes_.size()) throw Refused{};
    return static_cast<uint8_t>(bytes_[at_]);
  }
  // fix: the fixed form's first byte (its count in the low 4 bits); wide: the 16-bit form's (the
  // 32-bit form's is the next).
  uint64_t container(uint8_t fix, uint8_t wide) {
    const uint8_t b = lead();
    if (b >= fix && b <= fix + 0x0f) {
      ++at_;
      return b & 0x0fu;
    }
    if (b != wide && b != wide + 1) throw Refused{};
    const size_t n = b == wide ? 2 : 4;
    if (bytes_.size() - at_ - 1 < n) throw Refused{};
    const uint64_t count =
        bigEndian(reinterpret_cast<const uint8_t*>(bytes_.data()) + at_ + 1, static_cast<int>(n));
    at_ += 1 + n;
    return count;
  }

  std::string_view bytes_;
  size_t at_ = 0;
};

// One thread's reader of the pieces: each piece's bytes read as accounts one after another, the
// last ending exactly where the piece does (else the layout was a wrong guess: Refused).
class PieceReader {
 public:
  PieceReader(std::string_view bytes, const MsgpackAccountsLayout& layout,
              const std::function<void(size_t, size_t)>& done, AccountNames& names)
      : bytes_(bytes), layout_(layout), done_(done), names_(names) {}

  void operator()(int64_t k, std::vector<Account>& out) {
    const auto piece = static_cast<size_t>(k);
    const size_t begin = piece == 0 ? layout_.first : layout_.cuts[piece - 1];
    const size_t end = piece < layout_.cuts.size() ? layout_.cuts[piece] : layout_.end;
    sizing_.reserve(out, end - begin);
    AccountBytes in(bytes_.substr(begin, end - begin));
    while (!in.atEnd()) out.push_back(read(in));
    sizing_.read(end - begin, out.size());
    if (done_) done_(begin, end);
  }

 private:
  Account read(AccountBytes& in) {
    Account acct;
    unsigned seen = 0;
    for (uint64_t f = in.map(); f > 0; --f) {
      switch (in.key(1u << kId | 1u << kCollateral | 1u << kPositions, seen)) {
        case kId: {
          const std::string_view id = in.string();
          if (id.empty() || id.size() > kMaxIdBytes || firstInvalidUtf8(id)) throw Refused{};
          acct.id = id;
          break;
        }
        case kCollateral:
          collateral_.clear();
          for (uint64_t e = in.array(); e > 0; --e) {
            unsigned kept = 0;
            Collateral c;
            for (uint64_t g = in.map(); g > 0; --g) {
              if (in.key(1u << kAsset | 1u << kAmount, kept) == kAsset)
                c.asset = names_.asset(in.string());
              else
                c.amount = in.number();
            }
            if (kept != (1u << kAsset | 1u << kAmount) || !kQuantityRange.holds(c.amount))
              throw Refused{};
            collateral_.push_back(c);
          }
          acct.collateral.assign(collateral_.begin(), collateral_.end());
          break;
        default:
          positions_.clear();
          for (uint64_t e = in.array(); e > 0; --e) {
            unsigned kept = 0;
            Position pos;
            pos.entryPrice = std::numeric_limits<double>::quiet_NaN();  // not given
            for (uint64_t g = in.map(); g > 0; --g) {
              switch (in.key(1u << kInstrument | 1u << kQty | 1u << kEntry, kept)) {
                case kInstrument:
                  pos.instrument = names_.instrument(in.string());
                  break;
                case kQty:
                  pos.qty = in.number();
                  break;
                default:
                  pos.entryPrice = in.number();
              }
            }
            constexpr unsigned kRequired = 1u << kInstrument | 1u << kQty;
            if ((kept & kRequired) != kRequired || !kQuantityRange.holds(pos.qty)) throw Refused{};
            positions_.push_back(pos);
          }
          acct.positions.assign(positions_.begin(), positions_.end());
      }
    }
    if (!(seen & 1u << kId)) throw Refused{};
    return acct;
  }

  std::string_view bytes_;
  const MsgpackAccountsLayout& layout_;
  const std::function<void(size_t, size_t)>& done_;
  AccountNames& names_;
  std::vector<Collateral> collateral_;
  std::vector<Position> positions_;
  PieceSizing sizing_;
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

// Whether an account-shaped map starts at bytes[i]: a map of one to three entries whose keys are
// an account's, "id" a string and the others arrays; `next` is then the index past it. Every valid
// account is account-shaped; nothing else in a request is (an instrument or a position has other
// keys, the root map's key after the accounts is a string), but for look-alikes inside strings.
bool accountShaped(std::string_view bytes, size_t i, size_t& next) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (i >= bytes.size() || p[i] < 0x81 || p[i] > 0x83) return false;
  const unsigned entries = p[i] & 0x0fu;
  ++i;
  for (unsigned e = 0; e < entries; ++e) {
    size_t at = 0;
    const std::string_view key = stringAt(bytes, i, at);
    if (at == kNone || at >= bytes.size()) return false;
    const uint8_t b = p[at];
    const AccountKey k = accountKeyNamed(key);
    const bool text = (b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb);
    const bool list = (b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd;
    if (!(k == kId ? text : (k == kCollateral || k == kPositions) && list)) return false;
    i = valueEnd(bytes, at);
    if (i == kNone) return false;
  }
  next = i;
  return true;
}

// The first place in bytes[from, until) where an account-shaped map starts (`next` past it), or
// kNone.
size_t firstAccountShaped(std::string_view bytes, size_t from, size_t until, size_t& next) {
  for (size_t at = from; at < std::min(until, bytes.size()); ++at)
    if (accountShaped(bytes, at, next)) return at;
  return kNone;
}

// The pieces' cuts, about `step` apart: past each multiple of `step` from layout.first, below
// layout.end, the start of the account after the first one starting at or past it, which
// `afterFirstFrom(multiple)` finds (kNone: none); strictly ascending. Where there are many, the
// searches run on every thread (each may touch a page of a mapped file for the first time).
template <typename AfterFirstFrom>
void cutEvery(size_t step, MsgpackAccountsLayout& layout, const AfterFirstFrom& afterFirstFrom) {
  step = std::max<size_t>(step, 1);
  const auto multiples =
      static_cast<int64_t>(layout.end > layout.first ? (layout.end - layout.first - 1) / step : 0);
  std::vector<size_t> found(static_cast<size_t>(multiples), kNone);
#pragma omp parallel for schedule(static) if (multiples > 64)
  for (int64_t k = 1; k <= multiples; ++k)
    found[static_cast<size_t>(k - 1)] =
        afterFirstFrom(layout.first + static_cast<size_t>(k) * step);
  for (const size_t cut : found)
    if (cut != kNone && cut < layout.end &&
        (layout.cuts.empty() ? layout.first : layout.cuts.back()) < cut)
      layout.cuts.push_back(cut);
}

// The root map's "accounts" array: layout's header, first and count; false when there is none or
// the root is malformed before it.
bool findAccountsArray(std::string_view bytes, MsgpackAccountsLayout& layout) {
  size_t length = 0;
  uint64_t entries = 0;
  if (bytes.empty() || !header(bytes, 0, length, entries)) return false;
  const auto root = static_cast<uint8_t>(bytes[0]);
  if (!((root >= 0x80 && root <= 0x8f) || root == 0xde || root == 0xdf)) return false;
  size_t i = length;
  for (uint64_t e = 0; e < entries / 2; ++e) {
    size_t next = 0;
    const std::string_view key = stringAt(bytes, i, next);
    if (next == kNone) return false;
    if (key == "accounts") {
      const auto b = next < bytes.size() ? static_cast<uint8_t>(bytes[next]) : 0;
      if (!((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd)) return false;
      if (!header(bytes, next, length, layout.count)) return false;
      layout.header = next;
      layout.first = next + length;
      return layout.count <= bytes.size() - layout.first;  // each account takes a byte at least
    }
    i = valueEnd(bytes, next);
    if (i == kNone) return false;
  }
  return false;
}

}  // namespace

std::optional<MsgpackAccountsLayout> guessMsgpackAccountsLayout(std::string_view bytes,
                                                                size_t pieceBytes) {
  MsgpackAccountsLayout layout;
  size_t next = 0;
  if (!findAccountsArray(bytes, layout) || layout.count == 0 ||
      !accountShaped(bytes, layout.first, next))
    return std::nullopt;
  // Whether accounts go on from about `at`: the start of a run of kRun account-shaped maps found
  // within `window` of it (64 KiB, or 16 times the first account where that is more), or kNone.
  const size_t window = std::max(size_t{64} << 10, 16 * (next - layout.first));
  constexpr int kRun = 3;
  auto runFrom = [&](size_t at) {
    size_t past = 0;
    const size_t start = firstAccountShaped(bytes, at, at + window, past);
    for (int r = 1; r < kRun && start != kNone; ++r)
      if (!accountShaped(bytes, past, past)) return kNone;
    return start;
  };
  // Bisect for the last such place (from `first` they do), then walk on to the first value that
  // is no account.
  size_t low = layout.first, lowStart = layout.first, high = bytes.size();
  while (high - low > window) {
    const size_t middle = low + (high - low) / 2;
    const size_t start = runFrom(middle);
    if (start != kNone) {
      low = middle;
      lowStart = start;
    } else {
      high = middle;
    }
  }
  size_t at = lowStart;
  while (accountShaped(bytes, at, next)) at = next;
  layout.end = at;
  // The account after the first account-shaped map at or past each multiple, found where that
  // map's end is account-shaped too. The first may be an account's last entries behind a byte
  // that reads as a map header (a number's last byte before "id" or "positions"): the account it
  // ends is then the true one, and the account after it its true successor.
  cutEvery(pieceBytes, layout, [&](size_t multiple) {
    const size_t until = std::min(multiple + pieceBytes, layout.end);
    size_t after = 0, past = 0;
    for (size_t at = multiple; (at = firstAccountShaped(bytes, at, until, after)) != kNone; ++at)
      if (accountShaped(bytes, after, past)) return after;
    return kNone;
  });
  return layout;
}

std::optional<MsgpackAccountsLayout> layOutMsgpackAccounts(
    std::string_view bytes, size_t pieceBytes, const std::function<void(size_t, size_t)>& done,
    uint64_t walkFrom) {
  MsgpackAccountsLayout layout;
  if (!findAccountsArray(bytes, layout)) return std::nullopt;
  std::vector<size_t> starts;
  if (!walkAllAccounts(bytes, layout.first, layout.count, walkFrom, done, starts, layout.end))
    return std::nullopt;
  cutEvery(pieceBytes, layout, [&](size_t multiple) {
    const auto first = std::lower_bound(starts.begin(), starts.end(), multiple);
    return first != starts.end() && first + 1 != starts.end() ? first[1] : kNone;
  });
  return layout;
}

std::optional<std::vector<Account>> readMsgpackAccounts(
    std::string_view bytes, const MsgpackAccountsLayout& layout,
    const std::function<std::optional<Catalogue>()>& catalogue,
    const std::function<void(size_t, size_t)>& done) {
  auto accounts =
      readPieces(static_cast<int64_t>(layout.cuts.size()) + 1, catalogue,
                 [&](AccountNames& names) { return PieceReader(bytes, layout, done, names); });
  if (accounts && accounts->size() != layout.count) return std::nullopt;  // not the whole array
  return accounts;
}

}  // namespace xm::json
