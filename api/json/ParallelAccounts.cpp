#include "api/json/ParallelAccounts.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>

#include <simdjson.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "api/json/AccountFields.h"
#include "api/json/AccountNames.h"

namespace xm::json {
namespace {

constexpr size_t kNone = std::string_view::npos;
// Depth counts open containers: 1 inside the root object, 2 inside the accounts array.
constexpr int kArrayDepth = 2;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skipSpace(std::string_view t, size_t i) {
  while (i < t.size() && isSpace(t[i])) ++i;
  return i;
}

// t[i] == '"': the index of the closing quote, or kNone.
size_t stringEnd(std::string_view t, size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\')
      ++i;
    else if (t[i] == '"')
      return i;
  }
  return kNone;
}

// The index just past the value starting at t[i], or kNone. Only as strict as finding the end
// needs: the strict JSON parser reads these bytes again (RequestParser.cpp).
size_t valueEnd(std::string_view t, size_t i) {
  int depth = 0;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '"') {
      i = stringEnd(t, i);
      if (i == kNone) return kNone;
      if (depth == 0) return i + 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth-- == 0) return kNone;
      if (depth == 0) return i + 1;
    } else if (depth == 0) {  // a literal or a number
      while (i < t.size() && !isSpace(t[i]) && t[i] != ',' && t[i] != '}' && t[i] != ']') ++i;
      return i;
    }
  }
  return kNone;
}

// The index of the '[' of the root object's "accounts" member, or kNone.
size_t accountsOpen(std::string_view t) {
  size_t i = skipSpace(t, 0);
  if (i >= t.size() || t[i] != '{') return kNone;
  i = skipSpace(t, i + 1);
  while (i < t.size() && t[i] == '"') {
    const size_t keyEnd = stringEnd(t, i);
    if (keyEnd == kNone) return kNone;
    const std::string_view key = t.substr(i + 1, keyEnd - i - 1);
    i = skipSpace(t, keyEnd + 1);
    if (i >= t.size() || t[i] != ':') return kNone;
    i = skipSpace(t, i + 1);
    if (key == "accounts") return i < t.size() && t[i] == '[' ? i : kNone;
    i = valueEnd(t, i);
    if (i == kNone) return kNone;
    i = skipSpace(t, i);
    if (i >= t.size() || t[i] != ',') return kNone;
    i = skipSpace(t, i + 1);
  }
  return kNone;
}

// Where a scan stands: inside a string or not, the next byte escaped, the depth.
struct ScanState {
  bool inString = false;
  bool escaped = false;
  int depth = kArrayDepth;
};

// One byte of the scalar scan; returns the byte's structural meaning outside strings (or 0).
inline char step(ScanState& s, char c) {
  if (s.inString) {
    if (s.escaped)
      s.escaped = false;
    else if (c == '\\')
      s.escaped = true;
    else if (c == '"')
      s.inString = false;
    return 0;
  }
  switch (c) {
    case '"':
      s.inString = true;
      return 0;
    case '{':
    case '[':
      ++s.depth;
      return c;
    case '}':
    case ']':
      --s.depth;
      return c;
    case ',':
      return c;
    default:
      return 0;
  }
}

// The 64 bytes at p as bit masks (bit j: byte j).
struct Masks {
  uint64_t quote = 0, backslash = 0, open = 0, close = 0;
};

// The widest vectors the build targets (XM_NATIVE builds for the machine's own), else scalar.
Masks masksOf(const char* p) {
  Masks m;
#if defined(__AVX512BW__)
  const __m512i v = _mm512_loadu_si512(p);
  const __m512i folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));  // '[' -> '{', ']' -> '}'
  m.quote = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
  m.backslash = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
  m.open = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('{'));
  m.close = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('}'));
#elif defined(__AVX2__)
  for (int j = 0; j < 2; ++j) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * j));
    const __m256i folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
    auto bits = [&](__m256i eq) {
      return static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(eq))) << (32 * j);
    };
    m.quote |= bits(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')));
    m.backslash |= bits(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\')));
    m.open |= bits(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('{')));
    m.close |= bits(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('}')));
  }
