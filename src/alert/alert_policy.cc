#include "alert/alert_policy.h"

#include <fmt/format.h>

#include <set>

#include "common/strings.h"
#include "common/yaml.h"

namespace secbudget {

Status ReadMatchers(const YAML::Node& n, const std::string& file, std::vector<Matcher>* out) {
  if (!n.IsDefined()) return Status::OK();
  if (n.IsMap()) {
    for (const auto& kv : n) {
      auto m = Matcher::Make(YamlScalar(kv.first), MatchOp::kEqual, YamlScalar(kv.second));
      if (!m.ok()) return std::move(m).take_status().At(NodeLocation(file, kv.first));
      out->push_back(*std::move(m));
    }
    return Status::OK();
  }
  if (!n.IsSequence()) {
    return Status::SchemaError("matchers: a list of name=\"value\" strings, or a map of exact values")
        .At(NodeLocation(file, n));
  }
  for (const auto& item : n) {
    if (!item.IsScalar()) {
      return Status::SchemaError("matchers: each one is a string like team=\"payments\"").At(NodeLocation(file, item));
    }
    auto m = Matcher::Parse(item.Scalar());
    if (!m.ok()) return std::move(m).take_status().At(NodeLocation(file, item));
    out->push_back(*std::move(m));
  }
  return Status::OK();
}

namespace {

std::optional<Urgency> ReadUrgency(MapReader& r, const std::string& key) {
  const YAML::Node n = r.Get(key);
  if (!n.IsDefined()) return std::nullopt;
  auto u = ParseUrgency(YamlScalar(n));
  if (!u) r.Fail(n, fmt::format("{}: \"{}\" is not page, ticket or digest", key, YamlScalar(n)));
  return u;
}

Status ReadRoute(const YAML::Node& n, const std::string& file, const Route* parent, const std::string& path,
                 Route* out) {
  MapReader r(n, file, "route");
  out->origin = NodeOrigin(file, n);
  out->path = path;
  if (parent != nullptr) {
    out->group_wait = parent->group_wait;
    out->group_interval = parent->group_interval;
    out->repeat_interval = parent->repeat_interval;
  }
  SB_RETURN_IF_ERROR(ReadMatchers(r.Get("matchers"), file, &out->matchers));
  out->receiver = r.String("receiver").value_or("");
  out->team = r.String("team").value_or("");
  out->urgency = ReadUrgency(r, "urgency");
  SB_RETURN_IF_ERROR(ReadStringList(r.Get("group_by"), file, "group_by", &out->group_by));
  if (auto d = ReadDurationKey(r, "group_wait", /*allow_zero=*/true)) out->group_wait = *d;
  if (auto d = ReadDurationKey(r, "group_interval")) out->group_interval = *d;
  if (auto d = ReadDurationKey(r, "repeat_interval")) out->repeat_interval = *d;
  out->continue_matching = r.Bool("continue").value_or(false);
  const YAML::Node children = r.Get("routes");
  SB_RETURN_IF_ERROR(r.Finish());
  if (parent == nullptr && !out->matchers.empty()) {
    return Status::SchemaError("the root route matches every alert: it takes no matchers").At(NodeLocation(file, n));
  }
  if (children.IsDefined()) {
    if (!children.IsSequence()) {
      return Status::SchemaError("routes must be a list of routes").At(NodeLocation(file, children));
    }
    int i = 0;
    for (const auto& child : children) {
      Route c;
      SB_RETURN_IF_ERROR(ReadRoute(child, file, out, fmt::format("{}.{}", path, i++), &c));
      out->routes.push_back(std::move(c));
    }
  }
  return Status::OK();
}

Status ReadReceiver(const YAML::Node& n, const std::string& file, Receiver* out) {
  MapReader r(n, file, "receiver");
  out->origin = NodeOrigin(file, n);
  out->name = r.String("name", true).value_or("");
  out->send_resolved = r.Bool("send_resolved").value_or(true);
  if (auto d = ReadDurationKey(r, "timeout")) out->timeout = *d;
  int kinds = 0;
  for (const char* kind : {"webhook", "slack", "pagerduty", "jsonl"}) {
    const YAML::Node k = r.Get(kind);
    if (!k.IsDefined()) continue;
    ++kinds;
    out->kind = *ParseReceiverKind(kind);
    MapReader kr(k, file, kind);
    if (out->kind == ReceiverKind::kJsonl) {
      out->path = kr.String("path", true).value_or("");
    } else if (out->kind == ReceiverKind::kPagerDuty) {
      out->routing_key = kr.String("routing_key", true).value_or("");
      out->url = kr.String("url").value_or(std::string(kPagerDutyEventsUrl));
    } else {
      out->url = kr.String("url", true).value_or("");
    }
    if (out->kind == ReceiverKind::kWebhook) {
      if (auto m = kr.Number("max_alerts")) {
        if (*m < 0) return Status::SchemaError("max_alerts must be 0 (no limit) or more").At(NodeLocation(file, k));
        out->max_alerts = static_cast<std::size_t>(*m);
      }
      const YAML::Node headers = kr.Get("headers");
      if (headers.IsDefined()) {
        if (!headers.IsMap())
          return Status::SchemaError("headers: a map of name: value").At(NodeLocation(file, headers));
        for (const auto& kv : headers) out->headers[YamlScalar(kv.first)] = YamlScalar(kv.second);
      }
    }
    SB_RETURN_IF_ERROR(kr.Finish());
    if (!out->url.empty() && !StartsWith(out->url, "http://") && !StartsWith(out->url, "https://")) {
      return Status::SchemaError(fmt::format("receiver {}: url must start with http:// or https://", out->name))
          .At(NodeLocation(file, k));
    }
  }
  SB_RETURN_IF_ERROR(r.Finish());
  if (kinds != 1) {
    return Status::SchemaError(
               fmt::format("receiver {} needs exactly one of webhook, slack, pagerduty or jsonl", out->name))
        .At(NodeLocation(file, n));
  }
  return Status::OK();
}

Status ReadPriorityDurations(const YAML::Node& n, const std::string& file, SuppressionLimits* limits) {
  if (!n.IsDefined()) return Status::OK();
  if (!n.IsMap())
    return Status::SchemaError("max_duration: a map of P1..P4 (and default) to durations").At(NodeLocation(file, n));
  for (const auto& kv : n) {
    const std::string key = YamlScalar(kv.first);
    auto d = ParseDuration(YamlScalar(kv.second));
    if (!d.ok() || *d <= 0) {
      return Status::SchemaError(
                 fmt::format("max_duration.{}: \"{}\" is not a positive duration", key, YamlScalar(kv.second)))
          .At(NodeLocation(file, kv.second));
    }
    if (key == "default") {
      limits->max_unprioritised = *d;
    } else if (auto p = ParsePriority(key)) {
      limits->max_by_priority[static_cast<std::size_t>(*p) - 1] = *d;
    } else {
      return Status::SchemaError(fmt::format("max_duration: \"{}\" is not P1, P2, P3, P4 or default", key))
          .At(NodeLocation(file, kv.first));
    }
  }
  return Status::OK();
}

}  // namespace

Result<Suppression> ParseSuppression(const YAML::Node& spec, const std::string& name, const std::string& file,
                                     const std::string& origin) {
  MapReader r(spec, file, "Suppression spec");
  Suppression s;
  s.id = name;
  s.origin = origin;
  s.source = r.String("source").value_or("policy");
  SB_RETURN_IF_ERROR(ReadMatchers(r.Get("matchers"), file, &s.matchers));
  if (const YAML::Node scope = r.Get("scope"); scope.IsDefined()) {
    MapReader sr(scope, file, "scope");
    SB_RETURN_IF_ERROR(ReadStringList(sr.Get("assets"), file, "scope.assets", &s.assets));
    SB_RETURN_IF_ERROR(ReadStringList(sr.Get("services"), file, "scope.services", &s.services));
    SB_RETURN_IF_ERROR(ReadStringList(sr.Get("teams"), file, "scope.teams", &s.teams));
    SB_RETURN_IF_ERROR(ReadStringList(sr.Get("environments"), file, "scope.environments", &s.environments));
    SB_RETURN_IF_ERROR(sr.Finish());
  }
  s.reason = r.String("reason", true).value_or("");
  s.owner = r.String("owner", true).value_or("");
  s.approver = r.String("approver", true).value_or("");
  s.compensating_control = r.String("compensating_control").value_or("");
  SB_ASSIGN_OR_RETURN(s.created, ReadTimeKey(r, "created", true));
  SB_ASSIGN_OR_RETURN(s.expires, ReadTimeKey(r, "expires", true));
  SB_RETURN_IF_ERROR(r.Finish());
  if (s.id.empty())
    return Status::SchemaError("a suppression needs metadata.name (its id)").At(NodeLocation(file, spec));
  for (const auto* field : {&s.reason, &s.owner, &s.approver}) {
    if (Trim(*field).empty()) {
      return Status::SchemaError(fmt::format("suppression {}: reason, owner and approver must not be empty", s.id))
          .At(NodeLocation(file, spec));
    }
  }
  if (s.matchers.empty() && s.assets.empty() && s.services.empty() && s.teams.empty() && s.environments.empty()) {
    return Status::SchemaError(fmt::format("suppression {} matches everything: give matchers or a scope", s.id))
        .At(NodeLocation(file, spec));
  }
  if (s.expires <= s.created) {
    return Status::SchemaError(fmt::format("suppression {}: expires must come after created", s.id))
        .At(NodeLocation(file, spec["expires"]));
  }
  return s;
}

Status AlertPolicyLoader::AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) {
  SB_ASSIGN_OR_RETURN(const PolicyEnvelope envelope, ReadPolicyEnvelope(doc, file, kind));
  const std::string& name = envelope.name;
  const YAML::Node& spec = envelope.spec;

  if (kind == "Suppression") {
    SB_ASSIGN_OR_RETURN(Suppression s, ParseSuppression(spec, name, file, NodeOrigin(file, doc)));
    policy_.suppressions.push_back(std::move(s));
    return Status::OK();
  }
  if (kind == "SuppressionPolicy") {
    MapReader r(spec, file, "SuppressionPolicy spec");
    SB_RETURN_IF_ERROR(ReadPriorityDurations(r.Get("max_duration"), file, &policy_.limits));
    if (auto d = ReadDurationKey(r, "expiring_soon")) policy_.limits.expiring_soon = *d;
    return r.Finish();
  }

  if (!routing_origin_.empty()) {
    return Status::SchemaError(fmt::format("a second AlertRouting (the first is at {}): keep one", routing_origin_))
        .At(NodeLocation(file, doc));
  }
  routing_origin_ = NodeOrigin(file, doc);
  policy_.configured = true;
  MapReader r(spec, file, "AlertRouting spec");
  if (const YAML::Node rs = r.Get("receivers"); rs.IsDefined()) {
    if (!rs.IsSequence()) return Status::SchemaError("receivers must be a list").At(NodeLocation(file, rs));
    for (const auto& item : rs) {
      Receiver rec;
      SB_RETURN_IF_ERROR(ReadReceiver(item, file, &rec));
      if (policy_.receivers.count(rec.name) != 0) {
        return Status::SchemaError(fmt::format("receiver {} is defined twice", rec.name)).At(NodeLocation(file, item));
      }
      policy_.receivers.emplace(rec.name, std::move(rec));
    }
  }
  const YAML::Node route = r.Require("route");
  if (route.IsDefined()) SB_RETURN_IF_ERROR(ReadRoute(route, file, nullptr, "0", &policy_.root));
  if (const YAML::Node ir = r.Get("inhibit_rules"); ir.IsDefined()) {
    if (!ir.IsSequence()) return Status::SchemaError("inhibit_rules must be a list").At(NodeLocation(file, ir));
    for (const auto& item : ir) {
      MapReader ar(item, file, "inhibit rule");
      InhibitRule rule;
      rule.origin = NodeOrigin(file, item);
      SB_RETURN_IF_ERROR(ReadMatchers(ar.Require("source_matchers"), file, &rule.source));
      SB_RETURN_IF_ERROR(ReadMatchers(ar.Require("target_matchers"), file, &rule.target));
      SB_RETURN_IF_ERROR(ReadStringList(ar.Get("equal"), file, "equal", &rule.equal));
      SB_RETURN_IF_ERROR(ar.Finish());
      policy_.inhibit_rules.push_back(std::move(rule));
    }
  }
  if (const YAML::Node cap = r.Get("capacity"); cap.IsDefined()) {
    MapReader cr(cap, file, "capacity");
    if (auto d = ReadDurationKey(cr, "shift")) policy_.capacity.shift = *d;
    if (auto start = cr.String("shift_start")) {
      int hh = 0, mm = 0;
      if (start->size() == 5 && (*start)[2] == ':' && std::sscanf(start->c_str(), "%2d:%2d", &hh, &mm) == 2 &&
          hh < 24 && mm < 60) {
        policy_.capacity.shift_start = hh * kHour + mm * 60;
      } else {
        cr.Fail(cap["shift_start"], fmt::format("shift_start: \"{}\" is not a UTC time of day like 08:00", *start));
      }
    }
    if (auto pages = cr.Number("pages")) policy_.capacity.default_pages = static_cast<int>(*pages);
    if (const YAML::Node teams = cr.Get("teams"); teams.IsDefined()) {
      if (!teams.IsMap())
        return Status::SchemaError("capacity.teams: a map of team: pages").At(NodeLocation(file, teams));
      for (const auto& kv : teams) {
        try {
          policy_.capacity.team_pages[YamlScalar(kv.first)] = kv.second.as<int>();
        } catch (const std::exception&) {
          return Status::SchemaError("capacity.teams: pages must be a whole number").At(NodeLocation(file, kv.second));
        }
      }
    }
    SB_RETURN_IF_ERROR(cr.Finish());
  }
  if (const YAML::Node f = r.Get("findings"); f.IsDefined()) {
    MapReader fr(f, file, "findings");
    policy_.findings.enabled = fr.Bool("enabled").value_or(true);
    if (auto d = ReadDurationKey(fr, "due_soon")) policy_.findings.due_soon = *d;
    if (const YAML::Node u = fr.Get("urgency"); u.IsDefined()) {
      if (!u.IsMap())
        return Status::SchemaError("findings.urgency: a map of P1..P4 to page, ticket, digest or none")
            .At(NodeLocation(file, u));
      for (const auto& kv : u) {
        auto p = ParsePriority(YamlScalar(kv.first));
        const std::string v = YamlScalar(kv.second);
        auto urg = ParseUrgency(v);
        if (!p || (!urg && v != "none")) {
          return Status::SchemaError("findings.urgency: a map of P1..P4 to page, ticket, digest or none")
              .At(NodeLocation(file, kv.first));
        }
        policy_.findings.priority_urgency[static_cast<std::size_t>(*p) - 1] = urg;
      }
    }
    SB_RETURN_IF_ERROR(fr.Finish());
  }
  policy_.external_url = r.String("external_url").value_or("");
  return r.Finish();
}

