#pragma once
// RFC 3339 timestamps (contract §1), e.g. 2026-11-24T00:00:00Z or 2026-12-26T08:00:00.5+01:00,
// and calendar days ("YYYY-MM-DD", days since 1970-01-01) for daily price history.

#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "host/model/Units.h"

namespace xm {

// Seconds since the Unix epoch, UTC; nullopt when `text` is not a valid RFC 3339 date-time.
std::optional<double> parseRfc3339(std::string_view text);

// "YYYY-MM-DDThh:mm:ssZ" (fractions of a second dropped).
std::string formatRfc3339(double secondsSinceEpoch);

// Days since the epoch of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long daysFromCivil(long long y, unsigned m, unsigned d);

// The UTC day a time falls on, in days since the epoch.
inline long long dayOf(double secondsSinceEpoch) {
  return static_cast<long long>(std::floor(secondsSinceEpoch / kSecondsPerDay));
}

// "YYYY-MM-DD" to days since the epoch; nullopt unless exactly a valid date of that form.
std::optional<long long> parseDate(std::string_view text);
// Days since the epoch to "YYYY-MM-DD".
std::string formatDate(long long day);

}  // namespace xm
