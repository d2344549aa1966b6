// The alert service over a real SQLite file and a real HTTP receiver on
// loopback: finding alerts routed, grouped and delivered; decisions and the
// noise report; suppression expiry with the owner alerted and the audit
// trail; the review; accepted risk in the SLO budget; the team digest.
#include "alert/service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "alert/sources.h"
#include "common/hash.h"
#include "loopback.h"
#include "store/store.h"
#include "test_util.h"

namespace secbudget {
namespace {

using nlohmann::json;
using testing::TempDir;

const TimePoint T0 = ParseTime("2026-11-10T09:00:00Z").value();

// The webhook bodies `receiver` got, parsed.
std::vector<json> Bodies(const testing::Loopback& receiver) {
  std::vector<json> out;
  for (const auto& r : receiver.received()) out.push_back(json::parse(r.body));
  return out;
}

// A finding's labels: its fields by name, in name order, the empty ones
// left out; findings of one shape share it once the engine derives its
// labels (Labels::SameShape), one of another shape does not.
TEST(FindingLabelsTest, CarryTheFieldsSetAndLeaveOutTheEmptyOnes) {
  FindingRecord f;
  f.id = 0xabcdef;
  f.kind = FindingKind::kVulnerability;
  f.vuln_id = "CVE-2024-3094";
  f.aliases = {"GHSA-1", "GHSA-2"};
  f.package = "xz-utils";
  f.installed_version = "5.6.0";
  f.severity = Severity::kCritical;
  f.priority = Priority::kP1;
  f.service = "api";
  f.team = "payments";
  f.environment = Environment::kProd;
  f.layer = Layer::kContainer;
  const Labels l = FindingLabels(f);
  const std::map<std::string, std::string> got(l.begin(), l.end());
  const std::map<std::string, std::string> want = {{"aliases", "GHSA-1 GHSA-2"},
                                                   {"environment", std::string(Name(Environment::kProd))},
                                                   {"finding", HexId(0xabcdef)},
                                                   {"kind", std::string(Name(FindingKind::kVulnerability))},
                                                   {"layer", std::string(Name(Layer::kContainer))},
                                                   {"package", "xz-utils"},
                                                   {"priority", "P1"},
                                                   {"service", "api"},
                                                   {"severity", std::string(Name(Severity::kCritical))},
                                                   {"team", "payments"},
                                                   {"version", "5.6.0"},
                                                   {"vulnerability", "CVE-2024-3094"}};
  EXPECT_EQ(got, want);
  std::vector<std::string> names;
  for (const auto& entry : l) names.emplace_back(entry.first);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));

  FindingRecord g = f;
  g.id = 7;
  g.vuln_id = "CVE-2023-4863";
  FindingRecord h = f;
  h.rule_id = "AVD-KSV-0001";  // one label more
  Labels a = FindingLabels(f), b = FindingLabels(g), c = FindingLabels(h);
  for (Labels* x : {&a, &b, &c}) x->AddAbsent({{"alertname", "FindingOverdue"}, {"source", "triage"}});
  EXPECT_TRUE(a.SameShape(b));
  EXPECT_FALSE(a.SameShape(c));
  EXPECT_EQ(c.Get("rule"), "AVD-KSV-0001");
  EXPECT_EQ(b.Get("vulnerability"), "CVE-2023-4863");
}

class AlertServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(receiver_.Start());
    db_ = OpenDatabase(dir_.File("alerts.db")).value();
  }

  void Load(const std::string& extra = "") {
    dir_.Write("policy/alerting.yaml", fmt::format(R"(apiVersion: secbudget.dev/v1
kind: AlertRouting
spec:
  receivers:
    - name: hook
      webhook: {{url: "{}"}}
  route:
    receiver: hook
    group_by: [team, alertname]
    group_wait: 30s
    group_interval: 5m
    routes:
      - matchers: ['urgency="page"']
        group_by: [team, service, alertname]
        group_wait: 0s
  capacity: {{pages: 1}}
{})",
                                                   receiver_.Url("/hook"), extra));
    SloPolicyLoader slo;
    AlertPolicyLoader alert;
    auto set = LoadPolicy(dir_.File("policy"), nullptr, {&slo, &alert});
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    slo_policy_ = std::make_unique<SloPolicy>(slo.TakePolicy());
    policy_ = std::make_unique<AlertPolicy>(alert.TakePolicy());
    slo_ = std::make_unique<SloService>(*db_, *slo_policy_);
    transport_ = MakeTransport();
    service_ = std::make_unique<AlertService>(*db_, *policy_, nullptr, transport_.get());
  }

  std::uint64_t AddFinding(const std::string& service, Priority p, TimePoint open, TimePoint due,
                           const std::string& cve, const std::string& team = "payments") {
    FindingRecord f;
    f.id = ++next_id_;
    f.identity = "finding-" + std::to_string(f.id);
    f.vuln_id = cve;
    f.package = "openssl";
    f.installed_version = "3.0.1";
    f.artifact = "image:registry.acme/" + service;
    f.service = service;
    f.team = team;
    f.environment = Environment::kProd;
    f.priority = p;
    f.score = 50;
    f.first_seen = f.period_start = open;
    f.due_at = due;
    EXPECT_TRUE(db_->Begin().ok());
    EXPECT_TRUE(db_->InsertFinding(f).ok());
    EventRecord e;
    e.finding_id = f.id;
    e.at = open;
    e.type = EventType::kOpened;
    e.priority = p;
    e.due_at = due;
    EXPECT_TRUE(db_->AppendEvent(&e).ok());
    EXPECT_TRUE(db_->Commit().ok());
    return f.id;
  }

  TempDir dir_;
  testing::Loopback receiver_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<SloPolicy> slo_policy_;
  std::unique_ptr<AlertPolicy> policy_;
  std::unique_ptr<SloService> slo_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<AlertService> service_;
  std::uint64_t next_id_ = 0;
};

