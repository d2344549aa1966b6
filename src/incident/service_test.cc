// The incident service over a real SQLite file and a real roster: the
// commander from the duty roster, command passing upward with severity,
// the append-only timeline, status updates per audience through the
// templates, postmortems per severity, breaches zeroing the budget,
// triggers from alerts and MTTA/MTTR without drills.
#include "incident/service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/yaml.h"
#include "incident/defaults.h"
#include "store/store.h"
#include "test_util.h"

namespace secbudget::incident {
namespace {

using secbudget::testing::TempDir;

TimePoint At(const char* text) { return ParseTime(text).value(); }

DeclareRequest Req(std::string title, std::string severity, std::string by, std::string commander = "") {
  DeclareRequest r;
  r.title = std::move(title);
  r.severity = std::move(severity);
  r.by = std::move(by);
  r.commander = std::move(commander);
  return r;
}

// Mon 2026-11-23 .. ; the rotation starts on Wed 2026-07-01 with alice.
constexpr const char* kRoster = R"(apiVersion: secbudget.dev/v1
kind: OnCallRoster
metadata: {name: committee}
spec:
  leader: lee
  members: [alice, bob, carol]
  terms:
    - {name: 2026-H2, start: 2026-07-01, members: [alice, bob, carol]}
)";

constexpr const char* kSeverity = R"(apiVersion: secbudget.dev/v1
kind: SeverityPolicy
spec:
  executives: [dana]
  levels:
    - name: SEV1
      description: customer data exposed
      commander: executive
      roles: [communications, scribe]
      update_every: 30m
      audiences: [engineering, executives, press]
      postmortem: {type: full, due: 5d}
      action_items_due: 14d
    - name: SEV2
      commander: leader
      update_every: 1h
      audiences: [engineering, executives]
      postmortem: {type: full, due: 10d}
    - name: SEV3
      update_every: 4h
      audiences: [engineering]
      postmortem: {type: lightweight, due: 14d}
      action_items_due: 60d
    - name: SEV4
      postmortem: {type: none}
  triggers:
    - matchers: ['source="detect"', 'level="critical"']
      severity: SEV2
    - matchers: ['alertname="SLOBudgetExhausted"']
      severity: SEV3
      breach: true
)";

class IncidentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenDatabase(dir_.File("incidents.db")).value();
    auto roster = ParseRoster(kRoster, "roster.yaml");
    ASSERT_TRUE(roster.ok()) << roster.status().ToString();
    roster_ = std::make_unique<Roster>(*std::move(roster));
    UsePolicy(kSeverity);
  }

  void UsePolicy(const std::string& text, const std::string& name = "severity.yaml") {
    const std::string path = dir_.Write(name, text);
    auto docs = LoadYamlDocuments(path);
    ASSERT_TRUE(docs.ok()) << docs.status().ToString();
    auto p = ParseSeverityPolicy(docs->front(), path);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    policy_ = std::make_unique<SeverityPolicy>(*std::move(p));
    slo_ = std::make_unique<SloService>(*db_, slo_policy_);
    service_ = std::make_unique<IncidentService>(*db_, *policy_, roster_.get(), slo_.get());
  }

  Incident Declare(const std::string& severity, TimePoint at, bool drill = false) {
    DeclareRequest r;
    r.title = "Leaked deploy key used";
    r.severity = severity;
    r.by = "erin";
    r.drill = drill;
    auto inc = service_->Declare(r, at);
    EXPECT_TRUE(inc.ok()) << inc.status().ToString();
    return inc.ok() ? *inc : Incident{};
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Roster> roster_;
  std::unique_ptr<SeverityPolicy> policy_;
  SloPolicy slo_policy_;
  std::unique_ptr<SloService> slo_;
  std::unique_ptr<IncidentService> service_;
};

