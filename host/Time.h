#pragma once
// RFC 3339 timestamps (contract §1), e.g. 2026-11-24T00:00:00Z or 2026-12-26T08:00:00.5+01:00.

#include <optional>
#include <string>
#include <string_view>

namespace xm {

// Seconds since the Unix epoch, UTC; nullopt when `text` is not a valid RFC 3339 date-time.
std::optional<double> parseRfc3339(std::string_view text);

// Days since the epoch of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long daysFromCivil(long long y, unsigned m, unsigned d);

}  // namespace xm

namespace xm {
// "YYYY-MM-DDThh:mm:ssZ" (fractions of a second dropped).
std::string formatRfc3339(double secondsSinceEpoch);
}  // namespace xm
