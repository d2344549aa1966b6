// Incidents: the append-only timeline and the state derived from it.
//
// An incident is nothing but its timeline (incident_store.h): every fact,
// decision, severity change and command handoff is an entry with who, when
// and what, and Replay() derives the current state from the entries. That
// is what lets status updates and postmortems be rendered from one source
// of truth, and any state be recomputed as of any moment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "incident/incident_store.h"
#include "incident/severity.h"

namespace secbudget::incident {

enum class EntryKind : std::uint8_t {
  kDeclared,
  kObservation,
  kDecision,
  kAction,
  kNote,
  kStatusChange,
  kSeverityChange,
  kCommandHandoff,
  kRoleAssigned,
  kAcknowledged,
  kImpact,
  kContributingFactor,
  kActionItem,
  kAlertLinked,
  kUpdatePublished,
  kResolved,
};
std::string_view Name(EntryKind k);
std::optional<EntryKind> ParseEntryKind(std::string_view s);

// What a responder may log by hand (`incident log --kind`).
bool IsLoggable(EntryKind k);

enum class IncidentStatus : std::uint8_t { kInvestigating, kIdentified, kMitigated, kResolved };
std::string_view Name(IncidentStatus s);
std::optional<IncidentStatus> ParseIncidentStatus(std::string_view s);

struct TimelineEntry {
  std::int64_t seq = 0;
  TimePoint at = 0;
  std::string by;
  EntryKind kind = EntryKind::kNote;
  std::string text;
  std::map<std::string, std::string> fields;  // kind-specific (severity, to, role, owner, due, public, ...)

  bool IsPublic() const;  // marked for the press audience
};

struct ActionItem {
  std::string text, owner;
  std::optional<TimePoint> due;  // unset: the severity's action_items_due after resolution
  std::int64_t seq = 0;
};

struct Incident {
  std::string id, title;
  std::string severity, peak_severity;  // current and most severe reached
  IncidentStatus status = IncidentStatus::kInvestigating;
  bool drill = false;
  bool breach = false;
  std::string team, service, environment;  // the scope (a breach's budget scope)
  std::string commander;
  CommanderClass commander_class = CommanderClass::kDuty;
  std::map<std::string, std::vector<std::string>> roles;  // role -> members (responders, communications, scribe)
  TimePoint started = 0, detected = 0, declared = 0;
  std::optional<TimePoint> acknowledged, mitigated, resolved;
  std::vector<std::string> alerts;  // dedup keys of linked alerts
  std::string impact, summary;
  std::optional<TimePoint> last_update;  // last published status update (any audience)
  std::vector<TimelineEntry> timeline;
  std::vector<ActionItem> action_items;

  bool open() const { return status != IncidentStatus::kResolved; }
};

// Applies `e` to `inc` and appends it to its timeline (what Replay does per
// event). Fails on an entry it cannot apply.
Status AppendEntry(Incident& inc, TimelineEntry e);

// Derives incidents from their events (any order of incidents; each
// incident's events in seq order). Fails on an event it cannot apply.
Result<std::vector<Incident>> Replay(const std::vector<IncidentEventRecord>& events);

// The record of one timeline entry (fields as a JSON object).
IncidentEventRecord ToRecord(const std::string& incident, const TimelineEntry& e);

}  // namespace secbudget::incident
