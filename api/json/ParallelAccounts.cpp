#include "api/json/ParallelAccounts.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>

#include <omp.h>
#include <simdjson.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "api/json/AccountFields.h"

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

Segment summarize(std::string_view t, size_t from, size_t begin, size_t end) {
  Segment s;
  bool escaped = escapedAt(t, from, begin);
  bool odd = false;
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
    const uint64_t brackets = m.open | m.close;
    walkBrackets(brackets & ~inString, m.open, s.net[0], s.low[0]);
    walkBrackets(brackets & inString, m.open, s.net[1], s.low[1]);
  }
  s.oddQuotes = odd;
  return s;
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

// One account as simdjson's On-Demand parser reads it in a single pass, shallow and generic: its
// fields, each a scalar or an array of small objects of scalars (positions, collateral). The
// strict reader's rules then run on it through RawNode (AccountFields.h): which keys are allowed,
// which are required, types, bounds and lookups are decided there, not here.
struct Refused {};

struct RawScalar {
  enum Kind : uint8_t { Number, String, Other } kind = Other;
  double number = 0.0;
  std::string_view text;  // into the parser's string buffer, valid while its piece is read
};

struct RawSlot {
  bool array = false;
  RawScalar scalar;
  uint32_t begin = 0, end = 0;  // items [begin, end) when an array
};

struct RawAccount {
  KeptFields<RawSlot> fields;
  std::vector<KeptFields<RawScalar>> items;  // every array's objects, in order
};

namespace od = simdjson::ondemand;

// A number as nlohmann reads it: an integer literal converted from its integer value (so "-0"
// is +0.0), anything else as the nearest double.
RawScalar scalarOf(od::value v) {
  RawScalar s;
  od::json_type type;
  if (v.type().get(type)) throw Refused{};
  if (type == od::json_type::number) {
    // One parse: get_double() reads an integer literal as its nearest double, as the strict
    // reader's cast of the integer does, except for the sign of an integer zero ("-0" is +0.0
    // there), which only a zero looks up. Not get_number(): simdjson 3.0.1's returns 0 for a
    // float of more than 19 significant digits (tests/json/ParallelReaderTest.cpp keeps one).
    s.kind = RawScalar::Number;
    if (v.get_double().get(s.number)) throw Refused{};
    if (s.number == 0.0) {
      od::number_type kind;
      if (v.get_number_type().get(kind)) throw Refused{};
      if (kind != od::number_type::floating_point_number) s.number = 0.0;
    }
  } else if (type == od::json_type::string) {
    s.kind = RawScalar::String;
    if (v.get_string().get(s.text)) throw Refused{};
  }  // anything else: Other, refused by the rules wherever it stands
  return s;
}

void readRaw(od::value account, RawAccount& raw) {
  raw.fields = {};
  raw.items.clear();
  od::object object;
  if (account.get_object().get(object)) throw Refused{};
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) throw Refused{};
    od::value value = field.value();
    od::json_type type;
    if (value.type().get(type)) throw Refused{};
    RawSlot slot;
    if (type == od::json_type::array) {
      slot.array = true;
      slot.begin = static_cast<uint32_t>(raw.items.size());
      od::array list;
      if (value.get_array().get(list)) throw Refused{};
      for (auto element : list) {
        od::object item;
        if (element.get_object().get(item)) throw Refused{};
        KeptFields<RawScalar>& kept = raw.items.emplace_back();
        for (auto f : item) {
          std::string_view k;
          if (f.unescaped_key().get(k)) throw Refused{};
          if (!kept.addAny(k, scalarOf(f.value()))) throw Refused{};
        }
        kept.kept = true;
      }
      slot.end = static_cast<uint32_t>(raw.items.size());
    } else {
      slot.scalar = scalarOf(value);
    }
    if (!raw.fields.addAny(key, slot)) throw Refused{};
  }
  raw.fields.kept = true;
}

// A RawAccount behind the strict reader's Node interface. It never reports an error itself: any
// failure throws Refused and the strict reader names it.
class RawNode {
 public:
  static RawNode accountOf(const RawAccount& a) { return RawNode(&a, nullptr, nullptr, nullptr); }

