// The alerting policy kinds through `lint`: every key read, and mistakes
// reported with file and line.
#include "alert/alert_policy.h"

#include <gtest/gtest.h>

#include "common/yaml.h"
#include "incident/roster.h"
#include "incident/severity.h"
#include "slo/slo_policy.h"
#include "test_util.h"
#include "triage/lint.h"

namespace secbudget {
namespace {

Status Load(const std::string& text, AlertPolicy* out = nullptr) {
  testing::TempDir dir;
  dir.Write("p/alerting.yaml", text);
  AlertPolicyLoader loader;
  auto set = LoadPolicy(dir.File("p"), nullptr, {&loader});
  if (set.ok() && out != nullptr) *out = loader.TakePolicy();
  return set.ok() ? Status::OK() : set.status();
}

constexpr const char* kHeader = "apiVersion: secbudget.dev/v1\nkind: AlertRouting\nspec:\n";

TEST(AlertPolicyTest, TheExamplePolicyLoadsWithEveryPart) {
  SloPolicyLoader slo;
  AlertPolicyLoader alert;
  incident::SeverityPolicyLoader severity;  // the directory also holds incidents.yaml
  incident::RosterLoader roster;
  auto set = LoadPolicy(testing::SourceDir() + "/examples/policy", nullptr, {&slo, &alert, &severity, &roster});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  const AlertPolicy& p = alert.policy();
  EXPECT_TRUE(p.configured);
  EXPECT_EQ(p.receivers.size(), 3u);
  EXPECT_EQ(p.root.receiver, "security-feed");
  ASSERT_EQ(p.root.routes.size(), 3u);
  EXPECT_EQ(p.root.routes[0].urgency, Urgency::kDigest);  // dev findings first: they never page
  EXPECT_EQ(p.root.routes[1].receiver, "payments-pager");
  EXPECT_EQ(p.root.routes[1].group_wait, 0);
  EXPECT_EQ(p.root.routes[1].repeat_interval, 4 * kHour);  // inherited
  EXPECT_EQ(p.inhibit_rules.size(), 2u);
  EXPECT_EQ(p.capacity.PagesFor("payments"), 2);
  EXPECT_EQ(p.capacity.PagesFor("storefront"), 3);
  EXPECT_EQ(p.capacity.shift_start, 8 * kHour);
  EXPECT_EQ(p.limits.max_by_priority[0], 14 * kDay);
  ASSERT_EQ(p.suppressions.size(), 1u);
  EXPECT_EQ(p.suppressions[0].services, std::vector<std::string>{"batch"});
  EXPECT_FALSE(p.suppressions[0].compensating_control.empty());
}

TEST(AlertPolicyTest, ShiftBoundaries) {
  CapacityPolicy c;  // 12h shifts from 08:00 UTC
  const TimePoint day = 20000 * kDay;
  EXPECT_EQ(c.ShiftStart(day + 9 * kHour), day + 8 * kHour);
  EXPECT_EQ(c.ShiftStart(day + 7 * kHour), day - 4 * kHour);  // the night shift from 20:00
  EXPECT_EQ(c.ShiftStart(day + 20 * kHour), day + 20 * kHour);
}

TEST(AlertPolicyTest, MistakesNameFileAndLine) {
  struct Case {
    std::string text;
    std::string message;
    int line;
  };
  const std::vector<Case> cases = {
      {std::string(kHeader) + "  route: {receiver: nobody}\n", "names receiver \"nobody\"", 0},
      {std::string(kHeader) + "  route:\n    matchers: ['a=\"b\"']\n", "root route matches every alert", 5},
      {std::string(kHeader) + "  route:\n    routes:\n      - matchers: ['team=~\"(\"']\n", "bad regular expression",
       6},
      {std::string(kHeader) + "  receivers:\n    - name: x\n      webhook: {url: ftp://x}\n  route: {}\n",
       "must start with http", 6},
      {std::string(kHeader) + "  receivers:\n    - name: x\n  route: {}\n", "exactly one of webhook", 5},
      {std::string(kHeader) + "  route: {group_wait: soon}\n", "not a duration", 4},
      {std::string(kHeader) + "  route: {}\n  capacity: {shift_start: \"25:00\"}\n", "time of day", 5},
      {std::string(kHeader) + "  route: {}\n  findings: {urgency: {P1: loud}}\n", "page, ticket, digest or none", 5},
      {"apiVersion: secbudget.dev/v1\nkind: Suppression\nmetadata: {name: s}\nspec:\n  matchers: ['a=\"b\"']\n"
       "  reason: r\n  owner: o\n  approver: a\n  created: 2026-11-01\n",
       "expires", 0},
      {"apiVersion: secbudget.dev/v1\nkind: Suppression\nmetadata: {name: s}\nspec:\n  reason: r\n  owner: o\n"
       "  approver: a\n  created: 2026-11-01\n  expires: 2026-11-02\n",
       "matches everything", 5},
      {"apiVersion: secbudget.dev/v1\nkind: Suppression\nmetadata: {name: s}\nspec:\n  matchers: ['a=\"b\"']\n"
       "  reason: r\n  owner: o\n  approver: a\n  created: 2026-11-01\n  expires: 2028-11-02\n",
       "longer than any priority allows", 0},
      {"apiVersion: secbudget.dev/v1\nkind: SuppressionPolicy\nspec:\n  max_duration: {P7: 3d}\n", "P7", 4},
  };
  for (const Case& c : cases) {
    const Status s = Load(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.ToString().find(c.message), std::string::npos) << s.ToString();
    EXPECT_NE(s.ToString().find("alerting.yaml"), std::string::npos) << s.ToString();
    if (c.line > 0) {
      EXPECT_NE(s.ToString().find(":" + std::to_string(c.line) + ":"), std::string::npos) << s.ToString();
    }
  }
}

TEST(AlertPolicyTest, DocumentsOfTheWrongShapeAreErrorsNotExceptions) {
  // Found by fuzz_policy: a document that is not a map (or whose spec is not
  // one) must come back as a schema error from every kind's loader.
  for (const char* text : {"- a\n- b\n", "just text\n", "spec: [1, 2]\n", "spec:\n  - x\n"}) {
    auto docs = ParseYamlDocuments(text, "odd.yaml");
    ASSERT_TRUE(docs.ok());
    for (const auto& doc : *docs) {
      AlertPolicyLoader alert;
      SloPolicyLoader slo;
      for (const char* kind : {"AlertRouting", "Suppression", "SuppressionPolicy"}) {
        EXPECT_FALSE(alert.AddDocument(kind, doc, "odd.yaml").ok()) << kind << " " << text;
      }
      for (const char* kind : {"SLOPolicy", "GateException"}) {
        EXPECT_FALSE(slo.AddDocument(kind, doc, "odd.yaml").ok()) << kind << " " << text;
      }
    }
  }
}

TEST(AlertPolicyTest, LintReportsAlertingFiles) {
  testing::TempDir dir;
  dir.Write("p/alerting.yaml", std::string(kHeader) + "  route: {receiver: ghost}\n");
  SloPolicyLoader slo;
  AlertPolicyLoader alert;
  const LintReport r = LintPolicyDirectory(dir.File("p"), {&slo, &alert});
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].ToString().find("ghost"), std::string::npos);
}

// Urgencies read in any case and with surrounding space, the usual
// lowercase spelling by its fast path, and nothing else.
TEST(AlertPolicyTest, UrgencyParsesInAnyCase) {
  EXPECT_EQ(ParseUrgency("page"), Urgency::kPage);
  EXPECT_EQ(ParseUrgency("ticket"), Urgency::kTicket);
  EXPECT_EQ(ParseUrgency("digest"), Urgency::kDigest);
  EXPECT_EQ(ParseUrgency(" Page "), Urgency::kPage);
  EXPECT_EQ(ParseUrgency("TICKET"), Urgency::kTicket);
  EXPECT_EQ(ParseUrgency("Digest\t"), Urgency::kDigest);
  for (const Urgency u : {Urgency::kPage, Urgency::kTicket, Urgency::kDigest}) EXPECT_EQ(ParseUrgency(Name(u)), u);
  EXPECT_EQ(ParseUrgency(""), std::nullopt);
  EXPECT_EQ(ParseUrgency("pager"), std::nullopt);
  EXPECT_EQ(ParseUrgency("pag"), std::nullopt);
}

}  // namespace
}  // namespace secbudget
