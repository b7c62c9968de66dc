// The parallel reader of a request's accounts (api/json/ParallelAccounts): on every valid text it
// reads exactly the accounts the strict reader reads, whatever the pieces, threads, spacing and
// strings; on every bad text the answer is the strict reader's error, the first in document order.
#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "api/json/JsonCodec.h"
#include "api/json/MsgpackAccounts.h"
#include "api/json/ParallelAccounts.h"
#include "api/json/RequestWriter.h"
#include "host/synthetic/SyntheticExchange.h"
#include "tests/BadRequests.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

RequestOptions inPieces(size_t pieceBytes) {
  RequestOptions o;
  o.parallelFromBytes = 0;
  o.pieceBytes = pieceBytes;
  o.walkAccountsFrom = 2;  // MessagePack accounts' starts found on every thread
  return o;
}

RequestOptions strictOnly() {
  RequestOptions o;
  o.parallelFromBytes = SIZE_MAX;
  return o;
}

struct Outcome {
  std::optional<ParsedRequest> parsed;
  std::string path, message, code;
};

// JSON text, or MessagePack bytes when `msgpack`.
Outcome read(const std::string& text, const RequestOptions& options, bool msgpack = false) {
  Outcome out;
  try {
    out.parsed = msgpack ? parseRequestMsgpack(text, Limits{}, options)
                         : parseRequestText(text, Limits{}, options);
  } catch (const InputError& e) {
    out.path = e.path();
    out.message = e.what();
    out.code = e.code();
  }
  return out;
}

bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expectSameAccounts(const MarginRequest& a, const MarginRequest& b) {
  ASSERT_EQ(a.accounts.size(), b.accounts.size());
  for (size_t i = 0; i < a.accounts.size(); ++i) {
    const Account &x = a.accounts[i], &y = b.accounts[i];
    ASSERT_EQ(x.id, y.id) << i;
    ASSERT_EQ(x.positions.size(), y.positions.size()) << x.id;
    ASSERT_EQ(x.collateral.size(), y.collateral.size()) << x.id;
    for (size_t j = 0; j < x.positions.size(); ++j) {
      EXPECT_EQ(x.positions[j].instrument, y.positions[j].instrument) << x.id;
      EXPECT_TRUE(same(x.positions[j].qty, y.positions[j].qty)) << x.id;
      EXPECT_TRUE(same(x.positions[j].entryPrice, y.positions[j].entryPrice)) << x.id;
    }
    for (size_t j = 0; j < x.collateral.size(); ++j) {
      EXPECT_EQ(x.collateral[j].asset, y.collateral[j].asset) << x.id;
      EXPECT_TRUE(same(x.collateral[j].amount, y.collateral[j].amount)) << x.id;
    }
  }
}

// The parallel reader read `text` (in more than one piece when `pieces`), and read it as the
// strict reader does.
void expectReadAsStrict(const std::string& text, size_t pieceBytes, bool pieces = true) {
  const Outcome strict = read(text, strictOnly());
  ASSERT_TRUE(strict.parsed) << strict.message;
  EXPECT_EQ(strict.parsed->accountPieces, 0);
  const Outcome parallel = read(text, inPieces(pieceBytes));
  ASSERT_TRUE(parallel.parsed) << parallel.message;
  EXPECT_GE(parallel.parsed->accountPieces, pieces ? 2 : 1) << "read by the strict reader";
  expectSameAccounts(parallel.parsed->request, strict.parsed->request);
  EXPECT_EQ(toText(requestToJson(parallel.parsed->request)),
            toText(requestToJson(strict.parsed->request)));
}

// The same error as the strict reader: pointer, code and message.
void expectStrictError(const std::string& text, size_t pieceBytes, const std::string& path) {
  const Outcome strict = read(text, strictOnly());
  const Outcome parallel = read(text, inPieces(pieceBytes));
  ASSERT_FALSE(strict.parsed) << "accepted by the strict reader";
  ASSERT_FALSE(parallel.parsed) << "accepted by the parallel reader";
  EXPECT_EQ(strict.path, path) << strict.message;
  EXPECT_EQ(parallel.path, strict.path);
  EXPECT_EQ(parallel.code, strict.code);
  EXPECT_EQ(parallel.message, strict.message);
}

std::string syntheticText(int64_t accounts, int indent = -1) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = accounts;
  return toText(requestToJson(makeSyntheticExchange(spec)), indent);
}

TEST(ParallelReader, ReadsWhatTheStrictReaderReadsInAnyPieces) {
  const std::string compact = syntheticText(600);
  const std::string pretty = syntheticText(600, 2);
  for (size_t piece : {64, 200, 1000, 4096, 65536, 1 << 20}) {
    SCOPED_TRACE(piece);
    expectReadAsStrict(compact, piece, piece < compact.size() / 2);
    expectReadAsStrict(pretty, piece, piece < pretty.size() / 2);
  }
}