TEST_F(IncidentServiceTest, TheMemberOnDutyCommandsFirst) {
  const auto friday = At("2026-11-27T10:00:00Z");
  const auto saturday = At("2026-11-28T15:00:00Z");
  const auto monday = At("2026-11-30T10:00:00Z");
  const std::string on_friday = roster_->Who(friday)->member;
  const std::string on_monday = roster_->Who(monday)->member;
  ASSERT_NE(on_friday, on_monday);
  EXPECT_EQ(Declare("SEV3", friday).commander, on_friday);
  EXPECT_EQ(Declare("SEV3", saturday).commander, on_friday);  // Friday's member holds the weekend
  const Incident m = Declare("SEV3", monday);
  EXPECT_EQ(m.commander, on_monday);
  EXPECT_EQ(m.id, "INC-0003");
  EXPECT_EQ(m.commander_class, CommanderClass::kDuty);
  ASSERT_GE(m.timeline.size(), 2u);
  EXPECT_EQ(m.timeline[1].kind, EntryKind::kCommandHandoff);
  EXPECT_NE(m.timeline[1].text.find("on duty"), std::string::npos);
  // Named explicitly, the commander is whoever the declarer names.
  DeclareRequest r = Req("x", "SEV4", "erin", "bob");
  EXPECT_EQ(service_->Declare(r, monday)->commander, "bob");
  // Without a roster the first responder (the declarer) commands.
  IncidentService no_roster(*db_, *policy_, nullptr, slo_.get());
  EXPECT_EQ(no_roster.Declare(Req("y", "SEV4", "erin"), monday)->commander, "erin");
}

TEST_F(IncidentServiceTest, EscalationPassesCommandUpwardAndNeverBack) {
  const auto t = At("2026-11-23T10:00:00Z");
  const Incident inc = Declare("SEV3", t);
  const std::string duty = inc.commander;
  auto sev2 = service_->SetSeverity(inc.id, "SEV2", "carol", "key used in prod", t + 600);
  ASSERT_TRUE(sev2.ok()) << sev2.status().ToString();
  EXPECT_EQ(sev2->commander, "lee");  // the leader commands SEV2
  EXPECT_EQ(sev2->commander_class, CommanderClass::kLeader);
  auto sev1 = service_->SetSeverity(inc.id, "SEV1", "lee", "customer data read", t + 1200);
  ASSERT_TRUE(sev1.ok());
  EXPECT_EQ(sev1->commander, "dana");  // then the named executive
  EXPECT_EQ(sev1->peak_severity, "SEV1");
  // Every handoff is an entry: duty -> lee -> dana.
  std::vector<std::string> handoffs;
  for (const auto& e : sev1->timeline) {
    if (e.kind == EntryKind::kCommandHandoff) handoffs.push_back(e.fields.at("to"));
  }
  EXPECT_EQ(handoffs, (std::vector<std::string>{duty, "lee", "dana"}));
  // Lowering the severity keeps the commander; the peak stays.
  auto sev3 = service_->SetSeverity(inc.id, "SEV3", "dana", "contained", t + 3600);
  ASSERT_TRUE(sev3.ok());
  EXPECT_EQ(sev3->commander, "dana");
  EXPECT_EQ(sev3->severity, "SEV3");
  EXPECT_EQ(sev3->peak_severity, "SEV1");
  // Straight from SEV4 to SEV1: the executive at once.
  const Incident other = Declare("SEV4", t);
  EXPECT_EQ(service_->SetSeverity(other.id, "SEV1", "x", "", t + 1)->commander, "dana");
  // Declared at SEV2, the leader takes over from the member on duty at once.
  EXPECT_EQ(Declare("SEV2", t).commander, "lee");
}