TEST_F(AlertServiceTest, FindingsAreRoutedGroupedDeliveredAndReported) {
  Load();
  AddFinding("api", Priority::kP1, T0 - kHour, T0 + 47 * kHour, "CVE-2024-0001");
  AddFinding("web", Priority::kP1, T0 - kHour, T0 + 47 * kHour, "CVE-2024-0002");  // over the 1-page budget
  AddFinding("api", Priority::kP2, T0 - kHour, T0 + 6 * kDay, "CVE-2024-0003");
  AddFinding("api", Priority::kP2, T0 - kHour, T0 + 6 * kDay, "CVE-2024-0004");

  auto r = service_->Run(T0, /*deliver=*/true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->firing_by_source.at("triage"), 4u);
  EXPECT_EQ(r->decisions.at("paged"), 1u);
  EXPECT_EQ(r->decisions.at("shed"), 1u);
  // Every new alert is first recorded pending; the pages are decided in the same run.
  EXPECT_EQ(r->decisions.at("pending"), 4u);
  ASSERT_TRUE(r->delivery.has_value());
  EXPECT_EQ(r->delivery->sent, 1u);
  auto bodies = Bodies(receiver_);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0]["version"], "4");
  EXPECT_EQ(bodies[0]["status"], "firing");
  ASSERT_EQ(bodies[0]["alerts"].size(), 1u);
  EXPECT_EQ(bodies[0]["alerts"][0]["labels"]["vulnerability"], "CVE-2024-0001");  // same rank: key order decides
  EXPECT_EQ(bodies[0]["alerts"][0]["labels"]["alertname"], "FindingPriority");

  // 40 seconds later the two P2 tickets go out as one notification.
  r = service_->Run(T0 + 40, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  bodies = Bodies(receiver_);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[1]["alerts"].size(), 2u);
  EXPECT_EQ(bodies[1]["groupLabels"]["alertname"], "FindingPriority");
  EXPECT_EQ(r->decisions.at("ticketed"), 1u);
  EXPECT_EQ(r->decisions.at("grouped"), 1u);

  // Nothing changed: nothing recorded, nothing sent.
  r = service_->Run(T0 + 400, true);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->decisions.empty());
  EXPECT_EQ(Bodies(receiver_).size(), 2u);

  auto report = service_->Report(T0 - kDay, T0 + kDay);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->teams.size(), 1u);
  const NoiseRow& row = report->teams[0];
  EXPECT_EQ(row.team, "payments");
  EXPECT_EQ(row.raw, 4u);
  EXPECT_EQ(row.interruptions, 2u);  // one page, one ticket notification
  EXPECT_EQ(row.pages, 1u);
  EXPECT_EQ(row.by_outcome.at("shed"), 1u);
  EXPECT_EQ(row.by_outcome.at("grouped"), 1u);

  // The shed page waits in the team's digest, with its reason.
  auto digest = service_->TeamDigest("payments", T0 + 500);
  ASSERT_TRUE(digest.ok());
  ASSERT_EQ(digest->items.size(), 1u);
  EXPECT_EQ(digest->items[0].outcome, "shed");
  EXPECT_NE(digest->items[0].summary.find("CVE-2024-0002"), std::string::npos);
  const std::string md = DigestMarkdown(*digest);
  EXPECT_NE(md.find("# Digest for payments"), std::string::npos);
  EXPECT_NE(md.find("CVE-2024-0002"), std::string::npos);
  EXPECT_NE(md.find("page(s) for the shift"), std::string::npos);
}

