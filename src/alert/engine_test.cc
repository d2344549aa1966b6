#include "alert/engine.h"

#include <gtest/gtest.h>

#include "common/yaml.h"

namespace secbudget {
namespace {

constexpr TimePoint kT0 = 1'800'000'000 - 1'800'000'000 % kDay + 9 * kHour;  // 09:00 UTC, inside the 08:00 shift

// Loads AlertRouting / Suppression documents the way the policy directory does.
AlertPolicy PolicyFrom(const std::string& yaml) {
  auto docs = ParseYamlDocuments(yaml, "policy.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  AlertPolicyLoader loader;
  for (const auto& d : *docs) {
    Status s = loader.AddDocument(d["kind"].as<std::string>(), d, "policy.yaml");
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  PolicySet set;
  Status s = loader.Finish(set);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return loader.TakePolicy();
}

// An AlertRouting document whose first receiver is the webhook "default";
// `rest` goes on from inside the receivers list.
std::string DefaultRouting(std::string_view rest) {
  return std::string(R"(
apiVersion: secbudget.dev/v1
kind: AlertRouting
spec:
  receivers:
    - name: default
      webhook: {url: "http://127.0.0.1:9/hook"}
)") + std::string(rest);
}

const std::string kRouting = DefaultRouting(R"(    - name: pager
      pagerduty: {routing_key: "abc"}
  route:
    receiver: default
    group_by: [team, alertname]
    group_wait: 30s
    group_interval: 5m
    repeat_interval: 4h
    routes:
      - matchers: ['urgency="page"']
        receiver: pager
        group_by: [team, service]
        group_wait: 0s
  inhibit_rules:
    - source_matchers: ['alertname="SLOBudgetExhausted"']
      target_matchers: ['alertname="SLOBurnRate"']
      equal: [team, service]
  capacity:
    shift: 12h
    shift_start: "08:00"
    pages: 2
)");

Alert MakeAlert(std::string key, std::string name, Urgency u, std::string team, std::string service, double rank = 0) {
  Alert a;
  a.dedup_key = std::move(key);
  a.source = "test";
  a.name = std::move(name);
  a.urgency = u;
  a.owner = team;
  a.summary = "summary of " + a.dedup_key;
  a.labels["service"] = std::move(service);
  a.rank = rank;
  return a;
}

std::map<std::string, AlertOutcome> Outcomes(const AlertEngine& e) {
  std::map<std::string, AlertOutcome> out;
  e.ForEachAlert([&](const AlertEntry& a) { out[a.alert.dedup_key] = a.outcome; });
  return out;
}

// A notification's common labels and annotations are the entries every
// alert in it has with one value: a differing value, or a missing entry,
// leaves one out, wherever it sorts.
TEST(AlertEngineTest, CommonLabelsAreTheEntriesEveryAlertShares) {
  const AlertPolicy policy = PolicyFrom(kRouting);
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  Alert a1 = MakeAlert("a1", "FindingOverdue", Urgency::kTicket, "payments", "api");
  a1.labels["aaa"] = "first";
  a1.labels["region"] = "eu";
  a1.labels["zone"] = "a";
  a1.annotations["runbook"] = "https://runbooks/overdue";
  Alert a2 = MakeAlert("a2", "FindingOverdue", Urgency::kTicket, "payments", "api");
  a2.labels["aaa"] = "first";
  a2.labels["region"] = "us";
  a2.annotations["runbook"] = "https://runbooks/overdue";
  Alert a3 = MakeAlert("a3", "FindingOverdue", Urgency::kTicket, "payments", "api");
  a3.labels["aaa"] = "first";
  a3.labels["region"] = "eu";
  a3.labels["zone"] = "a";
  a3.labels["zzz"] = "last";
  a3.annotations["runbook"] = "https://runbooks/overdue";
  engine.Fire(std::move(a1), kT0);
  engine.Fire(std::move(a2), kT0);
  engine.Fire(std::move(a3), kT0);
  engine.Flush(kT0 + 30);
  const auto n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  ASSERT_EQ(n[0].alerts.size(), 3u);
  std::map<std::string, std::string> common(n[0].common_labels.begin(), n[0].common_labels.end());
  const std::map<std::string, std::string> want = {{"aaa", "first"},     {"alertname", "FindingOverdue"},
                                                   {"service", "api"},   {"source", "test"},
                                                   {"team", "payments"}, {"urgency", "ticket"}};
  EXPECT_EQ(common, want);
  std::map<std::string, std::string> annotations(n[0].common_annotations.begin(), n[0].common_annotations.end());
  const std::map<std::string, std::string> want_annotations = {{"runbook", "https://runbooks/overdue"}};
  EXPECT_EQ(annotations, want_annotations);  // each summary differs
}

// Common labels and annotations are exactly the entries every alert of the
// notification has with one value, whatever the alerts' shapes: labels in
// other orders, absent, empty (present but "", not the same as absent),
// alerts with more labels than the first, and sets of recurring shapes.
TEST(AlertEngineTest, CommonEntriesAreWhatEveryAlertShares) {
  const AlertPolicy policy = PolicyFrom(kRouting);
  std::uint64_t state = 3;
  auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  const std::vector<std::string> names = {"aaa", "env", "region", "tier", "zone", "zzz"};
  const std::vector<std::string> values = {"", "a", "b"};
  const std::vector<std::string> reversed(names.rbegin(), names.rend());
  for (int round = 0; round < 60; ++round) {
    AlertEngine engine(policy);
    engine.BeginEvaluation(kT0);
    const std::size_t count = 1 + next(6);
    for (std::size_t i = 0; i < count; ++i) {
      Alert a = MakeAlert("r" + std::to_string(i), "FindingOverdue", Urgency::kTicket, "payments", "api");
      if (round % 2 == 0) {
        for (std::size_t k = next(names.size()); k-- > 0;) {
          const std::string& name = names[next(names.size())];
          // Mostly one value per name, so that some entries stay common.
          a.labels[name] = next(4) == 0 ? values[next(values.size())] : "a";
        }
      } else {
        // Sets read whole, of two recurring shapes whose names are not
        // added in name order (alerts of one shape are compared place by
        // place: Labels::SameShape).
        const std::vector<std::string>& shape = next(3) == 0 ? names : reversed;
        std::vector<Labels::value_type> entries;
        entries.reserve(shape.size());
        for (const std::string& name : shape) {
          // A view of the vector's string or of a literal, never of a
          // temporary (a "?:" of string and literal makes one).
          const std::string_view value = next(3) == 0 ? std::string_view(values[next(3)]) : std::string_view("a");
          entries.emplace_back(name, value);
        }
        a.labels.Assign(entries.data(), entries.size(), 4);
      }
      if (next(2) == 0) a.annotations["runbook"] = next(3) == 0 ? "other" : "rb";
      engine.Fire(std::move(a), kT0);
    }
    engine.Flush(kT0 + 30);
    const auto n = engine.TakeNotifications();
    ASSERT_EQ(n.size(), 1u) << round;
    ASSERT_EQ(n[0].alerts.size(), count) << round;
    for (auto field : {&NotifiedAlert::labels, &NotifiedAlert::annotations}) {
      std::map<std::string, std::string> want((n[0].alerts[0].*field).begin(), (n[0].alerts[0].*field).end());
      for (const NotifiedAlert& a : n[0].alerts) {
        std::erase_if(want, [&](const auto& entry) {
          const auto it = (a.*field).find(entry.first);
          return it == (a.*field).end() || it->second != entry.second;
        });
      }
      const Labels& common = field == &NotifiedAlert::labels ? n[0].common_labels : n[0].common_annotations;
      const std::map<std::string, std::string> got(common.begin(), common.end());
      EXPECT_EQ(got, want) << "round " << round;
    }
  }
}

TEST(AlertEngineTest, GroupWaitIntervalAndRepeatFollowAlertmanager) {
  const AlertPolicy policy = PolicyFrom(kRouting);
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  engine.Fire(MakeAlert("a1", "FindingOverdue", Urgency::kTicket, "payments", "api", 5), kT0);
  engine.Fire(MakeAlert("a2", "FindingOverdue", Urgency::kTicket, "payments", "api", 9), kT0);
  engine.Flush(kT0 + 29);  // group_wait 30s not over
  EXPECT_TRUE(engine.TakeNotifications().empty());
  EXPECT_EQ(Outcomes(engine)["a1"], AlertOutcome::kPending);

  engine.Flush(kT0 + 30);
  auto n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].receiver, "default");
  EXPECT_EQ(n[0].team, "payments");
  EXPECT_EQ(n[0].alerts.size(), 2u);
  EXPECT_EQ(n[0].group_labels.at("alertname"), "FindingOverdue");
  EXPECT_EQ(n[0].common_labels.at("service"), "api");
  // The higher-ranked alert opened the notification; the other was grouped.
  EXPECT_EQ(Outcomes(engine)["a2"], AlertOutcome::kTicketed);
  EXPECT_EQ(Outcomes(engine)["a1"], AlertOutcome::kGrouped);

  // A new alert joins: not sent before group_interval (5m) has passed.
  engine.Fire(MakeAlert("a3", "FindingOverdue", Urgency::kTicket, "payments", "api"), kT0 + 60);
  engine.Flush(kT0 + 60);
  EXPECT_TRUE(engine.TakeNotifications().empty());
  engine.Flush(kT0 + 30 + 300);
  n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].alerts.size(), 3u);
  EXPECT_EQ(Outcomes(engine)["a3"], AlertOutcome::kGrouped);

