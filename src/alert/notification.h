// What the alerting pipeline hands to delivery, and what it records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/shared_text.h"
#include "common/time.h"
#include "model/alert.h"

namespace secbudget {

// One alert as a notification carries it (Alertmanager's webhook alert).
struct NotifiedAlert {
  std::string dedup_key;  // Alertmanager's fingerprint, PagerDuty's dedup_key
  bool resolved = false;
  std::string source, name, summary;
  Urgency urgency = Urgency::kTicket;
  TimePoint starts_at = 0;
  TimePoint ends_at = 0;  // 0 while firing
  Labels labels;
  Labels annotations;
};

// One message to one receiver about one group of alerts.
struct Notification {
  std::string id;  // unique and stable: group key + sequence; the outbox's idempotency key
  std::string receiver;
  std::string team;
  Urgency urgency = Urgency::kTicket;
  std::string group_key;
  bool resolved = false;  // every alert of the group resolved
  TimePoint at = 0;
  Labels group_labels;        // the group_by labels' values
  Labels common_labels;       // labels every alert shares
  Labels common_annotations;  // annotations every alert shares
  std::vector<NotifiedAlert> alerts;
  std::size_t truncated = 0;  // alerts left out (receivers' max_alerts)
};

// A rendered notification waiting for (or done with) delivery.
enum class OutboxState : std::uint8_t { kPending, kDelivered, kDead };
std::string_view Name(OutboxState s);
std::optional<OutboxState> ParseOutboxState(std::string_view s);

struct OutboxEntry {
  std::int64_t id = 0;          // assigned by the store; delivery order per receiver
  std::string idempotency_key;  // notification id + receiver; enqueued at most once
  std::string receiver;
  std::string kind;    // webhook, slack, pagerduty, jsonl
  std::string target;  // URL, or file path ("-" = stdout) for jsonl
  std::string body;    // exactly what is sent (JSON)
  TimePoint created_at = 0;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
  TimePoint next_attempt_at = 0;
  TimePoint delivered_at = 0;
  std::string last_error;
};

// Why an alert was, or was not, put in front of a human.
enum class AlertOutcome : std::uint8_t {
  kPending,         // waiting for its group's first notification (group_wait)
  kPaged,           // first notified by a page
  kTicketed,        // first notified at ticket urgency
  kDigested,        // routed to the team's digest (digest urgency)
  kGrouped,         // delivered inside a notification another alert opened
  kInhibited,       // muted by a firing higher alert with equal labels
  kSuppressed,      // silenced by an accepted risk
  kShed,            // would have paged; the team's page budget was spent, sent to the digest
  kResolvedUnsent,  // resolved before its group's first notification was due
};
std::string_view Name(AlertOutcome o);
std::optional<AlertOutcome> ParseAlertOutcome(std::string_view s);

// One decision about one firing episode of an alert (append-only log).
struct AlertDecision {
  std::int64_t seq = 0;  // assigned by the store
  TimePoint at = 0;
  std::string dedup_key;
  TimePoint episode = 0;  // the episode's start: (dedup_key, episode) is one raw alert
  std::string team, source, name;
  Urgency urgency = Urgency::kTicket;
  AlertOutcome outcome = AlertOutcome::kPending;
  // Words, and the suppression id, inhibiting alert, group key or
  // notification id: shared texts, since one group's or notification's
  // decisions all carry the same ones.
  SharedText reason;
  SharedText ref;
};

// Audit trail of accepted risk (and later other policy objects).
struct AuditEvent {
  std::int64_t seq = 0;  // assigned by the store
  TimePoint at = 0;
  std::string object;  // "suppression/<id>"
  std::string action;  // created, changed, removed, expired, imported
  std::string actor;
  std::string detail;  // JSON
};

}  // namespace secbudget
