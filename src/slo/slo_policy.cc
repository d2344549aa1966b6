#include "slo/slo_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "common/strings.h"
#include "common/yaml.h"

namespace secbudget {

namespace {

std::string Scalar(const YAML::Node& n) { return YamlScalar(n); }
std::string Origin(const std::string& file, const YAML::Node& n) { return NodeOrigin(file, n); }

// "file:line" back to a Location, for errors found after loading.
Location OriginLocation(const std::string& origin) {
  const std::size_t colon = origin.rfind(':');
  if (colon == std::string::npos) return Location::File(origin);
  std::uint64_t line = 0;
  for (std::size_t i = colon + 1; i < origin.size(); ++i) {
    if (origin[i] < '0' || origin[i] > '9') return Location::File(origin);
    line = line * 10 + static_cast<std::uint64_t>(origin[i] - '0');
  }
  return Location::File(origin.substr(0, colon), line);
}

// UTC civil date of a time point.
std::tm Civil(TimePoint t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

TimePoint MonthStart(int year, int month0) {  // month0: 0..11, may overflow by 12
  year += month0 / 12;
  month0 %= 12;
  return DaysFromCivil(year, static_cast<unsigned>(month0 + 1), 1) * kDay;
}

// "95%" or 0.95; strictly between 0 and 1.
std::optional<double> ParseShare(MapReader& r, const std::string& key) {
  const YAML::Node n = r.Get(key);
  if (!n.IsDefined()) return std::nullopt;
  std::string text(Trim(Scalar(n)));
  double v = -1;
  bool percent = !text.empty() && text.back() == '%';
  if (percent) text.pop_back();
  try {
    std::size_t used = 0;
    v = std::stod(text, &used);
    if (used != text.size()) v = -1;
  } catch (const std::exception&) {
    v = -1;
  }
  if (percent) v /= 100;
  if (v <= 0 || v >= 1 || (!percent && v > 1)) {
    r.Fail(n, fmt::format("{} must be a share strictly between 0 and 1, written 95% or 0.95 (got \"{}\")", key,
                          Scalar(n)));
    return std::nullopt;
  }
  return v;
}

std::optional<Duration> ReadDuration(MapReader& r, const std::string& key, bool allow_zero = false) {
  return ReadDurationKey(r, key, allow_zero);
}

std::optional<std::vector<std::string>> ReadWords(MapReader& r, const YAML::Node& n, const std::string& what) {
  if (!n.IsDefined()) return std::nullopt;
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        r.Fail(item, fmt::format("{}: each action is a line of text", what));
        return std::nullopt;
      }
      out.push_back(item.Scalar());
    }
  } else {
    r.Fail(n, fmt::format("{}: a list of actions in words", what));
    return std::nullopt;
  }
  return out;
}