  // Unchanged: nothing at the next interval, a repeat after 4h.
  engine.Flush(kT0 + 30 + 600);
  EXPECT_TRUE(engine.TakeNotifications().empty());
  engine.Flush(kT0 + 30 + 300 + 4 * kHour);
  n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].alerts.size(), 3u);

  // Resolution is announced once, then the alert is forgotten.
  const TimePoint t = kT0 + 5 * kHour;
  engine.Resolve("a1", t);
  engine.Flush(t);
  n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  ASSERT_EQ(n[0].alerts.size(), 3u);
  EXPECT_TRUE(n[0].alerts.back().resolved);
  EXPECT_EQ(n[0].alerts.back().dedup_key, "a1");
  EXPECT_EQ(n[0].alerts.back().ends_at, t);
  EXPECT_EQ(engine.FindAlert("a1"), nullptr);
}

TEST(AlertEngineTest, AlertResolvedBeforeGroupWaitIsNeverSent) {
  const AlertPolicy policy = PolicyFrom(kRouting);
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  engine.Fire(MakeAlert("flap", "FindingDueSoon", Urgency::kTicket, "web", "site"), kT0);
  engine.Resolve("flap", kT0 + 10);
  engine.Flush(kT0 + 60);
  EXPECT_TRUE(engine.TakeNotifications().empty());
  const auto d = engine.TakeDecisions();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].outcome, AlertOutcome::kResolvedUnsent);
  EXPECT_TRUE(engine.groups().empty());
}

