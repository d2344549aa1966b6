#include "common/strings.h"

#include <gtest/gtest.h>

namespace secbudget {
namespace {

TEST(StringsTest, Globs) {
  EXPECT_TRUE(GlobMatch("ghcr.io/acme/*", "ghcr.io/acme/api"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_TRUE(GlobMatch("*-prod-*", "eks-prod-eu"));
  EXPECT_FALSE(GlobMatch("ghcr.io/acme/*", "ghcr.io/other/api"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_FALSE(GlobMatch("api", "api2"));
  // Backtracking to the last star only: no exponential blow-up.
  EXPECT_FALSE(GlobMatch(std::string(40, '*') + "b", std::string(10000, 'a')));
}

TEST(StringsTest, VersionOrder) {
  EXPECT_LT(CompareVersions("1.9.2", "1.10.0"), 0);
  EXPECT_GT(CompareVersions("2.17.1", "2.17.0"), 0);
  EXPECT_EQ(CompareVersions("1.02", "1.2"), 0);
  EXPECT_LT(CompareVersions("3.0.11-1~deb12u2", "3.0.13-1~deb12u1"), 0);
  EXPECT_GT(CompareVersions("1.0.0a", "1.0.0"), 0);
  EXPECT_EQ(CompareVersions("", ""), 0);
}

TEST(StringsTest, SmallHelpers) {
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(Trim("  x \n"), "x");
  EXPECT_TRUE(IContains("Exploit-DB.com", "exploit-db"));
  EXPECT_EQ(EscapePointerToken("a/b~c"), "a~1b~0c");
  EXPECT_EQ(Ellipsize("héllo", 2), "h\xE2\x80\xA6");  // never splits the é
  EXPECT_EQ(SanitizeForTerminal("a\x1b[31mb\nc"), "a [31mb c");
}

}  // namespace
}  // namespace secbudget
