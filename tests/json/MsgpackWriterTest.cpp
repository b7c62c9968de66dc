// The streamed MessagePack answer is byte for byte what nlohmann's to_msgpack writes for the DOM:
// the writer's encodings at every boundary, and a whole response.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>

#include "api/json/JsonCodec.h"
#include "api/json/JsonWriter.h"
#include "api/json/ResponseWriter.h"
#include "host/synthetic/SyntheticExchange.h"

namespace xm {
namespace {

// "k" and a number (written so: GCC 12 warns wrongly on "k" + std::to_string(n)).
std::string named(const char* prefix, size_t n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

// The same calls on both writers.
template <typename W>
void writeSamples(W& w) {
  w.beginObject();
  w.key("ints").beginArray();
  for (int64_t x : {int64_t{0},           int64_t{127},
                    int64_t{128},         int64_t{255},
                    int64_t{256},         int64_t{65535},
                    int64_t{65536},       int64_t{4294967295},
                    int64_t{4294967296},  std::numeric_limits<int64_t>::max(),
                    int64_t{-1},          int64_t{-32},
                    int64_t{-33},         int64_t{-128},
                    int64_t{-129},        int64_t{-32768},
                    int64_t{-32769},      int64_t{-2147483648},
                    int64_t{-2147483649}, std::numeric_limits<int64_t>::min()})
    w.value(x);
  w.endArray();
  w.key("doubles").beginArray();
  for (double x : {0.0, -0.0, 0.5, 0.1, 1e300, -1e-300, 3.4028234663852886e38,
                   3.4028235677973366e38, 1.401298464324817e-45, 16777217.0, 42265.2, -7.25})
    w.value(x);
  w.endArray();
  for (size_t n : {size_t{0}, size_t{31}, size_t{32}, size_t{255}, size_t{256}, size_t{65536}})
    w.field(named("s", n), std::string(n, 'x'));
  w.field("yes", true).field("no", false).field("text", "caf\xC3\xA9");
  for (int n : {15, 16, 65536}) {
    w.key(named("array", static_cast<size_t>(n))).beginArray();
    for (int i = 0; i < n; ++i) w.value(static_cast<int64_t>(i));
    w.endArray();
  }
  w.key("map16").beginObject();
  for (size_t i = 0; i < 16; ++i) w.field(named("k", i), static_cast<int64_t>(i));
  w.endObject();
  w.key("empty").beginObject().endObject();
  w.endObject();
}

TEST(MsgpackWriter, EveryEncodingIsToMsgpacksOfTheDom) {
  Json dom;
  JsonDomWriter d(dom);
  writeSamples(d);
  std::string bytes;
  MsgpackWriter m(bytes);
  writeSamples(m);
  const std::vector<uint8_t> expected = Json::to_msgpack(dom);
  ASSERT_EQ(bytes.size(), expected.size());
  EXPECT_EQ(bytes, std::string(expected.begin(), expected.end()));
}

TEST(MsgpackWriter, StreamedResponseIsTheDomsMsgpack) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = 300;
  spec.scenarios = 2000;
  MarginRequest request = makeSyntheticExchange(spec);
  request.accounts[7].id = std::string(40, 'L');  // a str8 id
  const MarginResponse response = computeMargin(request);
  std::ostringstream out;
  {
    StreamingResponseWriter writer(request, out, StreamingResponseWriter::Msgpack{});
    writer.accounts(0, {response.accounts.begin(), response.accounts.begin() + 128});
    writer.accounts(128, {response.accounts.begin() + 128, response.accounts.end()});
    writer.finish(RunSummary{response.run, response.totals});
  }
  const std::vector<uint8_t> expected = Json::to_msgpack(responseToJson(request, response));
  EXPECT_EQ(out.str(), std::string(expected.begin(), expected.end()));
  // The service's answer to Accept: application/msgpack.
  EXPECT_EQ(responseToMsgpack(request, response), std::string(expected.begin(), expected.end()));
}

}  // namespace
}  // namespace xm
