#include "model/cvss.h"

#include <gtest/gtest.h>

namespace secbudget {
namespace {

// Reference scores from the FIRST CVSS v3.1 calculator.
TEST(CvssTest, V3BaseScores) {
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10.0);
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N"), 5.9);
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"), 7.8);
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"), 7.5);
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N"), 0.0);
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N"), 7.7);
}

TEST(CvssTest, RejectsWhatIsNotAV3Vector) {
  EXPECT_FALSE(CvssV3BaseScore("AV:N/AC:L/Au:N/C:P/I:P/A:P"));
  EXPECT_FALSE(CvssV3BaseScore("CVSS:3.1/AV:N/AC:L"));
  EXPECT_FALSE(CvssV3BaseScore("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
  EXPECT_FALSE(CvssV3BaseScore(""));
}

TEST(CvssTest, MetricLookup) {
  const std::string v = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
  EXPECT_EQ(CvssMetric(v, "AV"), "N");
  EXPECT_EQ(CvssMetric(v, "VC"), "H");
  EXPECT_EQ(CvssMetric(v, "C"), "");  // not VC
  // The first occurrence counts; the value is everything after the first
  // colon; parts without a colon, and empty parts, are skipped.
  EXPECT_EQ(CvssMetric("AV:N/AV:L", "AV"), "N");
  EXPECT_EQ(CvssMetric("AVX/AV:/AV:L", "AV"), "");
  EXPECT_EQ(CvssMetric("x//I:H:X", "I"), "H:X");
  EXPECT_EQ(CvssMetric("A:B", "A:B"), "");
  auto parsed = ParseCvssVector(v);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->major_version, 4);
  auto v2 = ParseCvssVector("(AV:N/AC:M/Au:N/C:P/I:N/A:N)");
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->major_version, 2);
  EXPECT_EQ(v2->Get("AC"), "M");
  EXPECT_FALSE(ParseCvssVector("not a vector"));
}

}  // namespace
}  // namespace secbudget
