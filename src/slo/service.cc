#include "slo/service.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace secbudget {

std::string UnitKey::Describe() const {
  std::string out = service.empty() ? "(no service)" : service;
  if (!team.empty() && team != service) out = team + "/" + out;
  if (environment != Environment::kUnknown) out += fmt::format(" ({})", Name(environment));
  return out;
}

std::string_view Name(BudgetEventType t) {
  return t == BudgetEventType::kBreachResolved ? "breach_resolved" : "breach_declared";
}

namespace {

bool BreachCovers(const Breach& b, const UnitKey& u) {
  return ScopeSelector{b.team, b.service, b.environment}.Matches(u.team, u.service, Name(u.environment));
}

std::string Percent(double share) { return fmt::format("{:.1f}%", share * 100); }

Breach FromDeclaration(const BudgetEventRecord& e) {
  Breach b;
  b.id = e.breach_id;
  b.team = e.team;
  b.service = e.service;
  b.environment = e.environment;
  b.summary = e.summary;
  b.actor = e.actor;
  b.declared = e.at;
  return b;
}

}  // namespace

struct SloService::Loaded {
  LifecycleData data;
  std::vector<UnitLedger> ledgers;
  std::vector<ResolvedSlo> slos;
  std::vector<Breach> breaches;
};

SloService::SloService(SloStore& store, const SloPolicy& policy) : store_(store), policy_(policy) {}

Status SloService::Load(const UnitFilter& filter, TimePoint until, Loaded* out) {
  SB_RETURN_IF_ERROR(store_.LoadLifecycle(filter, until, &out->data));
  out->ledgers.assign(out->data.units.size(), UnitLedger{});
  out->slos.clear();
  out->slos.reserve(out->data.units.size());
  for (const auto& u : out->data.units) out->slos.push_back(policy_.Resolve(u.team, u.service, Name(u.environment)));
  for (const auto& f : out->data.findings) {
    const std::span<const LifecycleEvent> events(out->data.events.data() + f.first_event, f.event_count);
    const std::vector<RiskAcceptance> acc = acceptances_ ? acceptances_(f.id) : std::vector<RiskAcceptance>{};
    AddFindingHistory(events, acc, out->ledgers[f.unit]);
  }
  SB_ASSIGN_OR_RETURN(out->breaches, ListBreaches());
  return Status::OK();
}

UnitStatus SloService::StatusOf(const Loaded& l, std::size_t unit, TimePoint at) const {
  UnitStatus s;
  s.unit = l.data.units[unit];
  s.slo = l.slos[unit];
  s.findings = l.ledgers[unit].findings;
  std::vector<BreachWindow> windows;
  for (const auto& b : l.breaches) {
    if (b.declared > at || !BreachCovers(b, s.unit)) continue;
    BreachWindow w;
    w.id = b.id;
    w.summary = b.summary;
    w.declared = b.declared;
    if (b.resolved && *b.resolved <= at) {
      w.resolved = b.resolved;
      w.until = *b.resolved + s.slo.settings.breach_recovery;
    }
    windows.push_back(std::move(w));
  }
  s.figures = Evaluate(l.ledgers[unit], s.slo.settings, at, windows);
  switch (s.figures.state) {
    case BudgetState::kHealthy: break;
    case BudgetState::kAtRisk: s.actions = s.slo.settings.actions_at_risk; break;
    case BudgetState::kExhausted:
      s.actions = s.slo.settings.actions_exhausted;
      if (s.slo.settings.freeze_on_exhausted) {
        s.actions.insert(s.actions.begin(),
                         "feature releases are frozen (`secbudget gate` fails); security fixes ship");
      }
      if (!s.slo.settings.escalation.empty()) s.actions.push_back("escalate to " + s.slo.settings.escalation);
      break;
  }
  return s;
}

Result<std::vector<UnitStatus>> SloService::Statuses(const UnitFilter& filter, TimePoint at) {
  Loaded l;
  SB_RETURN_IF_ERROR(Load(filter, at, &l));
  std::vector<UnitStatus> out;
  out.reserve(l.data.units.size());
  for (std::size_t i = 0; i < l.data.units.size(); ++i) out.push_back(StatusOf(l, i, at));
  std::sort(out.begin(), out.end(), [](const UnitStatus& a, const UnitStatus& b) {
    if (a.figures.state != b.figures.state) return a.figures.state > b.figures.state;  // worst first
    if (a.figures.effective_remaining != b.figures.effective_remaining)
      return a.figures.effective_remaining < b.figures.effective_remaining;
    return a.unit.Describe() < b.unit.Describe();
  });
  return out;
}