  [[noreturn]] void fail(const std::string&) const { throw Refused{}; }

  void object(std::initializer_list<std::string_view> allowed) const {
    if (item_) {
      if (!item_->allOf(allowed)) fail("");
    } else if (account_ && !slot_ && !scalar_) {
      if (!account_->fields.allOf(allowed)) fail("");
    } else {
      fail("");
    }
  }
  RawNode child(std::string_view key) const {
    if (account_ && !slot_ && !scalar_ && !item_) {
      const RawSlot* s = account_->fields.find(key);
      return s ? RawNode(account_, s, nullptr, nullptr) : RawNode();
    }
    if (item_) {
      const RawScalar* s = item_->find(key);
      return s ? RawNode(account_, nullptr, nullptr, s) : RawNode();
    }
    return RawNode();
  }
  bool has(std::string_view key) const { return child(key).present(); }
  RawNode at(std::string_view key) const {
    const RawNode c = child(key);
    if (!c.present()) fail("");
    return c;
  }
  size_t array() const {
    if (!slot_ || !slot_->array) fail("");
    return slot_->end - slot_->begin;
  }
  RawNode operator[](size_t i) const {
    return RawNode(account_, nullptr, &account_->items[slot_->begin + i], nullptr);
  }
  double bounded(double lo, double hi, bool loOpen, const char*) const {
    const RawScalar& s = scalar();
    if (s.kind != RawScalar::Number) fail("");
    const double x = s.number;
    if (!std::isfinite(x) || (loOpen ? !(x > lo) : !(x >= lo)) || !(x <= hi)) fail("");
    return x;
  }
  std::string_view string() const {
    const RawScalar& s = scalar();
    if (s.kind != RawScalar::String) fail("");
    return s.text;
  }
  std::string id() const {
    const std::string_view s = string();
    if (s.empty() || s.size() > kMaxIdBytes) fail("");
    return std::string(s);
  }

 private:
  RawNode() = default;
  RawNode(const RawAccount* a, const RawSlot* slot, const KeptFields<RawScalar>* item,
          const RawScalar* scalar)
      : account_(a), slot_(slot), item_(item), scalar_(scalar) {}
  bool present() const { return slot_ || item_ || scalar_; }
  // A scalar field: of an item, or of the account (not an array).
  const RawScalar& scalar() const {
    if (scalar_) return *scalar_;
    if (slot_ && !slot_->array) return slot_->scalar;
    fail("");
  }

  const RawAccount* account_ = nullptr;
  const RawSlot* slot_ = nullptr;                // an account's field
  const KeptFields<RawScalar>* item_ = nullptr;  // an object of an array
  const RawScalar* scalar_ = nullptr;            // an item's field
};

// One piece's accounts: t[begin, end) is "{...},{...}" (at least one account when `nonEmpty`).
void readPiece(std::string_view t, size_t begin, size_t end, bool nonEmpty, od::parser& parser,
               std::vector<char>& buffer, RawAccount& raw, const IdIndex& assetIndex,
               const IdIndex& instrumentIndex, const std::vector<Instrument>& instruments,
               std::vector<Account>& out) {
  const size_t n = end - begin;
  buffer.resize(n + 2 + simdjson::SIMDJSON_PADDING);
  buffer[0] = '[';
  std::memcpy(buffer.data() + 1, t.data() + begin, n);
  buffer[n + 1] = ']';
  od::document doc;
  if (parser.iterate(buffer.data(), n + 2, buffer.size()).get(doc)) throw Refused{};
  od::array accounts;
  if (doc.get_array().get(accounts)) throw Refused{};
  size_t count = 0;
  for (auto account : accounts) {
    od::value v;
    if (account.get(v)) throw Refused{};
    readRaw(v, raw);
    out.push_back(
        parseAccountAs(RawNode::accountOf(raw), assetIndex, instrumentIndex, instruments));
    ++count;
  }
  // Past the array the document must end (a piece "...}],[{..." would otherwise stop early).
  const char* after = nullptr;
  if (!doc.current_location().get(after) || (nonEmpty && count == 0)) throw Refused{};
}

