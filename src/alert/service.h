// The alerting service: one evaluation of every alert source through the
// engine, persisted with its decisions and outbox entries in one
// transaction, then delivery; the noise report, team digests, the review
// of accepted risk with its audit trail, and the accepted-risk spans the
// SLO budget counts as good.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert_policy.h"
#include "alert/delivery.h"
#include "alert/engine.h"
#include "slo/service.h"
#include "store/store.h"

namespace secbudget {

struct RunSummary {
  TimePoint at = 0;
  std::map<std::string, std::size_t> firing_by_source;  // alerts whose condition holds
  std::map<std::string, std::size_t> decisions;         // outcome -> decisions recorded by this run
  std::size_t notifications = 0;
  std::size_t enqueued = 0;  // outbox entries (receivers that want them)
  std::vector<AuditEvent> audit;
  std::optional<DeliveryReport> delivery;
};

// Raw alerts versus what reached people, per team and reason: the measure
// of noise removed. Each raw alert (a firing episode) counts once, under its
// latest decision.
struct NoiseRow {
  std::string team;
  std::size_t raw = 0;
  std::map<std::string, std::size_t> by_outcome;  // outcome name -> episodes
  std::size_t interruptions = 0;                  // paged + ticketed: notifications a human had to open
  std::size_t pages = 0;
};
struct NoiseReport {
  TimePoint since = 0, until = 0;
  std::vector<NoiseRow> teams;
  NoiseRow total;
};

struct DigestItem {
  TimePoint at = 0;
  std::string dedup_key, name, source, outcome, reason, summary;
  Urgency urgency = Urgency::kDigest;
  double rank = 0;
};
struct Digest {
  std::string team;
  TimePoint shift_start = 0, shift_end = 0;
  std::vector<DigestItem> items;              // digested and shed, highest rank first
  std::map<std::string, std::size_t> counts;  // every outcome in the shift
  std::vector<std::string> expiring;          // accepted risks of the team expiring soon
};
std::string DigestMarkdown(const Digest& d);

struct SuppressionReviewRow {
  const Suppression* suppression = nullptr;
  std::string state;     // active, expiring_soon, expired, not_yet_valid
  std::size_t hits = 0;  // alerts it silenced (decision log, all time)
  TimePoint last_hit = 0;
  bool stale = false;  // never matched anything
};
struct SuppressionReview {
  TimePoint at = 0;
  std::vector<SuppressionReviewRow> rows;  // by owner, then expiry
};

class AlertService {
 public:
  // `slo` may be null (no SLO alerts or gate alerts); `transport` may be
  // null when the caller never delivers.
  AlertService(Database& db, const AlertPolicy& policy, SloService* slo, Transport* transport);

  // Evaluates every source at `now`, records decisions, enqueues
  // notifications; delivers what is due when `deliver`.
  Result<RunSummary> Run(TimePoint now, bool deliver);
  // Feeds alerts from outside (JSON-lines `alerts push`): fired, not
  // resolved by absence; resolved when their `ends_at` is set.
  Result<RunSummary> Push(std::vector<Alert> alerts, const std::vector<std::string>& resolved, TimePoint now,
                          bool deliver);
  Result<DeliveryReport> Deliver(TimePoint now);
  // PagerDuty acknowledge / resolve for a notification group.
  Status PagerDutyAction(const std::string& group_key, std::string_view action, TimePoint now);

  Result<NoiseReport> Report(TimePoint since, TimePoint until);
  Result<Digest> TeamDigest(const std::string& team, TimePoint at);
  // Records the audit events the policy directory implies (created,
  // changed, removed, expired) and reviews every suppression.
  Result<SuppressionReview> Review(TimePoint now, std::vector<AuditEvent>* audit);
  Result<std::vector<AuditEvent>> SyncSuppressions(TimePoint now);

  // The accepted-risk spans per finding, for SloService::SetAcceptanceSource.
  SloService::AcceptanceSource AcceptanceSource();

  const AlertPolicy& policy() const { return policy_; }
  RetryPolicy retry;
  // Sees every alert fired by Run and Push before the engine takes it (the
  // CLI hands those the severity policy's triggers match to incidents).
  std::function<void(const Alert&)> on_fire;
  // Further sources Run evaluates after its own, each resolved by absence
  // like them (the CLI adds the incident capability's).
  struct Source {
    std::string name;
    std::function<Result<std::vector<Alert>>(TimePoint)> alerts;
  };
  std::vector<Source> extra_sources;

 private:
  // Audit events against the suppression rows among `rows` (the state as loaded).
  Result<std::vector<AuditEvent>> SyncSuppressions(TimePoint now, const std::vector<StateRow>& rows);
  // The latest decision per raw alert (dedup key and episode) with
  // since <= at < until, of `team` ("" = every team).
  Result<std::map<std::string, AlertDecision>> LatestDecisions(TimePoint since, TimePoint until,
                                                               const std::string& team);
  Result<RunSummary> Evaluate(TimePoint now, bool deliver,
                              const std::function<Status(AlertEngine&, RunSummary&)>& feed);

  Database& db_;
  const AlertPolicy& policy_;
  SloService* slo_;
  Transport* transport_;
};

}  // namespace secbudget
