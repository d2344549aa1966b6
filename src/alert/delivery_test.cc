#include "alert/delivery.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "loopback.h"
#include "store/sqlite/sqlite_store.h"
#include "test_util.h"

namespace secbudget {
namespace {

using testing::Loopback;
using testing::TempDir;
// Order-sensitive: bodies must follow the receivers' documented key order.
using OJson = nlohmann::ordered_json;

constexpr TimePoint kNow = 1700000000;  // 2023-11-14T22:13:20Z
constexpr char kExternalUrl[] = "https://secbudget.example";
constexpr char kGroupKey[] = R"({}:{team="payments"})";

// Two alerts of one group, one firing and one resolved, one more truncated
// by the engine.
Notification FixedNotification() {
  Notification n;
  n.id = "grp-1/1";
  n.receiver = "ops";
  n.team = "payments";
  n.urgency = Urgency::kPage;
  n.group_key = kGroupKey;
  n.at = kNow;
  n.group_labels = {{"team", "payments"}};
  n.common_labels = {{"service", "checkout"}, {"team", "payments"}};
  NotifiedAlert burn;
  burn.dedup_key = "slo-burn-checkout";
  burn.source = "slo";
  burn.name = "SLOBurnRate";
  burn.summary = "checkout burns its budget 14x";
  burn.urgency = Urgency::kPage;
  burn.starts_at = kNow - 1000;
  burn.labels = {{"service", "checkout"}, {"team", "payments"}, {"window", "1h"}};
  burn.annotations = {{"burn_rate", "14.2"}};
  NotifiedAlert exhausted;
  exhausted.dedup_key = "slo-exhausted-checkout";
  exhausted.resolved = true;
  exhausted.source = "slo";
  exhausted.name = "SLOBudgetExhausted";
  exhausted.summary = "checkout has no budget left";
  exhausted.urgency = Urgency::kPage;
  exhausted.starts_at = kNow - 10000;
  exhausted.ends_at = kNow - 100;
  exhausted.labels = {{"service", "checkout"}, {"team", "payments"}};
  exhausted.annotations = {{"remaining", "0%"}};
  n.alerts = {burn, exhausted};
  n.truncated = 1;
  return n;
}

// The group once both its alerts are resolved, with a severity label.
Notification ResolvedNotification() {
  Notification n = FixedNotification();
  n.id = "grp-1/2";
  n.resolved = true;
  n.truncated = 0;
  n.common_labels["severity"] = "Warning";
  n.alerts[0].resolved = true;
  n.alerts[0].ends_at = kNow - 5;
  n.alerts[1].name = "SLOBurnRate";
  return n;
}

Receiver MakeReceiver(std::string name, ReceiverKind kind) {
  Receiver r;
  r.name = std::move(name);
  r.kind = kind;
  r.url = "http://127.0.0.1:1/hook";
  r.routing_key = "R0UT1NGKEY";
  r.timeout = 2;
  return r;
}

OutboxEntry RenderOne(const Notification& n, const Receiver& r, const std::string& external_url = kExternalUrl) {
  std::vector<OutboxEntry> entries = RenderNotification(n, r, kNow, external_url);
  EXPECT_EQ(entries.size(), 1U);
  return entries.empty() ? OutboxEntry() : entries.front();
}

// The alerts of FixedNotification as the webhook (and jsonl) show them.
constexpr char kWebhookAlerts[] = R"js([
  {"status": "firing",
   "labels": {"alertname": "SLOBurnRate", "service": "checkout", "source": "slo", "team": "payments",
              "urgency": "page", "window": "1h"},
   "annotations": {"burn_rate": "14.2", "summary": "checkout burns its budget 14x"},
   "startsAt": "2023-11-14T21:56:40Z", "endsAt": "0001-01-01T00:00:00Z",
   "generatorURL": "https://secbudget.example", "fingerprint": "slo-burn-checkout"},
  {"status": "resolved",
   "labels": {"alertname": "SLOBudgetExhausted", "service": "checkout", "source": "slo", "team": "payments",
              "urgency": "page"},
   "annotations": {"remaining": "0%", "summary": "checkout has no budget left"},
   "startsAt": "2023-11-14T19:26:40Z", "endsAt": "2023-11-14T22:11:40Z",
   "generatorURL": "https://secbudget.example", "fingerprint": "slo-exhausted-checkout"}])js";