// An alert in two groups (a `continue` route) that only one of them
// announced is forgotten once that one announces it resolved; the other
// group, left without members, goes too, and a later alert with its key
// opens a new group whose first notification is its own.
TEST(AlertEngineTest, AGroupGoesWithItsLastMemberEvenOneItNeverSent) {
  const AlertPolicy policy = PolicyFrom(R"(
apiVersion: secbudget.dev/v1
kind: AlertRouting
spec:
  receivers:
    - name: fast
      webhook: {url: "http://127.0.0.1:9/fast"}
    - name: slow
      webhook: {url: "http://127.0.0.1:9/slow"}
  route:
    receiver: fast
    group_by: [alertname]
    routes:
      - matchers: ['service="api"']
        receiver: fast
        group_wait: 0s
        continue: true
      - matchers: ['service="api"']
        receiver: slow
        group_wait: 1h
)");
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  engine.Fire(MakeAlert("a", "FindingOverdue", Urgency::kTicket, "web", "api"), kT0);
  ASSERT_EQ(engine.groups().size(), 2u);
  engine.Flush(kT0);
  auto n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].receiver, "fast");

  engine.Resolve("a", kT0 + 60);
  engine.Flush(kT0 + 600);  // "fast" announces it resolved; "slow" never announced it
  n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_TRUE(n[0].resolved);
  EXPECT_EQ(engine.FindAlert("a"), nullptr);
  engine.Flush(kT0 + kHour);
  EXPECT_TRUE(engine.TakeNotifications().empty());
  EXPECT_TRUE(engine.groups().empty());

  engine.TakeDecisions();
  engine.Fire(MakeAlert("b", "FindingOverdue", Urgency::kTicket, "web", "api"), kT0 + 2 * kHour);
  engine.Flush(kT0 + 3 * kHour);
  n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[1].receiver, "slow");
  EXPECT_EQ(n[1].id, n[1].group_key + "#1");
  EXPECT_EQ(Outcomes(engine)["b"], AlertOutcome::kTicketed);
}