#elif defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  const __m128i lower = _mm_set1_epi8(0x20), open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
  for (int j = 0; j < 4; ++j) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * j));
    const __m128i folded = _mm_or_si128(v, lower);  // '[' -> '{', ']' -> '}'
    auto bits = [&](__m128i eq) {
      return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(eq))) << (16 * j);
    };
    m.quote |= bits(_mm_cmpeq_epi8(v, quote));
    m.backslash |= bits(_mm_cmpeq_epi8(v, backslash));
    m.open |= bits(_mm_cmpeq_epi8(folded, open));
    m.close |= bits(_mm_cmpeq_epi8(folded, close));
  }
#else
  for (int j = 0; j < 64; ++j) {
    const uint64_t bit = uint64_t{1} << j;
    const char c = p[j];
    if (c == '"') m.quote |= bit;
    if (c == '\\') m.backslash |= bit;
    if (c == '{' || c == '[') m.open |= bit;
    if (c == '}' || c == ']') m.close |= bit;
  }
#endif
  return m;
}

// Bit j: the XOR of bits 0..j.
uint64_t prefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// The quotes of p[0, n) that no backslash escapes; `escaped`: whether p[0] is escaped, then
// whether the byte after p[n - 1] is.
uint64_t unescapedQuotes(const char* p, int n, bool& escaped) {
  uint64_t quotes = 0;
  for (int j = 0; j < n; ++j) {
    if (escaped)
      escaped = false;
    else if (p[j] == '\\')
      escaped = true;
    else if (p[j] == '"')
      quotes |= uint64_t{1} << j;
  }
  return quotes;
}

// Whether the byte at `at` follows an odd run of backslashes (looking back no further than
// `from`): inside a string, it is escaped. Outside strings a valid text has no backslash.
bool escapedAt(std::string_view t, size_t from, size_t at) {
  size_t run = 0;
  while (at > from && t[at - 1] == '\\') {
    --at;
    ++run;
  }
  return run % 2 == 1;
}

// What a segment does to the scan, for each guess of whether it starts inside a string: the
// parity of its quotes (the same either way), and the net and lowest depth relative to its start.
struct Segment {
  bool oddQuotes = false;
  int net[2] = {0, 0};
  int low[2] = {0, 0};
};

// Branch-free: whether a bracket opens or closes is as unpredictable as the text.
void walkBrackets(uint64_t bits, uint64_t open, int& depth, int& low) {
  while (bits) {
    const int j = std::countr_zero(bits);
    depth += static_cast<int>((open >> j) & 1) * 2 - 1;
    low = std::min(low, depth);
    bits &= bits - 1;
  }
}

// Calls visit(at, masks, inString) for each 64-byte block of t[begin, end) in turn (the last one
// padded with spaces), with bit j of inString set where byte at + j lies inside a string (an
// opening quote counts as inside, a closing one not); `escaped` and `inString0` say whether
// t[begin] is escaped and inside a string. Stops early where visit returns true.
template <typename Visit>
void scanBlocks(std::string_view t, size_t begin, size_t end, bool escaped, bool inString0,
                const Visit& visit) {
  bool odd = inString0;
  for (size_t at = begin; at < end; at += 64) {
    const int n = static_cast<int>(std::min<size_t>(64, end - at));
    const char* p = t.data() + at;
    char tail[64];
    if (n < 64) {  // the last block, padded with spaces
      std::memset(tail, ' ', sizeof tail);
      std::memcpy(tail, p, static_cast<size_t>(n));
      p = tail;
    }
    const Masks m = masksOf(p);
    uint64_t quotes = m.quote;
    if (m.backslash || escaped) quotes = unescapedQuotes(p, n, escaped);
    const uint64_t inString = prefixXor(quotes) ^ (odd ? ~uint64_t{0} : 0);
    odd ^= (std::popcount(quotes) & 1) != 0;
    if (visit(at, m, inString)) return;
  }
}