TEST(ParallelReader, TheSameAccountsOnOneTwoAndFourThreads) {
  const std::string text = syntheticText(400);
  const Outcome strict = read(text, strictOnly());
  ASSERT_TRUE(strict.parsed);
  const int before = omp_get_max_threads();
  for (int threads : {1, 2, 4}) {
    omp_set_num_threads(threads);
    const Outcome parallel = read(text, inPieces(512));
    ASSERT_TRUE(parallel.parsed) << threads;
    EXPECT_GT(parallel.parsed->accountPieces, 10);
    expectSameAccounts(parallel.parsed->request, strict.parsed->request);
  }
  omp_set_num_threads(before);
}

// The layout guessed from "}, {" and an account's first key is the exact one on the contract's
// requests (compact or indented): its cuts are commas between accounts, its close the array's.
// Where the accounts come first and the instruments after, its guess lands in the instruments
// and is wrong: the reader then lays the text out exactly, and still reads what the strict one
// reads.
TEST(ParallelReader, GuessedLayoutIsProvenOrSetAside) {
  for (int indent : {-1, 2}) {
    SCOPED_TRACE(indent);
    const std::string text = syntheticText(300, indent);
    // With 64-byte segments every comma between two accounts (each longer) is a cut.
    const auto every = json::layOutAccounts(text, 64);
    ASSERT_TRUE(every);
    for (size_t piece : {200, 4096}) {
      const auto guess = json::guessAccountsLayout(text, piece);
      ASSERT_TRUE(guess) << piece;
      EXPECT_EQ(guess->open, every->open);
      EXPECT_EQ(guess->close, every->close);
      const size_t asked = (guess->close - guess->open) / piece;
      EXPECT_GE(guess->cuts.size(), std::min(every->cuts.size(), asked / 2));
      for (size_t cut : guess->cuts)
        EXPECT_TRUE(std::binary_search(every->cuts.begin(), every->cuts.end(), cut)) << cut;
    }
  }
  Json r = requestToJson(makeSyntheticExchange([] {
    ExchangeSpec spec = exchangePreset("demo");
    spec.accounts = 100;
    return spec;
  }()));
  Json reordered = Json::object();
  for (const char* key : {"market", "accounts", "instruments", "config"}) reordered[key] = r[key];
  const std::string text = toText(reordered);
  const auto guess = json::guessAccountsLayout(text, 256);
  const auto exact = json::layOutAccounts(text, 256);
  ASSERT_TRUE(guess && exact);
  EXPECT_GT(guess->close, exact->close);  // the instruments' close
  expectReadAsStrict(text, 256);
}

// Strings that look like structure, escapes, spacing, odd but valid numbers, accounts before the
// market: cuts found from anywhere must still fall between accounts.
TEST(ParallelReader, StructureInsideStringsAndOddSpacing) {
  Json r = test::baseRequest();
  const char* ids[] = {"plain",     "a},{\"id\":\"b\",[", "back\\slash\\",  "\\\"",
                       "],[}{,:",   "\xC3\xA9t\xC3\xA9",  "tab\tnew\nline", "\\\\\\\"",
                       "q\"},{\"x", "\xF0\x9F\x9A\x80 ,]"};
  int n = 0;
  for (const char* id : ids) {
    for (int copy = 0; copy < 6; ++copy) {
      r["accounts"].push_back(
          test::account(std::string(id) + "#" + std::to_string(n++),
                        Json::array({test::position("BTC-PERP", copy - 2.5, 50000),
                                     test::position("BTC-C", 1e-7 * copy, 0)}),
                        Json::array({{{"asset", "USD"}, {"amount", 1000 * copy}}})));
    }
  }
  std::string text = toText(r);
  expectReadAsStrict(text, 64);
  expectReadAsStrict(toText(r, 4), 96);
  // Numbers as the strict reader takes them: integers, exponents, negative zero.
  std::string numbers = text;
  for (auto [from, to] :
       {std::pair{"\"qty\":-2.5", "\"qty\":-25e-1"}, std::pair{"\"amount\":0", "\"amount\":-0.0"},
        std::pair{"\"amount\":1000", "\"amount\":1E3"},
        std::pair{"\"amount\":2000", "\"amount\":-0"},  // an integer literal: +0.0, as nlohmann
        std::pair{"\"amount\":3000", "\"amount\":30e2"},
        std::pair{"\"amount\":4000", "\"amount\":4000.00000000000000000000000001"},
        std::pair{"\"amount\":5000", "\"amount\":999999999999999"}}) {
    for (size_t at = numbers.find(from); at != std::string::npos;
         at = numbers.find(from, at + std::strlen(to)))
      numbers.replace(at, std::strlen(from), to);
  }
  expectReadAsStrict(numbers, 80);
  // Integers past 2^53, 2^63 and 2^64 are out of range; the error shows the number as the
  // strict reader's cast rounds it, and the parallel reader's reading rounds it alike.
  for (const char* big : {"9007199254740993", "9223372036854775809", "-9223372036854775809",
                          "18446744073709551617", "-18446744073709551617"}) {
    std::string bad = text;
    const size_t at = bad.find("\"qty\":-2.5");
    bad.replace(at, std::strlen("\"qty\":-2.5"), std::string("\"qty\":") + big);
    SCOPED_TRACE(big);
    expectStrictError(bad, 64, "/accounts/0/positions/0/qty");
  }
  // Escaped keys and ids, and the accounts first in the document.
  std::string escaped = text;
  for (size_t at = escaped.find("\"id\":"); at != std::string::npos;
       at = escaped.find("\"id\":", at + 1))
    escaped.replace(at, 5, "\"\\u0069d\":");
  expectReadAsStrict(escaped, 128);
  Json reordered = Json::object();
  reordered["accounts"] = r["accounts"];
  for (const char* key : {"config", "instruments", "market"}) reordered[key] = r[key];
  expectReadAsStrict(toText(reordered, 1), 100);
}