TEST_F(AlertServiceTest, ExpiryBringsTheFindingBackAlertsTheOwnerAndIsAudited) {
  Load(R"(---
apiVersion: secbudget.dev/v1
kind: Suppression
metadata: {name: openssl-not-reachable}
spec:
  matchers: ['vulnerability="CVE-2024-0009"']
  scope: {services: [api]}
  reason: the vulnerable function is not reachable from the TLS code path we use
  owner: payments
  approver: ciso@acme.example
  created: 2026-11-09T00:00:00Z
  expires: 2026-11-12T00:00:00Z
---
apiVersion: secbudget.dev/v1
kind: Suppression
metadata: {name: never-used}
spec:
  matchers: ['vulnerability="CVE-1999-0001"']
  reason: r
  owner: storefront
  approver: ciso@acme.example
  created: 2026-11-09T00:00:00Z
  expires: 2026-12-01T00:00:00Z
)");
  AddFinding("api", Priority::kP2, T0 - kHour, T0 + 6 * kDay, "CVE-2024-0009");
  auto r = service_->Run(T0, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->decisions.at("suppressed"), 1u);
  ASSERT_EQ(r->audit.size(), 2u);
  EXPECT_EQ(r->audit[0].object, "suppression/openssl-not-reachable");
  EXPECT_EQ(r->audit[0].action, "created");
  EXPECT_EQ(r->audit[0].actor, "ciso@acme.example");
  r = service_->Run(T0 + 60, true);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->audit.empty());  // audited once
  EXPECT_TRUE(Bodies(receiver_).empty());

  std::vector<AuditEvent> audit;
  auto review = service_->Review(T0 + kHour, &audit);
  ASSERT_TRUE(review.ok());
  ASSERT_EQ(review->rows.size(), 2u);
  EXPECT_EQ(review->rows[0].suppression->id, "openssl-not-reachable");  // owner payments first
  EXPECT_EQ(review->rows[0].state, "expiring_soon");
  EXPECT_EQ(review->rows[0].hits, 1u);
  EXPECT_FALSE(review->rows[0].stale);
  EXPECT_EQ(review->rows[1].state, "active");
  EXPECT_TRUE(review->rows[1].stale);

  // After the expiry the finding alerts again and the owner is told.
  const TimePoint after = ParseTime("2026-11-12T00:00:10Z").value();
  r = service_->Run(after, true);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->audit.size(), 1u);
  EXPECT_EQ(r->audit[0].action, "expired");
  EXPECT_EQ(r->firing_by_source.at("suppression"), 1u);
  r = service_->Run(after + 60, true);
  ASSERT_TRUE(r.ok());
  std::set<std::string> names;
  for (const json& body : Bodies(receiver_)) {
    for (const json& a : body["alerts"]) names.insert(a["labels"]["alertname"].get<std::string>());
  }
  EXPECT_EQ(names, (std::set<std::string>{"FindingPriority", "SuppressionExpired"}));

  std::vector<AuditEvent> trail;
  ASSERT_TRUE(db_->ListAudit("suppression/openssl-not-reachable", &trail).ok());
  ASSERT_EQ(trail.size(), 2u);
  EXPECT_EQ(trail[1].action, "expired");
  EXPECT_EQ(json::parse(trail[1].detail)["owner"], "payments");
}

TEST_F(AlertServiceTest, ChangedAndRemovedSuppressionsAreAudited) {
  const std::string one = R"(---
apiVersion: secbudget.dev/v1
kind: Suppression
metadata: {name: s1}
spec:
  matchers: ['vulnerability="CVE-2024-1"']
  reason: first reason
  owner: payments
  approver: ciso@acme.example
  created: 2026-11-09T00:00:00Z
  expires: 2026-11-20T00:00:00Z
)";
  Load(one);
  ASSERT_TRUE(service_->SyncSuppressions(T0).ok());
  std::string changed = one;
  changed.replace(changed.find("first reason"), 12, "second reason");
  Load(changed);
  auto events = service_->SyncSuppressions(T0 + 1);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].action, "changed");
  Load();
  events = service_->SyncSuppressions(T0 + 2);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].action, "removed");
}

TEST_F(AlertServiceTest, AcceptedRiskCountsAsGoodInTheSloBudget) {
  Load(R"(---
apiVersion: secbudget.dev/v1
kind: Suppression
metadata: {name: accepted}
spec:
  matchers: ['vulnerability="CVE-2024-7"']
  reason: compensating WAF rule
  owner: payments
  approver: ciso@acme.example
  created: 2026-11-01T00:00:00Z
  expires: 2026-11-25T00:00:00Z
)");
  // Two P2 findings of the same unit, both past due at T0; one is accepted.
  AddFinding("api", Priority::kP2, T0 - 10 * kDay, T0 - kDay, "CVE-2024-7");
  AddFinding("api", Priority::kP2, T0 - 10 * kDay, T0 - kDay, "CVE-2024-8");
  auto without = slo_->Statuses({}, T0);
  ASSERT_TRUE(without.ok());
  EXPECT_EQ((*without)[0].figures.bad, 2);
  slo_->SetAcceptanceSource(service_->AcceptanceSource());
  auto with = slo_->Statuses({}, T0);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ((*with)[0].figures.bad, 1);
  EXPECT_EQ((*with)[0].figures.good, 1);
}

}  // namespace
}  // namespace secbudget
