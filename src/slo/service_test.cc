// The slo service over a real SQLite file: histories read back from the
// event log, status as of past times, gate decisions with exceptions,
// breaches, alerts, history series and the OpenSLO export.
#include "slo/service.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "common/yaml.h"
#include "store/store.h"
#include "test_util.h"

namespace secbudget {
namespace {

using testing::TempDir;

const TimePoint T0 = ParseTime("2026-11-01T00:00:00Z").value();

class SloServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenDatabase(dir_.File("slo.db")).value();
    LoadPolicyText(kPolicy);
  }

  static constexpr const char* kPolicy = R"(apiVersion: secbudget.dev/v1
kind: SLOPolicy
spec:
  defaults:
    objective: 90%
    window: 28d
    breach_recovery: 2d
    escalation: security-lead
  scopes:
    - match: {team: payments}
      objective: 80%
---
apiVersion: secbudget.dev/v1
kind: GateException
metadata: {name: api-hotfix}
spec:
  service: api
  owner: alice
  reason: hotfix for an outage while the budget recovers
  created: 2026-11-10T00:00:00Z
  expires: 2026-11-12T00:00:00Z
)";

  void LoadPolicyText(const std::string& text) {
    dir_.Write("policy/slo.yaml", text);
    SloPolicyLoader loader;
    auto set = LoadPolicy(dir_.File("policy"), nullptr, {&loader});
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    policy_ = std::make_unique<SloPolicy>(loader.TakePolicy());
    service_ = std::make_unique<SloService>(*db_, *policy_);
  }

  // A finding of `service` (team payments, prod) opened at `open` due at
  // `due`, fixed at `fixed` when given.
  void AddFinding(const std::string& service, TimePoint open, TimePoint due, std::optional<TimePoint> fixed = {},
                  const std::string& team = "payments", Environment environment = Environment::kProd) {
    FindingRecord f;
    f.id = ++next_id_;
    f.identity = "finding-" + std::to_string(f.id);
    f.service = service;
    f.team = team;
    f.environment = environment;
    f.status = fixed ? FindingStatus::kFixed : FindingStatus::kOpen;
    f.first_seen = f.period_start = open;
    f.due_at = due;
    ASSERT_TRUE(db_->Begin().ok());
    ASSERT_TRUE(db_->InsertFinding(f).ok());
    EventRecord e;
    e.finding_id = f.id;
    e.at = open;
    e.type = EventType::kOpened;
    e.priority = Priority::kP2;
    e.due_at = due;
    ASSERT_TRUE(db_->AppendEvent(&e).ok());
    if (fixed) {
      EventRecord x;
      x.finding_id = f.id;
      x.at = *fixed;
      x.type = EventType::kFixed;
      ASSERT_TRUE(db_->AppendEvent(&x).ok());
    }
    ASSERT_TRUE(db_->Commit().ok());
  }

  TempDir dir_;
  FixedClock clock_{T0};
  std::unique_ptr<Database> db_;
  std::unique_ptr<SloPolicy> policy_;
  std::unique_ptr<SloService> service_;
  std::uint64_t next_id_ = 0;
};

TEST_F(SloServiceTest, StatusPerUnitFromTheEventLog) {
  // api: 4 in time, 1 late -> 4/5; objective 80% (payments) allows 1: 0 left.
  for (int i = 0; i < 4; ++i) AddFinding("api", T0, T0 + 2 * kDay, T0 + kDay);
  AddFinding("api", T0, T0 + 2 * kDay, T0 + 3 * kDay);
  // web (team storefront, objective 90%): 1 in time.
  AddFinding("web", T0, T0 + 2 * kDay, T0 + kDay, "storefront");
  auto st = service_->Statuses({}, T0 + 5 * kDay);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_EQ(st->size(), 2u);
  const UnitStatus& api = (*st)[0];  // worst first
  EXPECT_EQ(api.unit.service, "api");
  EXPECT_DOUBLE_EQ(api.slo.settings.objective, 0.8);
  EXPECT_EQ(api.figures.good, 4);
  EXPECT_EQ(api.figures.bad, 1);
  EXPECT_DOUBLE_EQ(api.figures.sli, 0.8);
  EXPECT_NEAR(api.figures.remaining, 0.0, 1e-9);
  EXPECT_EQ(api.figures.state, BudgetState::kExhausted);
  ASSERT_FALSE(api.actions.empty());
  EXPECT_EQ(api.actions.back(), "escalate to security-lead");
  const UnitStatus& web = (*st)[1];
  EXPECT_EQ(web.unit.team, "storefront");
  EXPECT_DOUBLE_EQ(web.slo.settings.objective, 0.9);
  EXPECT_EQ(web.figures.state, BudgetState::kHealthy);
  // A scope filter reads only that unit.
  UnitFilter only_web;
  only_web.service = "web";
  auto w = service_->Statuses(only_web, T0 + 5 * kDay);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->size(), 1u);
  EXPECT_EQ((*w)[0].figures.good, 1);
}