Segment summarize(std::string_view t, size_t from, size_t begin, size_t end) {
  Segment s;
  scanBlocks(t, begin, end, escapedAt(t, from, begin), false,
             [&](size_t, const Masks& m, uint64_t inString) {
               s.oddQuotes = (inString >> 63) != 0;  // the state after the block's last byte
               const uint64_t brackets = m.open | m.close;
               walkBrackets(brackets & ~inString, m.open, s.net[0], s.low[0]);
               walkBrackets(brackets & inString, m.open, s.net[1], s.low[1]);
               return false;
             });
  return s;
}

// From t[begin] in state `s`, the index of the bracket outside strings where the depth first
// falls below the array's (the array's close when it is a ']'), or kNone before `end`.
size_t closeAt(std::string_view t, size_t begin, size_t end, ScanState s) {
  size_t close = kNone;
  int depth = s.depth;
  scanBlocks(t, begin, end, s.escaped, s.inString,
             [&](size_t at, const Masks& m, uint64_t inString) {
               for (uint64_t bits = (m.open | m.close) & ~inString; bits; bits &= bits - 1) {
                 const int j = std::countr_zero(bits);
                 depth += static_cast<int>((m.open >> j) & 1) * 2 - 1;
                 if (depth < kArrayDepth) {
                   close = at + static_cast<size_t>(j);
                   return true;
                 }
               }
               return false;
             });
  return close;
}

// From `at` in state `s`, the first comma between accounts (at the array's depth) before `limit`,
// or the array's ']' (where the depth falls below the array's), or kNone.
size_t nextCutOrClose(std::string_view t, size_t at, size_t limit, ScanState s, bool* closed) {
  *closed = false;
  for (; at < limit; ++at) {
    const char c = step(s, t[at]);
    if (c == ',' && s.depth == kArrayDepth) return at;
    if ((c == ']' || c == '}') && s.depth < kArrayDepth) {
      *closed = true;
      return c == ']' ? at : kNone;
    }
  }
  return kNone;
}

// The accounts read by simdjson's On-Demand parser in one pass, straight into Accounts by the
// contract's rules (§2; the ranges are AccountFields.h's, shared with the strict reader). Any
// account it cannot prove valid throws Refused and the strict reader names why.
struct Refused {};

namespace od = simdjson::ondemand;

// A key by its raw bytes, which are the key itself unless it has escapes. A switch on the first
// byte (a loop over kAccountKeyNames measured 5% slower on the whole read).
AccountKey rawKeyOf(od::raw_json_string key) {
  switch (*key.raw()) {
    case 'i':
      return key.unsafe_is_equal("id")           ? kId
             : key.unsafe_is_equal("instrument") ? kInstrument
                                                 : kOther;
    case 'c':
      return key.unsafe_is_equal("collateral") ? kCollateral : kOther;
    case 'p':
      return key.unsafe_is_equal("positions") ? kPositions : kOther;
    case 'a':
      return key.unsafe_is_equal("asset")    ? kAsset
             : key.unsafe_is_equal("amount") ? kAmount
                                             : kOther;
    case 'q':
      return key.unsafe_is_equal("qty") ? kQty : kOther;
    case 'e':
      return key.unsafe_is_equal("entry_price") ? kEntry : kOther;
    default:
      return kOther;
  }
}

// A field's key: by its raw bytes, or else unescaped (a key written with escapes is the same key).
AccountKey keyOf(od::field& field) {
  const AccountKey raw = rawKeyOf(field.key());
  if (raw != kOther) return raw;
  std::string_view key;
  if (field.unescaped_key().get(key)) throw Refused{};
  return accountKeyNamed(key);
}

// The next field of an object: its key, which must be one of `allowed` and new to `seen`.
AccountKey nextKey(simdjson::simdjson_result<od::field>&& f, od::field& field, unsigned allowed,
                   unsigned& seen) {
  if (std::move(f).get(field)) throw Refused{};
  const AccountKey key = keyOf(field);
  const unsigned bit = 1u << key;
  if (!(allowed & bit) || (seen & bit)) throw Refused{};
  seen |= bit;
  return key;
}