TEST_F(IncidentServiceTest, AManualHandoffMustFitTheSeverity) {
  const auto t = At("2026-11-23T10:00:00Z");
  const Incident inc = Declare("SEV2", t);
  auto down = service_->Handoff(inc.id, "alice", "lee", "going home", t + 60);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kRefused);
  EXPECT_NE(down.status().message().find("SEV2 is commanded by the leader"), std::string::npos)
      << down.status().ToString();
  auto up = service_->Handoff(inc.id, "dana", "lee", "board asked", t + 60);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->commander, "dana");
  EXPECT_EQ(up->commander_class, CommanderClass::kExecutive);
  const Incident low = Declare("SEV4", t);
  const std::string next = low.commander == "bob" ? "carol" : "bob";
  auto h = service_->Handoff(low.id, next, "alice", "", t + 60);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->commander, next);
  EXPECT_EQ(service_->Handoff(low.id, next, "alice", "", t + 60).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(IncidentServiceTest, TheTimelineIsAppendOnlyAndTheStateIsDerivedFromIt) {
  const auto t = At("2026-11-23T10:00:00Z");
  const Incident inc = Declare("SEV3", t);
  ASSERT_TRUE(service_->Log(inc.id, {EntryKind::kObservation, "key used from 203.0.113.7", "carol"}, t + 60).ok());
  ASSERT_TRUE(service_->AssignRole(inc.id, "scribe", "bob", "carol", t + 90).ok());
  ASSERT_TRUE(service_->SetStatus(inc.id, IncidentStatus::kMitigated, "carol", "key revoked", t + 600).ok());
  ASSERT_TRUE(service_->Resolve(inc.id, "revoked and rotated", "carol", t + 3600).ok());
  // After resolution command and severity are frozen; notes are still welcome.
  EXPECT_EQ(service_->SetSeverity(inc.id, "SEV2", "x", "", t + 4000).status().code(), StatusCode::kRefused);
  EXPECT_EQ(service_->Handoff(inc.id, "bob", "x", "", t + 4000).status().code(), StatusCode::kRefused);
  EXPECT_TRUE(service_->Log(inc.id, {EntryKind::kContributingFactor, "key in a public repo", "carol"}, t + 5000).ok());
  // Entries cannot predate the declaration; only loggable kinds are logged.
  EXPECT_FALSE(service_->Log(inc.id, {EntryKind::kNote, "earlier", "x"}, t - 1).ok());
  EXPECT_FALSE(service_->Log(inc.id, {EntryKind::kSeverityChange, "SEV1", "x"}, t + 1).ok());

  std::vector<IncidentEventRecord> events;
  ASSERT_TRUE(db_->ListIncidentEvents(inc.id, &events).ok());
  ASSERT_EQ(events.size(), 7u);  // declared, command, observation, role, status, resolved, factor
  for (std::size_t i = 1; i < events.size(); ++i) EXPECT_LT(events[i - 1].seq, events[i].seq);
  auto replayed = Replay(events);
  ASSERT_TRUE(replayed.ok());
  const Incident& r = replayed->front();
  EXPECT_EQ(r.status, IncidentStatus::kResolved);
  EXPECT_EQ(r.mitigated, t + 600);
  EXPECT_EQ(r.resolved, t + 3600);
  EXPECT_EQ(r.roles.at("scribe"), std::vector<std::string>{"bob"});
  EXPECT_EQ(r.summary, "revoked and rotated");
  // A stored event the replay cannot apply is an error, not a guess.
  events[2].type = "vanished";
  EXPECT_FALSE(Replay(events).ok());
}

TEST_F(IncidentServiceTest, StatusUpdatesPerAudienceAreRenderedFromTheTimeline) {
  const auto t = At("2026-11-23T10:00:00Z");
  const Incident inc = Declare("SEV1", t);
  ASSERT_TRUE(service_->Log(inc.id, {EntryKind::kObservation, "attacker used key AKIAEXAMPLE", "carol"}, t + 60).ok());
  ASSERT_TRUE(service_->Log(inc.id, {EntryKind::kDecision, "rotate every payments key", "dana"}, t + 120).ok());
  ASSERT_TRUE(service_
                  ->Log(inc.id,
                        {EntryKind::kNote, "We are investigating unusual account activity.", "erin",
                         /*is_public=*/true},
                        t + 180)
                  .ok());
  ASSERT_TRUE(service_->Log(inc.id, {EntryKind::kImpact, "12 customers' card tokens read", "dana"}, t + 200).ok());

  auto eng = service_->StatusUpdate(inc.id, Audience::kEngineering, t + 300, false, "erin");
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  EXPECT_NE(eng->find("attacker used key AKIAEXAMPLE"), std::string::npos);  // the full timeline
  EXPECT_NE(eng->find("# [SEV1] Leaked deploy key used — investigating"), std::string::npos) << *eng;
  EXPECT_NE(eng->find("communications: unassigned"), std::string::npos);  // roles the level needs

  auto exec = service_->StatusUpdate(inc.id, Audience::kExecutives, t + 300, false, "erin");
  ASSERT_TRUE(exec.ok());
  EXPECT_NE(exec->find("rotate every payments key (dana)"), std::string::npos);  // decisions
  EXPECT_NE(exec->find("12 customers' card tokens read"), std::string::npos);    // impact
  EXPECT_EQ(exec->find("AKIAEXAMPLE"), std::string::npos);                       // not the raw observations

  auto press = service_->StatusUpdate(inc.id, Audience::kPress, t + 300, true, "erin");
  ASSERT_TRUE(press.ok());
  EXPECT_NE(press->find("We are investigating unusual account activity."), std::string::npos);
  EXPECT_EQ(press->find("AKIAEXAMPLE"), std::string::npos);
  EXPECT_EQ(press->find("card tokens"), std::string::npos);
  EXPECT_EQ(press->find("Leaked deploy key"), std::string::npos);  // the internal title stays internal
  // Publishing resets the cadence: the next update is 30 minutes after it.
  EXPECT_NE(press->find("next update by 2026-11-23T10:35:00Z"), std::string::npos) << *press;
  auto after = service_->Get(inc.id);
  EXPECT_EQ(after->last_update, t + 300);
  EXPECT_EQ(service_->NextUpdate(*after), t + 300 + 30 * 60);

  // A drill's press statement says so before anything else.
  const Incident drill = Declare("SEV1", t, /*drill=*/true);
  auto drill_press = service_->StatusUpdate(drill.id, Audience::kPress, t + 60, false, "erin");
  ASSERT_TRUE(drill_press.ok());
  EXPECT_LT(drill_press->find("EXERCISE — this is a drill"), drill_press->find("We will post"));
  EXPECT_EQ(press->find("EXERCISE"), std::string::npos);

  // A SEV3 is reported to engineering only.
  const Incident minor = Declare("SEV3", t);
  auto refused = service_->StatusUpdate(minor.id, Audience::kPress, t + 60, false, "erin");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("engineering only"), std::string::npos);
}