Status ReadOverrides(MapReader& r, const std::string& file, SloOverrides* o) {
  o->objective = ParseShare(r, "objective");
  if (const YAML::Node w = r.Get("window"); w.IsDefined()) {
    const std::string text = ToLower(Trim(Scalar(w)));
    BudgetWindow bw;
    if (text == "month" || text == "calendar month") {
      bw.kind = WindowKind::kMonth;
      o->window = bw;
    } else if (text == "quarter" || text == "calendar quarter") {
      bw.kind = WindowKind::kQuarter;
      o->window = bw;
    } else if (auto d = ParseDuration(text); d.ok() && *d >= kHour) {
      bw.length = *d;
      o->window = bw;
    } else {
      r.Fail(w, fmt::format("window \"{}\" must be a rolling duration (28d) or month or quarter", Scalar(w)));
    }
  }
  if (const YAML::Node d = r.Get("deadlines"); d.IsDefined()) {
    MapReader dr(d, file, "deadlines");
    for (int p = 1; p <= 4; ++p) {
      o->deadlines[static_cast<std::size_t>(p - 1)] = ReadDuration(dr, fmt::format("P{}", p));
    }
    SB_RETURN_IF_ERROR(dr.Finish());
  }
  if (const YAML::Node b = r.Get("backlog"); b.IsDefined()) {
    MapReader br(b, file, "backlog");
    if (const YAML::Node m = br.Get("max_overdue"); m.IsDefined()) {
      try {
        const long long v = std::stoll(Scalar(m));
        if (v < 0) throw std::invalid_argument("negative");
        o->max_overdue = v;
      } catch (const std::exception&) {
        br.Fail(m, "backlog.max_overdue must be a whole number of findings (0 or more)");
      }
    }
    o->max_oldest_overdue = ReadDuration(br, "max_oldest_overdue");
    SB_RETURN_IF_ERROR(br.Finish());
  }
  if (const YAML::Node a = r.Get("alerts"); a.IsDefined()) {
    if (!a.IsMap()) {
      r.Fail(a, "alerts must map tier names to {burn_rate, long, short, urgency, enabled}");
    } else {
      for (auto it = a.begin(); it != a.end(); ++it) {
        const std::string name = Scalar(it->first);
        MapReader tr(it->second, file, "alerts." + name);
        SloOverrides::Tier t;
        if (auto u = tr.String("urgency")) {
          t.urgency = ParseUrgency(*u);
          if (!t.urgency) tr.Fail(tr.Get("urgency"), "urgency must be page, ticket or digest");
        } else if (!ParseUrgency(name)) {
          // Tiers named page/ticket/digest take that urgency; others must say.
          if (!it->second.IsMap() || !it->second["urgency"].IsDefined()) {
            tr.Fail(it->second, fmt::format("alert tier \"{}\" needs an urgency (page, ticket or digest)", name));
          }
        }
        if (const YAML::Node br = tr.Get("burn_rate"); br.IsDefined()) {
          if (auto n = tr.Number("burn_rate"); n && *n > 0) {
            t.burn_rate = *n;
          } else {
            tr.Fail(br, "burn_rate must be a positive number (14.4, 6, 1)");
          }
        }
        t.long_window = ReadDuration(tr, "long");
        t.short_window = ReadDuration(tr, "short");
        t.enabled = tr.Bool("enabled");
        SB_RETURN_IF_ERROR(tr.Finish());
        o->tiers[name] = t;
      }
    }
  }
  o->at_risk_below = ParseShare(r, "at_risk_below");
  o->projection_window = ReadDuration(r, "projection_window");
  o->breach_recovery = ReadDuration(r, "breach_recovery", /*allow_zero=*/true);
  o->exception_max = ReadDuration(r, "exception_max");
  o->freeze_on_exhausted = r.Bool("freeze_on_exhausted");
  if (const YAML::Node acts = r.Get("actions"); acts.IsDefined()) {
    MapReader ar(acts, file, "actions");
    o->actions_at_risk = ReadWords(ar, ar.Get("at_risk"), "actions.at_risk");
    o->actions_exhausted = ReadWords(ar, ar.Get("exhausted"), "actions.exhausted");
    SB_RETURN_IF_ERROR(ar.Finish());
  }
  if (auto e = r.String("escalation")) o->escalation = *e;
  return Status::OK();
}

Status ReadSelector(const YAML::Node& match, const std::string& file, SloScopeRule* rule) {
  MapReader mr(match, file, "match");
  if (auto v = mr.String("team")) rule->scope.team = *v;
  if (auto v = mr.String("service")) rule->scope.service = *v;
  if (auto v = mr.String("environment")) rule->scope.environment = *v;
  SB_RETURN_IF_ERROR(mr.Finish());
  if (rule->scope.Specificity() == 0) {
    return Status::SchemaError("match needs at least one of team, service, environment (use defaults otherwise)")
        .At(NodeLocation(file, match));
  }
  return Status::OK();
}

Result<TimePoint> ReadTime(MapReader& r, const std::string& key, bool required) {
  return ReadTimeKey(r, key, required);
}

}  // namespace

// ---------------------------------------------------------------------------

TimePoint BudgetWindow::Start(TimePoint at) const {
  if (kind == WindowKind::kRolling) return at - length;
  const std::tm tm = Civil(at);
  const int month0 = kind == WindowKind::kMonth ? tm.tm_mon : tm.tm_mon - tm.tm_mon % 3;
  return MonthStart(tm.tm_year + 1900, month0);
}

Duration BudgetWindow::Length(TimePoint at) const {
  if (kind == WindowKind::kRolling) return length;
  const std::tm tm = Civil(at);
  const int month0 = kind == WindowKind::kMonth ? tm.tm_mon : tm.tm_mon - tm.tm_mon % 3;
  const int span = kind == WindowKind::kMonth ? 1 : 3;
  return MonthStart(tm.tm_year + 1900, month0 + span) - MonthStart(tm.tm_year + 1900, month0);
}

