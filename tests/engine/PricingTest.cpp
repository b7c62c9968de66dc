// Black-Scholes-Merton against published textbook values, parity, and the expiry limits.
#include <gtest/gtest.h>

#include <cmath>

#include "host/engine/Pricing.h"

namespace xm {
namespace {

TEST(BlackScholes, HullExample) {
  // Hull, Options, Futures and Other Derivatives, Example 15.6 (S=42, K=40, r=10%, sigma=20%,
  // T=0.5): c = 4.76, p = 0.81.
  EXPECT_NEAR(blackScholes(true, 42, 40, 0.5, 0.2, 0.1), 4.7594, 5e-5);
  EXPECT_NEAR(blackScholes(false, 42, 40, 0.5, 0.2, 0.1), 0.8086, 5e-5);
}

TEST(BlackScholes, HaugExample) {
  // Haug, The Complete Guide to Option Pricing Formulas, 1.1.1 (S=60, K=65, T=0.25, r=8%,
  // sigma=30%): call 2.1334.
  EXPECT_NEAR(blackScholes(true, 60, 65, 0.25, 0.3, 0.08), 2.1334, 5e-5);
}

TEST(BlackScholes, PutCallParityAndLimits) {
  for (double k : {30000.0, 50000.0, 80000.0}) {
    const double c = blackScholes(true, 50000, k, 0.3, 0.7, 0.05);
    const double p = blackScholes(false, 50000, k, 0.3, 0.7, 0.05);
    EXPECT_NEAR(c - p, 50000 - k * std::exp(-0.05 * 0.3), 1e-8 * 50000);
  }
  EXPECT_EQ(blackScholes(true, 120, 100, 0.0, 0.5, 0.0), 20.0);  // intrinsic at expiry
  EXPECT_EQ(blackScholes(false, 120, 100, -1.0, 0.5, 0.0), 0.0);
  EXPECT_NEAR(blackScholes(true, 120, 100, 1.0, 0.0, 0.1), 120 - 100 * std::exp(-0.1), 1e-12);
}

TEST(BlackScholes, Delta) {
  // Hull, Options, Futures and Other Derivatives, Example 19.1 (S=49, K=50, r=5%, sigma=20%,
  // T=20 weeks): call delta N(d1) = 0.522.
  EXPECT_NEAR(blackScholesDelta(true, 49, 50, 20 / 52.0, 0.2, 0.05), 0.522, 5e-4);
  for (double k : {30000.0, 50000.0, 80000.0}) {
    const double c = blackScholesDelta(true, 50000, k, 0.3, 0.7, 0.05);
    const double p = blackScholesDelta(false, 50000, k, 0.3, 0.7, 0.05);
    EXPECT_NEAR(c - p, 1.0, 1e-12);  // parity
    const double h = 1e-3;           // central difference of the price
    const double fd = (blackScholes(true, 50000 + h, k, 0.3, 0.7, 0.05) -
                       blackScholes(true, 50000 - h, k, 0.3, 0.7, 0.05)) /
                      (2 * h);
    EXPECT_NEAR(c, fd, 1e-6);
  }
  EXPECT_EQ(blackScholesDelta(true, 120, 100, 0.0, 0.5, 0.0), 1.0);  // expired, in the money
  EXPECT_EQ(blackScholesDelta(false, 120, 100, 0.0, 0.5, 0.0), 0.0);
  EXPECT_EQ(blackScholesDelta(false, 80, 100, 1.0, 0.0, 0.0), -1.0);  // zero vol
}

TEST(Revaluation, RowsFollowTheContract) {
  PnlRow spot;
  spot.kind = RowKind::Spot;
  spot.priceFactor = 0;
  spot.spot = 100;
  spot.diffusion = 0.1;
  spot.drift = -0.005;
  EXPECT_NEAR(rowPnl(spot, 1.5, 0), 100 * std::exp(0.15 - 0.005) - 100, 1e-12);

  PnlRow option = spot;
  option.kind = RowKind::Option;
  option.strike = 100;
  option.iv = 0.5;
  option.timeLater = 0.1;
  option.volFactor = 1;
  option.volDiffusion = 0.2;
  option.volDrift = -0.02;
  option.valueNow = blackScholes(true, 100, 100, 0.1 + 1.0 / 365, 0.5, 0);
  const double sh = 100 * std::exp(0.1 * -0.7 - 0.005);
  const double ivh = 0.5 * std::exp(0.2 * 0.9 - 0.02);
  EXPECT_NEAR(rowPnl(option, -0.7, 0.9), blackScholes(true, sh, 100, 0.1, ivh, 0) - option.valueNow,
              1e-12);
}

}  // namespace
}  // namespace xm