// A number as nlohmann reads it: an integer literal converted from its integer value (so "-0"
// is +0.0), anything else as the nearest double. One parse: get_double() reads an integer literal
// as its nearest double, as the strict reader's cast of the integer does, except for the sign of
// an integer zero, which only a zero looks up. Not get_number(): simdjson 3.0.1's returns 0 for
// a float of more than 19 significant digits (tests/json/ParallelReaderTest.cpp keeps one).
double numberOf(od::value v) {
  double x = 0.0;
  if (v.get_double().get(x)) throw Refused{};  // not a number, or one simdjson cannot read
  if (x == 0.0) {
    od::number_type kind;
    if (v.get_number_type().get(kind)) throw Refused{};
    if (kind != od::number_type::floating_point_number) x = 0.0;
  }
  return x;
}

// A string, unescaped into the parser's buffer: valid while its piece is read.
std::string_view stringOf(od::value v) {
  std::string_view s;
  if (v.get_string().get(s)) throw Refused{};
  return s;
}

od::array arrayOf(od::value v) {
  od::array a;
  if (v.get_array().get(a)) throw Refused{};
  return a;
}

// One thread's reader of pieces: each piece read in one pass straight into accounts, what the
// catalogue does not decide checked as it is read (AccountNames numbers the names).
class PieceReader {
 public:
  PieceReader(std::string_view text, const std::vector<size_t>& bounds, const TextDone& done,
              AccountNames& names)
      : text_(text), bounds_(bounds), done_(done), names_(names) {}

  // Piece i: the accounts between the cuts bounds[i] and bounds[i + 1].
  void operator()(int64_t i, std::vector<Account>& out) {
    const auto k = static_cast<size_t>(i);
    readPiece(bounds_[k] + 1, bounds_[k + 1], bounds_.size() > 2, out);
    if (done_) done_(bounds_[k], bounds_[k + 1]);
  }

 private:
  // text[begin, end) is "{...},{...}" (at least one account when `nonEmpty`).
  void readPiece(size_t begin, size_t end, bool nonEmpty, std::vector<Account>& out) {
    const size_t n = end - begin;
    buffer_.resize(n + 2 + simdjson::SIMDJSON_PADDING);
    buffer_[0] = '[';
    std::memcpy(buffer_.data() + 1, text_.data() + begin, n);
    buffer_[n + 1] = ']';
    od::document doc;
    if (parser_.iterate(buffer_.data(), n + 2, buffer_.size()).get(doc)) throw Refused{};
    od::array accounts;
    if (doc.get_array().get(accounts)) throw Refused{};
    sizing_.reserve(out, n);
    size_t count = 0;
    for (auto account : accounts) {
      od::value v;
      if (account.get(v)) throw Refused{};
      out.push_back(read(v));
      ++count;
    }
    sizing_.read(n, count);
    // Past the array the document must end (a piece "...}],[{..." would otherwise stop early).
    const char* after = nullptr;
    if (!doc.current_location().get(after) || (nonEmpty && count == 0)) throw Refused{};
  }

  Account read(od::value value) {
    od::object object;
    if (value.get_object().get(object)) throw Refused{};
    Account acct;
    unsigned seen = 0;
    od::field field;
    for (auto f : object) {
      switch (
          nextKey(std::move(f), field, 1u << kId | 1u << kCollateral | 1u << kPositions, seen)) {
        case kId: {
          const std::string_view id = stringOf(field.value());
          if (id.empty() || id.size() > kMaxIdBytes) throw Refused{};
          acct.id = id;
          break;
        }
        case kCollateral:
          readCollateral(field.value(), acct);
          break;
        default:
          readPositions(field.value(), acct);
      }
    }
    if (!(seen & 1u << kId)) throw Refused{};
    return acct;
  }

