#include "common/time.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <vector>

namespace secbudget {
namespace {

TEST(TimeTest, ParsesTheTimestampsReportsWrite) {
  EXPECT_EQ(ParseTime("1970-01-01T00:00:00Z").value(), 0);
  EXPECT_EQ(ParseTime("2024-03-01").value(), 1709251200);
  EXPECT_EQ(ParseTime("2024-03-01T12:00:00Z").value(), 1709294400);
  EXPECT_EQ(ParseTime("2024-01-15T08:58:29.82753744Z").value(), ParseTime("2024-01-15T08:58:29Z").value());
  EXPECT_EQ(ParseTime("2026-01-21T10:19:22.484900675+01:00").value(), ParseTime("2026-01-21T09:19:22Z").value());
  EXPECT_EQ(ParseTime("2021-07-15 22:00:32 +0700").value(), ParseTime("2021-07-15T15:00:32Z").value());
  EXPECT_EQ(ParseTime("2025-02-14T14:27:03.913874").value(), ParseTime("2025-02-14T14:27:03Z").value());
  EXPECT_EQ(ParseTime("2024-02-29T00:00:00-05:30").value(), ParseTime("2024-02-29T05:30:00Z").value());
}

TEST(TimeTest, RejectsWhatIsNotATime) {
  for (const char* bad : {"", "2024", "2024-13-01", "2023-02-29", "2024-01-32", "2024-01-01T25:00:00Z",
                          "2024-01-01T10:00Z junk", "yesterday", "2024-01-01T10:00:00+25:00", "2024-01-01T10:00:00."}) {
    auto r = ParseTime(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kParseError);
    }
  }
}

TEST(TimeTest, FormatsAndRoundTrips) {
  EXPECT_EQ(FormatTime(1709294400), "2024-03-01T12:00:00Z");
  EXPECT_EQ(FormatDate(1709294400), "2024-03-01");
  EXPECT_EQ(FormatTime(-1), "1969-12-31T23:59:59Z");
  for (const TimePoint t : {0LL, 951782400LL, 4102444799LL, 1709294400LL})
    EXPECT_EQ(ParseTime(FormatTime(t)).value(), t);
}

// The digits FormatTime writes itself agree with the fmt format it replaced,
// across days, leap years, the epoch and the ends of the fast range (years
// 0-9999); outside it, fmt still writes the year.
TEST(TimeTest, FormatTimeAgreesWithTheFmtFormatEverywhere) {
  const auto reference = [](TimePoint t) {
    const TimePoint days = t / kDay - (t % kDay < 0 ? 1 : 0);
    const TimePoint rem = t - days * kDay;
    // Days to civil date (Howard Hinnant's algorithm), independently of time.cc.
    const TimePoint z = days + 719468;
    const TimePoint era = (z >= 0 ? z : z - 146096) / 146097;
    const TimePoint doe = z - era * 146097;
    const TimePoint yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const TimePoint doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const TimePoint mp = (5 * doy + 2) / 153;
    const TimePoint d = doy - (153 * mp + 2) / 5 + 1;
    const TimePoint m = mp < 10 ? mp + 3 : mp - 9;
    const TimePoint y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, rem / 3600, (rem / 60) % 60, rem % 60);
  };
  std::vector<TimePoint> times = {0,
                                  -1,
                                  59,
                                  3599,
                                  86399,
                                  86400,
                                  951782400,
                                  951868799,
                                  4102444799,
                                  1709294400,
                                  -62167219200,   // 0000-01-01T00:00:00Z
                                  -62167219201,   // the second before: year -1
                                  253402300799,   // 9999-12-31T23:59:59Z
                                  253402300800};  // 10000-01-01
  for (TimePoint t = -3'000'000'000; t < 5'000'000'000; t += 86'399'937) times.push_back(t);
  for (const TimePoint t : times) EXPECT_EQ(FormatTime(t), reference(t)) << t;
}

TEST(TimeTest, Durations) {
  EXPECT_EQ(ParseDuration("48h").value(), 48 * kHour);
  EXPECT_EQ(ParseDuration("48").value(), 48 * kHour);
  EXPECT_EQ(ParseDuration("7d").value(), 7 * kDay);
  EXPECT_EQ(ParseDuration("1d12h").value(), 36 * kHour);
  EXPECT_EQ(ParseDuration("2w").value(), 14 * kDay);
  EXPECT_EQ(ParseDuration("90m").value(), 90 * 60);
  for (const char* bad : {"", "h", "-1h", "1y", "1d12", "1.5h"}) EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  EXPECT_EQ(FormatDuration(36 * kHour), "1d 12h");
  EXPECT_EQ(FormatDuration(2 * kDay), "2d");
  EXPECT_EQ(FormatDuration(90 * 60), "1h 30m");
  EXPECT_EQ(FormatDuration(-45 * 60), "-45m");
  EXPECT_EQ(FormatDuration(0), "0s");
}

}  // namespace
}  // namespace secbudget