TEST(ParallelReader, EmptyAndSingleAccountArrays) {
  Json r = test::baseRequest();
  expectReadAsStrict(toText(r), 64, false);
  r["accounts"].push_back(test::account("only", Json::array({test::position("BTC-PERP", 1, 1)})));
  expectReadAsStrict(toText(r), 64, false);
}

// Every bad input of contract §5, read as text in small pieces: the strict reader's error (or,
// where the engine refuses it, the strict reader's request).
TEST(ParallelReader, ContractSection5InputsGetTheStrictError) {
  for (const test::BadCase& c : test::badRequests()) {
    SCOPED_TRACE(c.name);
    Json body = test::validRequest();
    for (int i = 0; i < 40; ++i)
      body["accounts"].push_back(test::account("more-" + std::to_string(i),
                                               Json::array({test::position("BTC-PERP", i, 1)})));
    c.mutate(body);
    const Outcome strict = read(toText(body), strictOnly());
    if (strict.parsed)  // refused later, by the engine (a correlation matrix that is not PSD)
      expectReadAsStrict(toText(body), 64);
    else
      expectStrictError(toText(body), 64, strict.path);
  }
}

// An error deep in the accounts is named by its path whichever thread reads it, and of several
// the first in document order wins: a semantic error before a syntax error, and the reverse.
TEST(ParallelReader, FirstErrorInDocumentOrderWinsWhateverThreadFindsIt) {
  const std::string text = syntheticText(2000);
  const auto accountAt = [&](const std::string& t, int index) {
    size_t at = t.find("\"accounts\":[") + 12;
    for (int i = 0; i < index; ++i) at = t.find("{\"id\":", at + 1);
    return at;
  };
  const auto breakId = [&](std::string t, int index) {  // "id": 123
    const size_t value = accountAt(t, index) + 6;
    t.replace(value, t.find('"', value + 1) + 1 - value, "123");
    return t;
  };
  const auto breakSyntax = [&](std::string t, int index) {
    t.insert(accountAt(t, index) + 1, "!");
    return t;
  };
  for (int threads : {1, 2, 4}) {
    SCOPED_TRACE(threads);
    omp_set_num_threads(threads);
    expectStrictError(breakId(text, 1700), 512, "/accounts/1700/id");
    expectStrictError(breakId(breakId(text, 1700), 300), 512, "/accounts/300/id");
    // A semantic error before a syntax error, then the reverse (the strict reader stops at the
    // syntax error: pointer "", malformed JSON).
    expectStrictError(breakSyntax(breakId(text, 900), 1700), 512, "/accounts/900/id");
    expectStrictError(breakId(breakSyntax(text, 300), 1500), 512, "");
  }
  omp_set_num_threads(2);
}

