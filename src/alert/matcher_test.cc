// Matchers as Alertmanager writes them, and the suppression index's
// agreement with a plain scan.
#include "alert/matcher.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "alert/suppression.h"

namespace secbudget {
namespace {

TEST(MatcherTest, ParsesTheFourOperatorsQuotedAndBare) {
  Labels l{{"team", "payments"}, {"severity", "high"}, {"vulnerability", "CVE-2024-3094"}};
  EXPECT_TRUE(Matcher::Parse(R"(team="payments")")->Matches(l));
  EXPECT_TRUE(Matcher::Parse("team=payments")->Matches(l));
  EXPECT_FALSE(Matcher::Parse(R"(team!="payments")")->Matches(l));
  EXPECT_TRUE(Matcher::Parse(R"(vulnerability=~"CVE-2024-.*")")->Matches(l));
  EXPECT_FALSE(Matcher::Parse(R"(vulnerability=~"CVE-2024")")->Matches(l));  // anchored both ends
  EXPECT_TRUE(Matcher::Parse(R"(severity!~"low|medium")")->Matches(l));
  // An absent label matches as "".
  EXPECT_TRUE(Matcher::Parse(R"(env="")")->Matches(l));
  EXPECT_TRUE(Matcher::Parse(R"(env!~".+")")->Matches(l));
  // Escapes round-trip.
  auto m = Matcher::Parse(R"(summary="say \"hi\" \\ there")");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value(), R"(say "hi" \ there)");
  EXPECT_EQ(Matcher::Parse(m->ToString())->value(), m->value());
}

// Literal patterns between `.*`s are decided without RE2; every answer must
// be RE2's.
TEST(MatcherTest, LiteralRegexShortcutsAgreeWithRe2) {
  const std::vector<std::string> patterns = {"CVE-2024-.*", ".*secret.*", ".*-prod", "payments",    "",
                                             ".*",          ".*.*",       ".*a.*b",  R"(\.*)",      "a.b",
                                             "pkg-1.*",     ".*pkg-19.*", "x|y",     "(?i)SECRET.*"};
  const std::vector<std::string> values = {"",
                                           "CVE-2024-3094",
                                           "CVE-2023-1",
                                           "a secret leaked",
                                           "secret",
                                           "line one\nsecret line two",
                                           "secret\n",
                                           "api-prod",
                                           "api-prod\n",
                                           "payments",
                                           "payments ",
                                           "a\xC3\xA9secret",
                                           "\xFF\xFEsecret",
                                           "pkg-19 in svc",
                                           "axb",
                                           "a.b",
                                           ".",
                                           "x",
                                           "CVE-2024-\n",
                                           "pkg-19\xFF",
                                           "\xC3\xA9-prod",
                                           "payments\n"};
  for (const std::string& p : patterns) {
    const auto m = Matcher::Make("v", MatchOp::kRegex, p);
    ASSERT_TRUE(m.ok()) << p;
    const auto not_m = Matcher::Make("v", MatchOp::kNotRegex, p);
    const RE2 re("^(?:" + p + ")$");
    for (const std::string& v : values) {
      const bool want = RE2::FullMatch(v, re);
      EXPECT_EQ(m->MatchesValue(v), want) << "pattern \"" << p << "\" value \"" << v << "\"";
      EXPECT_EQ(not_m->MatchesValue(v), !want) << p;
    }
  }
}

TEST(MatcherTest, RejectsMalformedMatchers) {
  for (const char* bad : {"team", "=x", R"(team="open)", R"(team="a" b)", R"(x=~"(")", "te am=x"}) {
    EXPECT_FALSE(Matcher::Parse(bad).ok()) << bad;
  }
}

TEST(SuppressionIndexTest, AgreesWithAScanOverEveryShapeOfSuppression) {
  std::vector<Suppression> all;
  auto add = [&](std::string id, std::vector<std::string> matchers, std::vector<std::string> services = {}) {
    Suppression s;
    s.id = std::move(id);
    for (const auto& m : matchers) s.matchers.push_back(*Matcher::Parse(m));
    s.services = std::move(services);
    s.created = 0;
    s.expires = 10 * kDay;
    all.push_back(std::move(s));
  };
  add("by-vuln", {R"(vulnerability="CVE-1")"});
  add("by-vuln-and-package", {R"(vulnerability="CVE-2")", R"(package="zlib")"});
  add("by-prefix", {}, {"pay*"});
  add("scanned-regex", {R"(summary=~".*secret.*")"});
  add("by-finding", {R"(finding="00000000000000aa")"});
  add("two-prefixes", {R"(severity!="low")"}, {"chk*", "chko*"});  // one id from two prefix lists
  add("after-two-prefixes", {}, {"chkout"});
  const SuppressionIndex index(&all);
  const std::vector<Labels> items = {
      {{"vulnerability", "CVE-1"}},
      {{"vulnerability", "CVE-2"}, {"package", "zlib"}},
      {{"vulnerability", "CVE-2"}, {"package", "openssl"}},
      {{"service", "payments"}},
      {{"service", "checkout"}},
      {{"summary", "a secret leaked"}},
      {{"finding", "00000000000000aa"}, {"service", "payroll"}},
      {{"service", "chkout"}},
      {{"service", "chkout"}, {"severity", "low"}},
  };
  for (const Labels& l : items) {
    const Suppression* scan = nullptr;
    for (const Suppression& s : all) {
      if (s.Matches(l)) {
        scan = &s;
        break;
      }
    }
    const SuppressionMatch m = index.Match(l, kDay);
    EXPECT_EQ(m.applied, scan) << (scan != nullptr ? scan->id : "none");
  }
  // Time and priority limits.
  EXPECT_EQ(index.Match({{"vulnerability", "CVE-1"}}, 10 * kDay).applied, nullptr);  // expired
  SuppressionLimits tight;
  tight.max_by_priority[0] = kDay;
  const SuppressionIndex strict(&all, tight);
  const SuppressionMatch m = strict.Match({{"vulnerability", "CVE-1"}, {"priority", "P1"}}, kDay);
  EXPECT_EQ(m.applied, nullptr);
  ASSERT_EQ(m.rejected.size(), 1u);
  EXPECT_NE(m.rejected[0].second.find("longer than"), std::string::npos);
  EXPECT_EQ(strict.Match({{"vulnerability", "CVE-1"}, {"priority", "P2"}}, kDay).applied, &all[0]);
}

}  // namespace
}  // namespace secbudget
