// The model's tables: every error kind once, with a status that matches its tier; every enum's
// wire names round-trip and are listed in the contract's order; the calendar constants.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "host/model/Errors.h"
#include "host/model/Units.h"
#include "host/model/WireNames.h"

namespace xm {
namespace {

TEST(ErrorTable, EveryKindOnceWithAStatusOfItsTier) {
  std::set<std::string> codes;
  for (const ErrorKindInfo& k : kErrorKinds) {
    SCOPED_TRACE(k.code);
    EXPECT_TRUE(codes.insert(k.code).second) << "code listed twice";
    EXPECT_EQ(errorKindInfo(k.kind).code, std::string(k.code));
    // The caller's mistakes exit 2 and answer 4xx (or 501/503 for what this server cannot do);
    // the service's own failures exit 1 and answer 5xx.
    if (k.exitStatus == 2) {
      EXPECT_TRUE(k.httpStatus < 500 || k.httpStatus == 501 ||
                  k.kind == ErrorKind::BackendUnavailable);
    } else {
      EXPECT_GE(k.httpStatus, 500);
    }
    // Retry-After only on a 503: the request may succeed later unchanged.
    if (k.retryAfterSeconds > 0) {
      EXPECT_EQ(k.httpStatus, 503);
    }
  }
  EXPECT_EQ(codes.size(), static_cast<size_t>(ErrorKind::Internal) + 1);
  EXPECT_EQ(errorKindInfo(ErrorKind::Overloaded).retryAfterSeconds, 1);
  EXPECT_EQ(errorKindInfo(ErrorKind::DeadlineExceeded).retryAfterSeconds, 5);
  EXPECT_EQ(errorKindInfo(ErrorKind::Internal).httpStatus, 500);
}

TEST(ErrorTable, InputErrorsTakeStatusAndCodeFromTheirKind) {
  const InputError plain("/a", "bad");
  EXPECT_EQ(plain.code(), "invalid_request");
  EXPECT_EQ(plain.httpStatus(), 400);
  const InputError big("/config/scenarios", "too many", ErrorKind::LimitExceeded);
  EXPECT_EQ(big.code(), "limit_exceeded");
  EXPECT_EQ(big.httpStatus(), 413);
}

TEST(ErrorTable, TheExceptionInFlightIsClassified) {
  auto classify = [](auto thrower) {
    try {
      thrower();
    } catch (...) {
      return reportCurrentException();
    }
    return ErrorReport{};
  };
  EXPECT_EQ(classify([] { throw InputError("/p", "m", ErrorKind::IoError); }).kind,
            ErrorKind::IoError);
  EXPECT_EQ(classify([] { throw InputError("/p", "m"); }).path, "/p");
  EXPECT_EQ(classify([] { throw DeadlineError("late"); }).kind, ErrorKind::DeadlineExceeded);
  EXPECT_EQ(classify([] { throw BackendError("lost"); }).kind, ErrorKind::BackendError);
  EXPECT_EQ(classify([] { throw std::bad_alloc(); }).kind, ErrorKind::OutOfMemory);
  const ErrorReport internal = classify([] { XM_ASSERT(1 + 1 == 3, "arithmetic"); });
  EXPECT_EQ(internal.kind, ErrorKind::Internal);
  EXPECT_NE(internal.message.find("arithmetic"), std::string::npos);
  EXPECT_EQ(classify([] { throw 42; }).message, "internal error");
}

template <typename E>
void expectRoundTrip() {
  std::set<std::string> names;
  for (const auto& [e, name] : WireNames<E>::table) {
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_STREQ(wireName(e), name);
    ASSERT_TRUE(fromWireName<E>(name).has_value()) << name;
    EXPECT_EQ(*fromWireName<E>(name), e) << name;
  }
  EXPECT_FALSE(fromWireName<E>("").has_value());
  EXPECT_FALSE(fromWireName<E>("unknown").has_value());
}

TEST(WireNames, EveryEnumRoundTrips) {
  expectRoundTrip<InstrumentType>();
  expectRoundTrip<OptionRight>();
  expectRoundTrip<RiskMeasure>();
  expectRoundTrip<BackendChoice>();
  expectRoundTrip<CorrelationRepair>();
  expectRoundTrip<Precision>();
  expectRoundTrip<VolModel>();
  expectRoundTrip<MarginStatus>();
}

TEST(WireNames, ListedInTheContractsOrder) {
  EXPECT_EQ(quotedWireNames<InstrumentType>(),
            "\"spot\", \"perpetual\", \"future\", \"inverse_perpetual\", \"option\"");
  EXPECT_EQ(wireNameChoices<BackendChoice>(), "auto, cpu or cuda");
  EXPECT_EQ(wireNameChoices<Precision>(), "fp64 or fp32");
  EXPECT_STREQ(wireName(MarginStatus::MarginCall), "margin_call");
  EXPECT_FALSE(fromWireName<InstrumentType>("Option").has_value());  // names are case-sensitive
}

TEST(Units, TheCalendarOfAMarketThatNeverCloses) {
  EXPECT_EQ(kSecondsPerYear, 31'536'000.0);
  EXPECT_EQ(kWholeSecondsPerDay, 86'400);
  EXPECT_EQ(kSecondsPerDay, static_cast<double>(kWholeSecondsPerDay));
  // The bounds keep the worst leg loss's square finite with room for sums.
  EXPECT_LT(kMaxLegLoss * kMaxLegLoss, 1e300);
}

}  // namespace
}  // namespace xm