Result<std::vector<HistoryPoint>> SloService::History(const UnitFilter& filter, TimePoint from, TimePoint to) {
  if (to < from) return Status::InvalidArgument("--to is before --from");
  const TimePoint first = from - ((from % kDay) + kDay) % kDay;
  if ((to - first) / kDay > 3660) return Status::InvalidArgument("a history covers at most ten years of days");
  Loaded l;
  SB_RETURN_IF_ERROR(Load(filter, to, &l));
  std::vector<HistoryPoint> out;
  for (std::size_t u = 0; u < l.data.units.size(); ++u) {
    for (TimePoint t = first; t <= to; t += kDay) {
      UnitStatus s = StatusOf(l, u, t);
      out.push_back(HistoryPoint{t, s.unit, std::move(s.figures)});
    }
  }
  return out;
}

std::vector<Alert> AlertsFor(const std::vector<UnitStatus>& statuses) {
  std::vector<Alert> out;
  for (const auto& s : statuses) {
    const BudgetFigures& f = s.figures;
    const std::string unit = s.unit.Describe();
    const auto base = [&](Alert& a) {
      a.source = "slo";
      a.owner = s.unit.team;
      a.starts_at = f.at;
      a.labels["team"] = s.unit.team;
      a.labels["service"] = s.unit.service;
      a.labels["environment"] = std::string(Name(s.unit.environment));
      a.annotations["objective"] = Percent(s.slo.settings.objective);
      a.annotations["window"] = s.slo.settings.window.Describe();
      a.annotations["sli"] = Percent(f.sli);
      a.annotations["remaining_budget"] = Percent(f.effective_remaining);
      a.annotations["time_to_exhaustion"] =
          f.time_to_exhaustion ? FormatDuration(*f.time_to_exhaustion) : (f.effective_remaining <= 0 ? "0s" : "none");
      a.annotations["state"] = std::string(Name(f.state));
      if (!s.slo.settings.escalation.empty()) a.annotations["escalation"] = s.slo.settings.escalation;
    };
    for (const auto& t : f.tiers) {
      if (!t.firing) continue;
      Alert a;
      base(a);
      a.name = "SLOBurnRate";
      a.urgency = t.tier.urgency;
      a.dedup_key =
          fmt::format("slo-burn/{}/{}/{}/{}", s.unit.team, s.unit.service, Name(s.unit.environment), t.tier.name);
      a.labels["tier"] = t.tier.name;
      a.summary = fmt::format("{}: remediation budget burning at {:.1f}x over {} ({:.1f}x over {}); {} left", unit,
                              t.burn_long, FormatDuration(t.tier.long_window), t.burn_short,
                              FormatDuration(t.tier.short_window), Percent(f.effective_remaining));
      a.annotations["burn_rate_long"] = fmt::format("{:.2f}", t.burn_long);
      a.annotations["burn_rate_short"] = fmt::format("{:.2f}", t.burn_short);
      a.annotations["threshold"] = fmt::format("{:.4g}", t.tier.burn_rate);
      a.annotations["long_window"] = FormatDuration(t.tier.long_window);
      a.annotations["short_window"] = FormatDuration(t.tier.short_window);
      out.push_back(std::move(a));
    }
    if (f.state == BudgetState::kExhausted) {
      Alert a;
      base(a);
      a.name = "SLOBudgetExhausted";
      a.urgency = Urgency::kTicket;
      a.dedup_key = fmt::format("slo-exhausted/{}/{}/{}", s.unit.team, s.unit.service, Name(s.unit.environment));
      a.summary = fmt::format("{}: remediation error budget exhausted ({})", unit,
                              f.reasons.empty() ? std::string("no budget left") : f.reasons.front());
      a.annotations["reasons"] = Join(f.reasons, "; ");
      a.annotations["actions"] = Join(s.actions, "; ");
      out.push_back(std::move(a));
    }
  }
  return out;
}

Result<std::vector<Alert>> SloService::Alerts(const UnitFilter& filter, TimePoint at) {
  SB_ASSIGN_OR_RETURN(auto statuses, Statuses(filter, at));
  return AlertsFor(statuses);
}