std::string BudgetWindow::Describe() const {
  switch (kind) {
    case WindowKind::kRolling: return "rolling " + FormatDuration(length);
    case WindowKind::kMonth: return "calendar month";
    case WindowKind::kQuarter: return "calendar quarter";
  }
  return "";
}

std::string_view Name(BudgetState s) {
  switch (s) {
    case BudgetState::kHealthy: return "healthy";
    case BudgetState::kAtRisk: return "at_risk";
    case BudgetState::kExhausted: return "exhausted";
  }
  return "healthy";
}

std::vector<BurnTier> DefaultTiers() {
  return {
      {"page", Urgency::kPage, 6.0, kDay, 2 * kHour, true},
      {"ticket", Urgency::kTicket, 3.0, 3 * kDay, 6 * kHour, true},
      {"digest", Urgency::kDigest, 1.0, 7 * kDay, kDay, true},
  };
}

void SloOverrides::ApplyTo(SloSettings& s) const {
  if (objective) s.objective = *objective;
  if (window) s.window = *window;
  if (max_overdue) s.max_overdue = max_overdue;
  if (max_oldest_overdue) s.max_oldest_overdue = max_oldest_overdue;
  for (const auto& [tier_name, t] : tiers) {
    const std::string& name = tier_name;  // clang 14 cannot capture a structured binding
    auto it = std::find_if(s.tiers.begin(), s.tiers.end(), [&](const BurnTier& b) { return b.name == name; });
    if (it == s.tiers.end()) {
      BurnTier b;
      b.name = name;
      b.urgency = ParseUrgency(name).value_or(Urgency::kTicket);
      s.tiers.push_back(b);
      it = s.tiers.end() - 1;
    }
    if (t.urgency) it->urgency = *t.urgency;
    if (t.burn_rate) it->burn_rate = *t.burn_rate;
    if (t.long_window) it->long_window = *t.long_window;
    if (t.short_window) it->short_window = *t.short_window;
    if (t.enabled) it->enabled = *t.enabled;
  }
  if (at_risk_below) s.at_risk_below = *at_risk_below;
  if (projection_window) s.projection_window = *projection_window;
  if (breach_recovery) s.breach_recovery = *breach_recovery;
  if (exception_max) s.exception_max = *exception_max;
  if (freeze_on_exhausted) s.freeze_on_exhausted = *freeze_on_exhausted;
  if (actions_at_risk) s.actions_at_risk = *actions_at_risk;
  if (actions_exhausted) s.actions_exhausted = *actions_exhausted;
  if (escalation) s.escalation = *escalation;
}

ResolvedSlo SloPolicy::Resolve(std::string_view team, std::string_view service, std::string_view environment) const {
  ResolvedSlo r;
  r.settings.tiers = DefaultTiers();
  r.applied.push_back("built-in defaults");
  if (!defaults_origin_.empty()) {
    defaults_.ApplyTo(r.settings);
    r.applied.push_back("defaults (" + defaults_origin_ + ")");
  }
  for (const auto& rule : rules_) {
    if (!rule.scope.Matches(team, service, environment)) continue;
    rule.overrides.ApplyTo(r.settings);
    r.applied.push_back(rule.scope.Describe() + " (" + rule.origin + ")");
  }
  return r;
}