// Whether two accounts share an id: hashed on all threads, each thread then checking the ids
// whose hash falls to it in an open-addressing table of its own (indices, linear probing).
bool duplicateIds(const std::vector<std::vector<Account>>& pieces) {
  std::vector<const std::string*> ids;
  for (const auto& piece : pieces)
    for (const Account& a : piece) ids.push_back(&a.id);
  const int64_t count = static_cast<int64_t>(ids.size());
  std::vector<uint64_t> hashes(ids.size());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) hashes[i] = std::hash<std::string_view>{}(*ids[i]);
  std::atomic<bool> duplicate{false};
#pragma omp parallel
  {
    const uint64_t share = static_cast<uint64_t>(omp_get_thread_num());
    const uint64_t shares = static_cast<uint64_t>(omp_get_num_threads());
    int64_t mine = 0;
    for (int64_t i = 0; i < count; ++i) mine += hashes[i] % shares == share;
    const uint64_t mask = std::bit_ceil(static_cast<uint64_t>(2 * mine + 2)) - 1;
    std::vector<int64_t> table(mask + 1, -1);
    for (int64_t i = 0; i < count && !duplicate.load(std::memory_order_relaxed); ++i) {
      const uint64_t h = hashes[i];
      if (h % shares != share) continue;
      uint64_t slot = (h * 0x9E3779B97F4A7C15ull) >> 20 & mask;
      for (; table[slot] >= 0; slot = (slot + 1) & mask) {
        const int64_t j = table[slot];
        if (hashes[j] == h && *ids[j] == *ids[i]) duplicate = true;
      }
      table[slot] = i;
    }
  }
  return duplicate;
}

}  // namespace

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
  bool closed = false;
  size_t at = segmentBegin(last);
  ScanState scan = start[last];
  while (!closed) {  // the close itself, past any cut in that segment
    at = nextCutOrClose(t, at, segmentEnd(last), scan, &closed);
    if (at == kNone) return std::nullopt;
    if (!closed) {  // a cut: carry on after it
      scan.depth = kArrayDepth;
      scan.inString = scan.escaped = false;
      ++at;
    }
  }
  layout.close = at;

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
    const std::unordered_map<std::string, int>& assetIndex,
    const std::unordered_map<std::string, int>& instrumentIndex,
    const std::vector<Instrument>& instruments, const TextDone& done) {
  std::vector<size_t> bounds;
  bounds.push_back(layout.open);
  bounds.insert(bounds.end(), layout.cuts.begin(), layout.cuts.end());
  bounds.push_back(layout.close);
  const int64_t pieces = static_cast<int64_t>(bounds.size()) - 1;
  std::vector<std::vector<Account>> read(static_cast<size_t>(pieces));
  std::atomic<bool> refused{false};
  const IdIndex assets(assetIndex), instrumentIds(instrumentIndex);
#pragma omp parallel
  {
    od::parser parser;
    std::vector<char> buffer;
    RawAccount raw;
#pragma omp for schedule(dynamic, 1)
    for (int64_t i = 0; i < pieces; ++i) {
      if (refused.load(std::memory_order_relaxed)) continue;
      try {
        readPiece(t, bounds[i] + 1, bounds[i + 1], pieces > 1, parser, buffer, raw, assets,
                  instrumentIds, instruments, read[i]);
        if (done) done(bounds[i], bounds[i + 1]);
      } catch (...) {  // Refused, or out of memory: the strict reader decides
        refused = true;
      }
    }
  }
  if (refused) return std::nullopt;
  return joinPieces(std::move(read));
}

std::optional<std::vector<Account>> joinPieces(std::vector<std::vector<Account>> pieces) {
  if (duplicateIds(pieces)) return std::nullopt;
  size_t total = 0;
  for (const auto& piece : pieces) total += piece.size();
  std::vector<Account> accounts;
  accounts.reserve(total);
  for (auto& piece : pieces) {
    std::move(piece.begin(), piece.end(), std::back_inserter(accounts));
    std::vector<Account>().swap(piece);
  }
  return accounts;
}

}  // namespace xm::json
