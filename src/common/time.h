// Time in secbudget: whole seconds since the Unix epoch, UTC.
//
// Every computation takes "now" from a Clock (see clock.h) so that tests and
// `--now` can set it; nothing below reads the wall clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace secbudget {

using TimePoint = std::int64_t;  // seconds since 1970-01-01T00:00:00Z
using Duration = std::int64_t;   // seconds

inline constexpr Duration kHour = 3600;
inline constexpr Duration kDay = 24 * kHour;

// Parses an RFC 3339 / ISO 8601 timestamp as reports write them:
//   2024-01-15T08:58:29.82753744Z, 2026-01-21T10:19:22+01:00,
//   2025-02-14T14:27:03.913874 (no zone: UTC), 2024-03-01 (midnight UTC),
//   2021-07-15 22:00:32 +0700.
// Fractions of a second are dropped. Fails on anything else, including
// out-of-range fields (month 13, hour 25).
Result<TimePoint> ParseTime(std::string_view text);

// "2024-03-01T12:00:00Z".
std::string FormatTime(TimePoint t);
// "2024-03-01".
std::string FormatDate(TimePoint t);

// Parses "48h", "7d", "90m", "30s", "2w", or a bare number of hours ("48").
// Combined units ("1d12h") are accepted. Fails on negative or empty input.
Result<Duration> ParseDuration(std::string_view text);
// "2d 4h", "45m", "0s"; negative durations get a leading "-".
std::string FormatDuration(Duration d);

// Days since 1970-01-01 for a civil date (proleptic Gregorian).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d);

}  // namespace secbudget