Result<GateDecision> SloService::Gate(const GateRequest& request, TimePoint at) {
  if (Trim(request.service).empty()) return Status::InvalidArgument("the gate needs a service (--service)");
  UnitFilter filter;
  filter.service = request.service;
  filter.environment = request.environment;
  SB_ASSIGN_OR_RETURN(std::vector<UnitStatus> units, Statuses(filter, at));
  return GateFor(request, std::move(units), at);
}

GateDecision SloService::GateFor(const GateRequest& request, std::vector<UnitStatus> units, TimePoint at) const {
  GateDecision d;
  d.at = at;
  d.service = request.service;
  d.units = std::move(units);
  if (d.units.empty()) {
    d.notes.push_back(
        fmt::format("no finding is attributed to service \"{}\"{}: nothing to hold the release (check "
                    "the name against the asset inventory)",
                    request.service, request.environment.empty() ? "" : " in environment " + request.environment));
  }
  std::vector<const UnitStatus*> blocking;
  for (const auto& u : d.units) {
    if (u.figures.state == BudgetState::kExhausted && u.slo.settings.freeze_on_exhausted) {
      blocking.push_back(&u);
    } else {
      d.reasons.push_back(fmt::format("{}: {} with {} of the budget left", u.unit.Describe(), Name(u.figures.state),
                                      Percent(u.figures.effective_remaining)));
    }
  }
  if (blocking.empty()) return d;
  for (const UnitStatus* u : blocking) {
    for (const auto& r : u->figures.reasons) d.reasons.push_back(fmt::format("{}: {}", u->unit.Describe(), r));
  }
  if (request.security_fix) {
    d.reasons.push_back("the change is a security fix: security fixes still ship while the budget is exhausted");
    return d;
  }
  for (const auto& ex : policy_.exceptions()) {
    if (ex.service != request.service) continue;
    const bool env_ok = std::all_of(blocking.begin(), blocking.end(), [&](const UnitStatus* u) {
      return ex.environment.empty() || ex.environment == Name(u->unit.environment);
    });
    if (!env_ok) continue;
    if (ex.ValidAt(at)) {
      d.exception = ex;
      d.reasons.push_back(fmt::format("exception {} by {} until {}: {}", ex.name.empty() ? ex.origin : ex.name,
                                      ex.owner, FormatTime(ex.expires), ex.reason));
      return d;
    }
    d.notes.push_back(at >= ex.expires ? fmt::format("exception {} expired {}", ex.name.empty() ? ex.origin : ex.name,
                                                     FormatTime(ex.expires))
                                       : fmt::format("exception {} is not valid before {}",
                                                     ex.name.empty() ? ex.origin : ex.name, FormatTime(*ex.created)));
  }
  d.pass = false;
  for (const UnitStatus* u : blocking) {
    if (!u->slo.settings.escalation.empty()) {
      d.reasons.push_back(fmt::format("{}: escalation owner {}", u->unit.Describe(), u->slo.settings.escalation));
    }
  }
  return d;
}

Result<std::vector<Breach>> SloService::ListBreaches() {
  std::vector<BudgetEventRecord> events;
  SB_RETURN_IF_ERROR(store_.ListBudgetEvents(&events));
  std::vector<Breach> out;
  for (const auto& e : events) {
    if (e.type == BudgetEventType::kBreachDeclared) {
      out.push_back(FromDeclaration(e));
    } else {
      for (auto& b : out) {
        if (b.id == e.breach_id && !b.resolved) b.resolved = e.at;
      }
    }
  }
  return out;
}

Result<Breach> SloService::DeclareBreach(const BreachRequest& request, TimePoint at) {
  if (Trim(request.summary).empty()) return Status::InvalidArgument("a breach needs a summary (--summary)");
  SB_ASSIGN_OR_RETURN(auto existing, ListBreaches());
  BudgetEventRecord e;
  e.at = at;
  e.type = BudgetEventType::kBreachDeclared;
  e.breach_id = request.id.empty() ? fmt::format("breach-{}", existing.size() + 1) : request.id;
  for (const auto& b : existing) {
    if (b.id == e.breach_id) return Status::AlreadyExists(fmt::format("breach {} already exists", b.id));
  }
  e.team = request.team;
  e.service = request.service;
  e.environment = request.environment;
  e.summary = request.summary;
  e.actor = request.actor;
  SB_RETURN_IF_ERROR(store_.AppendBudgetEvent(&e));
  return FromDeclaration(e);
}