TEST_F(SloServiceTest, PastStatusIgnoresLaterEvents) {
  for (int i = 0; i < 4; ++i) AddFinding("api", T0, T0 + 2 * kDay, T0 + kDay);
  auto before = service_->Statuses({}, T0 + 3 * kDay);
  ASSERT_TRUE(before.ok());
  // Later history: a finding opened on day 10 and missed on day 12.
  AddFinding("api", T0 + 10 * kDay, T0 + 12 * kDay);
  auto again = service_->Statuses({}, T0 + 3 * kDay);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(before->size(), 1u);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].figures.good, (*before)[0].figures.good);
  EXPECT_EQ((*again)[0].figures.bad, 0);
  EXPECT_EQ((*again)[0].figures.state, (*before)[0].figures.state);
  auto later = service_->Statuses({}, T0 + 13 * kDay);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)[0].figures.bad, 1);
}

TEST_F(SloServiceTest, GateFailsOnExhaustedBudgetAndHonoursExceptions) {
  for (int i = 0; i < 4; ++i) AddFinding("api", T0, T0 + 2 * kDay, T0 + kDay);
  AddFinding("api", T0, T0 + 2 * kDay);  // open, missed on day 2
  // Day 5: 4 good, 1 bad; 80% allows 1 -> 0 left: exhausted -> fail.
  GateRequest req{"api", "", false};
  auto d = service_->Gate(req, T0 + 5 * kDay);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->pass);
  EXPECT_FALSE(d->exception.has_value());
  // A security fix ships anyway.
  req.security_fix = true;
  EXPECT_TRUE(service_->Gate(req, T0 + 5 * kDay)->pass);
  req.security_fix = false;
  // The exception is valid from Nov 10 (T0 + 9d) to Nov 12 (T0 + 11d),
  // expiry excluded.
  auto ex = service_->Gate(req, T0 + 10 * kDay);
  ASSERT_TRUE(ex.ok());
  EXPECT_TRUE(ex->pass);
  ASSERT_TRUE(ex->exception.has_value());
  EXPECT_EQ(ex->exception->owner, "alice");
  auto expired = service_->Gate(req, T0 + 11 * kDay);
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->pass);
  ASSERT_EQ(expired->notes.size(), 1u);
  EXPECT_NE(expired->notes[0].find("expired"), std::string::npos);
  auto early = service_->Gate(req, T0 + 9 * kDay - 1);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->pass);
  // A healthy service passes; an unknown one passes with a note.
  AddFinding("web", T0, T0 + 2 * kDay, T0 + kDay, "storefront");
  EXPECT_TRUE(service_->Gate({"web", "", false}, T0 + 5 * kDay)->pass);
  auto unknown = service_->Gate({"nosuch", "", false}, T0 + 5 * kDay);
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->pass);
  ASSERT_EQ(unknown->notes.size(), 1u);
}

