// SLOPolicy and GateException documents: inheritance, the deadlines they
// hand to triage, and file:line errors.
#include "slo/slo_policy.h"

#include <gtest/gtest.h>

#include "alert/alert_policy.h"
#include "incident/roster.h"
#include "incident/severity.h"

#include "report_builder.h"
#include "store/store.h"
#include "test_util.h"
#include "triage/lint.h"
#include "triage/pipeline.h"

namespace secbudget {
namespace {

using testing::Padded;
using testing::TempDir;

constexpr const char* kSlo = R"(apiVersion: secbudget.dev/v1
kind: SLOPolicy
spec:
  defaults:
    objective: 95%
    window: month
    deadlines: {P2: 10d}
    alerts:
      digest: {enabled: false}
  scopes:
    - match: {team: payments, environment: prod}
      deadlines: {P1: 12h}
      alerts:
        page: {burn_rate: 10}
    - match: {team: payments}
      objective: 0.99
      deadlines: {P1: 24h, P3: 20d}
      backlog: {max_overdue: 3, max_oldest_overdue: 14d}
)";

struct Loaded {
  PolicySet set;
  SloPolicy slo;
};

Result<Loaded> Load(const TempDir& dir) {
  SloPolicyLoader loader;
  SB_ASSIGN_OR_RETURN(PolicySet set, LoadPolicy(dir.File("policy"), nullptr, {&loader}));
  return Loaded{std::move(set), loader.TakePolicy()};
}

TEST(SloPolicyTest, MoreSpecificScopesOverrideOnlyWhatTheyState) {
  TempDir dir;
  dir.Write("policy/slo.yaml", kSlo);
  auto l = Load(dir);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  // Defaults only.
  const ResolvedSlo other = l->slo.Resolve("storefront", "web", "prod");
  EXPECT_DOUBLE_EQ(other.settings.objective, 0.95);
  EXPECT_EQ(other.settings.window.kind, WindowKind::kMonth);
  ASSERT_EQ(other.settings.tiers.size(), 3u);
  EXPECT_FALSE(other.settings.tiers[2].enabled);
  EXPECT_EQ(other.applied.size(), 2u);
  // team=payments (1 key) then team+environment (2 keys), whatever the file order.
  const ResolvedSlo pay = l->slo.Resolve("payments", "api", "prod");
  EXPECT_DOUBLE_EQ(pay.settings.objective, 0.99);
  EXPECT_EQ(pay.settings.max_overdue, 3);
  EXPECT_EQ(pay.settings.max_oldest_overdue, 14 * kDay);
  EXPECT_DOUBLE_EQ(pay.settings.tiers[0].burn_rate, 10);
  EXPECT_EQ(pay.settings.tiers[0].long_window, kDay);  // inherited from the built-in tier
  ASSERT_EQ(pay.applied.size(), 4u);
  EXPECT_NE(pay.applied[3].find("team=payments,environment=prod"), std::string::npos);
  // In staging the prod-only rule does not apply.
  EXPECT_DOUBLE_EQ(l->slo.Resolve("payments", "api", "staging").settings.tiers[0].burn_rate, 6);
}

TEST(SloPolicyTest, ScopedDeadlinesReachTriage) {
  TempDir dir;
  dir.Write("policy/slo.yaml", kSlo);
  auto l = Load(dir);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  FindingRecord f;
  f.team = "payments";
  f.service = "api";
  f.environment = Environment::kProd;
  EXPECT_EQ(l->set.Deadline(Priority::kP1, f), 12 * kHour);  // team+env rule
  EXPECT_EQ(l->set.Deadline(Priority::kP2, f), 10 * kDay);   // defaults block
  EXPECT_EQ(l->set.Deadline(Priority::kP3, f), 20 * kDay);   // team rule
  EXPECT_EQ(l->set.Deadline(Priority::kP4, f), 90 * kDay);   // ranking policy
  f.environment = Environment::kStaging;
  EXPECT_EQ(l->set.Deadline(Priority::kP1, f), 24 * kHour);
  f.team = "storefront";
  EXPECT_EQ(l->set.Deadline(Priority::kP1, f), 48 * kHour);

  // Ingest: a new finding of the payments api gets the scope's deadline.
  dir.Write("policy/assets.yaml", testing::kApiAssetInventory);
  auto with_assets = Load(dir);
  ASSERT_TRUE(with_assets.ok()) << with_assets.status().ToString();
  auto db = OpenDatabase(dir.File("t.db"));
  ASSERT_TRUE(db.ok());
  FixedClock clock(ParseTime("2026-11-02T12:00:00Z").value());
  Triage triage(**db, with_assets->set, clock);
  testing::Vuln v;
  v.id = "CVE-2024-0001";
  v.package = "openssl";
  v.installed = "3.0.0";
  v.fixed = "3.0.1";
  auto s = triage.IngestBytes(Padded(testing::TrivyImage("ghcr.io/acme/api:1.0", "2026-11-02T06:00:00Z", {v})),
                              "r.json", {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<FindingRecord> found;
  ASSERT_TRUE((*db)
                  ->ScanFindings({},
                                 [&](const FindingRecord& r) {
                                   found.push_back(r);
                                   return true;
                                 })
                  .ok());
  ASSERT_EQ(found.size(), 1u);
  const TimePoint t = ParseTime("2026-11-02T06:00:00Z").value();
  EXPECT_EQ(found[0].due_at - t, with_assets->set.Deadline(found[0].priority, found[0]));
  EXPECT_NE(found[0].due_at - t, with_assets->set.ranking.Deadline(found[0].priority));
}

TEST(SloPolicyTest, ErrorsNameFileAndLine) {
  struct Case {
    const char* yaml;
    const char* message;
    std::uint64_t line;
  };
  const Case cases[] = {
      {"apiVersion: secbudget.dev/v1\nkind: SLOPolicy\nspec:\n  defaults:\n    objective: 95\n", "written 95% or 0.95",
       5},
      {"apiVersion: secbudget.dev/v1\nkind: SLOPolicy\nspec:\n  defaults:\n    window: fortnight\n", "window", 5},
      {"apiVersion: secbudget.dev/v1\nkind: SLOPolicy\nspec:\n  scopes:\n    - match: {}\n      objective: 90%\n",
       "at least one of team", 5},
      {"apiVersion: secbudget.dev/v1\nkind: SLOPolicy\nspec:\n  defaults:\n    alerts:\n      page: {long: 1h, "
       "short: 2h}\n",
       "short window", 5},
      {"apiVersion: secbudget.dev/v1\nkind: SLOPolicy\nspec:\n  defaults:\n    alerts:\n      fast: {burn_rate: 9}\n",
       "needs an urgency", 6},
      {"apiVersion: secbudget.dev/v1\nkind: SLOPolicy\nspec:\n  defaults:\n    objectve: 95%\n", "objectve", 5},
      {"apiVersion: secbudget.dev/v1\nkind: GateException\nspec:\n  service: api\n  reason: x\n  expires: "
       "2026-12-01\n",
       "owner", 4},
      {"apiVersion: secbudget.dev/v1\nkind: GateException\nspec:\n  service: api\n  owner: a\n  reason: x\n  "
       "created: 2026-11-01\n  expires: 2027-01-01\n",
       "longer than", 1},
  };
  for (const auto& c : cases) {
    TempDir dir;
    dir.Write("policy/slo.yaml", c.yaml);
    auto l = Load(dir);
    ASSERT_FALSE(l.ok()) << c.yaml;
    EXPECT_NE(l.status().message().find(c.message), std::string::npos) << l.status().ToString();
    EXPECT_NE(l.status().location().file.find("slo.yaml"), std::string::npos) << l.status().ToString();
    EXPECT_EQ(l.status().location().line, c.line) << l.status().ToString();
  }
}

TEST(SloPolicyTest, LintKnowsTheSloKinds) {
  TempDir dir;
  dir.Write("policy/slo.yaml", kSlo);
  dir.Write("policy/bad.yaml", "apiVersion: secbudget.dev/v1\nkind: SLOPolicies\nspec: {}\n");
  SloPolicyLoader loader;
  const LintReport r = LintPolicyDirectory(dir.File("policy"), {&loader});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message().find("known: RankingPolicy, AssetInventory, SLOPolicy, GateException"),
            std::string::npos)
      << r.errors[0].ToString();
}

TEST(SloPolicyTest, TheExamplePolicyLoads) {
  SloPolicyLoader loader;
  AlertPolicyLoader alerting;  // the directory also holds alerting.yaml and incidents.yaml
  incident::SeverityPolicyLoader severity;
  incident::RosterLoader roster;
  auto set = LoadPolicy(testing::SourceDir() + "/examples/policy", nullptr, {&loader, &alerting, &severity, &roster});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  const ResolvedSlo pay = loader.policy().Resolve("payments", "payments", "prod");
  EXPECT_DOUBLE_EQ(pay.settings.objective, 0.99);
}

}  // namespace
}  // namespace secbudget
