#include "slo/budget.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace secbudget {

namespace {

// Objectives like 0.9 are not exact in binary: without rounding, 50% of the
// budget left computes as 49.99999999999999% and crosses a 50% line.
double Round9(double x) { return std::round(x * 1e9) / 1e9; }

bool Covered(std::span<const RiskAcceptance> acc, TimePoint t) {
  return std::any_of(acc.begin(), acc.end(), [t](const RiskAcceptance& a) { return a.from <= t && t < a.until; });
}

// The parts of (a, b) not covered by any acceptance, appended to `out`.
void Uncovered(TimePoint a, TimePoint b, std::span<const RiskAcceptance> acc, std::vector<OverdueSpan>& out) {
  if (acc.empty()) {
    out.push_back({a, b});
    return;
  }
  std::vector<RiskAcceptance> sorted(acc.begin(), acc.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.from < y.from; });
  TimePoint cur = a;
  for (const auto& r : sorted) {
    if (r.until <= cur || r.from >= b) continue;
    // [r.from, r.until) is covered: (cur, r.from) stays overdue, and so does
    // every instant from r.until on, i.e. the open interval (r.until - 1, b).
    if (r.from > cur) out.push_back({cur, std::min(b, r.from)});
    cur = std::max(cur, r.until - 1);
  }
  if (cur < b) out.push_back({cur, b});
}

struct Period {
  bool open = false;
  TimePoint due = 0;
  bool decided = false;       // a bad outcome was recorded
  bool accepted_met = false;  // the deadline was met by accepted risk
  bool passed = false;        // the due time has passed at least once
};

// `first_span`: the finding's first entry in ledger.overdue (spans merge only
// within one finding).
void AddSegment(Period& p, TimePoint a, TimePoint b, std::span<const RiskAcceptance> acc, std::size_t first_span,
                UnitLedger& ledger) {
  // Raw overdue part of [a, b) with due d: (max(a, d), b).
  const TimePoint from = std::max(a, p.due);
  if (from >= b) return;
  if (!p.passed) {
    p.passed = true;
    if (Covered(acc, from)) {
      p.accepted_met = true;
      ledger.good.push_back(from);
      ledger.accepted.push_back(from);
    }
  }
  std::vector<OverdueSpan> pieces;
  Uncovered(from, b, acc, pieces);
  for (const auto& piece : pieces) {
    if (piece.from >= piece.to) continue;
    if (!p.decided) {
      p.decided = true;
      ledger.bad.push_back(piece.from);
    }
    if (ledger.overdue.size() > first_span && ledger.overdue.back().to == piece.from) {
      ledger.overdue.back().to = piece.to;  // continues across an event
    } else {
      ledger.overdue.push_back(piece);
    }
  }
}

}  // namespace

void AddFindingHistory(std::span<const LifecycleEvent> events, std::span<const RiskAcceptance> acceptances,
                       UnitLedger& ledger) {
  ++ledger.findings;
  Period p;
  const std::size_t first_span = ledger.overdue.size();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const LifecycleEvent& e = events[i];
    switch (e.type) {
      case LifecycleType::kOpened:
      case LifecycleType::kReopened:
        if (!p.open)
          p = Period{true, e.due_at, false, false, false};
        else
          p.due = e.due_at;  // a repeated open keeps the period
        break;
      case LifecycleType::kPriorityChanged:
        if (p.open) p.due = e.due_at;
        break;
      case LifecycleType::kFixed:
        if (p.open && !p.decided && !p.accepted_met) ledger.good.push_back(e.at);
        p.open = false;
        break;
    }
    if (!p.open) continue;
    const TimePoint next = i + 1 < events.size() ? events[i + 1].at : kForever;
    AddSegment(p, e.at, next, acceptances, first_span, ledger);
  }
}

double BurnRate(std::int64_t good, std::int64_t bad, double objective) {
  const std::int64_t total = good + bad;
  if (total == 0) return 0;
  return Round9((static_cast<double>(bad) / static_cast<double>(total)) / (1 - objective));
}