TEST_F(SloServiceTest, GateByEnvironmentAndPoliciesThatDoNotFreeze) {
  LoadPolicyText(R"(apiVersion: secbudget.dev/v1
kind: SLOPolicy
spec:
  defaults:
    objective: 90%
    window: month
  scopes:
    - match: {environment: dev}
      freeze_on_exhausted: false
)");
  // prod: 9 in time, 1 missed -> allowed 1, remaining 0: exhausted.
  for (int i = 0; i < 9; ++i) AddFinding("api", T0, T0 + 2 * kDay, T0 + kDay);
  AddFinding("api", T0, T0 + 2 * kDay);
  // dev: every deadline missed, but dev does not freeze releases.
  AddFinding("api", T0, T0 + 2 * kDay, std::nullopt, "payments", Environment::kDev);
  const TimePoint at = T0 + 5 * kDay;
  EXPECT_FALSE(service_->Gate({"api", "", false}, at)->pass);
  EXPECT_FALSE(service_->Gate({"api", "prod", false}, at)->pass);
  auto dev = service_->Gate({"api", "dev", false}, at);
  ASSERT_TRUE(dev.ok());
  ASSERT_EQ(dev->units.size(), 1u);
  EXPECT_EQ(dev->units[0].figures.state, BudgetState::kExhausted);
  EXPECT_TRUE(dev->pass);
  // 9 in time, none missed yet (day 1): healthy; with one more miss in a
  // larger set: under the 50% line -> at risk.
  auto early = service_->Statuses({"payments", "api", "prod"}, T0 + kDay);
  ASSERT_TRUE(early.ok());
  ASSERT_EQ(early->size(), 1u);
  EXPECT_EQ((*early)[0].figures.state, BudgetState::kHealthy);
  for (int i = 0; i < 9; ++i) AddFinding("api", T0, T0 + 2 * kDay, T0 + kDay);
  // prod now: 18 good, 1 bad; allowed 1.9; remaining 0.9/1.9 = 47% < 50%.
  auto later = service_->Statuses({"payments", "api", "prod"}, at);
  ASSERT_TRUE(later.ok());
  EXPECT_NEAR((*later)[0].figures.remaining, 0.9 / 1.9, 1e-9);
  EXPECT_EQ((*later)[0].figures.state, BudgetState::kAtRisk);
  // The calendar window reaches OpenSLO as a non-rolling 1M window.
  auto y = service_->ExportOpenSlo({"payments", "api", "prod"}, at);
  ASSERT_TRUE(y.ok());
  auto docs = ParseYamlDocuments(*y, "export.yaml");
  ASSERT_TRUE(docs.ok());
  bool found = false;
  for (const auto& d : *docs) {
    if (d["kind"].as<std::string>() != "SLO") continue;
    found = true;
    EXPECT_EQ(d["spec"]["timeWindow"][0]["duration"].as<std::string>(), "1M");
    EXPECT_FALSE(d["spec"]["timeWindow"][0]["isRolling"].as<bool>());
    EXPECT_EQ(d["spec"]["timeWindow"][0]["calendar"]["timeZone"].as<std::string>(), "UTC");
  }
  EXPECT_TRUE(found);
}

TEST_F(SloServiceTest, BreachRecordedAsEventsZeroesTheBudget) {
  for (int i = 0; i < 4; ++i) AddFinding("api", T0, T0 + 2 * kDay, T0 + kDay);
  BreachRequest req;
  req.service = "api";
  req.summary = "stolen deploy key used";
  req.actor = "bob";
  auto b = service_->DeclareBreach(req, T0 + 3 * kDay);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->id, "breach-1");
  EXPECT_EQ(service_->Gate({"api", "", false}, T0 + 3 * kDay - 1)->pass, true);
  auto during = service_->Gate({"api", "", false}, T0 + 4 * kDay);
  ASSERT_TRUE(during.ok());
  EXPECT_FALSE(during->pass);
  ASSERT_TRUE(service_->ResolveBreach("breach-1", "bob", T0 + 5 * kDay).ok());
  EXPECT_FALSE(service_->ResolveBreach("breach-1", "bob", T0 + 6 * kDay).ok());  // already resolved
  EXPECT_FALSE(service_->ResolveBreach("nope", "bob", T0 + 6 * kDay).ok());
  // Recovery of 2 days after the resolution.
  EXPECT_FALSE(service_->Gate({"api", "", false}, T0 + 7 * kDay - 1)->pass);
  EXPECT_TRUE(service_->Gate({"api", "", false}, T0 + 7 * kDay)->pass);
  // Another service is untouched by this breach.
  AddFinding("web", T0, T0 + 2 * kDay, T0 + kDay, "storefront");
  EXPECT_TRUE(service_->Gate({"web", "", false}, T0 + 4 * kDay)->pass);
  auto list = service_->ListBreaches();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].resolved, T0 + 5 * kDay);
}

TEST_F(SloServiceTest, HistoryIsADailySeries) {
  AddFinding("api", T0, T0 + 2 * kDay, T0 + kDay);  // good on day 1
  AddFinding("api", T0, T0 + 3 * kDay);             // bad from day 3
  auto h = service_->History({}, T0, T0 + 4 * kDay + 5);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->size(), 5u);  // days 0..4 at midnight
  EXPECT_EQ((*h)[0].at, T0);
  EXPECT_EQ((*h)[0].figures.total, 0);
  EXPECT_EQ((*h)[1].figures.good, 1);  // fixed exactly at day 1 00:00
  EXPECT_EQ((*h)[3].figures.bad, 0);   // due exactly at day 3 00:00: not yet missed
  EXPECT_EQ((*h)[4].figures.bad, 1);
  EXPECT_EQ((*h)[4].figures.overdue, 1);
}

