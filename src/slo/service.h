// The slo service: per-unit status, daily history, burn-rate alerts, the
// release gate, breaches and the OpenSLO export. The CLI (and later the
// server) call this; the arithmetic lives in budget.h.
//
// A unit is one (team, service, environment) of the asset inventory: the
// findings attributed to it share one resolved SLO (slo_policy.h). A gate
// for a service looks at every unit of that service (or of one environment).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/alert.h"
#include "slo/budget.h"
#include "slo/slo_policy.h"
#include "slo/slo_store.h"

namespace secbudget {

struct UnitStatus {
  UnitKey unit;
  ResolvedSlo slo;
  std::int64_t findings = 0;
  BudgetFigures figures;
  std::vector<std::string> actions;  // what the policy says to do in this state
};

struct HistoryPoint {
  TimePoint at = 0;
  UnitKey unit;
  BudgetFigures figures;
};

struct GateRequest {
  std::string service;
  std::string environment;    // empty = every environment of the service
  bool security_fix = false;  // the change being released is a security fix
};

struct GateDecision {
  bool pass = true;
  TimePoint at = 0;
  std::string service;
  std::vector<UnitStatus> units;
  std::vector<std::string> reasons;
  std::optional<GateException> exception;  // the exception that let it pass
  std::vector<std::string> notes;          // expired or not-yet-valid exceptions, unknown service
};

struct Breach {
  std::string id;
  std::string team, service, environment;
  std::string summary, actor;
  TimePoint declared = 0;
  std::optional<TimePoint> resolved;
};

struct BreachRequest {
  std::string id;  // empty: generated
  std::string team, service, environment;
  std::string summary;
  std::string actor;
};

// The burn-rate and exhausted-budget alerts of already computed statuses.
std::vector<Alert> AlertsFor(const std::vector<UnitStatus>& statuses);

class SloService {
 public:
  // Every computation takes its time explicitly (`at`): there is no clock.
  SloService(SloStore& store, const SloPolicy& policy);

  // Accepted risk per finding: the alerting capability's suppressions
  // (AlertService::AcceptanceSource); none unless a caller sets it.
  using AcceptanceSource = std::function<std::vector<RiskAcceptance>(std::uint64_t finding_id)>;
  void SetAcceptanceSource(AcceptanceSource source) { acceptances_ = std::move(source); }

  Result<std::vector<UnitStatus>> Statuses(const UnitFilter& filter, TimePoint at);
  // One point per day at 00:00 UTC from `from` through `to`, per unit.
  Result<std::vector<HistoryPoint>> History(const UnitFilter& filter, TimePoint from, TimePoint to);
  // The burn-rate alerts firing at `at`, and one alert per exhausted budget.
  Result<std::vector<Alert>> Alerts(const UnitFilter& filter, TimePoint at);
  Result<GateDecision> Gate(const GateRequest& request, TimePoint at);
  // The gate decision from statuses already computed at `at` for the
  // request's service (and environment, when given): lets a caller that has
  // every unit's status decide every gate without reading them again.
  GateDecision GateFor(const GateRequest& request, std::vector<UnitStatus> units, TimePoint at) const;

  Result<Breach> DeclareBreach(const BreachRequest& request, TimePoint at);
  Result<Breach> ResolveBreach(const std::string& id, const std::string& actor, TimePoint at);
  Result<std::vector<Breach>> ListBreaches();

  // OpenSLO v1 documents (Service, SLO, AlertPolicy) for every unit.
  Result<std::string> ExportOpenSlo(const UnitFilter& filter, TimePoint at);

 private:
  struct Loaded;
  Status Load(const UnitFilter& filter, TimePoint until, Loaded* out);
  UnitStatus StatusOf(const Loaded& l, std::size_t unit, TimePoint at) const;

  SloStore& store_;
  const SloPolicy& policy_;
  AcceptanceSource acceptances_;
};

}  // namespace secbudget