TEST_F(IncidentServiceTest, TemplatesAreTheUsersToEdit) {
  dir_.Write("templates/exec.md", "{{id}} is {{status}}; commander {{commander}}{{#drill}} (drill){{/drill}}\n");
  std::string text = kSeverity;
  text += "  templates:\n    executives: templates/exec.md\n";
  UsePolicy(text);
  const Incident inc = Declare("SEV1", At("2026-11-23T10:00:00Z"), /*drill=*/true);
  auto exec = service_->StatusUpdate(inc.id, Audience::kExecutives, At("2026-11-23T10:05:00Z"), false, "x");
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(*exec, inc.id + " is investigating; commander dana (drill)\n");
  // A broken template is a policy error naming the file.
  dir_.Write("templates/exec.md", "{{#open}} never closed\n");
  const std::string path = dir_.Write("bad.yaml", text);
  auto docs = LoadYamlDocuments(path);
  auto bad = ParseSeverityPolicy(docs->front(), path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("exec.md"), std::string::npos) << bad.status().ToString();
}

TEST_F(IncidentServiceTest, PostmortemFollowsTheSeverity) {
  const auto t = At("2026-11-23T10:00:00Z");
  const auto fill = [&](const Incident& inc) {
    ASSERT_TRUE(service_->Log(inc.id, {EntryKind::kObservation, "odd API calls from 203.0.113.7", "bob"}, t + 60).ok());
    ASSERT_TRUE(service_->Log(inc.id, {EntryKind::kContributingFactor, "no alert on new ASN", "bob"}, t + 70).ok());
    ASSERT_TRUE(
        service_->AddActionItem(inc.id, "alert on logins from new ASNs", "carol", std::nullopt, "bob", t + 80).ok());
    ASSERT_TRUE(service_->Resolve(inc.id, "key revoked", "bob", t + 7200).ok());
  };
  const Incident major = Declare("SEV1", t);
  fill(major);
  auto full = service_->Postmortem(major.id, t + 8000);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_NE(full->find("*Full blameless review* — due 2026-11-28"), std::string::npos) << *full;  // 5d after
  EXPECT_NE(full->find("## What went well"), std::string::npos);
  EXPECT_NE(full->find("odd API calls from 203.0.113.7"), std::string::npos);  // the whole timeline
  EXPECT_NE(full->find("- no alert on new ASN"), std::string::npos);
  EXPECT_NE(full->find("| alert on logins from new ASNs | carol | 2026-12-07 |"), std::string::npos)  // 14d
      << *full;
  EXPECT_NE(full->find("| Resolved | 2026-11-23T12:00:00Z | 2h |"), std::string::npos);

  const Incident minor = Declare("SEV3", t);
  fill(minor);
  auto light = service_->Postmortem(minor.id, t + 8000);
  ASSERT_TRUE(light.ok());
  EXPECT_NE(light->find("*Lightweight review* — due 2026-12-07"), std::string::npos) << *light;  // 14d
  EXPECT_EQ(light->find("## What went well"), std::string::npos);
  EXPECT_EQ(light->find("odd API calls"), std::string::npos);  // key moments only
  EXPECT_NE(light->find("**resolved**: key revoked"), std::string::npos);
  EXPECT_NE(light->find("| alert on logins from new ASNs | carol | 2027-01-22 |"), std::string::npos)  // 60d
      << *light;

  const Incident trivial = Declare("SEV4", t);
  ASSERT_TRUE(service_->Resolve(trivial.id, "", "bob", t + 60).ok());
  EXPECT_EQ(service_->Postmortem(trivial.id, t + 100).status().code(), StatusCode::kNotFound);
  // The resolution records the postmortem owed.
  auto resolved = service_->Get(major.id);
  EXPECT_EQ(resolved->timeline.back().kind, EntryKind::kResolved);
  EXPECT_EQ(resolved->timeline.back().fields.at("postmortem"), "full");
}

