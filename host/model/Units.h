#pragma once
// Named constants: the calendar of a market that trades every day, and the bounds every input
// number is held to. The bounds are what keeps every figure finite: a leg's loss in a scenario
// is at most |qty| × contract_size × kMaxUnitPnl, and its square, summed over every leg and
// scenario of a request, stays far below the largest double (the static_assert below).

#include <cstddef>
#include <limits>

namespace xm {

// Crypto trades every day: years are 365 days of 86,400 seconds, and √365 annualises a daily vol.
constexpr double kDaysPerYear = 365.0;
constexpr double kSecondsPerDay = 86400.0;
constexpr double kSecondsPerYear = kDaysPerYear * kSecondsPerDay;
constexpr long long kWholeSecondsPerDay = 86400;  // for integer calendar arithmetic

// An id's length in bytes of UTF-8: an account's, an asset's, an instrument's (contract §2).
constexpr std::size_t kMaxIdBytes = 256;

// A request's numbers (contract §2; README, "Additions").
constexpr double kMaxPrice = 1e12;         // an asset's price
constexpr double kMaxContractSize = 1e9;   // an instrument's contract_size
constexpr double kMaxQuantity = 1e15;      // |qty| of a position, |amount| of collateral
constexpr double kMaxStrike = 1e15;        // an option's strike
constexpr double kMaxEntryPrice = 1e15;    // a position's entry_price
constexpr double kMinLinearEntry = 1e-12;  // the entry of a linear contract (it divides)
constexpr double kMaxHorizonDays = 365.0;  // config.horizon_days

// What a history may hold: bounds under which every ratio of two closes or two implied vols,
// and its logarithm, stays finite (found by fuzzing: an iv of 2e-323 made iv_t / iv_{t-1}
// overflow, and the EWMA vol-of-vol estimate NaN).
constexpr double kMinClose = 1e-12, kMaxClose = 1e12;
constexpr double kMinImpliedVol = 1e-4, kMaxImpliedVol = 20.0;

// Daily volumes (base currency per day) the liquidity add-on accepts. Below the floor an asset
// is as good as untraded and sqrt(N / ADV) overflows (found by fuzzing: 1e-309 gave an infinite
// margin); above the ceiling sums of volumes could overflow.
constexpr double kMinDailyVolume = 1e-6;
constexpr double kMaxDailyVolume = 1e30;

// A scenario's revaluation moving some instrument by more than this per unit (an implausible
// history, a vol times a shock far past any price move) is refused naming the row, never
// margined on infinities.
constexpr double kMaxUnitPnl = 1e100;

// The largest loss one leg can take in one scenario; its square with 1e40 of headroom for sums
// over legs and scenarios (Welford, the ES error) must stay finite.
constexpr double kMaxLegLoss = kMaxQuantity * kMaxContractSize * kMaxUnitPnl;
static_assert(kMaxLegLoss * kMaxLegLoss * 1e40 < std::numeric_limits<double>::max(),
              "input bounds must keep every account's losses and their squares finite");

}  // namespace xm
