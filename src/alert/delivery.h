// Delivery: receivers (sinks), the payloads they take, and the persistent
// outbox that delivers them with retries. Rendering happens once, when a
// notification is enqueued, so every retry sends the same bytes.
//
// Payloads, as their receivers document them:
// - webhook:   Prometheus Alertmanager's webhook payload (version "4"),
//              so anything that takes Alertmanager webhooks takes ours;
// - slack:     a Slack incoming-webhook message (text + blocks);
// - pagerduty: PagerDuty Events API v2 (trigger / acknowledge / resolve,
//              with routing_key, dedup_key and payload.summary/source/
//              severity/timestamp/component/group/class/custom_details);
//              dedup_key is the group key (hashed when over 255 chars),
//              source the common "service" label (else "secbudget"),
//              component the alerts' source, group the team, class the
//              alert name, severity a common "severity" label or the
//              urgency (page critical, ticket warning, digest info);
// - jsonl:     one JSON object per line, appended to a file or stdout ("-").
//
// Outbox rules: entries of one receiver are delivered in order; when one
// fails with a retryable error (connection refused or reset, timeout, HTTP
// 408/429/5xx) that receiver waits (exponential backoff) and its later
// entries wait with it; other HTTP errors are permanent and the entry goes
// dead (reported, never silently dropped). Each result is written as soon
// as it is known, so a crash repeats at most the one entry in flight, and
// every request carries the entry's idempotency key (header
// Idempotency-Key) so receivers can drop such a repeat.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert_store.h"
#include "alert/notification.h"
#include "common/status.h"
#include "common/time.h"

namespace secbudget {

enum class ReceiverKind : std::uint8_t { kWebhook, kSlack, kPagerDuty, kJsonl };
std::string_view Name(ReceiverKind k);
std::optional<ReceiverKind> ParseReceiverKind(std::string_view s);

inline constexpr std::string_view kPagerDutyEventsUrl = "https://events.pagerduty.com/v2/enqueue";

struct Receiver {
  std::string name;
  ReceiverKind kind = ReceiverKind::kWebhook;
  std::string url;                             // webhook, slack; pagerduty (default kPagerDutyEventsUrl)
  std::string routing_key;                     // pagerduty: the integration's routing key
  std::string path;                            // jsonl: file to append to, "-" = stdout
  std::map<std::string, std::string> headers;  // webhook: extra request headers
  std::size_t max_alerts = 0;                  // 0 = no limit (Alertmanager's max_alerts)
  bool send_resolved = true;
  Duration timeout = 10;  // seconds per request
  std::string origin;     // file:line
};

// The outbox entries for one notification to one receiver (none when the
// receiver does not want it, e.g. a resolved notification with
// send_resolved false). `external_url` links back to secbudget ("" = none).
std::vector<OutboxEntry> RenderNotification(const Notification& n, const Receiver& r, TimePoint now,
                                            const std::string& external_url = "");

// A PagerDuty acknowledge or resolve for an incident opened by a group
// (`dedup_key` = the group's key as sent in the trigger).
// REQUIRES: `action` is "acknowledge" or "resolve".
OutboxEntry RenderPagerDutyAction(const Receiver& r, const std::string& dedup_key, std::string_view action,
                                  TimePoint now);

// What one send attempt did.
struct SendResult {
  bool ok = false;
  bool retryable = false;
  int http_status = 0;  // 0 when no response
  std::string error;    // words, for last_error
};

// Sends one entry: HTTP POST of the body as application/json to the
// target (webhook, slack, pagerduty), or a line appended to a file or
// stdout (jsonl).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual SendResult Send(const OutboxEntry& entry, const Receiver& receiver) = 0;
};

// The real transport: cpp-httplib over HTTP or HTTPS, files for jsonl.
std::unique_ptr<Transport> MakeTransport();

struct RetryPolicy {
  Duration initial_backoff = 30;      // after the first failure
  Duration max_backoff = kHour;       // doubling, capped here
  Duration give_up_after = 7 * kDay;  // a failure after pending this long -> dead
};

// The delay before attempt `attempts + 1` after `attempts` failures.
Duration Backoff(const RetryPolicy& policy, int attempts);

struct DeliveryReport {
  std::size_t sent = 0;
  std::size_t failed = 0;   // attempts that failed and will be retried
  std::size_t dead = 0;     // entries given up on in this round
  std::size_t waiting = 0;  // pending entries left (due later or held behind a failure)
  // Earliest next_attempt_at still pending among each receiver's first
  // pending entry (later entries wait behind it).
  std::optional<TimePoint> next_attempt;
};

// One round: every due entry, oldest first, each receiver in order.
// Entries naming a receiver not in `receivers` go dead with that reason.
Result<DeliveryReport> DeliverDue(AlertStore& store, Transport& transport,
                                  const std::map<std::string, Receiver>& receivers, const RetryPolicy& policy,
                                  TimePoint now);

}  // namespace secbudget
