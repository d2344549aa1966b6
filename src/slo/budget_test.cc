// Hand-computed scenarios for every figure of docs/slo.md. Each expectation
// is worked out in the comment above it, not read off the code.
#include "slo/budget.h"

#include <gtest/gtest.h>

namespace secbudget {
namespace {

const TimePoint T0 = ParseTime("2026-11-01T00:00:00Z").value();

LifecycleEvent Open(Duration at, Duration due) { return {T0 + at, T0 + due, LifecycleType::kOpened}; }
LifecycleEvent Reopen(Duration at, Duration due) { return {T0 + at, T0 + due, LifecycleType::kReopened}; }
LifecycleEvent Change(Duration at, Duration due) { return {T0 + at, T0 + due, LifecycleType::kPriorityChanged}; }
LifecycleEvent Fix(Duration at) { return {T0 + at, 0, LifecycleType::kFixed}; }

SloSettings Settings(double objective, Duration window) {
  SloSettings s;
  s.objective = objective;
  s.window.length = window;
  s.tiers = DefaultTiers();
  return s;
}

void Add(UnitLedger& l, std::vector<LifecycleEvent> events, std::vector<RiskAcceptance> acc = {}) {
  AddFindingHistory(events, acc, l);
}

TEST(BudgetTest, SliBudgetAndRemaining) {
  UnitLedger l;
  // Eight findings fixed a day before their 2-day deadline: 8 good.
  for (int i = 0; i < 8; ++i) Add(l, {Open(0, 2 * kDay), Fix(kDay)});
  // One fixed late (due day 2, fixed day 3): bad at day 2.
  Add(l, {Open(0, 2 * kDay), Fix(3 * kDay)});
  // One still open past its day-5 due time: bad at day 5.
  Add(l, {Open(0, 5 * kDay)});
  const SloSettings s = Settings(0.9, 28 * kDay);
  const BudgetFigures f = Evaluate(l, s, T0 + 6 * kDay, {});
  // good 8, bad 2, total 10: SLI 0.8; allowed (1 - 0.9) * 10 = 1 bad;
  // remaining (1 - 2) / 1 = -1 (overspent by the whole budget): exhausted.
  EXPECT_EQ(f.good, 8);
  EXPECT_EQ(f.bad, 2);
  EXPECT_EQ(f.total, 10);
  EXPECT_DOUBLE_EQ(f.sli, 0.8);
  EXPECT_DOUBLE_EQ(f.allowed_bad, 1.0);
  EXPECT_NEAR(f.remaining, -1.0, 1e-12);
  EXPECT_EQ(f.state, BudgetState::kExhausted);
  // Only the still-open one is overdue now, for 1 day.
  EXPECT_EQ(f.overdue, 1);
  EXPECT_EQ(f.oldest_overdue_age, kDay);

  // At day 4 the open one is not due yet: good 8, bad 1, total 9;
  // allowed 0.9; remaining (0.9 - 1) / 0.9 = -1/9.
  const BudgetFigures d4 = Evaluate(l, s, T0 + 4 * kDay, {});
  EXPECT_EQ(d4.bad, 1);
  EXPECT_EQ(d4.total, 9);
  EXPECT_NEAR(d4.remaining, -1.0 / 9, 1e-9);  // figures are rounded to 9 decimals
  EXPECT_EQ(d4.overdue, 0);
}

TEST(BudgetTest, OpenFindingCountsBadFromTheMomentItPassesDue) {
  UnitLedger l;
  Add(l, {Open(0, 2 * kDay)});  // never fixed
  const SloSettings s = Settings(0.9, 28 * kDay);
  // Exactly at the due time the deadline is not missed yet.
  const BudgetFigures at_due = Evaluate(l, s, T0 + 2 * kDay, {});
  EXPECT_EQ(at_due.total, 0);
  EXPECT_EQ(at_due.overdue, 0);
  EXPECT_EQ(at_due.state, BudgetState::kHealthy);
  // One second later it is bad, without waiting for a fix.
  const BudgetFigures after = Evaluate(l, s, T0 + 2 * kDay + 1, {});
  EXPECT_EQ(after.bad, 1);
  EXPECT_EQ(after.overdue, 1);
  EXPECT_EQ(after.oldest_overdue_age, 1);
}

TEST(BudgetTest, FixedExactlyAtDueIsInTime) {
  UnitLedger l;
  Add(l, {Open(0, 2 * kDay), Fix(2 * kDay)});
  const BudgetFigures f = Evaluate(l, Settings(0.9, 28 * kDay), T0 + 3 * kDay, {});
  EXPECT_EQ(f.good, 1);
  EXPECT_EQ(f.bad, 0);
}

TEST(BudgetTest, NoFindingsInTheWindow) {
  UnitLedger l;
  Add(l, {Open(0, kDay), Fix(kDay / 2)});  // good at 12:00 on day 0
  Add(l, {Open(0, kDay), Fix(2 * kDay)});  // bad at day 1
  // 30 days later, a 10-day window holds neither outcome.
  const BudgetFigures f = Evaluate(l, Settings(0.9, 10 * kDay), T0 + 30 * kDay, {});
  EXPECT_EQ(f.total, 0);
  EXPECT_DOUBLE_EQ(f.sli, 1.0);
  EXPECT_DOUBLE_EQ(f.remaining, 1.0);
  EXPECT_FALSE(f.time_to_exhaustion.has_value());
  for (const auto& t : f.tiers) EXPECT_EQ(t.burn_long, 0);
  EXPECT_EQ(f.state, BudgetState::kHealthy);
}

TEST(BudgetTest, AllFixedInTime) {
  UnitLedger l;
  for (int i = 0; i < 5; ++i) Add(l, {Open(i * kHour, 7 * kDay), Fix(i * kDay)});
  const BudgetFigures f = Evaluate(l, Settings(0.95, 28 * kDay), T0 + 10 * kDay, {});
  EXPECT_EQ(f.good, 5);
  EXPECT_EQ(f.bad, 0);
  EXPECT_DOUBLE_EQ(f.sli, 1.0);
  EXPECT_DOUBLE_EQ(f.remaining, 1.0);
  EXPECT_EQ(f.state, BudgetState::kHealthy);
}

TEST(BudgetTest, ReopenedFindingHasADeadlinePerOpenPeriod) {
  UnitLedger l;
  // Fixed in time (good at day 1), reopened at day 5 due day 7, still open.
  Add(l, {Open(0, 2 * kDay), Fix(kDay), Reopen(5 * kDay, 7 * kDay)});
  const BudgetFigures f = Evaluate(l, Settings(0.9, 28 * kDay), T0 + 8 * kDay, {});
  EXPECT_EQ(f.good, 1);
  EXPECT_EQ(f.bad, 1);
  EXPECT_EQ(f.overdue, 1);
  EXPECT_EQ(f.oldest_overdue_age, kDay);  // overdue since day 7
}

TEST(BudgetTest, PriorityChangeMovesTheDeadline) {
  const SloSettings s = Settings(0.9, 28 * kDay);
  // Escalation: due day 30, at day 10 the deadline becomes day 12.
  UnitLedger up;
  Add(up, {Open(0, 30 * kDay), Change(10 * kDay, 12 * kDay)});
  const BudgetFigures f = Evaluate(up, s, T0 + 13 * kDay, {});
  EXPECT_EQ(f.bad, 1);
  EXPECT_EQ(f.oldest_overdue_age, kDay);  // missed at day 12
  // De-escalation before the due time: due day 2 becomes day 30; at day 3
  // nothing is missed.
  UnitLedger down;
  Add(down, {Open(0, 2 * kDay), Change(kDay, 30 * kDay)});
  const BudgetFigures g = Evaluate(down, s, T0 + 3 * kDay, {});
  EXPECT_EQ(g.total, 0);
  EXPECT_EQ(g.overdue, 0);
  // A miss is history: de-escalating after the due time (day 3) does not
  // undo the bad outcome at day 2, but the finding is no longer overdue.
  UnitLedger late;
  Add(late, {Open(0, 2 * kDay), Change(3 * kDay, 30 * kDay)});
  const BudgetFigures h = Evaluate(late, s, T0 + 4 * kDay, {});
  EXPECT_EQ(h.bad, 1);
  EXPECT_EQ(h.overdue, 0);
}

TEST(BudgetTest, BurnRatesPerWindowAndMultiwindowFiring) {
  // Objective 95%: allowed error ratio 5%.
  SloSettings s = Settings(0.95, 28 * kDay);
  const TimePoint now = T0 + 20 * kDay;
  UnitLedger l;
  // 40 good outcomes spread over days 1..10 (outside the 7-day window).
  for (int i = 0; i < 40; ++i) Add(l, {Open(0, 30 * kDay), Fix(kDay + i * 5 * kHour)});
  // In the last day: 3 fixed in time (at now-20h, now-16h, now-12h) and
  // 1 deadline missed at now-1h.
  for (int h : {20, 16, 12}) Add(l, {Open(0, 30 * kDay), Fix(20 * kDay - h * kHour)});
  Add(l, {Open(19 * kDay, 20 * kDay - kHour)});
  const BudgetFigures f = Evaluate(l, s, now, {});
  // page tier (1d / 2h, 6x): over 1d 1 bad of 4 -> 0.25 / 0.05 = 5x;
  // over 2h 1 bad of 1 -> 1 / 0.05 = 20x. 5 < 6: not firing.
  ASSERT_EQ(f.tiers.size(), 3u);
  EXPECT_NEAR(f.tiers[0].burn_long, 5.0, 1e-9);
  EXPECT_NEAR(f.tiers[0].burn_short, 20.0, 1e-9);
  EXPECT_FALSE(f.tiers[0].firing);
  // ticket tier (3d / 6h, 3x): 3d holds the same 4 outcomes -> 5x; 6h holds
  // only the miss -> 20x: firing.
  EXPECT_NEAR(f.tiers[1].burn_long, 5.0, 1e-9);
  EXPECT_NEAR(f.tiers[1].burn_short, 20.0, 1e-9);
  EXPECT_TRUE(f.tiers[1].firing);
  // Disabling the tier silences it; the figures stay.
  s.tiers[1].enabled = false;
  const BudgetFigures g = Evaluate(l, s, now, {});
  EXPECT_FALSE(g.tiers[1].firing);
  EXPECT_NEAR(g.tiers[1].burn_long, 5.0, 1e-9);
}

TEST(BudgetTest, TimeToExhaustionAtTheProjectionBurn) {
  SloSettings s = Settings(0.9, 28 * kDay);
  s.projection_window = 3 * kDay;
  const TimePoint now = T0 + 20 * kDay;
  UnitLedger l;
  // 15 good outcomes on day 2, older than the projection window.
  for (int i = 0; i < 15; ++i) Add(l, {Open(0, 10 * kDay), Fix(2 * kDay)});
  // In the last 3 days: 4 good and 1 bad.
  for (int i = 0; i < 4; ++i) Add(l, {Open(0, 30 * kDay), Fix(18 * kDay)});
  Add(l, {Open(15 * kDay, 19 * kDay)});
  const BudgetFigures f = Evaluate(l, s, now, {});
  // Window: 19 good, 1 bad, total 20; allowed 2; remaining (2 - 1) / 2 = 0.5.
  EXPECT_EQ(f.total, 20);
  EXPECT_DOUBLE_EQ(f.remaining, 0.5);
  // Burn over 3d: (1 / 5) / 0.1 = 2x. The whole budget lasts 28d / 2 = 14d
  // at that burn; half of it remains: 7 days.
  EXPECT_NEAR(f.burn_projection, 2.0, 1e-9);
  ASSERT_TRUE(f.time_to_exhaustion.has_value());
  EXPECT_EQ(*f.time_to_exhaustion, 7 * kDay);
  EXPECT_EQ(f.state, BudgetState::kHealthy);  // 50% left is not under the 50% line
}

TEST(BudgetTest, BacklogGuardSpendsTheBudget) {
  SloSettings s = Settings(0.5, 28 * kDay);
  UnitLedger l;
  for (int i = 0; i < 10; ++i) Add(l, {Open(0, 5 * kDay), Fix(kDay)});
  Add(l, {Open(0, 2 * kDay)});  // overdue since day 2
  Add(l, {Open(0, 3 * kDay)});  // overdue since day 3
  const TimePoint now = T0 + 4 * kDay;
  // Without a guard: 10 good, 2 bad; allowed 6; remaining 4/6: healthy.
  BudgetFigures f = Evaluate(l, s, now, {});
  EXPECT_NEAR(f.remaining, 4.0 / 6, 1e-9);
  EXPECT_EQ(f.state, BudgetState::kHealthy);
  EXPECT_EQ(f.overdue, 2);
  EXPECT_EQ(f.oldest_overdue_age, 2 * kDay);
  // More overdue findings than allowed.
  s.max_overdue = 1;
  f = Evaluate(l, s, now, {});
  EXPECT_TRUE(f.backlog_tripped);
  EXPECT_DOUBLE_EQ(f.effective_remaining, 0.0);
  EXPECT_EQ(f.state, BudgetState::kExhausted);
  // Exactly at the limit is not past it.
  s.max_overdue = 2;
  EXPECT_FALSE(Evaluate(l, s, now, {}).backlog_tripped);
  // The oldest overdue age past its limit (2d > 1d).
  s.max_oldest_overdue = kDay;
  f = Evaluate(l, s, now, {});
  EXPECT_TRUE(f.backlog_tripped);
  EXPECT_EQ(f.state, BudgetState::kExhausted);
  ASSERT_FALSE(f.reasons.empty());
  EXPECT_NE(f.reasons.back().find("oldest overdue"), std::string::npos);
}

TEST(BudgetTest, BreachZeroesTheBudgetUntilResolvedPlusRecovery) {
  SloSettings s = Settings(0.9, 28 * kDay);
  UnitLedger l;
  for (int i = 0; i < 10; ++i) Add(l, {Open(0, 5 * kDay), Fix(kDay)});
  BreachWindow b;
  b.id = "breach-1";
  b.declared = T0 + 2 * kDay;
  // Unresolved: zero from the declaration on.
  EXPECT_EQ(Evaluate(l, s, T0 + 2 * kDay - 1, std::span(&b, 1)).state, BudgetState::kHealthy);
  BudgetFigures f = Evaluate(l, s, T0 + 2 * kDay, std::span(&b, 1));
  EXPECT_EQ(f.state, BudgetState::kExhausted);
  EXPECT_DOUBLE_EQ(f.effective_remaining, 0.0);
  EXPECT_DOUBLE_EQ(f.remaining, 1.0);  // the deadline arithmetic itself is unharmed
  // Resolved on day 4 with a 7-day recovery: zero until day 11.
  b.resolved = T0 + 4 * kDay;
  b.until = *b.resolved + 7 * kDay;
  EXPECT_EQ(Evaluate(l, s, T0 + 11 * kDay - 1, std::span(&b, 1)).state, BudgetState::kExhausted);
  EXPECT_EQ(Evaluate(l, s, T0 + 11 * kDay, std::span(&b, 1)).state, BudgetState::kHealthy);
}

TEST(BudgetTest, AcceptedRiskMeetsTheDeadlineUntilItExpires) {
  const SloSettings s = Settings(0.9, 28 * kDay);
  UnitLedger l;
  // Due day 2; risk accepted from day 1 until day 5; never fixed.
  Add(l, {Open(0, 2 * kDay)}, {{T0 + kDay, T0 + 5 * kDay}});
  // Day 4: the deadline passed under a valid acceptance: good, not overdue.
  BudgetFigures f = Evaluate(l, s, T0 + 4 * kDay, {});
  EXPECT_EQ(f.good, 1);
  EXPECT_EQ(f.accepted, 1);
  EXPECT_EQ(f.bad, 0);
  EXPECT_EQ(f.overdue, 0);
  // From the expiry on it is overdue again and counts bad once.
  f = Evaluate(l, s, T0 + 5 * kDay, {});
  EXPECT_EQ(f.bad, 1);
  EXPECT_EQ(f.overdue, 1);
  f = Evaluate(l, s, T0 + 6 * kDay, {});
  EXPECT_EQ(f.good, 1);
  EXPECT_EQ(f.bad, 1);
  // An acceptance that starts after the due time does not undo the miss.
  UnitLedger late;
  Add(late, {Open(0, 2 * kDay)}, {{T0 + 3 * kDay, T0 + 9 * kDay}});
  f = Evaluate(late, s, T0 + 4 * kDay, {});
  EXPECT_EQ(f.bad, 1);
  EXPECT_EQ(f.good, 0);
  EXPECT_EQ(f.overdue, 0);  // but it is not overdue while accepted
}

TEST(BudgetTest, CalendarWindows) {
  BudgetWindow month{WindowKind::kMonth, 0};
  const TimePoint mid = ParseTime("2026-11-15T10:00:00Z").value();
  EXPECT_EQ(month.Start(mid), ParseTime("2026-11-01T00:00:00Z").value());
  EXPECT_EQ(month.Length(mid), 30 * kDay);
  BudgetWindow quarter{WindowKind::kQuarter, 0};
  EXPECT_EQ(quarter.Start(mid), ParseTime("2026-10-01T00:00:00Z").value());
  EXPECT_EQ(quarter.Length(mid), 92 * kDay);
  EXPECT_EQ(month.Start(ParseTime("2026-12-31T23:59:59Z").value()), ParseTime("2026-12-01T00:00:00Z").value());
  // An outcome on Oct 31 is outside November's window.
  SloSettings s = Settings(0.9, 0);
  s.window = month;
  UnitLedger l;
  Add(l,
      {{ParseTime("2026-10-30T00:00:00Z").value(), ParseTime("2026-10-31T00:00:00Z").value(), LifecycleType::kOpened}});
  Add(l, {Open(0, kDay), Fix(kHour)});  // good on Nov 1
  const BudgetFigures f = Evaluate(l, s, mid, {});
  EXPECT_EQ(f.good, 1);
  EXPECT_EQ(f.bad, 0);
}

TEST(BudgetTest, BurnRateDefinition) {
  EXPECT_DOUBLE_EQ(BurnRate(0, 0, 0.95), 0.0);
  EXPECT_NEAR(BurnRate(95, 5, 0.95), 1.0, 1e-12);  // exactly the allowed rate
  EXPECT_NEAR(BurnRate(0, 1, 0.9), 10.0, 1e-12);
}

}  // namespace
}  // namespace secbudget