  [[gnu::flatten]] void readCollateral(od::value value, Account& acct) {
    collateral_.clear();
    for (auto element : arrayOf(value)) {
      od::object item;
      if (element.get_object().get(item)) throw Refused{};
      unsigned seen = 0;
      Collateral c;
      od::field field;
      for (auto f : item) {
        if (nextKey(std::move(f), field, 1u << kAsset | 1u << kAmount, seen) == kAsset)
          c.asset = names_.asset(stringOf(field.value()));
        else
          c.amount = numberOf(field.value());
      }
      if (seen != (1u << kAsset | 1u << kAmount) || !kQuantityRange.holds(c.amount))
        throw Refused{};
      collateral_.push_back(c);
    }
    acct.collateral.assign(collateral_.begin(), collateral_.end());
  }

  [[gnu::flatten]] void readPositions(od::value value, Account& acct) {
    positions_.clear();
    for (auto element : arrayOf(value)) {
      od::object item;
      if (element.get_object().get(item)) throw Refused{};
      unsigned seen = 0;
      Position pos;
      pos.entryPrice = std::numeric_limits<double>::quiet_NaN();  // not given
      od::field field;
      for (auto f : item) {
        switch (nextKey(std::move(f), field, 1u << kInstrument | 1u << kQty | 1u << kEntry, seen)) {
          case kInstrument:
            pos.instrument = names_.instrument(stringOf(field.value()));
            break;
          case kQty:
            pos.qty = numberOf(field.value());
            break;
          default:
            pos.entryPrice = numberOf(field.value());
        }
      }
      constexpr unsigned kRequired = 1u << kInstrument | 1u << kQty;
      if ((seen & kRequired) != kRequired || !kQuantityRange.holds(pos.qty)) throw Refused{};
      positions_.push_back(pos);
    }
    acct.positions.assign(positions_.begin(), positions_.end());
  }

  std::string_view text_;
  const std::vector<size_t>& bounds_;
  const TextDone& done_;
  AccountNames& names_;
  od::parser parser_;
  std::vector<char> buffer_;
  std::vector<Collateral> collateral_;
  std::vector<Position> positions_;
  PieceSizing sizing_;
};

// Whether t[i, ...) is, after spaces, the key of an account's first field ("id", "collateral" or
// "positions") and its colon: the object at t[i - 1] then looks like an account (and not like one
// of its positions, or one of its collateral's).
bool accountKeyAt(std::string_view t, size_t i) {
  i = skipSpace(t, i);
  for (const std::string_view key : {"\"id\"", "\"collateral\"", "\"positions\""}) {
    if (t.substr(i, key.size()) == key) {
      const size_t colon = skipSpace(t, i + key.size());
      return colon < t.size() && t[colon] == ':';
    }
  }
  return false;
}

// The first comma in t[at, limit) of "}", ",", "{" (spaces between allowed) where an account's
// object begins, or kNone.
size_t accountCommaIn(std::string_view t, size_t at, size_t limit) {
  for (; at < limit; ++at) {
    const void* brace = std::memchr(t.data() + at, '{', limit - at);
    if (!brace) return kNone;
    at = static_cast<size_t>(static_cast<const char*>(brace) - t.data());
    size_t comma = at;
    while (comma > 0 && isSpace(t[comma - 1])) --comma;
    if (comma == 0 || t[--comma] != ',') continue;
    size_t close = comma;
    while (close > 0 && isSpace(t[close - 1])) --close;
    if (close > 0 && t[close - 1] == '}' && accountKeyAt(t, at + 1)) return comma;
  }
  return kNone;
}

}  // namespace