OJson ExpectedWebhook(const std::string& receiver) {
  OJson j = OJson::parse(R"js({
    "version": "4",
    "groupKey": "{}:{team=\"payments\"}",
    "truncatedAlerts": 1,
    "status": "firing",
    "receiver": "",
    "groupLabels": {"team": "payments"},
    "commonLabels": {"service": "checkout", "source": "slo", "team": "payments", "urgency": "page"},
    "commonAnnotations": {},
    "externalURL": "https://secbudget.example",
    "alerts": []})js");
  j["receiver"] = receiver;
  j["alerts"] = OJson::parse(kWebhookAlerts);
  return j;
}

TEST(DeliveryRenderTest, WebhookIsAlertmanagerVersion4) {
  const Receiver r = MakeReceiver("ops-webhook", ReceiverKind::kWebhook);
  const OutboxEntry e = RenderOne(FixedNotification(), r);
  EXPECT_EQ(OJson::parse(e.body), ExpectedWebhook("ops-webhook"));
  EXPECT_EQ(e.body.find('\n'), std::string::npos);
  EXPECT_EQ(e.idempotency_key, "grp-1/1/ops-webhook");
  EXPECT_EQ(e.receiver, "ops-webhook");
  EXPECT_EQ(e.kind, "webhook");
  EXPECT_EQ(e.target, "http://127.0.0.1:1/hook");
  EXPECT_EQ(e.created_at, kNow);
  EXPECT_EQ(e.next_attempt_at, kNow);
  EXPECT_EQ(e.state, OutboxState::kPending);
  EXPECT_EQ(e.attempts, 0);
  EXPECT_EQ(e.id, 0);
}

TEST(DeliveryRenderTest, WebhookRespectsMaxAlertsAndKeepsExistingLabels) {
  Receiver r = MakeReceiver("ops-webhook", ReceiverKind::kWebhook);
  r.max_alerts = 1;
  Notification n = FixedNotification();
  n.alerts[0].labels["alertname"] = "Custom";  // an alert's own label wins
  const OJson body = OJson::parse(RenderOne(n, r, "").body);
  EXPECT_EQ(body["truncatedAlerts"], 2);
  ASSERT_EQ(body["alerts"].size(), 1U);
  EXPECT_EQ(body["alerts"][0]["labels"]["alertname"], "Custom");
  EXPECT_EQ(body["alerts"][0]["generatorURL"], "");
  EXPECT_EQ(body["externalURL"], "");
}

TEST(DeliveryRenderTest, SlackHasTextAndBlocks) {
  const Receiver r = MakeReceiver("ops-slack", ReceiverKind::kSlack);
  const OutboxEntry e = RenderOne(FixedNotification(), r);
  const OJson expected = OJson::parse(R"js({
    "text": "[FIRING:1] payments (checkout slo page)",
    "blocks": [
      {"type": "header", "text": {"type": "plain_text", "text": "[FIRING:1] payments (checkout slo page)"}},
      {"type": "section", "text": {"type": "mrkdwn", "text": "*SLOBurnRate* (page, firing)\ncheckout burns its budget 14x"}},
      {"type": "section",
       "text": {"type": "mrkdwn", "text": "*SLOBudgetExhausted* (page, resolved)\ncheckout has no budget left"}},
      {"type": "context", "elements": [{"type": "mrkdwn", "text": "and 1 more"}]},
      {"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://secbudget.example|secbudget>"}]}]})js");
  EXPECT_EQ(OJson::parse(e.body), expected);
  EXPECT_EQ(e.kind, "slack");
  EXPECT_EQ(e.idempotency_key, "grp-1/1/ops-slack");
}

TEST(DeliveryRenderTest, SlackLimitsSectionsEscapesAndCutsTheHeader) {
  const Receiver r = MakeReceiver("ops-slack", ReceiverKind::kSlack);
  Notification n = FixedNotification();
  n.truncated = 0;
  n.group_labels = {{"team", std::string(200, 'p')}};
  n.alerts.resize(12, n.alerts[0]);  // 11 firing, 1 resolved
  n.alerts[0].summary = "p99 < 200ms & <!channel>";
  const OJson body = OJson::parse(RenderOne(n, r, "").body);
  const OJson& blocks = body["blocks"];
  ASSERT_EQ(blocks.size(), 12U);  // header, 10 sections, "and 2 more"
  const std::string header = blocks[0]["text"]["text"];
  EXPECT_LE(header.size(), 150U);
  EXPECT_EQ(header.substr(header.size() - 3), "\xE2\x80\xA6");
  EXPECT_EQ(blocks[1]["text"]["text"], "*SLOBurnRate* (page, firing)\np99 &lt; 200ms &amp; &lt;!channel&gt;");
  EXPECT_EQ(blocks[10]["type"], "section");
  EXPECT_EQ(blocks[11],
            OJson::parse(R"js({"type": "context", "elements": [{"type": "mrkdwn", "text": "and 2 more"}]})js"));
  EXPECT_EQ(body["text"].get<std::string>().rfind("[FIRING:11] ", 0), 0U);
}