Status AlertPolicyLoader::Finish(PolicySet& /*set*/) {
  // Every receiver a route names exists.
  std::vector<const Route*> stack = {&policy_.root};
  while (!stack.empty()) {
    const Route* r = stack.back();
    stack.pop_back();
    if (!r->receiver.empty() && policy_.receivers.count(r->receiver) == 0) {
      return Status::SchemaError(
          fmt::format("route at {} names receiver \"{}\", which no receivers entry defines", r->origin, r->receiver));
    }
    for (const Route& c : r->routes) stack.push_back(&c);
  }
  std::set<std::string> ids;
  Duration longest = policy_.limits.max_unprioritised;
  for (Duration d : policy_.limits.max_by_priority) longest = std::max(longest, d);
  for (const Suppression& s : policy_.suppressions) {
    if (!ids.insert(s.id).second) {
      return Status::SchemaError(fmt::format("suppression id {} is used twice (again at {})", s.id, s.origin));
    }
    if (s.duration() > longest) {
      return Status::SchemaError(
          fmt::format("suppression {} at {} lasts {}, longer than any priority allows ({}); "
                      "set an earlier expiry",
                      s.id, s.origin, FormatDuration(s.duration()), FormatDuration(longest)));
    }
  }
  return Status::OK();
}

}  // namespace secbudget