TEST(AlertEngineTest, EvaluationResolvesWhatNoLongerFires) {
  const AlertPolicy policy = PolicyFrom(kRouting);
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  engine.Fire(MakeAlert("x", "FindingOverdue", Urgency::kTicket, "web", "site"), kT0);
  engine.Fire(MakeAlert("y", "FindingOverdue", Urgency::kTicket, "web", "site"), kT0);
  engine.EndEvaluation("test", kT0);
  engine.Flush(kT0 + 30);
  ASSERT_EQ(engine.TakeNotifications().size(), 1u);
  engine.BeginEvaluation(kT0 + 60);
  engine.Fire(MakeAlert("y", "FindingOverdue", Urgency::kTicket, "web", "site"), kT0 + 60);
  engine.EndEvaluation("test", kT0 + 60);  // x did not fire: resolved
  engine.Flush(kT0 + 30 + 300);
  const auto n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  ASSERT_EQ(n[0].alerts.size(), 2u);
  EXPECT_FALSE(n[0].alerts[0].resolved);
  EXPECT_TRUE(n[0].alerts[1].resolved);
  EXPECT_EQ(n[0].alerts[1].dedup_key, "x");
}

TEST(AlertEngineTest, FiringHigherAlertInhibitsLowerWithEqualLabels) {
  const AlertPolicy policy = PolicyFrom(kRouting);
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  engine.Fire(MakeAlert("burn-api", "SLOBurnRate", Urgency::kTicket, "payments", "api"), kT0);
  engine.Fire(MakeAlert("burn-web", "SLOBurnRate", Urgency::kTicket, "payments", "web"), kT0);
  engine.Fire(MakeAlert("exhausted-api", "SLOBudgetExhausted", Urgency::kTicket, "payments", "api"), kT0);
  EXPECT_EQ(Outcomes(engine)["burn-api"], AlertOutcome::kPending);  // fired before its inhibitor
  engine.Flush(kT0 + 30);
  const auto n = engine.TakeNotifications();
  auto out = Outcomes(engine);
  EXPECT_EQ(out["burn-api"], AlertOutcome::kInhibited);  // same team and service
  EXPECT_NE(out["burn-web"], AlertOutcome::kInhibited);  // other service: not muted
  std::size_t sent = 0;
  for (const auto& x : n) {
    for (const auto& a : x.alerts) {
      EXPECT_NE(a.dedup_key, "burn-api");
      ++sent;
    }
  }
  EXPECT_EQ(sent, 2u);
  // The inhibitor resolves: the muted alert is delivered at the next interval.
  engine.Resolve("exhausted-api", kT0 + 100);
  engine.Flush(kT0 + 30 + 300);
  const auto later = engine.TakeNotifications();
  ASSERT_EQ(later.size(), 2u);  // the burn group's update and the exhausted alert's resolution
  EXPECT_EQ(later[0].group_labels.at("alertname"), "SLOBudgetExhausted");
  EXPECT_TRUE(later[0].resolved);
  EXPECT_EQ(later[1].alerts.size(), 2u);
  // burn-web opened that group; burn-api now rides in its update.
  EXPECT_EQ(Outcomes(engine)["burn-api"], AlertOutcome::kGrouped);
}