BudgetFigures Evaluate(const UnitLedger& ledger, const SloSettings& slo, TimePoint at,
                       std::span<const BreachWindow> breaches) {
  BudgetFigures f;
  f.at = at;
  f.window_length = slo.window.Length(at);
  f.window_start = slo.window.kind == WindowKind::kRolling ? at - f.window_length : slo.window.Start(at) - 1;

  // Counts in (lo, at]: good at t counts from t on, bad from t + 1 on.
  const auto count = [&](const std::vector<TimePoint>& v, TimePoint lo, bool strict) {
    std::int64_t n = 0;
    for (TimePoint t : v) n += (t > lo && (strict ? t < at : t <= at)) ? 1 : 0;
    return n;
  };
  f.good = count(ledger.good, f.window_start, false);
  f.bad = count(ledger.bad, f.window_start, true);
  f.accepted = count(ledger.accepted, f.window_start, false);
  f.total = f.good + f.bad;
  f.sli = f.total == 0 ? 1.0 : static_cast<double>(f.good) / static_cast<double>(f.total);
  f.allowed_bad = (1 - slo.objective) * static_cast<double>(f.total);
  f.allowed_bad = Round9(f.allowed_bad);
  f.remaining = f.total == 0 ? 1.0 : Round9((f.allowed_bad - static_cast<double>(f.bad)) / f.allowed_bad);

  const auto burn_over = [&](Duration w) {
    return BurnRate(count(ledger.good, at - w, false), count(ledger.bad, at - w, true), slo.objective);
  };
  for (const auto& tier : slo.tiers) {
    TierFigures t;
    t.tier = tier;
    t.burn_long = burn_over(tier.long_window);
    t.burn_short = burn_over(tier.short_window);
    t.firing = tier.enabled && t.burn_long >= tier.burn_rate && t.burn_short >= tier.burn_rate;
    f.tiers.push_back(t);
  }
  f.burn_projection = burn_over(slo.projection_window);
  if (f.burn_projection > 0 && f.remaining > 0) {
    // At burn b the whole budget lasts window/b; what remains lasts that share.
    f.time_to_exhaustion =
        static_cast<Duration>(std::llround(f.remaining * static_cast<double>(f.window_length) / f.burn_projection));
  }

  for (const auto& s : ledger.overdue) {
    if (s.from < at && at < s.to) {
      ++f.overdue;
      const Duration age = at - s.from;
      if (!f.oldest_overdue_age || age > *f.oldest_overdue_age) f.oldest_overdue_age = age;
    }
  }

  f.effective_remaining = f.remaining;
  if (slo.max_overdue && f.overdue > *slo.max_overdue) {
    f.backlog_tripped = true;
    f.reasons.push_back(
        fmt::format("backlog guard: {} overdue findings, more than the {} allowed", f.overdue, *slo.max_overdue));
  }
  if (slo.max_oldest_overdue && f.oldest_overdue_age && *f.oldest_overdue_age > *slo.max_oldest_overdue) {
    f.backlog_tripped = true;
    f.reasons.push_back(
        fmt::format("backlog guard: the oldest overdue finding is {} past due, more than the {} "
                    "allowed",
                    FormatDuration(*f.oldest_overdue_age), FormatDuration(*slo.max_oldest_overdue)));
  }
  for (const auto& b : breaches) {
    if (b.declared <= at && at < b.until) {
      f.active_breaches.push_back(b);
      f.reasons.push_back(
          b.resolved && *b.resolved <= at
              ? fmt::format("breach {} resolved {}: the budget stays at zero until {}", b.id, FormatTime(*b.resolved),
                            FormatTime(b.until))
              : fmt::format("breach {} declared {} is not resolved: the budget is zero", b.id, FormatTime(b.declared)));
    }
  }
  if (f.backlog_tripped || !f.active_breaches.empty()) f.effective_remaining = std::min(f.remaining, 0.0);

  if (f.total > 0 && f.remaining <= 0) {
    f.reasons.insert(f.reasons.begin(),
                     fmt::format("{} of {} deadlines missed in the window; the objective of {:.4g}% allows {:.2f}",
                                 f.bad, f.total, slo.objective * 100, f.allowed_bad));
  }
  if (f.effective_remaining <= 0 && (f.total > 0 || f.backlog_tripped || !f.active_breaches.empty())) {
    f.state = BudgetState::kExhausted;
  } else {
    bool at_risk = false;
    if (f.effective_remaining < slo.at_risk_below) {
      at_risk = true;
      f.reasons.push_back(fmt::format("{:.1f}% of the budget remains, under the {:.4g}% at-risk line",
                                      f.effective_remaining * 100, slo.at_risk_below * 100));
    }
    for (const auto& t : f.tiers) {
      if (t.firing && t.tier.urgency != Urgency::kDigest) {
        at_risk = true;
        f.reasons.push_back(fmt::format("{} burn alert: {:.2f}x over {} and {:.2f}x over {} (threshold {:.4g}x)",
                                        t.tier.name, t.burn_long, FormatDuration(t.tier.long_window), t.burn_short,
                                        FormatDuration(t.tier.short_window), t.tier.burn_rate));
      }
    }
    f.state = at_risk ? BudgetState::kAtRisk : BudgetState::kHealthy;
  }
  return f;
}

}  // namespace secbudget
