// The persistence port of the alerting capability. alert owns this
// interface; the store module implements it. Transactions are the
// TriageStore's Begin/Commit (one Database implements every port).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "alert/notification.h"
#include "common/status.h"

namespace secbudget {

// Engine state is kept as (kind, key) -> JSON document rows, so the engine
// can evolve its state without schema migrations.
struct StateRow {
  std::string kind;  // "alert", "group", "suppression", "team"
  std::string key;
  std::string body;  // JSON
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  virtual Status LoadAlertState(std::vector<StateRow>* out) = 0;
  // Upserts `rows`, deletes `removed` (kind, key with empty body).
  virtual Status SaveAlertState(const std::vector<StateRow>& rows, const std::vector<StateRow>& removed) = 0;

  virtual Status AppendAlertDecisions(std::vector<AlertDecision>* decisions) = 0;
  // Decisions with since <= at < until, in append order.
  virtual Status ScanAlertDecisions(TimePoint since, TimePoint until,
                                    const std::function<bool(const AlertDecision&)>& fn) = 0;

  // Appends entries whose idempotency key is new (others are skipped and
  // keep id 0); assigns ids.
  virtual Status EnqueueOutbox(std::vector<OutboxEntry>* entries) = 0;
  // Pending entries with next_attempt_at <= now, oldest first.
  virtual Status DueOutbox(TimePoint now, std::size_t limit, std::vector<OutboxEntry>* out) = 0;
  // Every entry in `state` (all states when nullopt), oldest first.
  virtual Status ListOutbox(std::optional<OutboxState> state, std::vector<OutboxEntry>* out) = 0;
  // Writes state, attempts, next_attempt_at, delivered_at and last_error.
  virtual Status UpdateOutbox(const OutboxEntry& entry) = 0;

  virtual Status AppendAudit(AuditEvent* event) = 0;
  virtual Status ListAudit(const std::string& object_prefix, std::vector<AuditEvent>* out) = 0;
};

}  // namespace secbudget