TEST(DeliveryRenderTest, PagerDutyTrigger) {
  Receiver r = MakeReceiver("ops-pd", ReceiverKind::kPagerDuty);
  r.url.clear();
  const OutboxEntry e = RenderOne(FixedNotification(), r);
  OJson expected = OJson::parse(R"js({
    "routing_key": "R0UT1NGKEY",
    "event_action": "trigger",
    "dedup_key": "{}:{team=\"payments\"}",
    "payload": {
      "summary": "[FIRING:1] payments (checkout slo page)",
      "source": "checkout",
      "severity": "critical",
      "timestamp": "2023-11-14T22:13:20Z",
      "component": "slo",
      "group": "payments",
      "custom_details": {"num_firing": 1, "num_resolved": 1, "truncated_alerts": 1, "alerts": []}},
    "client": "secbudget",
    "client_url": "https://secbudget.example"})js");
  OJson alerts = OJson::parse(kWebhookAlerts);
  for (OJson& a : alerts) a.erase("generatorURL");
  expected["payload"]["custom_details"]["alerts"] = alerts;
  EXPECT_EQ(OJson::parse(e.body), expected);
  EXPECT_EQ(e.target, kPagerDutyEventsUrl);
  EXPECT_EQ(e.kind, "pagerduty");
}

TEST(DeliveryRenderTest, PagerDutyResolve) {
  Receiver r = MakeReceiver("ops-pd", ReceiverKind::kPagerDuty);
  r.url = "http://127.0.0.1:9/v2/enqueue";
  const OutboxEntry e = RenderOne(ResolvedNotification(), r, "");
  const OJson expected = OJson::parse(R"js({
    "routing_key": "R0UT1NGKEY",
    "event_action": "resolve",
    "dedup_key": "{}:{team=\"payments\"}",
    "payload": {
      "summary": "[RESOLVED] payments (SLOBurnRate checkout Warning slo page)",
      "source": "checkout",
      "severity": "warning",
      "timestamp": "2023-11-14T22:13:20Z",
      "component": "slo",
      "group": "payments",
      "class": "SLOBurnRate",
      "custom_details": {"num_firing": 0, "num_resolved": 2, "truncated_alerts": 0, "alerts": [
        {"status": "resolved",
         "labels": {"alertname": "SLOBurnRate", "service": "checkout", "source": "slo", "team": "payments",
                    "urgency": "page", "window": "1h"},
         "annotations": {"burn_rate": "14.2", "summary": "checkout burns its budget 14x"},
         "startsAt": "2023-11-14T21:56:40Z", "endsAt": "2023-11-14T22:13:15Z", "fingerprint": "slo-burn-checkout"},
        {"status": "resolved",
         "labels": {"alertname": "SLOBurnRate", "service": "checkout", "source": "slo", "team": "payments",
                    "urgency": "page"},
         "annotations": {"remaining": "0%", "summary": "checkout has no budget left"},
         "startsAt": "2023-11-14T19:26:40Z", "endsAt": "2023-11-14T22:11:40Z",
         "fingerprint": "slo-exhausted-checkout"}]}}})js");
  EXPECT_EQ(OJson::parse(e.body), expected);
  EXPECT_EQ(e.target, "http://127.0.0.1:9/v2/enqueue");
  EXPECT_EQ(e.idempotency_key, "grp-1/2/ops-pd");
}

TEST(DeliveryRenderTest, PagerDutyAcknowledgeAction) {
  const Receiver r = MakeReceiver("ops-pd", ReceiverKind::kPagerDuty);
  const OutboxEntry e = RenderPagerDutyAction(r, kGroupKey, "acknowledge", kNow);
  EXPECT_EQ(OJson::parse(e.body), OJson::parse(R"js({"routing_key": "R0UT1NGKEY", "event_action": "acknowledge",
                                                   "dedup_key": "{}:{team=\"payments\"}"})js"));
  EXPECT_EQ(e.kind, "pagerduty");
  EXPECT_EQ(e.receiver, "ops-pd");
  EXPECT_EQ(e.target, "http://127.0.0.1:1/hook");
  EXPECT_EQ(e.state, OutboxState::kPending);
  EXPECT_EQ(e.next_attempt_at, kNow);
  EXPECT_NE(e.idempotency_key, RenderPagerDutyAction(r, kGroupKey, "resolve", kNow).idempotency_key);
}