TEST(ParallelReader, DuplicatesAndTrailingCommasAreTheStrictReadersToName) {
  const std::string text = syntheticText(300);
  // The same id in two pieces.
  std::string twice = text;
  const size_t first = twice.find("\"id\":\"", twice.find("\"accounts\":[")) + 6;
  const size_t firstEnd = twice.find('"', first);
  const std::string id = twice.substr(first, firstEnd - first);
  const size_t late = twice.rfind("{\"id\":\"") + 7;
  twice.replace(late, twice.find('"', late) - late, id);
  expectStrictError(twice, 256, "/accounts/299/id");
  // A trailing comma in the accounts array, and an empty element.
  std::string trailing = text;
  trailing.insert(trailing.rfind("],\"config\""), ",");
  const Outcome bad = read(trailing, inPieces(256));
  EXPECT_FALSE(bad.parsed);
  std::string hole = text;
  hole.insert(hole.find(",{\"id\":", text.size() / 2), ",");
  EXPECT_FALSE(read(hole, inPieces(256)).parsed);
  // A key twice in one account: whatever the strict reader makes of it, so does the parallel one.
  Json r = test::validRequest();
  std::string dup = toText(r);
  dup.insert(dup.find("\"id\":\"acct-1\""), "\"id\":\"shadowed\",");
  const Outcome strict = read(dup, strictOnly());
  const Outcome parallel = read(dup, inPieces(64));
  ASSERT_EQ(strict.parsed.has_value(), parallel.parsed.has_value());
  if (strict.parsed) expectSameAccounts(parallel.parsed->request, strict.parsed->request);
}

// Bytes the strict reader refuses inside an account are refused the same way: invalid UTF-8, a
// lone surrogate, a control character, a number beyond double's range, nesting past 32 levels.
TEST(ParallelReader, LexicalErrorsInsideAccountsGetTheStrictError) {
  const std::string text = syntheticText(200);
  const size_t id = text.find("\"id\":\"", text.find("\"accounts\":[") + 3000) + 6;
  for (const std::string& bad :
       {std::string("\xC3("), std::string("\\uD800"), std::string("\x01"), std::string("\\x")}) {
    std::string t = text;
    t.insert(id, bad);
    const Outcome strict = read(t, strictOnly());
    ASSERT_FALSE(strict.parsed) << bad;
    expectStrictError(t, 256, strict.path);
  }
  std::string huge = text;
  const size_t qty = huge.find("\"qty\":", id) + 6;
  huge.insert(qty, "1e999");
  huge.erase(qty + 5, huge.find_first_of(",}", qty + 5) - qty - 5);
  expectStrictError(huge, 256, "");
  std::string deep = text;
  deep.replace(qty, deep.find_first_of(",}", qty) - qty,
               std::string(40, '[') + std::string(40, ']'));
  const Outcome strict = read(deep, strictOnly());
  ASSERT_FALSE(strict.parsed);
  expectStrictError(deep, 256, strict.path);
}

}  // namespace
}  // namespace xm