Status SloPolicyLoader::AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) {
  SB_ASSIGN_OR_RETURN(const PolicyEnvelope envelope, ReadPolicyEnvelope(doc, file, kind));
  const std::string& name = envelope.name;
  const YAML::Node& spec = envelope.spec;

  if (kind == "GateException") {
    MapReader r(spec, file, "GateException spec");
    GateException ex;
    ex.name = name;
    ex.origin = Origin(file, doc);
    ex.service = r.String("service", /*required=*/true).value_or("");
    ex.environment = r.String("environment").value_or("");
    ex.owner = r.String("owner", true).value_or("");
    ex.approver = r.String("approver").value_or("");
    ex.reason = r.String("reason", true).value_or("");
    SB_ASSIGN_OR_RETURN(TimePoint created, ReadTime(r, "created", false));
    if (created >= 0) ex.created = created;
    SB_ASSIGN_OR_RETURN(ex.expires, ReadTime(r, "expires", true));
    SB_RETURN_IF_ERROR(r.Finish());
    for (const auto* field : {&ex.service, &ex.owner, &ex.reason}) {
      if (Trim(*field).empty()) {
        return Status::SchemaError("a gate exception needs a service, an owner and a reason")
            .At(NodeLocation(file, spec));
      }
    }
    if (ex.created && *ex.created >= ex.expires) {
      return Status::SchemaError("expires must come after created").At(NodeLocation(file, spec["expires"]));
    }
    policy_.exceptions_.push_back(std::move(ex));
    return Status::OK();
  }

  MapReader r(spec, file, "SLOPolicy spec");
  if (const YAML::Node d = r.Get("defaults"); d.IsDefined()) {
    if (!policy_.defaults_origin_.empty()) {
      return Status::SchemaError(
                 fmt::format("a second defaults block (the first is at {}): keep one", policy_.defaults_origin_))
          .At(NodeLocation(file, d));
    }
    MapReader dr(d, file, "defaults");
    SB_RETURN_IF_ERROR(ReadOverrides(dr, file, &policy_.defaults_));
    SB_RETURN_IF_ERROR(dr.Finish());
    policy_.defaults_origin_ = Origin(file, d);
  }
  if (const YAML::Node scopes = r.Get("scopes"); scopes.IsDefined()) {
    if (!scopes.IsSequence()) {
      return Status::SchemaError("scopes must be a list of {match: {...}, settings...}").At(NodeLocation(file, scopes));
    }
    for (const auto& item : scopes) {
      MapReader sr(item, file, "scope");
      SloScopeRule rule;
      rule.origin = Origin(file, item);
      const YAML::Node match = sr.Require("match");
      if (match.IsDefined()) SB_RETURN_IF_ERROR(ReadSelector(match, file, &rule));
      SB_RETURN_IF_ERROR(ReadOverrides(sr, file, &rule.overrides));
      SB_RETURN_IF_ERROR(sr.Finish());
      policy_.rules_.push_back(std::move(rule));
    }
  }
  return r.Finish();
}

Status SloPolicyLoader::Finish(PolicySet& set) {
  std::stable_sort(policy_.rules_.begin(), policy_.rules_.end(), [](const SloScopeRule& a, const SloScopeRule& b) {
    return a.scope.Specificity() < b.scope.Specificity();
  });
  // Every combination of settings a unit can end up with must make sense:
  // check the defaults alone and each rule over them.
  const auto check = [&](const ResolvedSlo& r, const std::string& where) -> Status {
    for (const auto& t : r.settings.tiers) {
      if (t.short_window >= t.long_window) {
        return Status::SchemaError(fmt::format("alert tier {}: the short window ({}) must be shorter than the long "
                                               "one ({})",
                                               t.name, FormatDuration(t.short_window), FormatDuration(t.long_window)))
            .At(OriginLocation(where));
      }
    }
    return Status::OK();
  };
  SB_RETURN_IF_ERROR(check(policy_.Resolve("", "", ""), policy_.defaults_origin_));
  for (const auto& rule : policy_.rules_) {
    SB_RETURN_IF_ERROR(
        check(policy_.Resolve(rule.scope.team, rule.scope.service, rule.scope.environment), rule.origin));
  }
  for (const auto& ex : policy_.exceptions_) {
    const ResolvedSlo r = policy_.Resolve("", ex.service, ex.environment);
    if (ex.created && ex.expires - *ex.created > r.settings.exception_max) {
      return Status::SchemaError(fmt::format("gate exception {} lasts {}, longer than the {} the policy allows "
                                             "(exception_max)",
                                             ex.name.empty() ? ex.service : ex.name,
                                             FormatDuration(ex.expires - *ex.created),
                                             FormatDuration(r.settings.exception_max)))
          .At(OriginLocation(ex.origin));
    }
  }
  // Deadlines: defaults first (no selector), then the rules in order.
  if (std::any_of(policy_.defaults_.deadlines.begin(), policy_.defaults_.deadlines.end(),
                  [](const auto& d) { return d.has_value(); })) {
    DeadlineRule d;
    d.deadlines = policy_.defaults_.deadlines;
    d.origin = policy_.defaults_origin_;
    set.deadline_rules.push_back(d);
  }
  for (const auto& rule : policy_.rules_) {
    if (std::none_of(rule.overrides.deadlines.begin(), rule.overrides.deadlines.end(),
                     [](const auto& d) { return d.has_value(); })) {
      continue;
    }
    DeadlineRule d;
    d.scope = rule.scope;
    d.deadlines = rule.overrides.deadlines;
    d.origin = rule.origin;
    set.deadline_rules.push_back(d);
  }
  return Status::OK();
}

}  // namespace secbudget