TEST_F(IncidentServiceTest, ABreachZeroesItsScopesBudgetUntilResolved) {
  // One finding of payments-api, fixed in time: the budget is whole.
  FindingRecord f;
  f.id = 1;
  f.identity = "f1";
  f.service = "payments-api";
  f.team = "payments";
  f.environment = Environment::kProd;
  f.status = FindingStatus::kFixed;
  const auto t0 = At("2026-11-01T00:00:00Z");
  f.first_seen = f.period_start = t0;
  f.due_at = t0 + 2 * kDay;
  ASSERT_TRUE(db_->Begin().ok());
  ASSERT_TRUE(db_->InsertFinding(f).ok());
  EventRecord opened{};
  opened.finding_id = 1;
  opened.at = t0;
  opened.type = EventType::kOpened;
  opened.priority = Priority::kP2;
  opened.due_at = f.due_at;
  ASSERT_TRUE(db_->AppendEvent(&opened).ok());
  EventRecord fixed{};
  fixed.finding_id = 1;
  fixed.at = t0 + kDay;
  fixed.type = EventType::kFixed;
  ASSERT_TRUE(db_->AppendEvent(&fixed).ok());
  ASSERT_TRUE(db_->Commit().ok());

  const auto t = At("2026-11-23T10:00:00Z");
  auto before = slo_->Statuses({}, t);
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->size(), 1u);
  EXPECT_GT((*before)[0].figures.effective_remaining, 0);

  DeclareRequest r = Req("Card tokens read with a stolen key", "SEV1", "erin");
  r.breach = true;
  r.service = "payments-api";
  auto inc = service_->Declare(r, t);
  ASSERT_TRUE(inc.ok()) << inc.status().ToString();
  EXPECT_TRUE(inc->breach);
  auto during = slo_->Statuses({}, t + kHour);
  EXPECT_LE((*during)[0].figures.effective_remaining, 0);
  EXPECT_FALSE(slo_->Gate({"payments-api", "", false}, t + kHour)->pass);
  auto breaches = slo_->ListBreaches();
  ASSERT_EQ(breaches->size(), 1u);
  EXPECT_EQ((*breaches)[0].id, inc->id);
  EXPECT_FALSE((*breaches)[0].resolved.has_value());

  ASSERT_TRUE(service_->Resolve(inc->id, "contained", "dana", t + 5 * kHour).ok());
  breaches = slo_->ListBreaches();
  EXPECT_EQ((*breaches)[0].resolved, t + 5 * kHour);
  // After the SLO policy's recovery period (7 days by default) the budget is back.
  EXPECT_GT((*slo_->Statuses({}, t + 8 * kDay))[0].figures.effective_remaining, 0);

  // A breach needs a scope; a failed declaration leaves nothing behind.
  DeclareRequest unscoped = Req("no scope", "SEV1", "erin");
  unscoped.breach = true;
  EXPECT_FALSE(service_->Declare(unscoped, t).ok());
  // A breach id already taken makes the whole declaration fail: no events.
  BreachRequest taken{"INC-0002", "", "web", "", "declared by hand", "erin"};
  ASSERT_TRUE(slo_->DeclareBreach(taken, t).ok());
  DeclareRequest clash = Req("second", "SEV1", "erin");
  clash.breach = true;
  clash.service = "web";
  EXPECT_FALSE(service_->Declare(clash, t).ok());
  EXPECT_EQ(service_->List()->size(), 1u);
}

