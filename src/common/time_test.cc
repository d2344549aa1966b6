#include "common/time.h"

#include <gtest/gtest.h>

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