TEST(DeliveryRenderTest, PagerDutyHashesLongGroupKeysAlikeForEveryAction) {
  const Receiver r = MakeReceiver("ops-pd", ReceiverKind::kPagerDuty);
  Notification n = FixedNotification();
  n.group_key = "{}:{service=\"" + std::string(300, 's') + "\"}";
  n.group_labels = {{"service", std::string(2000, 'x')}};
  const OJson trigger = OJson::parse(RenderOne(n, r).body);
  const std::string dedup_key = trigger["dedup_key"];
  EXPECT_LE(dedup_key.size(), 255U);
  EXPECT_NE(dedup_key, n.group_key);
  EXPECT_LE(trigger["payload"]["summary"].get<std::string>().size(), 1024U);
  EXPECT_EQ(OJson::parse(RenderPagerDutyAction(r, n.group_key, "resolve", kNow).body)["dedup_key"], dedup_key);
  EXPECT_EQ(OJson::parse(RenderPagerDutyAction(r, dedup_key, "resolve", kNow).body)["dedup_key"], dedup_key);
}

TEST(DeliveryRenderTest, JsonlIsTheWebhookShapeOnOneLine) {
  Receiver r = MakeReceiver("archive", ReceiverKind::kJsonl);
  r.path = "/var/log/secbudget/alerts.jsonl";
  const OutboxEntry e = RenderOne(FixedNotification(), r);
  EXPECT_EQ(OJson::parse(e.body), ExpectedWebhook("archive"));
  EXPECT_EQ(e.body.find('\n'), std::string::npos);
  EXPECT_EQ(e.target, "/var/log/secbudget/alerts.jsonl");
  EXPECT_EQ(e.kind, "jsonl");
  r.path.clear();
  EXPECT_EQ(RenderOne(FixedNotification(), r).target, "-");
}

TEST(DeliveryRenderTest, ResolvedIsSkippedWithoutSendResolved) {
  Receiver r = MakeReceiver("ops-webhook", ReceiverKind::kWebhook);
  r.send_resolved = false;
  EXPECT_TRUE(RenderNotification(ResolvedNotification(), r, kNow).empty());
  EXPECT_EQ(RenderNotification(FixedNotification(), r, kNow).size(), 1U);  // partly resolved still goes
}