// An alert that routing raises to a page was not counted as an inhibitor
// when it fired (its urgency label still said ticket): resolving it must not
// uncount the page that was, or what that page mutes would come back.
TEST(AlertEngineTest, AnAlertLeavesTheInhibitorsItWasCountedIn) {
  const AlertPolicy policy = PolicyFrom(DefaultRouting(R"(  route:
    receiver: default
    group_by: [alertname]
    group_wait: 0s
    routes:
      - matchers: ['alertname="Raised"']
        urgency: page
  inhibit_rules:
    - source_matchers: ['urgency="page"']
      target_matchers: ['alertname="Noise"']
      equal: [service]
)"));
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  engine.Fire(MakeAlert("page", "Outage", Urgency::kPage, "web", "api"), kT0);
  engine.Fire(MakeAlert("raised", "Raised", Urgency::kTicket, "web", "api"), kT0);
  engine.Resolve("raised", kT0 + 10);
  engine.Fire(MakeAlert("noise", "Noise", Urgency::kTicket, "web", "api"), kT0 + 20);
  EXPECT_EQ(Outcomes(engine)["noise"], AlertOutcome::kInhibited);
  engine.Resolve("page", kT0 + 30);
  engine.Flush(kT0 + 40);
  EXPECT_NE(Outcomes(engine)["noise"], AlertOutcome::kInhibited);  // its inhibitor is gone
}

TEST(AlertEngineTest, CapacityPagesTheHighestRankedAndShedsTheRestInRankOrder) {
  const AlertPolicy policy = PolicyFrom(kRouting);  // 2 pages per 12h shift from 08:00
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  // Four page groups (one per service) for payments, ranks 10, 40, 20, 30.
  engine.Fire(MakeAlert("p-a", "FindingPriority", Urgency::kPage, "payments", "a", 10), kT0);
  engine.Fire(MakeAlert("p-b", "FindingPriority", Urgency::kPage, "payments", "b", 40), kT0);
  engine.Fire(MakeAlert("p-c", "FindingPriority", Urgency::kPage, "payments", "c", 20), kT0);
  engine.Fire(MakeAlert("p-d", "FindingPriority", Urgency::kPage, "payments", "d", 30), kT0);
  // Another team's budget is its own.
  engine.Fire(MakeAlert("w-a", "FindingPriority", Urgency::kPage, "web", "a", 1), kT0);
  engine.Flush(kT0);
  auto n = engine.TakeNotifications();
  std::vector<std::string> paged;
  for (const auto& x : n) paged.push_back(x.alerts.front().dedup_key);
  EXPECT_EQ(paged, (std::vector<std::string>{"p-b", "p-d", "w-a"}));
  auto out = Outcomes(engine);
  EXPECT_EQ(out["p-b"], AlertOutcome::kPaged);
  EXPECT_EQ(out["p-d"], AlertOutcome::kPaged);
  EXPECT_EQ(out["p-c"], AlertOutcome::kShed);
  EXPECT_EQ(out["p-a"], AlertOutcome::kShed);
  EXPECT_EQ(out["w-a"], AlertOutcome::kPaged);
  EXPECT_EQ(engine.usage().at("payments").pages, 2);

  // Still firing when the next shift (20:00) brings budget: they page then,
  // highest rank first.
  const TimePoint next_shift = kT0 - 9 * kHour + 20 * kHour;
  auto opened = [&](const std::vector<Notification>& list) {
    std::vector<std::string> keys;
    for (const auto& x : list) {
      if (x.id.substr(x.id.size() - 2) == "#1") keys.push_back(x.alerts.front().dedup_key);
    }
    return keys;
  };
  engine.Flush(next_shift - 1);  // repeats of the pages sent, nothing new opened
  EXPECT_TRUE(opened(engine.TakeNotifications()).empty());
  EXPECT_EQ(Outcomes(engine)["p-c"], AlertOutcome::kShed);
  engine.Flush(next_shift + 300);
  EXPECT_EQ(opened(engine.TakeNotifications()), (std::vector<std::string>{"p-c", "p-a"}));
  EXPECT_EQ(Outcomes(engine)["p-a"], AlertOutcome::kPaged);
}

TEST(AlertEngineTest, SuppressionSilencesUntilExpiryThenTheAlertComesBack) {
  const std::string yaml = std::string(kRouting) + R"(
---
apiVersion: secbudget.dev/v1
kind: Suppression
metadata: {name: waf-covers-it}
spec:
  matchers: ['alertname="FindingOverdue"']
  scope: {services: [api]}
  reason: the WAF blocks the exploit path
  owner: payments
  approver: ciso@acme.example
  created: 2027-01-15T00:00:00Z
  expires: 2027-01-16T00:00:00Z
)";
  const AlertPolicy policy = PolicyFrom(yaml);
  const TimePoint created = policy.suppressions.at(0).created;
  AlertEngine engine(policy);
  const TimePoint t = created + kHour;
  engine.BeginEvaluation(t);
  engine.Fire(MakeAlert("o1", "FindingOverdue", Urgency::kTicket, "payments", "api"), t);
  engine.Fire(MakeAlert("o2", "FindingOverdue", Urgency::kTicket, "payments", "web"), t);  // out of scope
  engine.Flush(t + 30);
  auto n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].alerts.size(), 1u);
  EXPECT_EQ(n[0].alerts[0].dedup_key, "o2");
  EXPECT_EQ(Outcomes(engine)["o1"], AlertOutcome::kSuppressed);
  EXPECT_EQ(engine.suppression_hits().at("waf-covers-it"), 1u);
  const auto d = engine.TakeDecisions();
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0].ref, "waf-covers-it");
  EXPECT_NE(d[0].reason.view().find("ciso@acme.example"), std::string::npos);

  // After expiry the same condition comes back and is delivered.
  const TimePoint after = policy.suppressions.at(0).expires;
  engine.BeginEvaluation(after);
  engine.Fire(MakeAlert("o1", "FindingOverdue", Urgency::kTicket, "payments", "api"), after);
  engine.Fire(MakeAlert("o2", "FindingOverdue", Urgency::kTicket, "payments", "web"), after);
  EXPECT_EQ(Outcomes(engine)["o1"], AlertOutcome::kPending);
  engine.Flush(after + 30);
  n = engine.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  ASSERT_EQ(n[0].alerts.size(), 2u);  // o1 joins the group o2 opened (team, alertname)
  EXPECT_EQ(n[0].alerts[0].dedup_key, "o1");
  EXPECT_EQ(Outcomes(engine)["o1"], AlertOutcome::kGrouped);
}