namespace xm {
namespace {

std::string msgpackOf(const Json& j) {
  const std::vector<uint8_t> bytes = Json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}

Outcome readMsgpack(const std::string& bytes, const RequestOptions& options) {
  return read(bytes, options, true);
}

TEST(ParallelMsgpackReader, ReadsWhatTheStrictReaderReads) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = 2100;
  const Json request = requestToJson(makeSyntheticExchange(spec));
  const std::string bytes = msgpackOf(request);
  const Outcome strict = readMsgpack(bytes, strictOnly());
  const Outcome parallel = readMsgpack(bytes, inPieces(0));
  ASSERT_TRUE(strict.parsed && parallel.parsed) << strict.message << parallel.message;
  EXPECT_EQ(strict.parsed->accountPieces, 0);
  // Pieces of 64 KiB (the least), each proven by reading it.
  const auto layout = json::layOutMsgpackAccounts(bytes, size_t{64} << 10);
  ASSERT_TRUE(layout);
  EXPECT_GE(layout->cuts.size(), 10u);
  EXPECT_EQ(parallel.parsed->accountPieces, static_cast<int64_t>(layout->cuts.size()) + 1);
  expectSameAccounts(parallel.parsed->request, strict.parsed->request);
  EXPECT_EQ(toText(requestToJson(parallel.parsed->request)), toText(request));
  // The accounts first in the map, and an empty account list.
  Json reordered = Json::object();
  reordered["accounts"] = request["accounts"];
  for (const char* key : {"config", "instruments", "market"}) reordered[key] = request[key];
  const Outcome first = readMsgpack(msgpackOf(reordered), inPieces(0));
  ASSERT_TRUE(first.parsed);
  EXPECT_GT(first.parsed->accountPieces, 0);
  expectSameAccounts(first.parsed->request, strict.parsed->request);
  const Outcome none = readMsgpack(msgpackOf(test::baseRequest()), inPieces(0));
  ASSERT_TRUE(none.parsed);
  EXPECT_EQ(none.parsed->accountPieces, 1);
  EXPECT_TRUE(none.parsed->request.accounts.empty());
}

// Every cut guessed is an account's start, and there are as many as the exact layout has, but
// for a few: where the number before an account's last entries reads as a map header, the guess
// may cut an account later.
void expectGuessedCutsAreStarts(std::string_view bytes, const json::MsgpackAccountsLayout& guess,
                                const json::MsgpackAccountsLayout& exact) {
  const auto every = json::layOutMsgpackAccounts(bytes, 64);  // every account's start but two
  ASSERT_TRUE(every);
  ASSERT_EQ(every->cuts.size() + 2, guess.count);
  for (const size_t cut : guess.cuts)
    EXPECT_TRUE(std::binary_search(every->cuts.begin(), every->cuts.end(), cut)) << cut;
  EXPECT_GE(guess.cuts.size() + guess.cuts.size() / 50 + 1, exact.cuts.size());
  EXPECT_LE(guess.cuts.size(), exact.cuts.size());
}

// Ids made of look-alikes, and the walk that finds the accounts' starts where the guess of the
// layout fails (past 4,096 accounts, 2 here, on every thread, each from a place in its segment
// that looks like an account): they must cost speed only. U+20E2 is E2 83 A2, so "\u20e2id"
// holds a 3-entry map whose first key is "id" (the walk's look-alike); U+2062 is E2 81 A2 and
// U+0640 D9 80, so "\u2062id\u0640" and 128 bytes hold a whole map {"id": a string of 128
// bytes}, an account's shape (the guess's, which takes a cut only where what follows such a map
// is account-shaped too). A request cut short must get the strict reader's error.
TEST(ParallelMsgpackReader, AccountsWalkedOnEveryThreadPastLookAlikes) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = 6000;
  Json request = requestToJson(makeSyntheticExchange(spec));
  for (const bool lookAlikes : {false, true}) {
    SCOPED_TRACE(lookAlikes ? "look-alike ids" : "plain ids");
    if (lookAlikes) {
      // Long enough that most segments and cuts begin inside an id, before its account's start.
      std::string alike;
      for (int i = 0; i < 8; ++i) alike += i % 2 ? "\u20e2id" : "\u20e2positions";  // 68 bytes
      alike += "\u2062id\u0640" + std::string(128, 'x');
      int n = 0;
      for (Json& a : request["accounts"]) a["id"] = alike + std::to_string(n++);
    }
    const std::string bytes = msgpackOf(request);
    if (lookAlikes) {
      ASSERT_NE(bytes.find("\x83\xa2id"), std::string::npos);
      ASSERT_NE(bytes.find("\x81\xa2id\xd9\x80xxx"), std::string::npos);
    }
    const auto walked = json::layOutMsgpackAccounts(bytes, 4096, {}, 2);
    const auto serial = json::layOutMsgpackAccounts(bytes, 4096, {}, UINT64_MAX);
    const auto guess = json::guessMsgpackAccountsLayout(bytes, 4096);
    ASSERT_TRUE(walked && serial && guess);
    EXPECT_EQ(walked->end, serial->end);
    EXPECT_EQ(walked->cuts, serial->cuts);
    EXPECT_EQ(guess->end, serial->end);
    expectGuessedCutsAreStarts(bytes, *guess, *serial);
    EXPECT_GT(serial->cuts.size(), 500u);
    const Outcome strict = readMsgpack(bytes, strictOnly());
    const Outcome parallel = readMsgpack(bytes, inPieces(size_t{64} << 10));
    ASSERT_TRUE(strict.parsed && parallel.parsed) << strict.message << parallel.message;
    const auto exact = json::layOutMsgpackAccounts(bytes, size_t{64} << 10);
    ASSERT_TRUE(exact);
    EXPECT_EQ(parallel.parsed->accountPieces, static_cast<int64_t>(exact->cuts.size()) + 1);
    expectSameAccounts(parallel.parsed->request, strict.parsed->request);
    EXPECT_EQ(toText(requestToJson(parallel.parsed->request)), toText(request));
    // Cut short inside the last account, and inside an account in the middle.
    for (const size_t cut : {bytes.size() - 40, bytes.size() / 2}) {
      const std::string shorter = bytes.substr(0, cut);
      const Outcome s = readMsgpack(shorter, strictOnly());
      const Outcome p = readMsgpack(shorter, inPieces(0));
      ASSERT_FALSE(s.parsed);
      ASSERT_FALSE(p.parsed);
      EXPECT_EQ(p.message, s.message);
      EXPECT_EQ(p.path, s.path);
    }
  }
}