TEST(DeliveryRenderTest, InvalidUtf8IsReplacedNotThrown) {
  const Receiver r = MakeReceiver("ops-webhook", ReceiverKind::kWebhook);
  Notification n = FixedNotification();
  n.alerts[0].summary = "bad \xff\xfe bytes";
  const OJson body = OJson::parse(RenderOne(n, r).body);
  EXPECT_EQ(body["alerts"][0]["annotations"]["summary"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

TEST(DeliveryPolicyTest, BackoffDoublesAndCaps) {
  RetryPolicy p;
  p.initial_backoff = 30;
  p.max_backoff = kHour;
  EXPECT_EQ(Backoff(p, 0), 0);
  EXPECT_EQ(Backoff(p, 1), 30);
  EXPECT_EQ(Backoff(p, 2), 60);
  EXPECT_EQ(Backoff(p, 3), 120);
  EXPECT_EQ(Backoff(p, 7), 1920);
  EXPECT_EQ(Backoff(p, 8), kHour);
  EXPECT_EQ(Backoff(p, 1000000), kHour);
  p.max_backoff = std::numeric_limits<Duration>::max();
  EXPECT_EQ(Backoff(p, 1000000), p.max_backoff);  // no overflow
}

TEST(DeliveryPolicyTest, ReceiverKindNames) {
  for (ReceiverKind k :
       {ReceiverKind::kWebhook, ReceiverKind::kSlack, ReceiverKind::kPagerDuty, ReceiverKind::kJsonl}) {
    EXPECT_EQ(ParseReceiverKind(Name(k)), k);
  }
  EXPECT_EQ(Name(ReceiverKind::kPagerDuty), "pagerduty");
  EXPECT_EQ(ParseReceiverKind("email"), std::nullopt);
}

std::unique_ptr<Database> OpenStore(const TempDir& dir) {
  auto db = OpenSqliteStore(dir.File("outbox.db"));
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

std::vector<OutboxEntry> List(AlertStore& store, std::optional<OutboxState> state) {
  std::vector<OutboxEntry> out;
  EXPECT_TRUE(store.ListOutbox(state, &out).ok());
  return out;
}

// Notification `seq` of group `group`, for load and ordering tests.
Notification Numbered(const std::string& group, int seq) {
  Notification n = FixedNotification();
  n.id = group + "/" + std::to_string(seq);
  n.group_key = group;
  n.at = kNow + seq;
  return n;
}

void Enqueue(AlertStore& store, const Notification& n, const Receiver& r, TimePoint now) {
  std::vector<OutboxEntry> entries = RenderNotification(n, r, now);
  ASSERT_TRUE(store.EnqueueOutbox(&entries).ok());
  for (const OutboxEntry& e : entries) EXPECT_GT(e.id, 0);
}

DeliveryReport Deliver(AlertStore& store, const std::map<std::string, Receiver>& receivers, const RetryPolicy& p,
                       TimePoint now) {
  const auto transport = MakeTransport();
  auto report = DeliverDue(store, *transport, receivers, p, now);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? *report : DeliveryReport();
}

// A port nobody listens on: bound once, then released.
int ClosedPort() {
  Loopback probe;
  EXPECT_TRUE(probe.Start());
  const int port = probe.port();
  probe.Stop();
  return port;
}

TEST(DeliveryTransportTest, ReceiverGetsExactBytesWithIdempotencyKey) {
  Loopback server;
  ASSERT_TRUE(server.Start());
  Receiver r = MakeReceiver("ops-webhook", ReceiverKind::kWebhook);
  r.url = server.Url("/alertmanager/hook");
  r.headers = {{"Authorization", "Bearer t0ken"}, {"Idempotency-Key", "forged"}};
  const OutboxEntry e = RenderOne(FixedNotification(), r);
  const SendResult res = MakeTransport()->Send(e, r);
  EXPECT_TRUE(res.ok) << res.error;
  EXPECT_EQ(res.http_status, 200);
  const std::vector<Loopback::Request> got = server.received();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].body, e.body);
  EXPECT_EQ(got[0].path, "/alertmanager/hook");
  EXPECT_EQ(got[0].idempotency_key, "grp-1/1/ops-webhook");
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].authorization, "Bearer t0ken");
}

TEST(DeliveryTransportTest, ClassifiesStatusesAndTransportErrors) {
  const std::vector<int> statuses = {200, 204, 301, 400, 401, 404, 408, 413, 429, 500, 502, 503};
  Loopback server;
  server.SetStatuses([&](std::size_t n) { return statuses[n - 1]; });
  ASSERT_TRUE(server.Start());
  Receiver r = MakeReceiver("ops-webhook", ReceiverKind::kWebhook);
  r.url = server.Url("/hook");
  const OutboxEntry e = RenderOne(FixedNotification(), r);
  const auto transport = MakeTransport();
  for (int status : statuses) {
    SCOPED_TRACE(status);
    const SendResult res = transport->Send(e, r);
    EXPECT_EQ(res.http_status, status);
    EXPECT_EQ(res.ok, status / 100 == 2);
    EXPECT_EQ(res.retryable, status == 408 || status == 429 || status >= 500);
    EXPECT_EQ(res.error, res.ok ? "" : "HTTP " + std::to_string(status) + ": refused: bad payload");
  }
  server.Stop();
  const SendResult refused = transport->Send(e, r);
  EXPECT_FALSE(refused.ok);
  EXPECT_TRUE(refused.retryable);
  EXPECT_EQ(refused.http_status, 0);
  EXPECT_EQ(refused.error, "request failed: could not connect");

  OutboxEntry bad = e;
  bad.target = "ftp://example.com/hook";
  const SendResult invalid = transport->Send(bad, r);
  EXPECT_FALSE(invalid.ok);
  EXPECT_FALSE(invalid.retryable);
}

