// The SLO policy: remediation objectives per scope, with inheritance.
//
//   apiVersion: secbudget.dev/v1
//   kind: SLOPolicy
//   spec:
//     defaults: {objective: 95%, window: 28d, deadlines: {P1: 48h, ...}, ...}
//     scopes:
//       - match: {team: payments}          # team / service / environment,
//         objective: 99%                   # glob patterns; any subset
//
//   apiVersion: secbudget.dev/v1
//   kind: GateException
//   spec: {service: checkout, owner: ..., reason: ..., expires: 2026-12-01}
//
// Resolution for one unit (team, service, environment): the built-in
// defaults, then the `defaults` block, then every matching scope rule from
// least to most specific (the number of keys in `match`; ties in file
// order), each setting overriding only what it states. docs/slo.md lists
// every setting.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "model/alert.h"
#include "triage/policy.h"

namespace secbudget {

enum class WindowKind : std::uint8_t { kRolling, kMonth, kQuarter };

struct BudgetWindow {
  WindowKind kind = WindowKind::kRolling;
  Duration length = 28 * kDay;  // rolling windows only

  // The window as of `at`: rolling (at - length, at]; calendar: the UTC
  // month or quarter containing `at`, [start, end).
  TimePoint Start(TimePoint at) const;
  // Its full length (a calendar window's whole month or quarter).
  Duration Length(TimePoint at) const;
  std::string Describe() const;  // "rolling 28d", "calendar month"
};

struct BurnTier {
  std::string name;  // "page", "ticket", "digest" or the policy's own
  Urgency urgency = Urgency::kTicket;
  double burn_rate = 1;
  Duration long_window = kDay;
  Duration short_window = 2 * kHour;
  bool enabled = true;
};

enum class BudgetState : std::uint8_t { kHealthy, kAtRisk, kExhausted };
std::string_view Name(BudgetState s);

struct SloSettings {
  double objective = 0.95;  // share of deadlines met
  BudgetWindow window;
  // Backlog guard: the budget counts as spent while either is passed.
  std::optional<std::int64_t> max_overdue;
  std::optional<Duration> max_oldest_overdue;
  std::vector<BurnTier> tiers;            // DefaultTiers() unless the policy says otherwise
  double at_risk_below = 0.5;             // remaining budget share under which the state is at risk
  Duration projection_window = 3 * kDay;  // burn rate used for time to exhaustion
  Duration breach_recovery = 7 * kDay;    // budget stays at zero this long after a breach is resolved
  Duration exception_max = 30 * kDay;     // longest gate exception allowed
  bool freeze_on_exhausted = true;        // the gate blocks feature releases when exhausted
  std::vector<std::string> actions_at_risk;
  std::vector<std::string> actions_exhausted;
  std::string escalation;  // who is told when the budget is exhausted
};

// The built-in burn-rate tiers (docs/slo.md explains the choice).
std::vector<BurnTier> DefaultTiers();

// What a `defaults` block or a scope rule states; unset fields inherit.
struct SloOverrides {
  struct Tier {
    std::optional<Urgency> urgency;
    std::optional<double> burn_rate;
    std::optional<Duration> long_window, short_window;
    std::optional<bool> enabled;
  };
  std::optional<double> objective;
  std::optional<BudgetWindow> window;
  std::optional<std::int64_t> max_overdue;
  std::optional<Duration> max_oldest_overdue;
  std::map<std::string, Tier> tiers;
  std::optional<double> at_risk_below;
  std::optional<Duration> projection_window, breach_recovery, exception_max;
  std::optional<bool> freeze_on_exhausted;
  std::optional<std::vector<std::string>> actions_at_risk, actions_exhausted;
  std::optional<std::string> escalation;
  std::array<std::optional<Duration>, 4> deadlines;

  void ApplyTo(SloSettings& s) const;
};

struct SloScopeRule {
  ScopeSelector scope;
  SloOverrides overrides;
  std::string origin;  // "file:line"
};

struct GateException {
  std::string name;
  std::string service;      // exact service name
  std::string environment;  // empty = every environment of the service
  std::string owner, approver, reason;
  std::optional<TimePoint> created;
  TimePoint expires = 0;
  std::string origin;

  bool ValidAt(TimePoint t) const { return (!created || *created <= t) && t < expires; }
};

struct ResolvedSlo {
  SloSettings settings;
  std::vector<std::string> applied;  // "built-in", "defaults (file:line)", "team=payments (file:line)"
};

class SloPolicy {
 public:
  ResolvedSlo Resolve(std::string_view team, std::string_view service, std::string_view environment) const;
  const std::vector<GateException>& exceptions() const { return exceptions_; }

 private:
  friend class SloPolicyLoader;
  SloOverrides defaults_;
  std::string defaults_origin_;
  std::vector<SloScopeRule> rules_;  // sorted by specificity (stable)
  std::vector<GateException> exceptions_;
};

// The policy-directory extension for SLOPolicy and GateException documents.
// Finish() validates across documents and installs the scoped deadlines into
// the PolicySet, so that triage's due times follow the SLO policy.
class SloPolicyLoader : public PolicyExtension {
 public:
  std::vector<std::string> Kinds() const override { return {"SLOPolicy", "GateException"}; }
  Status AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) override;
  Status Finish(PolicySet& set) override;

  const SloPolicy& policy() const { return policy_; }
  SloPolicy TakePolicy() { return std::move(policy_); }

 private:
  SloPolicy policy_;
};

}  // namespace secbudget
