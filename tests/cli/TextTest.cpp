// Strings: every string and key of a request is well-formed UTF-8 or the request is refused
// naming it; what is accepted comes back byte for byte; no input makes a writer throw.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "api/json/JsonCodec.h"
#include "api/json/Utf8.h"
#include "host/margin/MarginEngine.h"
#include "tests/BadRequests.h"
#include "tests/CliSupport.h"

namespace xm {
namespace {

TEST(Utf8, KnownWellFormedAndIllFormedSequences) {
  // RFC 3629 §4's table and Markus Kuhn's stress cases.
  for (const char* ok : {"", "plain ascii", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF",
                         "\xEE\x80\x80", "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF",
                         "caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80"}) {
    EXPECT_FALSE(firstInvalidUtf8(ok).has_value()) << ok;
  }
  const std::vector<std::pair<std::string, size_t>> bad = {
      {"\xFF", 0},
      {"ab\xFE", 2},
      {"\xC0\xAF", 0},               // overlong '/'
      {"\xC1\xBF", 0},               // overlong
      {"\xE0\x80\xAF", 0},           // overlong, 3 bytes
      {"\xF0\x80\x80\xAF", 0},       // overlong, 4 bytes
      {"\xED\xA0\x80", 0},           // surrogate U+D800
      {"\xED\xBF\xBF", 0},           // surrogate U+DFFF
      {"\xF4\x90\x80\x80", 0},       // U+110000
      {"\xF5\x80\x80\x80", 0},       // beyond the table
      {"x\xE2\x82", 1},              // truncated
      {"\x80", 0},                   // lone continuation
      {"12345678\xC3", 8},           // after the 8-byte ASCII fast path
      {"12345678\xC3\xA9\x80", 10},  // a stray continuation after a good pair
  };
  for (const auto& [s, at] : bad) {
    const auto got = firstInvalidUtf8(s);
    ASSERT_TRUE(got.has_value()) << testing::PrintToString(s);
    EXPECT_EQ(*got, at) << testing::PrintToString(s);
  }
}

TEST(Utf8, SanitizeReplacesEachBadByteAndKeepsGoodText) {
  EXPECT_EQ(sanitizeUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(sanitizeUtf8("a\xFF\xFE"
                         "b"),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitizeUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    EXPECT_FALSE(firstInvalidUtf8(sanitizeUtf8(s)).has_value());
  }
}

// nlohmann's lexer implements the same table: on random byte strings without quotes, backslashes
// or control characters, it must accept exactly the strings we call well-formed.
TEST(Utf8, AgreesWithTheJsonLexerOnRandomBytes) {
  std::mt19937 rng(11);
  int invalid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s(1 + rng() % 6, '\0');
    for (char& c : s) {
      unsigned b;
      do b = rng() % 2 ? 0x80 + rng() % 0x80 : 0x20 + rng() % 0x60;
      while (b == '"' || b == '\\' || b == 0x7F);
      c = static_cast<char>(b);
    }
    bool lexerOk = true;
    try {
      const Json parsed = Json::parse("\"" + s + "\"");
      EXPECT_TRUE(parsed.is_string());
    } catch (const Json::parse_error&) {
      lexerOk = false;
    }
    invalid += !lexerOk;
    ASSERT_EQ(!firstInvalidUtf8(s).has_value(), lexerOk) << testing::PrintToString(s);
  }
  EXPECT_GT(invalid, 5000);  // both outcomes well represented
}

std::string requestText(const std::string& accountId) {
  Json r = test::validRequest();
  r["accounts"][0]["id"] = "@@ID@@";
  std::string text = r.dump();
  text.replace(text.find("@@ID@@"), 6, accountId);
  return text;
}

void expectRefusal(const std::function<void()>& parse, const std::string& path,
                   const std::string& words) {
  try {
    parse();
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.code(), "invalid_request");
    EXPECT_EQ(e.path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_FALSE(firstInvalidUtf8(e.what()).has_value());
  }
}

TEST(Text, InvalidUtf8InAStringIsRefusedNamingTheString) {
  // The report: an account id holding FF FE aborted the CLI while it wrote the response.
  expectRefusal(
      [] {
        parseRequestText(
            requestText("a\xFF\xFE"
                        "b"));
      },
      "/accounts/0/id", "not valid UTF-8");
  Json r = test::validRequest();
  std::string text = r.dump();
  text.replace(text.find("\"BTC-PERP\",\"type\""), 10, "\"BTC-\xC3(\"");
  expectRefusal([&] { parseRequestText(text); }, "/instruments/0/id", "not valid UTF-8");
  // A lone surrogate escape is not a character either.
  expectRefusal([] { parseRequestText(requestText("x\\udc00")); }, "/accounts/0/id", "surrogate");
}

TEST(Text, InvalidUtf8InAKeyIsRefusedNamingItsObject) {
  // The report: "mar\xc3ket" aborted while the error envelope itself was written.
  std::string text = test::validRequest().dump();
  text.replace(text.find("\"market\""), 8, "\"mar\xC3ket\"");
  expectRefusal([&] { parseRequestText(text); }, "", "an object key is not valid UTF-8");
  text = test::validRequest().dump();
  text.replace(text.find("\"qty\""), 5, "\"q\xFFty\"");
  expectRefusal([&] { parseRequestText(text); }, "/accounts/0/positions/0", "an object key");
}

TEST(Text, MessagePackStringsAndKeysAreCheckedToo) {
  // MessagePack's reader takes any bytes as a string: the codec checks them.
  Json r = test::validRequest();
  r["accounts"][0]["id"] = "@@";
  std::vector<uint8_t> packed = Json::to_msgpack(r);
  const std::string mark = "\xA2@@";
  std::string bytes(packed.begin(), packed.end());
  bytes.replace(bytes.find(mark), mark.size(), "\xA2\xFF\xFE");
  expectRefusal([&] { parseRequestMsgpack(bytes); }, "/accounts/0/id", "byte 0xFF at offset 0");
  bytes = std::string(packed.begin(), packed.end());
  bytes.replace(bytes.find("\xA3qty"), 4, "\xA3q\xC3y");
  expectRefusal([&] { parseRequestMsgpack(bytes); }, "/accounts/0/positions/0", "an object key");
  // Binary where a string belongs is a type error naming the field.
  Json withBinary = r;
  withBinary["accounts"][0]["id"] = Json::binary({1, 2, 3});
  packed = Json::to_msgpack(withBinary);
  expectRefusal([&] { parseRequestMsgpack(std::string(packed.begin(), packed.end())); },
                "/accounts/0/id", "must be a string, got binary data");
}

TEST(Text, NestingBombsAreRefusedBeforeTheyCostStack) {
  // 200,000 nested arrays: MessagePack's reader recurses once per level.
  std::string msgpack =
      "\x81\xA6"
      "config";
  msgpack += std::string(200000, '\x91');
  msgpack += '\xC0';
  expectRefusal([&] { parseRequestMsgpack(msgpack); }, "", "nesting deeper than 32");
  std::string json = "{\"config\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  expectRefusal([&] { parseRequestText(json); }, "", "nesting deeper than 32");
}

// What is accepted comes back exactly: escapes, control characters, non-ASCII, the longest id.
TEST(Text, IdsRoundTripExactlyThroughEveryWriter) {
  const std::vector<std::string> ids = {
      "quote \" back \\ slash / solidus",
      std::string("nul \0 inside", 12),
      "controls \x01\x1F\t\n\r\b\f",
      "caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 \xE2\x80\xA8 line separator",
      "\xEF\xBF\xBF noncharacter U+FFFF is still UTF-8",
      std::string(256, 'x'),
      std::string(64, '\0') + std::string(64 * 3, 'y'),
  };
  Json r = test::validRequest();
  r["accounts"] = Json::array();
  for (size_t i = 0; i < ids.size(); ++i) {
    r["accounts"].push_back(
        test::account(ids[i], Json::array({test::position("BTC-PERP", 1.0 + i, 50000)})));
  }
  const std::string text = r.dump();
  const MarginRequest fromText = parseRequestText(text);
  const std::vector<uint8_t> packed = Json::to_msgpack(r);
  const MarginRequest fromMsgpack = parseRequestMsgpack(std::string(packed.begin(), packed.end()));
  const MarginResponse response = computeMargin(fromText);
  const Json fast = Json::parse(responseToText(fromText, response));
  const Json dom = responseToJson(fromText, response);
  const Json packedBack = Json::from_msgpack(Json::to_msgpack(dom));
  std::ostringstream streamed;
  StreamingResponseWriter writer(fromText, streamed, 2);
  writer.accounts(0, response.accounts);
  writer.finish({response.run, response.totals});
  const Json pretty = Json::parse(streamed.str());
  for (size_t i = 0; i < ids.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(fromText.accounts[i].id, ids[i]);
    EXPECT_EQ(fromMsgpack.accounts[i].id, ids[i]);
    EXPECT_EQ(fast["accounts"][i]["id"].get<std::string>(), ids[i]);
    EXPECT_EQ(dom["accounts"][i]["id"].get<std::string>(), ids[i]);
    EXPECT_EQ(packedBack["accounts"][i]["id"].get<std::string>(), ids[i]);
    EXPECT_EQ(pretty["accounts"][i]["id"].get<std::string>(), ids[i]);
  }
  // One byte over the limit is refused naming the id.
  r["accounts"][0]["id"] = std::string(257, 'x');
  expectRefusal([&] { parseRequest(r); }, "/accounts/0/id", "at most 256 bytes");
}

TEST(Text, ErrorEnvelopesAreValidJsonWhateverTheyQuote) {
  const Json e = errorToJson("io_error", "cannot read file-\xFF\xFE.json", "/a\xC3");
  const std::string text = toText(e);
  const Json back = Json::parse(text);
  EXPECT_EQ(back["error"]["message"], "cannot read file-\xEF\xBF\xBD\xEF\xBF\xBD.json");
  EXPECT_EQ(back["error"]["path"], "/a\xEF\xBF\xBD");
}

// The report's storm: 400 seeded byte mutations of the contract's example. Every one must end in
// an answer or an error envelope, never an abort (the test process would die with it).
TEST(Text, FourHundredByteMutationsOfTheExampleNeverAbort) {
  std::ifstream in(test::kExample, std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  std::mt19937 rng(20261124);
  const std::string path = test::temp("mutant.json");
  int answered = 0, refused = 0;
  for (int i = 0; i < 400; ++i) {
    std::string m = original;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const size_t at = rng() % m.size();
      switch (rng() % 3) {
        case 0:
          m[at] = static_cast<char>(rng());
          break;
        case 1:
          m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(rng()));
          break;
        default:
          m.erase(at, 1);
      }
    }
    std::ofstream(path, std::ios::binary) << m;
    const test::Captured c = test::cli({"run", path});
    SCOPED_TRACE("mutant " + std::to_string(i));
    ASSERT_TRUE(c.status == 0 || c.status == 2) << c.status << " " << c.err;
    if (c.status == 0) {
      ++answered;
      EXPECT_TRUE(Json::parse(c.out).contains("accounts"));
    } else {
      ++refused;
      const Json e = Json::parse(c.err);  // the envelope parses: valid UTF-8, valid JSON
      EXPECT_EQ(e["error"]["code"], "invalid_request") << c.err;
    }
  }
  std::filesystem::remove(path);
  EXPECT_GT(refused, 200);  // both outcomes occur: the storm reaches the engine and the writer
  EXPECT_GE(answered, 5);
}

}  // namespace
}  // namespace xm