Result<Breach> SloService::ResolveBreach(const std::string& id, const std::string& actor, TimePoint at) {
  SB_ASSIGN_OR_RETURN(auto existing, ListBreaches());
  for (auto& b : existing) {
    if (b.id != id) continue;
    if (b.resolved) {
      return Status::AlreadyExists(fmt::format("breach {} was already resolved {}", id, FormatTime(*b.resolved)));
    }
    if (at < b.declared) {
      return Status::InvalidArgument(
          fmt::format("breach {} cannot be resolved before it was declared ({})", id, FormatTime(b.declared)));
    }
    BudgetEventRecord e;
    e.at = at;
    e.type = BudgetEventType::kBreachResolved;
    e.breach_id = id;
    e.actor = actor;
    SB_RETURN_IF_ERROR(store_.AppendBudgetEvent(&e));
    b.resolved = at;
    return b;
  }
  return Status::NotFound(fmt::format("no breach {} (see `secbudget breach list`)", id));
}

namespace {

// DNS-1123 label for OpenSLO names: lowercase alphanumerics and '-', at most 63.
std::string OpenSloName(std::string_view text) {
  std::string out;
  for (char c : ToLower(text)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (ok)
      out += c;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "unnamed" : out;
}

void EmitMetric(YAML::Emitter& y, const char* key, const UnitKey& u, const char* outcome) {
  y << YAML::Key << key << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "metricSource" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "type" << YAML::Value << "secbudget";
  y << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "measure" << YAML::Value << "remediation_deadlines";
  y << YAML::Key << "outcome" << YAML::Value << outcome;
  y << YAML::Key << "team" << YAML::Value << u.team;
  y << YAML::Key << "service" << YAML::Value << u.service;
  y << YAML::Key << "environment" << YAML::Value << std::string(Name(u.environment));
  y << YAML::EndMap << YAML::EndMap << YAML::EndMap;
}

}  // namespace

Result<std::string> SloService::ExportOpenSlo(const UnitFilter& filter, TimePoint at) {
  SB_ASSIGN_OR_RETURN(auto statuses, Statuses(filter, at));
  std::sort(statuses.begin(), statuses.end(),
            [](const UnitStatus& a, const UnitStatus& b) { return a.unit.Describe() < b.unit.Describe(); });
  YAML::Emitter y;
  std::vector<std::string> services_done;
  for (const auto& s : statuses) {
    const UnitKey& u = s.unit;
    const SloSettings& cfg = s.slo.settings;
    const std::string service = OpenSloName(u.service.empty() ? "no-service" : u.service);
    if (std::find(services_done.begin(), services_done.end(), service) == services_done.end()) {
      services_done.push_back(service);
      y << YAML::BeginDoc << YAML::BeginMap;
      y << YAML::Key << "apiVersion" << YAML::Value << "openslo/v1";
      y << YAML::Key << "kind" << YAML::Value << "Service";
      y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << service
        << YAML::Key << "displayName" << YAML::Value << (u.service.empty() ? "(no service)" : u.service)
        << YAML::EndMap;
      y << YAML::Key << "spec" << YAML::Value << YAML::BeginMap << YAML::Key << "description" << YAML::Value
        << "Service from the secbudget asset inventory" << YAML::EndMap;
      y << YAML::EndMap << YAML::EndDoc;
    }
    const std::string slo_name =
        OpenSloName(fmt::format("{}-{}-{}-remediation", u.team, u.service, Name(u.environment)));
    std::vector<std::string> policies;
    for (const auto& t : cfg.tiers) {
      if (!t.enabled) continue;
      const std::string pname = OpenSloName(slo_name.substr(0, 50) + "-" + t.name);
      policies.push_back(pname);
      y << YAML::BeginDoc << YAML::BeginMap;
      y << YAML::Key << "apiVersion" << YAML::Value << "openslo/v1";
      y << YAML::Key << "kind" << YAML::Value << "AlertPolicy";
      y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << pname
        << YAML::EndMap;
      y << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
      y << YAML::Key << "description" << YAML::Value
        << fmt::format(
               "{} tier: burn rate >= {:.4g} over {} and over {} (multiwindow; OpenSLO has one lookback "
               "window, the short window is in the annotation)",
               t.name, t.burn_rate, FormatDuration(t.long_window), FormatDuration(t.short_window));
      y << YAML::Key << "alertWhenBreaching" << YAML::Value << true;
      y << YAML::Key << "conditions" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
      y << YAML::Key << "kind" << YAML::Value << "AlertCondition";
      y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
        << pname + "-burn" << YAML::Key << "annotations" << YAML::Value << YAML::BeginMap << YAML::Key
        << "secbudget.dev/short-window" << YAML::Value << FormatDuration(t.short_window) << YAML::EndMap
        << YAML::EndMap;
      y << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
      y << YAML::Key << "severity" << YAML::Value << std::string(Name(t.urgency));
      y << YAML::Key << "condition" << YAML::Value << YAML::BeginMap << YAML::Key << "kind" << YAML::Value << "burnrate"
        << YAML::Key << "op" << YAML::Value << "gte" << YAML::Key << "threshold" << YAML::Value << t.burn_rate
        << YAML::Key << "lookbackWindow" << YAML::Value << FormatDuration(t.long_window) << YAML::Key << "alertAfter"
        << YAML::Value << "0m" << YAML::EndMap;
      y << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
      y << YAML::Key << "notificationTargets" << YAML::Value << YAML::BeginSeq << YAML::EndSeq;
      y << YAML::EndMap << YAML::EndMap << YAML::EndDoc;
    }
    y << YAML::BeginDoc << YAML::BeginMap;
    y << YAML::Key << "apiVersion" << YAML::Value << "openslo/v1";
    y << YAML::Key << "kind" << YAML::Value << "SLO";
    y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "name" << YAML::Value << slo_name;
    y << YAML::Key << "displayName" << YAML::Value << "Remediation within deadline: " + u.Describe();
    y << YAML::Key << "labels" << YAML::Value << YAML::BeginMap << YAML::Key << "team" << YAML::Value << u.team
      << YAML::Key << "environment" << YAML::Value << std::string(Name(u.environment)) << YAML::EndMap;
    y << YAML::EndMap;
    y << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "description" << YAML::Value
      << fmt::format(
             "Share of remediation deadlines met (fixed, or covered by accepted risk, by the due time). "
             "Policy: {}.",
             Join(s.slo.applied, " < "));
    y << YAML::Key << "service" << YAML::Value << service;
    y << YAML::Key << "indicator" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
      << OpenSloName(slo_name.substr(0, 50) + "-deadlines-met") << YAML::EndMap;
    y << YAML::Key << "spec" << YAML::Value << YAML::BeginMap << YAML::Key << "ratioMetric" << YAML::Value
      << YAML::BeginMap << YAML::Key << "counter" << YAML::Value << true;
    EmitMetric(y, "good", u, "met");
    EmitMetric(y, "total", u, "any");
    y << YAML::EndMap << YAML::EndMap << YAML::EndMap;
    y << YAML::Key << "timeWindow" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    switch (cfg.window.kind) {
      case WindowKind::kRolling:
        y << YAML::Key << "duration" << YAML::Value << FormatDuration(cfg.window.length) << YAML::Key << "isRolling"
          << YAML::Value << true;
        break;
      case WindowKind::kMonth:
      case WindowKind::kQuarter:
        y << YAML::Key << "duration" << YAML::Value << (cfg.window.kind == WindowKind::kMonth ? "1M" : "1Q")
          << YAML::Key << "isRolling" << YAML::Value << false << YAML::Key << "calendar" << YAML::Value
          << YAML::BeginMap << YAML::Key << "startTime" << YAML::Value << "2020-01-01 00:00:00" << YAML::Key
          << "timeZone" << YAML::Value << "UTC" << YAML::EndMap;
        break;
    }
    y << YAML::EndMap << YAML::EndSeq;
    y << YAML::Key << "budgetingMethod" << YAML::Value << "Occurrences";
    y << YAML::Key << "objectives" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "displayName"
      << YAML::Value << "deadlines met" << YAML::Key << "target" << YAML::Value << cfg.objective << YAML::EndMap
      << YAML::EndSeq;
    y << YAML::Key << "alertPolicies" << YAML::Value << YAML::BeginSeq;
    for (const auto& p : policies) y << p;
    y << YAML::EndSeq;
    y << YAML::EndMap << YAML::EndMap << YAML::EndDoc;
  }
  if (!y.good()) return Status::Internal(fmt::format("YAML emitter: {}", y.GetLastError()));
  return std::string(y.c_str()) + "\n";
}

}  // namespace secbudget