TEST_F(IncidentServiceTest, AlertsMatchingATriggerDeclareIncidentsOnce) {
  const auto t = At("2026-11-23T10:00:00Z");
  Alert critical;
  critical.dedup_key = "detect:root-key";
  critical.source = "detect";
  critical.name = "AWS Root Access Key Created";
  critical.summary = "root created an access key";
  critical.starts_at = t - 300;
  critical.labels = {{"level", "critical"}, {"team", "platform"}};
  Alert info = critical;
  info.dedup_key = "detect:login";
  info.labels["level"] = "informational";
  auto declared = service_->FromAlerts({critical, info}, t);
  ASSERT_TRUE(declared.ok()) << declared.status().ToString();
  ASSERT_EQ(declared->size(), 1u);
  const Incident& inc = declared->front();
  EXPECT_EQ(inc.severity, "SEV2");
  EXPECT_EQ(inc.title, "root created an access key");
  EXPECT_EQ(inc.alerts, std::vector<std::string>{"detect:root-key"});
  EXPECT_EQ(inc.detected, t - 300);
  EXPECT_FALSE(inc.acknowledged.has_value());  // nobody has looked yet
  EXPECT_EQ(inc.commander, "lee");
  // The same alert again while the incident is open: nothing new.
  EXPECT_TRUE(service_->FromAlerts({critical}, t + 60)->empty());
  auto ack = service_->Acknowledge(inc.id, "lee", t + 120);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->acknowledged, t + 120);
  EXPECT_FALSE(service_->Acknowledge(inc.id, "lee", t + 130).ok());
  // Resolved, a new episode of the alert declares a new incident.
  ASSERT_TRUE(service_->Resolve(inc.id, "", "lee", t + 600).ok());
  EXPECT_EQ(service_->FromAlerts({critical}, t + 700)->size(), 1u);
}

TEST_F(IncidentServiceTest, OpenIncidentsAlertUntilAcknowledgedAndWhenUpdatesAreLate) {
  const auto t = At("2026-11-23T10:00:00Z");
  DeclareRequest r = Req("root access key created", "SEV2", "secbudget");  // raised by an alert
  r.service = "payments";
  const Incident inc = *service_->Declare(r, t);
  auto alerts = service_->Alerts(t + 60);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  const Alert& page = alerts->front();
  EXPECT_EQ(page.name, "IncidentUnacknowledged");
  EXPECT_EQ(page.source, "incident");
  EXPECT_EQ(page.urgency, Urgency::kPage);
  EXPECT_EQ(page.dedup_key, "incident:" + inc.id + ":unacknowledged");
  EXPECT_EQ(page.labels.at("commander"), "lee");
  EXPECT_EQ(page.labels.at("service"), "payments");
  ASSERT_TRUE(service_->Acknowledge(inc.id, "lee", t + 120).ok());
  EXPECT_TRUE(service_->Alerts(t + 180)->empty());
  // SEV2 updates are due hourly: late, a ticket.
  alerts = service_->Alerts(t + kHour + 60);
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(alerts->front().name, "IncidentUpdateOverdue");
  EXPECT_EQ(alerts->front().urgency, Urgency::kTicket);
  ASSERT_TRUE(service_->StatusUpdate(inc.id, Audience::kEngineering, t + kHour + 120, true, "lee").ok());
  EXPECT_TRUE(service_->Alerts(t + kHour + 180)->empty());
  ASSERT_TRUE(service_->Resolve(inc.id, "", "lee", t + 2 * kHour).ok());
  EXPECT_TRUE(service_->Alerts(t + 5 * kHour)->empty());
  // Declared by hand at a level without cadence: acknowledged, never late.
  Declare("SEV4", t);
  EXPECT_TRUE(service_->Alerts(t + 30 * kDay)->empty());
}

