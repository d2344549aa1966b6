// Where alerts come from: the capabilities' conditions, as alerts of the
// one model (model/alert.h). Each function returns every alert of its
// source that fires at `now`, so the engine can resolve the rest.
//
//   source      name                     fires while
//   triage      FindingPriority          an open finding's priority has an urgency (P1 page, P2 ticket)
//   triage      FindingDueSoon           an open finding is due within due_soon
//   triage      FindingOverdue           an open finding is past its due time
//   slo         SLOBurnRate, SLOBudgetExhausted   (slo/service.h)
//   gate        ReleaseGateClosed        a service's release gate is closed
//   suppression SuppressionExpiring      an accepted risk expires within expiring_soon (digest)
//   suppression SuppressionExpired       an accepted risk expired in the last 7 days (its owner is told)
#pragma once

#include <vector>

#include "alert/alert_policy.h"
#include "model/alert.h"
#include "model/finding.h"
#include "slo/service.h"
#include "triage/triage_store.h"

namespace secbudget {

// The labels a finding carries in alerts and suppression matching:
// finding, vulnerability, aliases, package, version, ecosystem, artifact,
// kind, severity, priority, rule, asset, service, team, environment, layer.
Labels FindingLabels(const FindingRecord& f);

Status FindingAlerts(TriageStore& store, const FindingAlertSettings& settings, TimePoint now, std::vector<Alert>* out);

// One alert per service whose gate is closed at `now`, decided from
// `statuses` (every unit's, computed at `now`).
std::vector<Alert> GateAlerts(const SloService& slo, const std::vector<UnitStatus>& statuses, TimePoint now);

std::vector<Alert> SuppressionAlerts(const std::vector<Suppression>& suppressions, const SuppressionLimits& limits,
                                     TimePoint now);

inline constexpr Duration kExpiredAlertFor = 7 * kDay;

}  // namespace secbudget