TEST(AlertEngineTest, ANotifiedAlertThatIsSuppressedLaterIsAnnouncedResolved) {
  const std::string yaml = std::string(kRouting) + R"(
---
apiVersion: secbudget.dev/v1
kind: Suppression
metadata: {name: later}
spec:
  matchers: ['alertname="FindingPriority"']
  reason: accepted after the page went out
  owner: payments
  approver: ciso@acme.example
  created: 2027-01-15T12:00:00Z
  expires: 2027-01-20T00:00:00Z
)";
  const AlertPolicy policy = PolicyFrom(yaml);
  const TimePoint before = policy.suppressions.at(0).created - kHour;
  AlertEngine engine(policy);
  engine.BeginEvaluation(before);
  engine.Fire(MakeAlert("p1", "FindingPriority", Urgency::kPage, "payments", "api", 5), before);
  engine.Flush(before);
  ASSERT_EQ(engine.TakeNotifications().size(), 1u);
  const TimePoint t = policy.suppressions.at(0).created;
  engine.BeginEvaluation(t);
  engine.Fire(MakeAlert("p1", "FindingPriority", Urgency::kPage, "payments", "api", 5), t);
  EXPECT_EQ(Outcomes(engine)["p1"], AlertOutcome::kSuppressed);
  std::vector<StateRow> rows, removed;
  engine.SaveState(&rows, &removed);
  AlertEngine restarted(policy);  // the announcement survives a restart
  ASSERT_TRUE(restarted.LoadState(rows).ok());
  restarted.Flush(t + 300);
  const auto n = restarted.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_TRUE(n[0].resolved);  // PagerDuty gets a resolve for its incident
  ASSERT_EQ(n[0].alerts.size(), 1u);
  EXPECT_TRUE(n[0].alerts[0].resolved);
  EXPECT_EQ(n[0].alerts[0].ends_at, t);
  EXPECT_TRUE(restarted.groups().empty());
}

TEST(AlertEngineTest, SuppressionLongerThanThePriorityAllowsDoesNotApply) {
  const std::string yaml = std::string(kRouting) + R"(
---
apiVersion: secbudget.dev/v1
kind: SuppressionPolicy
spec:
  max_duration: {P1: 7d, P2: 30d}
---
apiVersion: secbudget.dev/v1
kind: Suppression
metadata: {name: long-one}
spec:
  matchers: ['vulnerability="CVE-2024-1"']
  reason: r
  owner: o
  approver: a
  created: 2027-01-01T00:00:00Z
  expires: 2027-01-21T00:00:00Z
)";
  const AlertPolicy policy = PolicyFrom(yaml);
  AlertEngine engine(policy);
  const TimePoint t = policy.suppressions.at(0).created + kDay;
  Alert p1 = MakeAlert("f1", "FindingPriority", Urgency::kPage, "web", "site");
  p1.labels["vulnerability"] = "CVE-2024-1";
  p1.labels["priority"] = "P1";
  Alert p2 = p1;
  p2.dedup_key = "f2";
  p2.urgency = Urgency::kTicket;
  p2.labels["priority"] = "P2";
  engine.BeginEvaluation(t);
  engine.Fire(p1, t);
  engine.Fire(p2, t);
  EXPECT_EQ(Outcomes(engine)["f1"], AlertOutcome::kPending);     // 20d > the 7d P1 maximum
  EXPECT_EQ(Outcomes(engine)["f2"], AlertOutcome::kSuppressed);  // 20d <= 30d
}

