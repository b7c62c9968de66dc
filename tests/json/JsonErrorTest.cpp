// Every bad input of contract §5 is refused with an InputError naming the field by JSON Pointer.
#include <gtest/gtest.h>

#include <functional>

#include "api/json/JsonCodec.h"
#include "host/margin/MarginEngine.h"
#include "host/model/WireNames.h"
#include "tests/BadRequests.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

// Runs parse and the engine (the PSD check lives in the factor model), returning the error.
std::optional<InputError> refuse(const Json& body, const Limits& limits = {}) {
  try {
    computeMargin(parseRequest(body, limits));
  } catch (const InputError& e) {
    return e;
  }
  return std::nullopt;
}

TEST(JsonErrors, ValidRequestIsAccepted) { EXPECT_FALSE(refuse(test::validRequest()).has_value()); }

TEST(JsonErrors, ContractSection5InputsAreRefusedWithTheirPath) {
  for (const test::BadCase& c : test::badRequests()) {
    Json body = test::validRequest();
    c.mutate(body);
    const auto err = refuse(body);
    ASSERT_TRUE(err.has_value()) << c.name << ": accepted";
    EXPECT_EQ(err->path(), c.path) << c.name << ": " << err->what();
    EXPECT_EQ(err->code(), c.code) << c.name;
    EXPECT_EQ(err->httpStatus(), 400) << c.name;
    // The message names the field too, for humans reading a log line.
    EXPECT_NE(std::string(err->what()).find(c.path), std::string::npos)
        << c.name << ": " << err->what();
  }
}

TEST(JsonErrors, MalformedJsonIsRefused) {
  for (const char* text : {"", "{", "{\"market\": }", "[1, 2", "nul", "{\"a\": 1} trailing"}) {
    try {
      parseRequestText(text);
      FAIL() << "accepted: " << text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.path(), "");
      EXPECT_EQ(e.code(), "invalid_request");
      EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos);
    }
  }
}

TEST(JsonErrors, WorkOverTheLimitNamesTheLimit) {
  Limits limits;
  limits.maxWork = 1000;
  const auto err = refuse(test::validRequest(), limits);  // 1 account x 4000 scenarios
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code(), "limit_exceeded");
  EXPECT_EQ(err->path(), "/config/scenarios");
  EXPECT_NE(std::string(err->what()).find("1000"), std::string::npos);
}

TEST(JsonErrors, RepairOptionAcceptsAnIndefiniteMatrix) {
  Json body = test::validRequest();
  test::addIndefiniteCorrelations(body);
  for (const char* repair : {"clip", "nearest"}) {
    body["config"]["correlation_repair"] = repair;
    const MarginResponse r = computeMargin(parseRequest(body));
    EXPECT_STREQ(wireName(r.run.correlationRepair), repair);
    EXPECT_GT(r.run.correlationRepairDistance, 0.1);
    EXPECT_GT(r.accounts[0].es, 0.0);
  }
}

TEST(JsonErrors, CudaWithoutDeviceIsAClearError) {
  Json body = test::validRequest();
  body["config"]["backend"] = "cuda";
  try {
    computeMargin(parseRequest(body));
    GTEST_SKIP() << "a usable CUDA backend is present";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/config/backend");
    EXPECT_EQ(e.code(), "backend_unavailable");
    EXPECT_EQ(e.httpStatus(), 503);
  }
}

}  // namespace
}  // namespace xm