// The outbox survives a receiver outage mid-stream: nothing lost, nothing
// repeated, order kept.
TEST(DeliveryOutboxTest, ReceiverOutageMidStreamLosesAndRepeatsNothing) {
  TempDir dir;
  auto db = OpenStore(dir);
  ASSERT_NE(db, nullptr);
  Loopback server;
  server.StopAfter(20);
  ASSERT_TRUE(server.Start());
  const int port = server.port();
  Receiver r = MakeReceiver("ops", ReceiverKind::kWebhook);
  r.url = server.Url("/hook");
  const std::map<std::string, Receiver> receivers = {{r.name, r}};
  RetryPolicy policy;
  policy.initial_backoff = 30;
  policy.max_backoff = kHour;
  constexpr int kEntries = 50;
  for (int i = 1; i <= kEntries; ++i) Enqueue(*db, Numbered("grp", i), r, kNow);
  const std::vector<OutboxEntry> enqueued = List(*db, std::nullopt);
  ASSERT_EQ(enqueued.size(), static_cast<std::size_t>(kEntries));

  // The receiver goes away after answering the 20th request.
  DeliveryReport report = Deliver(*db, receivers, policy, kNow);
  EXPECT_EQ(report.sent, 20U);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_EQ(report.dead, 0U);
  EXPECT_EQ(report.waiting, 30U);
  EXPECT_EQ(report.next_attempt, kNow + 30);
  server.Stop();
  std::vector<OutboxEntry> pending = List(*db, OutboxState::kPending);
  ASSERT_EQ(pending.size(), 30U);
  EXPECT_EQ(pending[0].idempotency_key, "grp/21/ops");
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_EQ(pending[0].next_attempt_at, kNow + 30);
  EXPECT_EQ(pending[0].last_error, "request failed: could not connect");
  for (std::size_t i = 1; i < pending.size(); ++i) {
    EXPECT_EQ(pending[i].attempts, 0) << pending[i].idempotency_key;  // held, not attempted
    EXPECT_EQ(pending[i].next_attempt_at, kNow);
  }
  for (const OutboxEntry& e : List(*db, OutboxState::kDelivered)) {
    EXPECT_EQ(e.delivered_at, kNow);
    EXPECT_EQ(e.attempts, 1);
  }

  // Within the backoff nothing is attempted, although later entries are due.
  report = Deliver(*db, receivers, policy, kNow + 29);
  EXPECT_EQ(report.sent + report.failed + report.dead, 0U);
  EXPECT_EQ(report.waiting, 30U);
  EXPECT_EQ(report.next_attempt, kNow + 30);

  // Still down after the backoff: the delay doubles.
  report = Deliver(*db, receivers, policy, kNow + 30);
  EXPECT_EQ(report.sent, 0U);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_EQ(report.next_attempt, kNow + 30 + 60);
  pending = List(*db, OutboxState::kPending);
  ASSERT_EQ(pending.size(), 30U);
  EXPECT_EQ(pending[0].attempts, 2);
  EXPECT_EQ(pending[0].next_attempt_at, kNow + 90);
  EXPECT_EQ(pending[1].attempts, 0);

  // Back on the same port; once the backoff has passed the outbox drains.
  ASSERT_TRUE(server.Start(port));
  report = Deliver(*db, receivers, policy, kNow + 89);
  EXPECT_EQ(report.sent, 0U);
  report = Deliver(*db, receivers, policy, kNow + 90);
  EXPECT_EQ(report.sent, 30U);
  EXPECT_EQ(report.failed, 0U);
  EXPECT_EQ(report.waiting, 0U);
  EXPECT_EQ(report.next_attempt, std::nullopt);
  report = Deliver(*db, receivers, policy, kNow + 1000);
  EXPECT_EQ(report.sent, 0U);

  const std::vector<Loopback::Request> got = server.received();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kEntries));
  for (int i = 0; i < kEntries; ++i) {
    EXPECT_EQ(got[i].idempotency_key, "grp/" + std::to_string(i + 1) + "/ops");
    EXPECT_EQ(got[i].body, enqueued[i].body);
  }
  const std::vector<OutboxEntry> delivered = List(*db, OutboxState::kDelivered);
  ASSERT_EQ(delivered.size(), static_cast<std::size_t>(kEntries));
  for (int i = 0; i < kEntries; ++i) {
    EXPECT_EQ(delivered[i].id, enqueued[i].id);
    EXPECT_EQ(delivered[i].delivered_at, i < 20 ? kNow : kNow + 90);
    EXPECT_EQ(delivered[i].last_error, "");
  }
  EXPECT_EQ(delivered[20].attempts, 3);
  EXPECT_TRUE(List(*db, OutboxState::kPending).empty());
  EXPECT_TRUE(List(*db, OutboxState::kDead).empty());
}