TEST_F(IncidentServiceTest, MetricsPerSeverityAndQuarterLeaveDrillsOut) {
  const auto q3 = At("2026-09-10T10:00:00Z");
  const auto q4 = At("2026-11-23T10:00:00Z");
  const auto run = [&](const std::string& sev, TimePoint t, Duration ack, Duration resolve, bool drill) {
    DeclareRequest r = Req("incident", sev, "secbudget");  // raised by an alert: acknowledged later
    r.drill = drill;
    auto inc = service_->Declare(r, t);
    ASSERT_TRUE(inc.ok());
    ASSERT_TRUE(service_->Acknowledge(inc->id, "bob", t + ack).ok());
    ASSERT_TRUE(service_->Resolve(inc->id, "", "bob", t + resolve).ok());
  };
  run("SEV2", q3, 10 * 60, 4 * kHour, false);
  run("SEV2", q4, 20 * 60, 2 * kHour, false);
  run("SEV3", q4, 60 * 60, 10 * kHour, false);
  run("SEV2", q4, 1, 60, true);  // a drill: would pull the means down
  auto m = service_->ComputeMetrics(0, q4 + kDay);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->drills_excluded, 1u);
  ASSERT_EQ(m->by_severity.size(), 2u);
  EXPECT_EQ(m->by_severity[0].key, "SEV2");
  EXPECT_EQ(m->by_severity[0].incidents, 2u);
  EXPECT_EQ(m->by_severity[0].mtta, 15 * 60);
  EXPECT_EQ(m->by_severity[0].mttr, 3 * kHour);
  EXPECT_EQ(m->by_severity[1].key, "SEV3");
  EXPECT_EQ(m->by_severity[1].mtta, 60 * 60);
  ASSERT_EQ(m->by_quarter.size(), 2u);
  EXPECT_EQ(m->by_quarter[0].key, "2026-Q3");
  EXPECT_EQ(m->by_quarter[0].mttr, 4 * kHour);
  EXPECT_EQ(m->by_quarter[1].key, "2026-Q4");
  EXPECT_EQ(m->by_quarter[1].incidents, 2u);
  EXPECT_EQ(m->by_quarter[1].mttr, 6 * kHour);
  EXPECT_EQ(m->total.incidents, 3u);
  // A window that holds only Q4.
  EXPECT_EQ(service_->ComputeMetrics(At("2026-10-01T00:00:00Z"), q4 + kDay)->total.incidents, 2u);
}

TEST(SeverityPolicy, TheBuiltInDefaultLoads) {
  const SeverityPolicy& p = DefaultSeverityPolicy();
  ASSERT_EQ(p.levels.size(), 4u);
  EXPECT_EQ(p.levels[0].name, "SEV1");
  EXPECT_EQ(p.levels[0].postmortem, PostmortemType::kFull);
  EXPECT_EQ(p.levels[2].postmortem, PostmortemType::kLightweight);
  EXPECT_EQ(p.levels[3].postmortem, PostmortemType::kNone);
  EXPECT_EQ(p.RankOf("sev2"), 1u);
  for (std::string_view name : kTemplateNames) EXPECT_FALSE(p.Template(std::string(name)).empty()) << name;
}

TEST(SeverityPolicy, MistakesAreReportedWithFileAndLine) {
  TempDir dir;
  const auto check = [&](const std::string& spec, const std::string& expected) {
    const std::string path = dir.Write("s.yaml", "apiVersion: secbudget.dev/v1\nkind: SeverityPolicy\nspec:\n" + spec);
    auto docs = LoadYamlDocuments(path);
    ASSERT_TRUE(docs.ok());
    auto p = ParseSeverityPolicy(docs->front(), path);
    ASSERT_FALSE(p.ok()) << spec;
    EXPECT_NE(p.status().ToString().find(expected), std::string::npos) << p.status().ToString();
    EXPECT_NE(p.status().ToString().find("s.yaml:"), std::string::npos) << p.status().ToString();
  };
  check("  levels:\n    - {name: SEV1, commander: boss}\n", "s.yaml:5");
  check("  levels:\n    - {name: SEV1, commander: executive}\n", "no executives are named");
  check("  levels:\n    - {name: SEV1}\n    - {name: SEV2, commander: leader}\n", "more senior commander");
  check("  levels:\n    - {name: SEV1}\n    - {name: sev1}\n", "defined twice");
  check("  levels:\n    - {name: SEV1, postmortem: {type: full}}\n", "due time");
  check("  levels:\n    - {name: SEV1, audiences: [investors]}\n", "investors");
  check("  levels:\n    - {name: SEV1}\n  triggers:\n    - {matchers: ['a=\"b\"'], severity: SEV9}\n", "SEV9");
  check("  levels:\n    - {name: SEV1}\n  triggers:\n    - {matchers: [], severity: SEV1}\n", "at least one matcher");
  check("  levels: []\n", "levels");
  check("  levels:\n    - {name: SEV1, colour: red}\n", "colour");
}

}  // namespace
}  // namespace secbudget::incident