// The root map's entries in the order given (nlohmann writes its keys sorted: "accounts" first).
std::string msgpackInOrder(const Json& request, const std::vector<std::string>& keys) {
  std::string bytes(1, static_cast<char>(0x80 | keys.size()));
  for (const std::string& key : keys) bytes += msgpackOf(key) + msgpackOf(request.at(key));
  return bytes;
}

// The guessed layout is the exact one wherever the accounts are in the root map; where it is not
// (an account the guess does not take for one: a map16 header), reading refuses it and the exact
// layout is read.
TEST(ParallelMsgpackReader, GuessedLayoutIsProvenOrSetAside) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = 1500;
  const Json request = requestToJson(makeSyntheticExchange(spec));
  const Outcome strict = readMsgpack(msgpackOf(request), strictOnly());
  ASSERT_TRUE(strict.parsed);
  for (const auto& keys :
       std::vector<std::vector<std::string>>{{"accounts", "config", "instruments", "market"},
                                             {"market", "instruments", "accounts", "config"},
                                             {"config", "instruments", "market", "accounts"}}) {
    SCOPED_TRACE(keys[0]);
    const std::string bytes = msgpackInOrder(request, keys);
    for (size_t piece : {size_t{300}, size_t{64} << 10}) {
      const auto guess = json::guessMsgpackAccountsLayout(bytes, piece);
      const auto exact = json::layOutMsgpackAccounts(bytes, piece);
      ASSERT_TRUE(guess && exact);
      EXPECT_EQ(guess->first, exact->first);
      EXPECT_EQ(guess->end, exact->end);
      EXPECT_EQ(guess->count, 1500u);
      expectGuessedCutsAreStarts(bytes, *guess, *exact);
      EXPECT_GE(exact->cuts.size() + 1,
                std::min<size_t>(1500, (exact->end - exact->first) / piece) / 2);
    }
    const Outcome parallel = readMsgpack(bytes, inPieces(300));
    ASSERT_TRUE(parallel.parsed) << parallel.message;
    expectSameAccounts(parallel.parsed->request, strict.parsed->request);
  }
  // An account written with a map16 header is valid but not account-shaped: in the middle, the
  // guess cuts around it; last, the guessed end stops before it and reading refuses the guess.
  const std::string bytes = msgpackOf(request);
  const auto plain = json::layOutMsgpackAccounts(bytes, 4096);
  ASSERT_TRUE(plain);
  for (const int which : {700, 1499}) {
    SCOPED_TRACE(which);
    const size_t at = bytes.find(msgpackOf(request["accounts"][which]));
    ASSERT_EQ(static_cast<uint8_t>(bytes[at]), 0x83);
    std::string wide = bytes;
    wide.replace(at, 1, std::string("\xde\x00\x03", 3));
    const auto guess = json::guessMsgpackAccountsLayout(wide, 4096);
    const auto exact = json::layOutMsgpackAccounts(wide, 4096);
    ASSERT_TRUE(guess && exact);
    EXPECT_EQ(exact->end, plain->end + 2);
    EXPECT_EQ(guess->end, which == 700 ? exact->end : at);
    RequestOptions options = inPieces(4096);
    int handed = 0;
    options.catalogueRead = [&](const MarginRequest&) { ++handed; };
    const Outcome parallel = readMsgpack(wide, options);
    ASSERT_TRUE(parallel.parsed) << parallel.message;
    EXPECT_EQ(parallel.parsed->accountPieces, static_cast<int64_t>(exact->cuts.size()) + 1);
    expectSameAccounts(parallel.parsed->request, strict.parsed->request);
    EXPECT_EQ(handed, 1);  // the rest around a wrong end never reads as a request
  }
  // After the accounts, an extra array of account-shaped maps ({"id": ...}) longer than the
  // bisection's window: the guessed end is that array's, and reading refuses it.
  Json members = Json::array();
  for (int m = 0; m < 8000; ++m) members.push_back({{"id", "member-" + std::to_string(m)}});
  Json extended = request;
  extended["members"] = members;
  const std::string extra = msgpackOf(extended);
  const auto guess = json::guessMsgpackAccountsLayout(extra, 4096);
  const auto exact = json::layOutMsgpackAccounts(extra, 4096);
  ASSERT_TRUE(guess && exact);
  EXPECT_EQ(exact->end, plain->end);
  EXPECT_EQ(guess->end, extra.size());  // "members" is the last key
  RequestOptions options = inPieces(4096);
  options.extraKeys = {"members"};
  int handed = 0;
  options.catalogueRead = [&](const MarginRequest&) { ++handed; };
  const Outcome parallel = readMsgpack(extra, options);
  ASSERT_TRUE(parallel.parsed) << parallel.message;
  expectSameAccounts(parallel.parsed->request, strict.parsed->request);
  EXPECT_EQ(parallel.parsed->extras["members"], members);
  EXPECT_EQ(handed, 1);
}