TEST(DeliveryOutboxTest, ClientErrorGoesDeadServerErrorsRetry) {
  TempDir dir;
  auto db = OpenStore(dir);
  ASSERT_NE(db, nullptr);
  Loopback server;
  // e1: 503, 429, then 200; e2: 400 (dead); e3: 200, not held by e2.
  const std::vector<int> statuses = {503, 429, 200, 400, 200};
  server.SetStatuses([&](std::size_t n) { return statuses.at(n - 1); });
  ASSERT_TRUE(server.Start());
  Receiver r = MakeReceiver("ops", ReceiverKind::kWebhook);
  r.url = server.Url("/hook");
  const std::map<std::string, Receiver> receivers = {{r.name, r}};
  const RetryPolicy policy;
  for (int i = 1; i <= 3; ++i) Enqueue(*db, Numbered("grp", i), r, kNow);

  DeliveryReport report = Deliver(*db, receivers, policy, kNow);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_EQ(report.waiting, 3U);
  EXPECT_EQ(List(*db, OutboxState::kPending)[0].last_error, "HTTP 503: refused: bad payload");
  report = Deliver(*db, receivers, policy, kNow + 30);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_EQ(report.next_attempt, kNow + 30 + 60);
  EXPECT_EQ(List(*db, OutboxState::kPending)[0].last_error, "HTTP 429: refused: bad payload");
  report = Deliver(*db, receivers, policy, kNow + 90);
  EXPECT_EQ(report.sent, 2U);
  EXPECT_EQ(report.dead, 1U);
  EXPECT_EQ(report.failed, 0U);
  EXPECT_EQ(report.waiting, 0U);

  const std::vector<OutboxEntry> all = List(*db, std::nullopt);
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].state, OutboxState::kDelivered);
  EXPECT_EQ(all[0].attempts, 3);
  EXPECT_EQ(all[1].state, OutboxState::kDead);
  EXPECT_EQ(all[1].attempts, 1);
  EXPECT_EQ(all[1].last_error, "HTTP 400: refused: bad payload");
  EXPECT_EQ(all[2].state, OutboxState::kDelivered);
  EXPECT_EQ(server.received().size(), statuses.size());
}

TEST(DeliveryOutboxTest, GivesUpAfterTheLimit) {
  TempDir dir;
  auto db = OpenStore(dir);
  ASSERT_NE(db, nullptr);
  Receiver r = MakeReceiver("ops", ReceiverKind::kWebhook);
  r.url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/hook";
  const std::map<std::string, Receiver> receivers = {{r.name, r}};
  RetryPolicy policy;
  policy.give_up_after = kHour;
  Enqueue(*db, Numbered("grp", 1), r, kNow);
  Enqueue(*db, Numbered("grp", 2), r, kNow);

  DeliveryReport report = Deliver(*db, receivers, policy, kNow + kHour - 1);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_EQ(report.dead, 0U);
  report = Deliver(*db, receivers, policy, kNow + 2 * kHour);
  EXPECT_EQ(report.failed, 0U);
  EXPECT_EQ(report.dead, 1U);  // the second waits behind it for the next round
  EXPECT_EQ(report.waiting, 1U);
  const std::vector<OutboxEntry> dead = List(*db, OutboxState::kDead);
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].idempotency_key, "grp/1/ops");
  EXPECT_EQ(dead[0].attempts, 2);
  EXPECT_EQ(dead[0].last_error, "gave up after 2h: request failed: could not connect");
  EXPECT_EQ(List(*db, OutboxState::kPending).at(0).attempts, 0);
}

TEST(DeliveryOutboxTest, UnknownReceiverGoesDead) {
  TempDir dir;
  auto db = OpenStore(dir);
  ASSERT_NE(db, nullptr);
  Enqueue(*db, Numbered("grp", 1), MakeReceiver("ghost", ReceiverKind::kWebhook), kNow);
  const DeliveryReport report = Deliver(*db, {}, RetryPolicy(), kNow);
  EXPECT_EQ(report.dead, 1U);
  EXPECT_EQ(report.sent + report.failed + report.waiting, 0U);
  const std::vector<OutboxEntry> dead = List(*db, OutboxState::kDead);
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].last_error, "unknown receiver \"ghost\"");
  EXPECT_EQ(dead[0].attempts, 0);
}