TEST(AlertEngineTest, DigestUrgencyIsListedNotSent) {
  const AlertPolicy policy = PolicyFrom(kRouting);
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  engine.Fire(MakeAlert("d1", "SuppressionExpiring", Urgency::kDigest, "web", "site"), kT0);
  engine.Flush(kT0 + kHour);
  EXPECT_TRUE(engine.TakeNotifications().empty());
  EXPECT_EQ(Outcomes(engine)["d1"], AlertOutcome::kDigested);
}

// The state rows an engine saves after `run` drove it from kT0.
template <typename Run>
std::vector<StateRow> SavedState(const AlertPolicy& policy, Run run) {
  AlertEngine engine(policy);
  engine.BeginEvaluation(kT0);
  run(engine);
  std::vector<StateRow> rows, removed;
  engine.SaveState(&rows, &removed);
  return rows;
}

TEST(AlertEngineTest, StateRoundTripContinuesWhereItStopped) {
  const AlertPolicy policy = PolicyFrom(kRouting);
  const std::vector<StateRow> rows = SavedState(policy, [](AlertEngine& engine) {
    engine.Fire(MakeAlert("a", "FindingOverdue", Urgency::kTicket, "web", "site"), kT0);
    engine.Fire(MakeAlert("b", "SLOBurnRate", Urgency::kPage, "web", "site", 3), kT0);
    engine.Flush(kT0);  // the page goes at once (group_wait 0s)
    EXPECT_EQ(engine.TakeNotifications().size(), 1u);
  });
  AlertEngine again(policy);
  ASSERT_TRUE(again.LoadState(rows).ok());
  EXPECT_EQ(Outcomes(again)["b"], AlertOutcome::kPaged);
  EXPECT_EQ(again.usage().at("web").pages, 1);
  again.Flush(kT0 + 30);  // the ticket group's wait ends after the restart
  const auto n = again.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].alerts.at(0).dedup_key, "a");
  // An evaluation without "a" resolves it even though it fired before the restart.
  again.BeginEvaluation(kT0 + 60);
  again.Fire(MakeAlert("b", "SLOBurnRate", Urgency::kPage, "web", "site", 3), kT0 + 60);
  again.EndEvaluation("test", kT0 + 60);
  ASSERT_NE(again.FindAlert("a"), nullptr);
  EXPECT_EQ(again.FindAlert("a")->resolved_at, kT0 + 60);
  std::vector<StateRow> rows2, removed2;
  again.Flush(kT0 + 30 + 300);
  again.SaveState(&rows2, &removed2);
  ASSERT_EQ(removed2.size(), 2u);  // alert "a" and its group are gone
}

// Who a group announced survives a restart: an unchanged group stays
// quiet, and a resolution is announced.
TEST(AlertEngineTest, StateRoundTripKeepsWhatEachGroupAnnounced) {
  const AlertPolicy policy = PolicyFrom(kRouting);
  const std::vector<StateRow> rows = SavedState(policy, [](AlertEngine& engine) {
    engine.Fire(MakeAlert("a", "FindingOverdue", Urgency::kTicket, "web", "site"), kT0);
    engine.Fire(MakeAlert("b", "FindingOverdue", Urgency::kTicket, "web", "site"), kT0);
    engine.Flush(kT0 + 30);
    EXPECT_EQ(engine.TakeNotifications().size(), 1u);
  });
  AlertEngine again(policy);
  ASSERT_TRUE(again.LoadState(rows).ok());
  again.Flush(kT0 + 30 + 300);
  EXPECT_TRUE(again.TakeNotifications().empty());
  again.Resolve("b", kT0 + 400);
  again.Flush(kT0 + 30 + 600);
  const auto n = again.TakeNotifications();
  ASSERT_EQ(n.size(), 1u);
  ASSERT_EQ(n[0].alerts.size(), 2u);
  EXPECT_EQ(n[0].alerts[0].dedup_key, "a");
  EXPECT_FALSE(n[0].alerts[0].resolved);
  EXPECT_EQ(n[0].alerts[1].dedup_key, "b");
  EXPECT_TRUE(n[0].alerts[1].resolved);
  EXPECT_EQ(again.FindAlert("b"), nullptr);
}

}  // namespace
}  // namespace secbudget