TEST_F(SloServiceTest, AlertsCarryBudgetAndExhaustion) {
  // 30 good outcomes on days 1-3, then in the last 2 hours before day 20,
  // two misses: page tier (1d/2h, 6x) sees 2 bad of 2 -> 10x at 90%.
  LoadPolicyText(R"(apiVersion: secbudget.dev/v1
kind: SLOPolicy
spec:
  defaults:
    objective: 90%
    window: 28d
)");
  for (int i = 0; i < 30; ++i) AddFinding("api", T0, T0 + 5 * kDay, T0 + kDay + i * 2 * kHour, "storefront");
  AddFinding("api", T0 + 19 * kDay, T0 + 20 * kDay - kHour, std::nullopt, "storefront");
  AddFinding("api", T0 + 19 * kDay, T0 + 20 * kDay - 30 * 60, std::nullopt, "storefront");
  auto alerts = service_->Alerts({}, T0 + 20 * kDay);
  ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
  const Alert* page = nullptr;
  for (const auto& a : *alerts) {
    if (a.labels.count("tier") && a.labels.at("tier") == "page") page = &a;
  }
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->urgency, Urgency::kPage);
  EXPECT_EQ(page->source, "slo");
  EXPECT_EQ(page->owner, "storefront");
  EXPECT_EQ(page->dedup_key, "slo-burn/storefront/api/prod/page");
  EXPECT_EQ(page->annotations.at("burn_rate_long"), "10.00");
  // 30 good + 2 bad: allowed 3.2; remaining (3.2 - 2) / 3.2 = 37.5%.
  EXPECT_EQ(page->annotations.at("remaining_budget"), "37.5%");
  // Projection over 3d: 2 bad of 2 -> 10x; 28d / 10 * 0.375 = 1.05 days.
  EXPECT_EQ(page->annotations.at("time_to_exhaustion"), FormatDuration(static_cast<Duration>(0.375 * 28 * kDay / 10)));
  // Evaluating again gives the same keys (delivery deduplicates on them).
  auto again = service_->Alerts({}, T0 + 20 * kDay);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), alerts->size());
  for (std::size_t i = 0; i < alerts->size(); ++i) EXPECT_EQ((*again)[i].dedup_key, (*alerts)[i].dedup_key);
}

TEST_F(SloServiceTest, ExportsOpenSloV1) {
  AddFinding("api", T0, T0 + 2 * kDay, T0 + kDay);
  auto y = service_->ExportOpenSlo({}, T0 + 3 * kDay);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  auto docs = ParseYamlDocuments(*y, "export.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString() << "\n" << *y;
  int slos = 0, services = 0, policies = 0;
  for (const auto& d : *docs) {
    EXPECT_EQ(d["apiVersion"].as<std::string>(), "openslo/v1");
    const std::string kind = d["kind"].as<std::string>();
    if (kind == "SLO") {
      ++slos;
      EXPECT_EQ(d["spec"]["service"].as<std::string>(), "api");
      EXPECT_EQ(d["spec"]["budgetingMethod"].as<std::string>(), "Occurrences");
      EXPECT_DOUBLE_EQ(d["spec"]["objectives"][0]["target"].as<double>(), 0.8);
      EXPECT_EQ(d["spec"]["timeWindow"][0]["duration"].as<std::string>(), "28d");
      EXPECT_TRUE(d["spec"]["timeWindow"][0]["isRolling"].as<bool>());
      EXPECT_EQ(d["spec"]["alertPolicies"].size(), 3u);
      EXPECT_TRUE(d["spec"]["indicator"]["spec"]["ratioMetric"]["good"].IsDefined());
    } else if (kind == "Service") {
      ++services;
    } else if (kind == "AlertPolicy") {
      ++policies;
      EXPECT_EQ(d["spec"]["conditions"][0]["spec"]["condition"]["kind"].as<std::string>(), "burnrate");
    }
  }
  EXPECT_EQ(slos, 1);
  EXPECT_EQ(services, 1);
  EXPECT_EQ(policies, 3);
}

}  // namespace
}  // namespace secbudget