std::optional<AccountsLayout> guessAccountsLayout(std::string_view t, size_t pieceBytes) {
  AccountsLayout layout;
  layout.open = accountsOpen(t);
  if (layout.open == kNone) return std::nullopt;
  const size_t size = std::max<size_t>(64, pieceBytes);
  for (size_t at = layout.open + size; at < t.size(); at += size) {
    const size_t from = layout.cuts.empty() ? at : std::max(at, layout.cuts.back() + 1);
    const size_t cut = accountCommaIn(t, from, std::min(t.size(), at + size));
    if (cut != kNone) layout.cuts.push_back(cut);
  }
  // The close from the last cut, which (if the guess is right) lies between two accounts.
  const size_t from = layout.cuts.empty() ? layout.open + 1 : layout.cuts.back() + 1;
  layout.close = closeAt(t, from, t.size(), ScanState{});
  if (layout.close == kNone || t[layout.close] != ']') return std::nullopt;
  // Accounts that hardly look like the contract's (their first keys escaped, say) leave no cut or
  // pieces far longer than asked: not worth the guess.
  if (layout.cuts.empty() && layout.close - layout.open > 4 * size) return std::nullopt;
  const size_t longest = std::max<size_t>(4 * size, size_t{64} << 10);
  size_t begin = layout.open;
  for (const size_t end : layout.cuts) {
    if (end - begin > longest) return std::nullopt;
    begin = end;
  }
  if (layout.close - begin > longest) return std::nullopt;
  return layout;
}

std::optional<AccountsLayout> layOutAccounts(std::string_view t, size_t pieceBytes,
                                             const TextDone& done) {
  AccountsLayout layout;
  layout.open = accountsOpen(t);
  if (layout.open == kNone) return std::nullopt;
  const size_t from = layout.open + 1;
  const size_t size = std::max<size_t>(64, (pieceBytes + 63) / 64 * 64);
  const int64_t segments = static_cast<int64_t>((t.size() - from + size - 1) / size);
  auto segmentBegin = [&](int64_t k) { return from + static_cast<size_t>(k) * size; };
  auto segmentEnd = [&](int64_t k) { return std::min(t.size(), segmentBegin(k) + size); };

  std::vector<Segment> summary(static_cast<size_t>(segments));
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t k = 0; k < segments; ++k) {
    summary[k] = summarize(t, from, segmentBegin(k), segmentEnd(k));
    if (done) done(segmentBegin(k), segmentEnd(k));
  }

  // Each segment's starting state, up to the one where the array closes.
  std::vector<ScanState> start;
  ScanState s;
  int64_t last = -1;
  for (int64_t k = 0; k < segments; ++k) {
    s.escaped = s.inString && escapedAt(t, from, segmentBegin(k));
    start.push_back(s);
    const int guess = s.inString ? 1 : 0;
    if (s.depth + summary[k].low[guess] < kArrayDepth) {
      last = k;
      break;
    }
    s.depth += summary[k].net[guess];
    s.inString ^= summary[k].oddQuotes;
  }
  if (last < 0) return std::nullopt;  // never closed: not valid JSON
  layout.close = closeAt(t, segmentBegin(last), segmentEnd(last), start[last]);
  if (layout.close == kNone || t[layout.close] != ']') return std::nullopt;

  // A cut at the first comma between accounts after each segment's start.
  std::vector<size_t> cuts(static_cast<size_t>(last + 1), kNone);
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t k = 1; k <= last; ++k) {
    bool end = false;
    cuts[k] =
        nextCutOrClose(t, segmentBegin(k), std::min(layout.close, segmentEnd(k)), start[k], &end);
    if (end) cuts[k] = kNone;
  }
  for (const size_t c : cuts)
    if (c != kNone && (layout.cuts.empty() || c > layout.cuts.back())) layout.cuts.push_back(c);
  return layout;
}

std::optional<std::vector<Account>> readAccounts(
    std::string_view t, const AccountsLayout& layout,
    const std::function<std::optional<Catalogue>()>& catalogue, const TextDone& done) {
  std::vector<size_t> bounds;
  bounds.push_back(layout.open);
  bounds.insert(bounds.end(), layout.cuts.begin(), layout.cuts.end());
  bounds.push_back(layout.close);
  return readPieces(static_cast<int64_t>(bounds.size()) - 1, catalogue,
                    [&](AccountNames& names) { return PieceReader(t, bounds, done, names); });
}

}  // namespace xm::json
