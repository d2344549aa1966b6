// `slo status|alerts|export`, `gate` and `breach`: rendering of the slo
// service's results. No arithmetic here (see slo/budget.h).
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/session.h"
#include "common/strings.h"

namespace secbudget::cli {

Result<UnitFilter> ParseScope(const std::vector<std::string>& items) {
  UnitFilter f;
  for (const auto& item : items) {
    for (const auto& part : Split(item, ',')) {
      const std::string_view p = Trim(part);
      if (p.empty()) continue;
      const std::size_t eq = p.find('=');
      const std::string key = eq == std::string_view::npos ? "" : std::string(Trim(p.substr(0, eq)));
      const std::string value = eq == std::string_view::npos ? "" : std::string(Trim(p.substr(eq + 1)));
      std::string* dst = key == "team"          ? &f.team
                         : key == "service"     ? &f.service
                         : key == "environment" ? &f.environment
                                                : nullptr;
      if (dst == nullptr || value.empty()) {
        return Status::InvalidArgument(
            fmt::format("--scope \"{}\": expected team=..., service=... or environment=...", std::string(p)));
      }
      *dst = value;
    }
  }
  return f;
}

namespace {

using nlohmann::json;

std::string Pct(double share) { return fmt::format("{:.1f}%", share * 100); }

// Remaining budget for tables: a share, or how many budgets were spent
// once it is overspent ("-1900%" reads worse than "20.0x spent").
std::string Remaining(double share) { return share >= 0 ? Pct(share) : fmt::format("{:.1f}x spent", 1 - share); }

// What every slo command starts from: a session, the --scope filter and the
// evaluation time.
struct SloCommand {
  Session session;
  UnitFilter filter;
  TimePoint at = 0;
};

Result<SloCommand> OpenSlo(const GlobalOptions& g, const std::vector<std::string>& scope, const std::string& at) {
  SloCommand c;
  SB_ASSIGN_OR_RETURN(c.session, OpenSession(g));
  SB_ASSIGN_OR_RETURN(c.filter, ParseScope(scope));
  SB_ASSIGN_OR_RETURN(c.at, AtOr(at, c.session, "--at"));
  return c;
}

json FiguresJson(const BudgetFigures& f) {
  json tiers = json::array();
  for (const auto& t : f.tiers) {
    tiers.push_back({{"tier", t.tier.name},
                     {"urgency", Name(t.tier.urgency)},
                     {"enabled", t.tier.enabled},
                     {"threshold", t.tier.burn_rate},
                     {"long_window", FormatDuration(t.tier.long_window)},
                     {"short_window", FormatDuration(t.tier.short_window)},
                     {"burn_rate_long", t.burn_long},
                     {"burn_rate_short", t.burn_short},
                     {"firing", t.firing}});
  }
  json breaches = json::array();
  for (const auto& b : f.active_breaches) {
    breaches.push_back({{"id", b.id},
                        {"summary", b.summary},
                        {"declared", FormatTime(b.declared)},
                        {"resolved", b.resolved ? json(FormatTime(*b.resolved)) : json(nullptr)},
                        {"budget_zero_until", b.until == kForever ? json(nullptr) : json(FormatTime(b.until))}});
  }
  return {{"at", FormatTime(f.at)},
          {"window_start", FormatTime(f.window_start)},
          {"good", f.good},
          {"bad", f.bad},
          {"total", f.total},
          {"accepted_risk", f.accepted},
          {"sli", f.sli},
          {"allowed_bad", f.allowed_bad},
          {"remaining_budget", f.remaining},
          {"effective_remaining_budget", f.effective_remaining},
          {"burn_rates", tiers},
          {"projection_burn_rate", f.burn_projection},
          {"time_to_exhaustion", f.time_to_exhaustion ? json(FormatDuration(*f.time_to_exhaustion)) : json(nullptr)},
          {"time_to_exhaustion_seconds", f.time_to_exhaustion ? json(*f.time_to_exhaustion) : json(nullptr)},
          {"overdue", f.overdue},
          {"oldest_overdue_age", f.oldest_overdue_age ? json(FormatDuration(*f.oldest_overdue_age)) : json(nullptr)},
          {"oldest_overdue_age_seconds", f.oldest_overdue_age ? json(*f.oldest_overdue_age) : json(nullptr)},
          {"backlog_guard_tripped", f.backlog_tripped},
          {"active_breaches", breaches},
          {"state", Name(f.state)},
          {"reasons", f.reasons}};
}

json UnitJson(const UnitKey& u) {
  return {{"team", u.team}, {"service", u.service}, {"environment", Name(u.environment)}};
}

json StatusJson(const UnitStatus& s) {
  json j = UnitJson(s.unit);
  j["findings"] = s.findings;
  j["objective"] = s.slo.settings.objective;
  j["window"] = s.slo.settings.window.Describe();
  j["policy"] = s.slo.applied;
  j["actions"] = s.actions;
  j["escalation"] = s.slo.settings.escalation;
  j.update(FiguresJson(s.figures));
  return j;
}

std::string BurnCell(const BudgetFigures& f) {
  std::vector<std::string> parts;
  for (const auto& t : f.tiers) {
    if (!t.tier.enabled) continue;
    parts.push_back(fmt::format("{:.1f}x/{}{}", t.burn_long, FormatDuration(t.tier.long_window), t.firing ? "!" : ""));
  }
  return Join(parts, " ");
}

}  // namespace

int RunSloStatus(const GlobalOptions& g, const SloArgs& a) {
  auto c = OpenSlo(g, a.scope, a.at);
  if (!c.ok()) return ReportError(g, c.status());
  Session* session = &c->session;
  const UnitFilter* filter = &c->filter;
  const TimePoint* at = &c->at;
  if (a.history) {
    auto to = a.to.empty() ? Result<TimePoint>(*at) : AtOr(a.to, *session, "--to");
    if (!to.ok()) return ReportError(g, to.status());
    auto from = a.from.empty() ? Result<TimePoint>(*to - 27 * kDay) : AtOr(a.from, *session, "--from");
    if (!from.ok()) return ReportError(g, from.status());
    auto points = session->slo->History(*filter, *from, *to);
    if (!points.ok()) return ReportError(g, points.status());
    Table table;
    table.header = {"DATE", "UNIT", "SLI", "GOOD", "BAD", "REMAINING", "OVERDUE", "STATE"};
    json out = json::array();
    for (const auto& p : *points) {
      const BudgetFigures& f = p.figures;
      table.rows.push_back({FormatDate(p.at), p.unit.Describe(), Pct(f.sli), std::to_string(f.good),
                            std::to_string(f.bad), Remaining(f.effective_remaining), std::to_string(f.overdue),
                            std::string(Name(f.state))});
      json j = UnitJson(p.unit);
      j["date"] = FormatDate(p.at);
      j.update(FiguresJson(f));
      out.push_back(std::move(j));
    }
    Emit(g, table, out);
    return kExitOk;
  }
  auto statuses = session->slo->Statuses(*filter, *at);
  if (!statuses.ok()) return ReportError(g, statuses.status());
  Table table;
  table.header = {"UNIT",    "OBJECTIVE", "WINDOW",  "SLI",  "GOOD/TOTAL", "REMAINING", "BURN (long window)",
                  "OVERDUE", "OLDEST",    "EXHAUST", "STATE"};
  table.flexible = {0, 6};
  json out = json::array();
  for (const auto& s : *statuses) {
    const BudgetFigures& f = s.figures;
    table.rows.push_back(
        {s.unit.Describe(), Pct(s.slo.settings.objective), s.slo.settings.window.Describe(),
         f.total == 0 ? "-" : Pct(f.sli), fmt::format("{}/{}", f.good, f.total), Remaining(f.effective_remaining),
         BurnCell(f), std::to_string(f.overdue), f.oldest_overdue_age ? FormatDuration(*f.oldest_overdue_age) : "-",
         f.time_to_exhaustion ? FormatDuration(*f.time_to_exhaustion) : "-", std::string(Name(f.state))});
    out.push_back(StatusJson(s));
  }
  Emit(g, table, out);
  if (g.output == OutputFormat::kTable && !g.quiet) {
    for (const auto& s : *statuses) {
      if (s.figures.state == BudgetState::kHealthy) continue;
      std::cout << fmt::format("\n{} is {}:\n", s.unit.Describe(), Name(s.figures.state));
      for (const auto& r : s.figures.reasons) std::cout << "  - " << r << "\n";
      for (const auto& act : s.actions) std::cout << "  > " << act << "\n";
    }
  }
  return kExitOk;
}

int RunSloAlerts(const GlobalOptions& g, const SloArgs& a) {
  auto c = OpenSlo(g, a.scope, a.at);
  if (!c.ok()) return ReportError(g, c.status());
  Session* session = &c->session;
  const UnitFilter* filter = &c->filter;
  const TimePoint* at = &c->at;
  auto alerts = session->slo->Alerts(*filter, *at);
  if (!alerts.ok()) return ReportError(g, alerts.status());
  Table table;
  table.header = {"URGENCY", "ALERT", "OWNER", "SUMMARY"};
  table.flexible = {3};
  json out = json::array();
  for (const auto& al : *alerts) {
    table.rows.push_back({std::string(Name(al.urgency)), al.name, al.owner, al.summary});
    out.push_back({{"dedup_key", al.dedup_key},
                   {"source", al.source},
                   {"name", al.name},
                   {"urgency", Name(al.urgency)},
                   {"owner", al.owner},
                   {"summary", al.summary},
                   {"starts_at", FormatTime(al.starts_at)},
                   {"labels", al.labels},
                   {"annotations", al.annotations}});
  }
  Emit(g, table, out);
  if (g.output == OutputFormat::kTable && !g.quiet && alerts->empty()) std::cout << "no SLO alert is firing\n";
  return kExitOk;
}

int RunSloExport(const GlobalOptions& g, const SloArgs& a) {
  auto c = OpenSlo(g, a.scope, a.at);
  if (!c.ok()) return ReportError(g, c.status());
  Session* session = &c->session;
  const UnitFilter* filter = &c->filter;
  const TimePoint* at = &c->at;
  auto yaml = session->slo->ExportOpenSlo(*filter, *at);
  if (!yaml.ok()) return ReportError(g, yaml.status());
  std::cout << *yaml;
  return kExitOk;
}

int RunGate(const GlobalOptions& g, const GateArgs& a) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  auto at = AtOr(a.at, *session, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  GateRequest req{a.service, a.environment, a.security_fix};
  auto d = session->slo->Gate(req, *at);
  if (!d.ok()) return ReportError(g, d.status());
  if (g.output == OutputFormat::kJson) {
    json units = json::array();
    for (const auto& u : d->units) units.push_back(StatusJson(u));
    json ex = nullptr;
    if (d->exception) {
      ex = {{"name", d->exception->name},
            {"owner", d->exception->owner},
            {"approver", d->exception->approver},
            {"reason", d->exception->reason},
            {"expires", FormatTime(d->exception->expires)},
            {"origin", d->exception->origin}};
    }
    PrintJson(std::cout, json{{"service", d->service},
                              {"at", FormatTime(d->at)},
                              {"pass", d->pass},
                              {"decision", d->pass ? "pass" : "fail"},
                              {"reasons", d->reasons},
                              {"exception", ex},
                              {"notes", d->notes},
                              {"units", units}});
  } else {
    std::cout << fmt::format("gate {} for service {} at {}\n", d->pass ? "PASS" : "FAIL", d->service,
                             FormatTime(d->at));
    for (const auto& r : d->reasons) std::cout << "  - " << r << "\n";
    for (const auto& n : d->notes) std::cout << "  note: " << n << "\n";
    if (!d->pass) {
      for (const auto& u : d->units) {
        for (const auto& act : u.actions) std::cout << "  > " << act << "\n";
      }
      std::cout << "  (a GateException with owner, reason and expiry in the policy directory, or --security-fix "
                   "for a security fix, lets a release through)\n";
    }
  }
  return d->pass ? kExitOk : kExitInput;
}

namespace {

json BreachJson(const Breach& b) {
  return {{"id", b.id},
          {"team", b.team},
          {"service", b.service},
          {"environment", b.environment},
          {"summary", b.summary},
          {"actor", b.actor},
          {"declared", FormatTime(b.declared)},
          {"resolved", b.resolved ? json(FormatTime(*b.resolved)) : json(nullptr)}};
}

std::string ScopeText(const Breach& b) {
  const std::string scope = ScopeSelector{b.team, b.service, b.environment}.Describe();
  return scope.empty() ? "(everything)" : scope;
}

}  // namespace

int RunBreachDeclare(const GlobalOptions& g, const BreachArgs& a) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  auto filter = ParseScope(a.scope);
  if (!filter.ok()) return ReportError(g, filter.status());
  if (a.scope.empty()) {
    return ReportError(g, Status::InvalidArgument("--scope is required (team=..., service=..., environment=...)"));
  }
  auto at = AtOr(a.at, *session, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  BreachRequest req{a.id, filter->team, filter->service, filter->environment, a.summary, a.actor};
  auto b = session->slo->DeclareBreach(req, *at);
  if (!b.ok()) return ReportError(g, b.status());
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, BreachJson(*b));
  } else {
    std::cout << fmt::format(
        "breach {} declared at {} for {}: the error budget there is zero until it is "
        "resolved (and the policy's recovery period after)\n",
        b->id, FormatTime(b->declared), ScopeText(*b));
  }
  return kExitOk;
}

int RunBreachResolve(const GlobalOptions& g, const BreachArgs& a) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  auto at = AtOr(a.at, *session, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  auto b = session->slo->ResolveBreach(a.id, a.actor, *at);
  if (!b.ok()) return ReportError(g, b.status());
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, BreachJson(*b));
  } else {
    std::cout << fmt::format("breach {} resolved at {}\n", b->id, FormatTime(*b->resolved));
  }
  return kExitOk;
}

int RunBreachList(const GlobalOptions& g) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  auto list = session->slo->ListBreaches();
  if (!list.ok()) return ReportError(g, list.status());
  Table table;
  table.header = {"ID", "SCOPE", "DECLARED", "RESOLVED", "SUMMARY"};
  table.flexible = {4};
  json out = json::array();
  for (const auto& b : *list) {
    table.rows.push_back(
        {b.id, ScopeText(b), FormatTime(b.declared), b.resolved ? FormatTime(*b.resolved) : "-", b.summary});
    out.push_back(BreachJson(b));
  }
  Emit(g, table, out);
  return kExitOk;
}

}  // namespace secbudget::cli
