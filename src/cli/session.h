// What every CLI command opens: the database, the policy directory (every
// capability's kinds), the clock and the services. Internal to src/cli.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "alert/service.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "detect/anomaly/anomaly.h"
#include "detect/logsource.h"
#include "incident/roster.h"
#include "incident/service.h"
#include "incident/severity.h"
#include "slo/service.h"
#include "store/store.h"
#include "triage/pipeline.h"

namespace secbudget::cli {

// Every capability's policy kinds: one walk of the policy directory (and
// one `lint`) reads them all.
struct PolicyLoaders {
  SloPolicyLoader slo;
  AlertPolicyLoader alert;
  detect::LogSourceLoader sources;
  detect::anomaly::AnomalyLoader detectors;
  incident::SeverityPolicyLoader severity;
  incident::RosterLoader roster;

  std::vector<PolicyExtension*> All() { return {&slo, &alert, &sources, &detectors, &severity, &roster}; }
};

// Members are heap-allocated so that moving a Session keeps the references
// the services hold valid.
struct Session {
  std::unique_ptr<Database> db;
  std::unique_ptr<PolicySet> policy;
  std::unique_ptr<SloPolicy> slo_policy;
  std::unique_ptr<Clock> clock;
  std::unique_ptr<Triage> triage;
  std::unique_ptr<SloService> slo;
  std::unique_ptr<AlertPolicy> alert_policy;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<AlertService> alerts;
  std::unique_ptr<incident::SeverityPolicy> severity;
  std::unique_ptr<incident::Roster> roster;  // null: no OnCallRoster in the policy directory
  std::unique_ptr<incident::IncidentService> incidents;
};

Result<Session> OpenSession(const GlobalOptions& g);

// The time a flag names, or the session's now (--now or the clock) when empty.
Result<TimePoint> AtOr(const std::string& text, const Session& s, const char* flag);

// --scope team=...,service=...,environment=... (any subset; repeatable).
Result<UnitFilter> ParseScope(const std::vector<std::string>& items);

// Prints `table` as a table or CSV, or `as_json` with --output json.
void Emit(const GlobalOptions& g, const Table& table, const nlohmann::json& as_json);

}  // namespace secbudget::cli