TEST(DeliveryOutboxTest, AFailingReceiverHoldsOnlyItsOwnLaterEntries) {
  TempDir dir;
  auto db = OpenStore(dir);
  ASSERT_NE(db, nullptr);
  Loopback up_server;
  ASSERT_TRUE(up_server.Start());
  Receiver up = MakeReceiver("up", ReceiverKind::kWebhook);
  up.url = up_server.Url("/hook");
  Receiver down = MakeReceiver("down", ReceiverKind::kWebhook);
  down.url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/hook";
  const std::map<std::string, Receiver> receivers = {{up.name, up}, {down.name, down}};
  const RetryPolicy policy;
  Enqueue(*db, Numbered("grp", 1), down, kNow);
  Enqueue(*db, Numbered("grp", 1), up, kNow);
  Enqueue(*db, Numbered("grp", 2), down, kNow);
  Enqueue(*db, Numbered("grp", 2), up, kNow);

  DeliveryReport report = Deliver(*db, receivers, policy, kNow);
  EXPECT_EQ(report.sent, 2U);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_EQ(report.waiting, 2U);
  EXPECT_EQ(report.next_attempt, kNow + 30);
  std::vector<OutboxEntry> pending = List(*db, OutboxState::kPending);
  ASSERT_EQ(pending.size(), 2U);
  EXPECT_EQ(pending[0].idempotency_key, "grp/1/down");
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_EQ(pending[1].idempotency_key, "grp/2/down");
  EXPECT_EQ(pending[1].attempts, 0);

  // grp/2 is due but must not overtake grp/1, which waits out its backoff.
  report = Deliver(*db, receivers, policy, kNow + 5);
  EXPECT_EQ(report.sent + report.failed + report.dead, 0U);
  EXPECT_EQ(report.waiting, 2U);
  pending = List(*db, OutboxState::kPending);
  EXPECT_EQ(pending[1].attempts, 0);

  const std::vector<Loopback::Request> got = up_server.received();
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].idempotency_key, "grp/1/up");
  EXPECT_EQ(got[1].idempotency_key, "grp/2/up");
}

TEST(DeliveryOutboxTest, JsonlSinkAppendsLines) {
  TempDir dir;
  auto db = OpenStore(dir);
  ASSERT_NE(db, nullptr);
  Receiver r = MakeReceiver("archive", ReceiverKind::kJsonl);
  r.path = dir.File("alerts.jsonl");
  Receiver broken = MakeReceiver("broken", ReceiverKind::kJsonl);
  broken.path = dir.File("missing/alerts.jsonl");
  const std::map<std::string, Receiver> receivers = {{r.name, r}, {broken.name, broken}};
  Enqueue(*db, Numbered("grp", 1), r, kNow);
  Enqueue(*db, Numbered("grp", 2), r, kNow);
  Enqueue(*db, Numbered("grp", 1), broken, kNow);
  DeliveryReport report = Deliver(*db, receivers, RetryPolicy(), kNow);
  EXPECT_EQ(report.sent, 2U);
  EXPECT_EQ(report.failed, 1U);  // a file error is retried
  Enqueue(*db, Numbered("grp", 3), r, kNow + 1);
  report = Deliver(*db, receivers, RetryPolicy(), kNow + 1);
  EXPECT_EQ(report.sent, 1U);

  std::string expected;
  for (const OutboxEntry& e : List(*db, OutboxState::kDelivered)) expected += e.body + "\n";
  std::ifstream in(r.path);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), expected);
  int lines = 0;
  std::istringstream split(got.str());
  for (std::string line; std::getline(split, line); ++lines) {
    EXPECT_EQ(OJson::parse(line)["groupKey"], "grp");
  }
  EXPECT_EQ(lines, 3);
  const std::vector<OutboxEntry> pending = List(*db, OutboxState::kPending);
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].receiver, "broken");
  EXPECT_EQ(pending[0].next_attempt_at, kNow + 30);
  EXPECT_EQ(pending[0].last_error.rfind("open " + broken.path + ": ", 0), 0U) << pending[0].last_error;
}

TEST(DeliveryOutboxTest, EnqueueIsIdempotentAndListsEveryState) {
  TempDir dir;
  auto db = OpenStore(dir);
  ASSERT_NE(db, nullptr);
  const Receiver r = MakeReceiver("ops", ReceiverKind::kWebhook);
  Enqueue(*db, Numbered("grp", 1), r, kNow);
  std::vector<OutboxEntry> again = RenderNotification(Numbered("grp", 1), r, kNow + 5);
  ASSERT_TRUE(db->EnqueueOutbox(&again).ok());
  EXPECT_EQ(again.at(0).id, 0);  // already enqueued: skipped
  Enqueue(*db, Numbered("grp", 2), MakeReceiver("ghost", ReceiverKind::kWebhook), kNow);
  EXPECT_EQ(Deliver(*db, {}, RetryPolicy(), kNow).dead, 2U);
  EXPECT_EQ(List(*db, std::nullopt).size(), 2U);  // all states, not none
  EXPECT_EQ(List(*db, OutboxState::kDead).size(), 2U);
}

}  // namespace
}  // namespace secbudget
