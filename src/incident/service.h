// The incident service: declare incidents (by hand or from alerts by the
// severity policy's triggers), record the timeline, pass command, render
// status updates and postmortem drafts, and measure MTTA/MTTR. The CLI
// (and later the server) call this; every change is one or more timeline
// entries appended in one transaction.
//
// Command: the initial commander is the one named, else the roster's member
// on duty, else the declarer (the first responder). Each severity level
// names the least senior commander it needs (duty < leader < executive);
// when the severity reaches a level needing more, command passes to the
// roster's leader, then to the level's first named executive, and each
// handoff is an entry. Lowering the severity does not hand command back.
//
// Times: detected (when the problem was first seen: --detected, the
// alert's start, else the declaration), acknowledged (a human took it: a
// hand declaration, or the first `incident ack`), mitigated, resolved. TTA
// = acknowledged - detected; TTM and TTR likewise from detected. Metrics
// group incidents by their most severe level and by the quarter they were
// declared in, and leave drills out.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"
#include "common/time.h"
#include "incident/incident.h"
#include "incident/incident_store.h"
#include "incident/roster.h"
#include "incident/severity.h"
#include "model/alert.h"
#include "slo/service.h"

namespace secbudget::incident {

struct DeclareRequest {
  std::string title;
  std::string severity;
  std::string by;                          // who declares ("secbudget" for triggers)
  std::string commander;                   // "" = the member on duty
  bool drill = false;                      // never counted in metrics
  bool breach = false;                     // a confirmed compromise: the scope's budget goes to zero
  std::string team, service, environment;  // scope
  std::optional<TimePoint> detected, started;
  std::string impact;
  std::string alert;  // dedup key of the alert that raised it
};

struct LogRequest {
  EntryKind kind = EntryKind::kNote;
  std::string text;
  std::string by;
  bool is_public = false;  // shown in press updates
};

struct Metrics {
  struct Row {
    std::string key;  // severity ("SEV1") or quarter ("2026-Q4")
    std::size_t incidents = 0, acknowledged = 0, resolved = 0;
    std::optional<Duration> mtta, mttm, mttr;  // means over the incidents that have the time
  };
  TimePoint from = 0, to = 0;
  std::vector<Row> by_severity, by_quarter;
  Row total;
  std::size_t drills_excluded = 0;
};

class IncidentService {
 public:
  // `roster` and `slo` may be null (no roster: the declarer commands; no
  // SLO service: breach incidents are refused).
  IncidentService(IncidentStore& store, const SeverityPolicy& policy, const Roster* roster, SloService* slo);

  Result<Incident> Declare(const DeclareRequest& request, TimePoint at);
  // Declares an incident for each alert a trigger matches, unless an open
  // incident already holds its dedup key. Returns the incidents declared.
  Result<std::vector<Incident>> FromAlerts(const std::vector<Alert>& alerts, TimePoint at);
  // The trigger an alert matches (its labels plus alertname, source, urgency
  // and team = its owner), or null.
  const IncidentTrigger* TriggerFor(const Alert& a) const;

  Result<Incident> Log(const std::string& id, const LogRequest& request, TimePoint at);
  Result<Incident> Acknowledge(const std::string& id, const std::string& by, TimePoint at);
  Result<Incident> SetSeverity(const std::string& id, const std::string& severity, const std::string& by,
                               const std::string& reason, TimePoint at);
  // investigating, identified or mitigated (resolve with Resolve).
  Result<Incident> SetStatus(const std::string& id, IncidentStatus status, const std::string& by,
                             const std::string& text, TimePoint at);
  Result<Incident> Handoff(const std::string& id, const std::string& to, const std::string& by,
                           const std::string& reason, TimePoint at);
  Result<Incident> AssignRole(const std::string& id, const std::string& role, const std::string& member,
                              const std::string& by, TimePoint at);
  Result<Incident> AddActionItem(const std::string& id, const std::string& text, const std::string& owner,
                                 std::optional<TimePoint> due, const std::string& by, TimePoint at);
  // Resolves the incident (and its breach) and records the postmortem due.
  Result<Incident> Resolve(const std::string& id, const std::string& summary, const std::string& by, TimePoint at);

  Result<Incident> Get(const std::string& id);
  Result<std::vector<Incident>> List();

  // The status update for `audience`; recorded as published when `publish`.
  Result<std::string> StatusUpdate(const std::string& id, Audience audience, TimePoint at, bool publish,
                                   const std::string& by);
  // The postmortem draft (Markdown) per the incident's peak severity.
  Result<std::string> Postmortem(const std::string& id, TimePoint at);
  // The variables the templates see (also `incident show -o json`).
  nlohmann::json Context(const Incident& inc, TimePoint at) const;

  // When the next status update is due (nullopt: no cadence, or resolved).
  std::optional<TimePoint> NextUpdate(const Incident& inc) const;
  // Who is required to command at `severity` given the current commander:
  // the new commander and class, or nullopt when no handoff is needed.
  struct Escalation {
    std::string to;
    CommanderClass cls = CommanderClass::kDuty;
    std::string reason;
  };
  std::optional<Escalation> EscalationFor(const Incident& inc, const SeverityLevel& level) const;

  Result<Metrics> ComputeMetrics(TimePoint from, TimePoint to);

  // The incident alerts at `at`, for alerting (source "incident"): a page
  // while an open incident is unacknowledged (IncidentUnacknowledged) and a
  // ticket while its status update is overdue (IncidentUpdateOverdue).
  // Labels: incident, severity, commander, drill, and the scope.
  Result<std::vector<Alert>> Alerts(TimePoint at);

  const SeverityPolicy& policy() const { return policy_; }

 private:
  // Appends what `build` makes of the incident's current state, in one
  // transaction, and returns the incident with them applied.
  using Builder = std::function<Result<std::vector<TimelineEntry>>(const Incident&)>;
  Result<Incident> Append(const std::string& id, const Builder& build);
  // Appends `entries` when `check` accepts the current state.
  Result<Incident> Append(const std::string& id, std::vector<TimelineEntry> entries,
                          const std::function<Status(const Incident&)>& check = nullptr);
  Result<std::string> NextId();

  IncidentStore& store_;
  const SeverityPolicy& policy_;
  const Roster* roster_;
  SloService* slo_;
};

}  // namespace secbudget::incident
