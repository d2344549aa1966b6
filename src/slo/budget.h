// The SLI and error-budget arithmetic of docs/slo.md, and nothing else: no
// store, no policy files. Everything is a function of the finding histories
// and an evaluation time, so any figure can be recomputed as of any moment.
//
// Deadline outcomes (docs/slo.md, "What counts"):
//   - every open period of a finding (opened or reopened until fixed) has one
//     deadline, the due time in force (priority changes move it);
//   - good at the fix time when fixed by the due time (fixed exactly at due
//     is in time);
//   - bad at the due time when still open after it ("passes due": counted
//     from any T > due, never waiting for the fix);
//   - a valid accepted risk covering the moment the due time passes makes it
//     good at the due time; when the acceptance ends with the finding still
//     open, it is bad at that moment.
// A period yields at most one bad outcome. Reopening starts a new period.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/time.h"
#include "slo/slo_policy.h"

namespace secbudget {

inline constexpr TimePoint kForever = std::numeric_limits<TimePoint>::max();

enum class LifecycleType : std::uint8_t { kOpened, kReopened, kPriorityChanged, kFixed };

// One finding's lifecycle event, in the order they happened.
struct LifecycleEvent {
  TimePoint at = 0;
  TimePoint due_at = 0;  // opened / reopened / priority changed: the due time from `at` on
  LifecycleType type = LifecycleType::kOpened;
};

// An accepted risk covering a finding over [from, until).
struct RiskAcceptance {
  TimePoint from = 0;
  TimePoint until = 0;
};

// A finding overdue on the open interval (from, to); to = kForever while open.
struct OverdueSpan {
  TimePoint from = 0;
  TimePoint to = kForever;
};

// The outcomes of every finding of one unit (a team/service/environment).
struct UnitLedger {
  std::vector<TimePoint> good;      // fix (or acceptance) times: counted at T >= t
  std::vector<TimePoint> bad;       // due times passed: counted at T > t
  std::vector<TimePoint> accepted;  // the subset of `good` met by accepted risk
  std::vector<OverdueSpan> overdue;
  std::int64_t findings = 0;
};

// Adds one finding's history (events sorted by time) to `ledger`.
// `acceptances` need not be sorted.
void AddFindingHistory(std::span<const LifecycleEvent> events, std::span<const RiskAcceptance> acceptances,
                       UnitLedger& ledger);

// A breach that zeroes the budget over [from, until).
struct BreachWindow {
  std::string id;
  std::string summary;
  TimePoint declared = 0;
  std::optional<TimePoint> resolved;
  TimePoint until = kForever;  // resolved + recovery
};

struct TierFigures {
  BurnTier tier;
  double burn_long = 0, burn_short = 0;
  bool firing = false;
};

struct BudgetFigures {
  TimePoint at = 0;
  TimePoint window_start = 0;  // events after this count (rolling: at - length)
  Duration window_length = 0;
  std::int64_t good = 0, bad = 0, total = 0, accepted = 0;
  double sli = 1;                  // good / total (1 with no events)
  double allowed_bad = 0;          // (1 - objective) * total
  double remaining = 1;            // (allowed - bad) / allowed; negative = overspent
  double effective_remaining = 1;  // 0 (or less) while the backlog guard or a breach holds
  std::vector<TierFigures> tiers;
  double burn_projection = 0;  // burn over the projection window
  std::optional<Duration> time_to_exhaustion;
  std::int64_t overdue = 0;
  std::optional<Duration> oldest_overdue_age;
  bool backlog_tripped = false;
  std::vector<BreachWindow> active_breaches;
  BudgetState state = BudgetState::kHealthy;
  std::vector<std::string> reasons;  // why this state, in words
};

// Burn rate (SRE Workbook): the error ratio over the lookback divided by
// the allowed ratio (1 - objective). 0 without events.
double BurnRate(std::int64_t good, std::int64_t bad, double objective);

// Every figure of one unit as of `at`.
BudgetFigures Evaluate(const UnitLedger& ledger, const SloSettings& slo, TimePoint at,
                       std::span<const BreachWindow> breaches);

}  // namespace secbudget
