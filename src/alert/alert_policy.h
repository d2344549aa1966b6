// The alerting policy: receivers, the routing tree, inhibition, capacity,
// and accepted risk (suppressions with their limits). Three kinds:
//
//   kind: AlertRouting        receivers, route (Alertmanager's tree, plus
//                             team and urgency), inhibit_rules, capacity,
//                             finding alert settings
//   kind: Suppression         one accepted risk (see suppression.h)
//   kind: SuppressionPolicy   maximum duration per priority, review window
//
// docs/alerting.md documents every key with examples.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alert/delivery.h"
#include "alert/matcher.h"
#include "alert/suppression.h"
#include "common/status.h"
#include "common/time.h"
#include "model/alert.h"
#include "triage/policy.h"

namespace secbudget {

// A node of the routing tree. Unset fields inherit from the parent.
struct Route {
  std::vector<Matcher> matchers;
  std::string receiver;
  std::string team;                   // sets the owner ("" = keep the alert's)
  std::optional<Urgency> urgency;     // overrides the alert's urgency
  std::vector<std::string> group_by;  // label names; {"..."} = every label
  Duration group_wait = 30;
  Duration group_interval = 5 * 60;
  Duration repeat_interval = 4 * kHour;
  bool continue_matching = false;
  std::vector<Route> routes;
  std::string origin;  // file:line
  std::string path;    // "0", "0.1", ...: the group key's prefix
};

// A firing alert matching `source` mutes alerts matching `target` whose
// `equal` labels have the same values (Alertmanager's inhibit_rules).
struct InhibitRule {
  std::vector<Matcher> source, target;
  std::vector<std::string> equal;
  std::string origin;
};

// Pages a team may receive per shift; beyond, lower-ranked alerts that
// would page go to the team's digest instead.
struct CapacityPolicy {
  Duration shift = 12 * kHour;       // a shift's length (24h = per day)
  Duration shift_start = 8 * kHour;  // offset from 00:00 UTC of a shift boundary
  int default_pages = 10;            // per shift; -1 = unlimited
  std::map<std::string, int> team_pages;

  int PagesFor(const std::string& team) const;
  // The start of the shift containing `t`.
  TimePoint ShiftStart(TimePoint t) const;
};

// Which finding conditions raise alerts.
struct FindingAlertSettings {
  bool enabled = true;
  Duration due_soon = 24 * kHour;  // FindingDueSoon this long before the due time
  // Urgency of a finding at each priority (P1..P4); nullopt = no alert.
  std::array<std::optional<Urgency>, 4> priority_urgency = {Urgency::kPage, Urgency::kTicket, std::nullopt,
                                                            std::nullopt};
};

struct AlertPolicy {
  std::map<std::string, Receiver> receivers;
  Route root;  // receiver "" when no AlertRouting was given: deliver nowhere
  std::vector<InhibitRule> inhibit_rules;
  CapacityPolicy capacity;
  FindingAlertSettings findings;
  std::string external_url;  // links in payloads ("" = none)
  std::vector<Suppression> suppressions;
  SuppressionLimits limits;
  bool configured = false;  // an AlertRouting document was read
};

// `matchers:` as Alertmanager writes them (a list of `name="value"`
// strings) or as a map of exact values ({team: payments}); nothing when
// undefined. Shared with the incident triggers.
Status ReadMatchers(const YAML::Node& n, const std::string& file, std::vector<Matcher>* out);

// One Suppression spec (exposed for VEX round trips and tests).
Result<Suppression> ParseSuppression(const YAML::Node& spec, const std::string& name, const std::string& file,
                                     const std::string& origin);

// The policy-directory extension for AlertRouting, Suppression and
// SuppressionPolicy. Finish() checks receivers named by routes exist,
// suppression ids are unique, and every suppression's duration fits the
// largest per-priority maximum.
class AlertPolicyLoader : public PolicyExtension {
 public:
  std::vector<std::string> Kinds() const override { return {"AlertRouting", "Suppression", "SuppressionPolicy"}; }
  Status AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) override;
  Status Finish(PolicySet& set) override;

  const AlertPolicy& policy() const { return policy_; }
  AlertPolicy TakePolicy() { return std::move(policy_); }

 private:
  AlertPolicy policy_;
  std::string routing_origin_;
};

}  // namespace secbudget