// Accounts larger than the bisection's window (3,000 positions, ~130 KB) among small ones, the
// first large or small: the end and the cuts are still found.
TEST(ParallelMsgpackReader, GuessedLayoutOfLargeAccounts) {
  for (const int firstLarge : {0, 1}) {
    SCOPED_TRACE(firstLarge);
    Json body = test::validRequest();
    body["accounts"] = Json::array();
    for (int a = 0; a < 40; ++a) {
      Json positions = Json::array();
      const int count = a % 3 == 1 - firstLarge ? 3000 : 2;
      for (int p = 0; p < count; ++p) positions.push_back(test::position("BTC-PERP", p + 1, 50000));
      body["accounts"].push_back(test::account("big-" + std::to_string(a), positions));
    }
    const std::string bytes = msgpackOf(body);
    const auto guess = json::guessMsgpackAccountsLayout(bytes, size_t{64} << 10);
    const auto exact = json::layOutMsgpackAccounts(bytes, size_t{64} << 10);
    ASSERT_TRUE(guess && exact);
    EXPECT_EQ(guess->end, exact->end);
    expectGuessedCutsAreStarts(bytes, *guess, *exact);
    const Outcome strict = readMsgpack(bytes, strictOnly());
    const Outcome parallel = readMsgpack(bytes, inPieces(size_t{64} << 10));
    ASSERT_TRUE(strict.parsed && parallel.parsed) << strict.message << parallel.message;
    EXPECT_GT(parallel.parsed->accountPieces, 5);
    expectSameAccounts(parallel.parsed->request, strict.parsed->request);
  }
}

// Reading proves a layout: a cut that is not an account's start, an end that is not the array's,
// or fewer accounts than the array's header says, and it is refused.
TEST(ParallelMsgpackReader, ReadingRefusesALayoutThatIsNotTheAccounts) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = 300;
  const MarginRequest request = makeSyntheticExchange(spec);
  const std::string bytes = msgpackOf(requestToJson(request));
  std::unordered_map<std::string, int> assets, instruments;
  for (size_t i = 0; i < request.market.assets.size(); ++i)
    assets[request.market.assets[i].id] = static_cast<int>(i);
  for (size_t i = 0; i < request.instruments.size(); ++i)
    instruments[request.instruments[i].id] = static_cast<int>(i);
  const json::Catalogue catalogue{&assets, &instruments, &request.instruments};
  auto read = [&](const json::MsgpackAccountsLayout& layout) {
    return json::readMsgpackAccounts(bytes, layout, [&] { return std::optional(catalogue); });
  };
  const auto guess = json::guessMsgpackAccountsLayout(bytes, 2048);
  ASSERT_TRUE(guess);
  ASSERT_GT(guess->cuts.size(), 20u);
  const auto accounts = read(*guess);
  ASSERT_TRUE(accounts);
  MarginRequest got = request;
  got.accounts = *accounts;
  EXPECT_EQ(toText(requestToJson(got)), toText(requestToJson(request)));
  for (const int shift : {-1, 1, 40}) {
    auto moved = *guess;
    moved.cuts[10] += shift;
    EXPECT_FALSE(read(moved)) << shift;
  }
  auto shorter = *guess;
  shorter.end = shorter.cuts.back();
  shorter.cuts.pop_back();
  EXPECT_FALSE(read(shorter));  // 299 accounts read, cut where one starts
  auto more = *guess;
  ++more.count;
  EXPECT_FALSE(read(more));
}

