// Accepted risk: a suppression silences the alerts (and, through the SLO
// service, the budget cost) of what it matches, for a bounded time, with
// a named owner, approver and reason. Suppressions are policy files
// (kind Suppression) or are imported from VEX statements (vex.h).
//
// An item is an alert's labels. Finding alerts carry the finding's fields
// as labels (vulnerability, package, version, artifact, kind, severity,
// priority, rule, asset, service, team, environment, finding), so one
// matcher language covers findings and every other alert.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/matcher.h"
#include "common/hash.h"
#include "common/time.h"
#include "common/u64_map.h"
#include "model/types.h"

namespace secbudget {

struct Suppression {
  std::string id;                 // unique across the policy directory
  std::vector<Matcher> matchers;  // all must match the item's labels
  // Scope: globs on the item's asset, service, team and environment
  // labels; an empty list means any.
  std::vector<std::string> assets, services, teams, environments;
  std::string reason;
  std::string owner;     // who answers for it (alerted on expiry)
  std::string approver;  // who accepted the risk
  TimePoint created = 0;
  TimePoint expires = 0;             // mandatory; the suppression stops at this instant
  std::string compensating_control;  // optional
  std::string origin;                // "file:line" of its definition, or the VEX document
  std::string source;                // "policy", "openvex" or "cyclonedx"

  Duration duration() const { return expires - created; }
  // Valid at `t`: created <= t < expires.
  bool ActiveAt(TimePoint t) const { return created <= t && t < expires; }
  bool InScope(const Labels& labels) const;
  // Matchers first: mostly equalities, cheaper than the scope's globs.
  bool Matches(const Labels& labels) const { return MatchesAll(matchers, labels) && InScope(labels); }
  // A stable digest of every field, to detect changes between runs.
  std::uint64_t ContentHash() const;
};

// The longest a suppression may last, per priority of what it silences.
struct SuppressionLimits {
  std::array<Duration, 4> max_by_priority = {30 * kDay, 90 * kDay, 180 * kDay, 365 * kDay};
  Duration max_unprioritised = 30 * kDay;  // items without a priority label
  Duration expiring_soon = 14 * kDay;      // `suppressions review` window

  // The limit for an item (its "priority" label, P1..P4).
  Duration MaxFor(const Labels& labels) const { return MaxForPriority(labels.Get("priority")); }
  Duration MaxForPriority(std::string_view priority) const;
};

// What matching decided for one item.
struct SuppressionMatch {
  const Suppression* applied = nullptr;  // the suppression that silences it
  // Suppressions that matched but did not apply, with why (expired, not
  // yet valid, longer than the item's priority allows).
  std::vector<std::pair<const Suppression*, std::string>> rejected;
};

// Matches items against many suppressions quickly: suppressions with an
// equality matcher on an indexed label (vulnerability, finding, alertname,
// service, ...) are found by hash lookup; the rest are scanned.
class SuppressionIndex {
 public:
  SuppressionIndex() = default;
  explicit SuppressionIndex(const std::vector<Suppression>* suppressions, SuppressionLimits limits = {});

  // The first (in policy order) suppression active at `at` that matches and
  // whose duration fits the item's priority.
  SuppressionMatch Match(const Labels& labels, TimePoint at) const;
  // Every suppression that matches the item and fits its priority's limit,
  // whatever its validity period (the SLO budget's accepted-risk spans).
  std::vector<const Suppression*> MatchAnyTime(const Labels& labels) const;

 private:
  const std::vector<Suppression>* all_ = nullptr;
  SuppressionLimits limits_;
  // Per indexed label: value -> suppression indexes (sorted), looked up by
  // a view of the item's value; the hint remembers where the label was.
  // Flat tables: a look-up that finds nothing (most alerts) reads one slot
  // array, where a node-based map missed the cache on a bucket and a node.
  struct ValueTable {
    std::string label;
    LabelHint hint;
    StringMap<std::vector<std::uint32_t>> ids;
  };
  std::vector<ValueTable> by_value_;
  // Suppressions without an indexed equality whose scope (services, teams or
  // assets) has a literal prefix in every pattern: per label, prefix ->
  // indexes (looked up by a view of the label's value), and the prefix
  // lengths in use.
  struct PrefixTable {
    std::string label;
    LabelHint hint;
    StringMap<std::vector<std::uint32_t>> ids;
    std::vector<std::size_t> lengths;
  };
  std::vector<PrefixTable> by_prefix_;
  LabelHint priority_hint_;             // where MaxFor's priority label was
  std::vector<std::uint32_t> scanned_;  // the rest

  // Candidate indexes in policy order.
  void Candidates(const Labels& labels, std::vector<std::uint32_t>* out) const;
};

}  // namespace secbudget
