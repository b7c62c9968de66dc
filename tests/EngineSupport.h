#pragma once
// Helpers of the engine's tests (tests/margin): a small synthetic exchange and bitwise equality
// of two accounts' figures.

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "host/margin/MarginEngine.h"
#include "host/synthetic/SyntheticExchange.h"

namespace xm::test {

inline MarginRequest smallExchange(int64_t accounts, int64_t scenarios, bool studentT = false) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = accounts;
  spec.scenarios = scenarios;
  MarginRequest req = makeSyntheticExchange(spec);
  if (studentT) {
    req.config.shocks = ShockModel::StudentT;
    req.config.dof = 4;
  }
  return req;
}

inline bool bitwiseEqual(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

inline void expectIdentical(const AccountResult& a, const AccountResult& b,
                            const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_TRUE(bitwiseEqual(a.var, b.var));
  EXPECT_TRUE(bitwiseEqual(a.es, b.es));
  EXPECT_TRUE(bitwiseEqual(a.esStderr, b.esStderr));
  EXPECT_TRUE(bitwiseEqual(a.isolatedMargin, b.isolatedMargin));
  EXPECT_TRUE(bitwiseEqual(a.initialMargin, b.initialMargin));
  ASSERT_EQ(a.positions.size(), b.positions.size());
  for (size_t i = 0; i < a.positions.size(); ++i) {
    EXPECT_TRUE(bitwiseEqual(a.positions[i].esContribution, b.positions[i].esContribution));
    EXPECT_TRUE(bitwiseEqual(a.positions[i].standaloneEs, b.positions[i].standaloneEs));
  }
}

}  // namespace xm::test