// MessagePack's other encodings of the same values: integers of every width, float32, str8 and
// str16 keys and strings, map16 and array16 headers. Each reads as the strict reader reads it.
TEST(ParallelMsgpackReader, EveryEncodingOfANumberOrStringReadsAsTheStrictReader) {
  using namespace std::string_literals;
  const auto str8 = [](std::string_view s) {
    std::string b = "\xd9";
    b += static_cast<char>(s.size());
    return b + std::string(s);
  };
  const auto str16 = [](std::string_view s) {
    std::string b = "\xda";
    b += static_cast<char>(s.size() >> 8);
    b += static_cast<char>(s.size() & 0xff);
    return b + std::string(s);
  };
  const auto fix = [](std::string_view s) {
    return std::string(1, static_cast<char>(0xa0 | s.size())) + std::string(s);
  };
  const std::vector<std::string> quantities = {
      "\x05"s,                                  // positive fixint
      "\xfb"s,                                  // negative fixint (-5)
      "\xcc\xc8"s,                              // uint8 200
      "\xcd\x01\x2c"s,                          // uint16 300
      "\xce\x00\x01\x86\xa0"s,                  // uint32 100000
      "\xcf\x00\x00\x00\xe8\xd4\xa5\x10\x00"s,  // uint64 1e12
      "\xd0\x80"s,                              // int8 -128
      "\xd1\xfe\x0c"s,                          // int16 -500
      "\xd2\xff\xfe\x79\x60"s,                  // int32 -100000
      "\xd3\xff\xff\xff\xff\xff\xff\xff\xfe"s,  // int64 -2
      "\xca\x3f\xc0\x00\x00"s,                  // float32 1.5
      "\xca\x3d\xcc\xcc\xcd"s,                  // float32 0.1f (not 0.1)
  };
  std::string accounts;
  for (size_t i = 0; i < quantities.size(); ++i) {
    accounts += "\xde";  // map16 of 3
    accounts += std::string("\x00\x03", 2);
    accounts += str8("id") + str16("enc-" + std::to_string(i));
    accounts += fix("collateral") + "\xdc" + std::string("\x00\x01", 2) + "\x82" + fix("asset") +
                fix("USD") + fix("amount") + quantities[i];
    accounts += fix("positions") + "\x91\x83" + fix("instrument") + str8("BTC-PERP") + fix("qty") +
                quantities[i] + str16("entry_price") + "\xcb" +
                std::string("\x40\xe8\x6a\x00\x00\x00\x00\x00", 8);  // 50000
  }
  std::string bytes = msgpackOf(test::baseRequest());
  const std::string empty = fix("accounts") + "\x90";
  const size_t at = bytes.find(empty);
  ASSERT_NE(at, std::string::npos);
  std::string array = "\xdc";
  array += static_cast<char>(0);
  array += static_cast<char>(quantities.size());
  bytes.replace(at, empty.size(), fix("accounts") + array + accounts);
  const Outcome strict = readMsgpack(bytes, strictOnly());
  ASSERT_TRUE(strict.parsed) << strict.message;
  const Outcome parallel = readMsgpack(bytes, inPieces(0));
  ASSERT_TRUE(parallel.parsed) << "refused";
  EXPECT_EQ(parallel.parsed->accountPieces, 1);
  expectSameAccounts(parallel.parsed->request, strict.parsed->request);
  const auto& read = parallel.parsed->request.accounts;
  ASSERT_EQ(read.size(), quantities.size());
  EXPECT_EQ(read[5].positions[0].qty, 1e12);
  EXPECT_EQ(read[9].positions[0].qty, -2.0);
  EXPECT_EQ(read[11].positions[0].qty, static_cast<double>(0.1f));
  EXPECT_EQ(read[3].collateral[0].amount, 300.0);
}

TEST(ParallelMsgpackReader, BadAccountsGetTheStrictError) {
  for (const test::BadCase& c : test::badRequests()) {
    SCOPED_TRACE(c.name);
    Json body = test::validRequest();
    for (int i = 0; i < 300; ++i)
      body["accounts"].push_back(test::account("more-" + std::to_string(i),
                                               Json::array({test::position("BTC-PERP", i, 1)})));
    c.mutate(body);
    const std::string bytes = msgpackOf(body);
    const Outcome strict = readMsgpack(bytes, strictOnly());
    const Outcome parallel = readMsgpack(bytes, inPieces(0));
    ASSERT_EQ(strict.parsed.has_value(), parallel.parsed.has_value());
    if (strict.parsed) {
      expectSameAccounts(parallel.parsed->request, strict.parsed->request);
    } else {
      EXPECT_EQ(parallel.path, strict.path);
      EXPECT_EQ(parallel.message, strict.message);
    }
  }
  // Invalid UTF-8 in an id and a truncated body: the strict reader's words.
  Json body = test::validRequest();
  for (int i = 0; i < 300; ++i)
    body["accounts"].push_back(test::account("more-" + std::to_string(i), Json::array()));
  body["accounts"][280]["id"] = std::string("bad\xC3(");
  const std::string bytes = msgpackOf(body);
  const Outcome strict = readMsgpack(bytes, strictOnly());
  ASSERT_FALSE(strict.parsed);
  EXPECT_EQ(strict.path, "/accounts/280/id");
  const Outcome parallel = readMsgpack(bytes, inPieces(0));
  EXPECT_EQ(parallel.path, strict.path);
  EXPECT_EQ(parallel.message, strict.message);
  const std::string cut = msgpackOf(test::validRequest()).substr(0, 200);
  const Outcome truncated = readMsgpack(cut, inPieces(0));
  ASSERT_FALSE(truncated.parsed);
  EXPECT_EQ(truncated.message, readMsgpack(cut, strictOnly()).message);
}

}  // namespace
}  // namespace xm
