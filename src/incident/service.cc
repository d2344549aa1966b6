#include "incident/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "incident/render.h"

namespace secbudget::incident {

namespace {

using nlohmann::json;

constexpr std::string_view kSystemActor = "secbudget";

TimelineEntry Entry(EntryKind kind, std::string text, std::map<std::string, std::string> fields = {}) {
  TimelineEntry e;
  e.kind = kind;
  e.text = std::move(text);
  e.fields = std::move(fields);
  return e;
}

std::string Quarter(TimePoint t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{}-Q{}", tm.tm_year + 1900, tm.tm_mon / 3 + 1);
}

json TimeOrNull(const std::optional<TimePoint>& t) { return t ? json(FormatTime(*t)) : json(nullptr); }
json TextOrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
json SinceOrNull(const std::optional<TimePoint>& t, TimePoint from) {
  return t ? json(FormatDuration(*t - from)) : json(nullptr);
}

json EntryJson(const TimelineEntry& e) {
  json j{{"seq", e.seq}, {"at", FormatTime(e.at)}, {"by", e.by}, {"kind", Name(e.kind)}, {"text", e.text}};
  if (e.IsPublic()) j["public"] = true;
  return j;
}

bool IsKeyEntry(EntryKind k) {
  return k == EntryKind::kDeclared || k == EntryKind::kStatusChange || k == EntryKind::kSeverityChange ||
         k == EntryKind::kCommandHandoff || k == EntryKind::kResolved || k == EntryKind::kAcknowledged;
}

std::string ScopeText(const Incident& inc) {
  std::vector<std::string> parts;
  if (!inc.team.empty()) parts.push_back("team " + inc.team);
  if (!inc.service.empty()) parts.push_back("service " + inc.service);
  if (!inc.environment.empty()) parts.push_back("environment " + inc.environment);
  return parts.empty() ? "every service" : Join(parts, ", ");
}

Status NeedOpen(const Incident& inc, std::string_view what) {
  if (inc.open()) return Status::OK();
  return Status::Refused(
      fmt::format("{} was resolved {}: {} is no longer possible", inc.id, FormatTime(*inc.resolved), what));
}

}  // namespace

IncidentService::IncidentService(IncidentStore& store, const SeverityPolicy& policy, const Roster* roster,
                                 SloService* slo)
    : store_(store), policy_(policy), roster_(roster), slo_(slo) {}

Result<std::string> IncidentService::NextId() {
  // Ids are handed out in order, so the latest declared is the largest.
  SB_ASSIGN_OR_RETURN(std::string last, store_.LastDeclaredIncident());
  const std::size_t n = StartsWith(last, "INC-") ? std::strtoull(last.c_str() + 4, nullptr, 10) : 0;
  return fmt::format("INC-{:04d}", n + 1);
}

Result<Incident> IncidentService::Get(const std::string& id) {
  std::vector<IncidentEventRecord> events;
  SB_RETURN_IF_ERROR(store_.ListIncidentEvents(id, &events));
  if (events.empty()) return Status::NotFound(fmt::format("no incident {} (see `secbudget incident list`)", id));
  SB_ASSIGN_OR_RETURN(auto incidents, Replay(events));
  return std::move(incidents.front());
}

Result<std::vector<Incident>> IncidentService::List() {
  std::vector<IncidentEventRecord> events;
  SB_RETURN_IF_ERROR(store_.ListIncidentEvents("", &events));
  return Replay(events);
}

Result<Incident> IncidentService::Append(const std::string& id, const Builder& build) {
  Incident inc;
  SB_RETURN_IF_ERROR(store_.InIncidentTransaction([&]() -> Status {
    SB_ASSIGN_OR_RETURN(inc, Get(id));
    SB_ASSIGN_OR_RETURN(std::vector<TimelineEntry> entries, build(inc));
    for (TimelineEntry& e : entries) {
      if (e.at < inc.declared) {
        return Status::InvalidArgument(
            fmt::format("{} is before {} was declared ({})", FormatTime(e.at), id, FormatTime(inc.declared)));
      }
      IncidentEventRecord r = ToRecord(id, e);
      SB_RETURN_IF_ERROR(store_.AppendIncidentEvent(&r));
      e.seq = r.seq;
      SB_RETURN_IF_ERROR(AppendEntry(inc, std::move(e)));
    }
    return Status::OK();
  }));
  return inc;
}

Result<Incident> IncidentService::Append(const std::string& id, std::vector<TimelineEntry> entries,
                                         const std::function<Status(const Incident&)>& check) {
  return Append(id, [&](const Incident& inc) -> Result<std::vector<TimelineEntry>> {
    if (check) SB_RETURN_IF_ERROR(check(inc));
    return std::move(entries);
  });
}

std::optional<IncidentService::Escalation> IncidentService::EscalationFor(const Incident& inc,
                                                                          const SeverityLevel& level) const {
  if (inc.commander_class >= level.commander) return std::nullopt;
  if (level.commander == CommanderClass::kLeader && roster_ != nullptr && !roster_->leader.empty() &&
      inc.commander != roster_->leader) {
    return Escalation{roster_->leader, CommanderClass::kLeader,
                      fmt::format("{} is commanded by the committee's leader", level.name)};
  }
  const auto& execs = policy_.ExecutivesFor(level);
  if (!execs.empty() &&
      (level.commander == CommanderClass::kExecutive || roster_ == nullptr || roster_->leader.empty())) {
    return Escalation{execs.front(), CommanderClass::kExecutive,
                      fmt::format("{} is commanded by an executive", level.name)};
  }
  return std::nullopt;
}

Result<Incident> IncidentService::Declare(const DeclareRequest& request, TimePoint at) {
  if (Trim(request.title).empty()) return Status::InvalidArgument("an incident needs a title (--title)");
  const SeverityLevel* level = policy_.Find(request.severity);
  if (level == nullptr) {
    std::vector<std::string> names;
    for (const auto& l : policy_.levels) names.push_back(l.name);
    return Status::InvalidArgument(
        fmt::format("unknown severity \"{}\" (the policy's levels: {})", request.severity, Join(names, ", ")));
  }
  if (request.breach) {
    if (slo_ == nullptr) return Status::InvalidArgument("breach incidents need the SLO service");
    if (request.team.empty() && request.service.empty() && request.environment.empty()) {
      return Status::InvalidArgument("a breach incident needs its scope (--scope service=... or team=...)");
    }
  }
  if (request.detected && *request.detected > at) {
    return Status::InvalidArgument("the detection time is after the declaration");
  }
  const bool by_trigger = request.by == kSystemActor;

  // The initial commander: named, else on duty, else the first responder.
  std::string commander = request.commander;
  std::string why = "named when declared";
  if (commander.empty() && roster_ != nullptr) {
    if (auto slot = roster_->Who(at)) {
      commander = slot->member;
      why = fmt::format("on duty ({})", slot->reason);
    }
  }
  if (commander.empty() && !by_trigger) {
    commander = request.by;
    why = "first responder: nobody on duty";
  }
  Incident draft;
  draft.severity = level->name;
  draft.commander = commander;
  draft.commander_class =
      roster_ != nullptr && commander == roster_->leader ? CommanderClass::kLeader : CommanderClass::kDuty;

  std::vector<TimelineEntry> entries;
  std::map<std::string, std::string> fields{{"severity", level->name}};
  if (request.drill) fields["drill"] = "true";
  if (request.breach) fields["breach"] = "true";
  if (!request.team.empty()) fields["team"] = request.team;
  if (!request.service.empty()) fields["service"] = request.service;
  if (!request.environment.empty()) fields["environment"] = request.environment;
  if (request.detected) fields["detected"] = FormatTime(*request.detected);
  if (request.started) fields["started"] = FormatTime(*request.started);
  if (!request.impact.empty()) fields["impact"] = request.impact;
  if (!by_trigger) fields["acknowledged"] = "true";
  entries.push_back(Entry(EntryKind::kDeclared, request.title, std::move(fields)));
  if (!commander.empty()) {
    entries.push_back(Entry(EntryKind::kCommandHandoff, fmt::format("{} takes command: {}", commander, why),
                            {{"to", commander}, {"class", std::string(Name(draft.commander_class))}, {"reason", why}}));
  }
  if (auto esc = EscalationFor(draft, *level)) {
    entries.push_back(Entry(EntryKind::kCommandHandoff, fmt::format("command passes to {}: {}", esc->to, esc->reason),
                            {{"to", esc->to}, {"class", std::string(Name(esc->cls))}, {"reason", esc->reason}}));
  }
  if (!request.alert.empty()) {
    entries.push_back(
        Entry(EntryKind::kAlertLinked, "raised by alert " + request.alert, {{"dedup_key", request.alert}}));
  }
  for (TimelineEntry& e : entries) {
    e.at = at;
    e.by = request.by;
  }

  Incident result;
  SB_RETURN_IF_ERROR(store_.InIncidentTransaction([&]() -> Status {
    SB_ASSIGN_OR_RETURN(std::string id, NextId());
    for (const TimelineEntry& e : entries) {
      IncidentEventRecord r = ToRecord(id, e);
      SB_RETURN_IF_ERROR(store_.AppendIncidentEvent(&r));
    }
    if (request.breach) {
      BreachRequest b{id, request.team, request.service, request.environment, request.title, request.by};
      SB_RETURN_IF_ERROR(slo_->DeclareBreach(b, at).status());
    }
    SB_ASSIGN_OR_RETURN(result, Get(id));
    return Status::OK();
  }));
  return result;
}

Result<std::vector<Incident>> IncidentService::FromAlerts(const std::vector<Alert>& alerts, TimePoint at) {
  std::vector<Incident> declared;
  if (policy_.triggers.empty()) return declared;
  SB_ASSIGN_OR_RETURN(auto existing, List());
  std::set<std::string> held;
  for (const auto& inc : existing) {
    if (!inc.open()) continue;
    held.insert(inc.alerts.begin(), inc.alerts.end());
  }
  for (const Alert& a : alerts) {
    if (held.count(a.dedup_key) != 0) continue;
    const IncidentTrigger* t = TriggerFor(a);
    if (t == nullptr) continue;
    const auto label = [&](const char* name) {
      auto it = a.labels.find(name);
      return it == a.labels.end() ? std::string() : std::string(it->second);
    };
    DeclareRequest r;
    r.title = a.summary.empty() ? a.name : a.summary;
    r.severity = t->severity;
    r.by = std::string(kSystemActor);
    r.breach = t->breach && slo_ != nullptr;
    r.team = a.owner.empty() ? label("team") : a.owner;
    r.service = label("service");
    r.environment = label("environment");
    if (r.breach && r.team.empty() && r.service.empty() && r.environment.empty()) r.breach = false;
    if (a.starts_at > 0 && a.starts_at <= at) r.detected = a.starts_at;
    r.alert = a.dedup_key;
    SB_ASSIGN_OR_RETURN(Incident inc, Declare(r, at));
    held.insert(a.dedup_key);
    declared.push_back(std::move(inc));
  }
  return declared;
}

const IncidentTrigger* IncidentService::TriggerFor(const Alert& a) const {
  if (policy_.triggers.empty()) return nullptr;
  Labels labels = a.labels;
  labels.emplace("alertname", a.name);
  labels.emplace("source", a.source);
  labels.emplace("urgency", std::string(Name(a.urgency)));
  if (!a.owner.empty()) labels.emplace("team", a.owner);
  return policy_.TriggerFor(labels);
}

Result<Incident> IncidentService::Log(const std::string& id, const LogRequest& request, TimePoint at) {
  if (!IsLoggable(request.kind)) {
    return Status::InvalidArgument(fmt::format(
        "\"{}\" entries are recorded by their own commands; log observation, decision, action, note, impact or "
        "contributing_factor",
        Name(request.kind)));
  }
  if (Trim(request.text).empty()) return Status::InvalidArgument("a timeline entry needs its text");
  TimelineEntry e = Entry(request.kind, request.text);
  if (request.is_public) e.fields["public"] = "true";
  e.at = at;
  e.by = request.by;
  return Append(id, {std::move(e)});
}

Result<Incident> IncidentService::Acknowledge(const std::string& id, const std::string& by, TimePoint at) {
  TimelineEntry e = Entry(EntryKind::kAcknowledged, by + " acknowledged");
  e.at = at;
  e.by = by;
  return Append(id, {std::move(e)}, [&](const Incident& inc) -> Status {
    SB_RETURN_IF_ERROR(NeedOpen(inc, "acknowledging"));
    if (inc.acknowledged) {
      return Status::AlreadyExists(fmt::format("{} was acknowledged {}", id, FormatTime(*inc.acknowledged)));
    }
    return Status::OK();
  });
}

Result<Incident> IncidentService::SetSeverity(const std::string& id, const std::string& severity, const std::string& by,
                                              const std::string& reason, TimePoint at) {
  const SeverityLevel* level = policy_.Find(severity);
  if (level == nullptr) return Status::InvalidArgument(fmt::format("unknown severity \"{}\"", severity));
  return Append(id, [&](const Incident& current) -> Result<std::vector<TimelineEntry>> {
    SB_RETURN_IF_ERROR(NeedOpen(current, "changing severity"));
    if (IEquals(current.severity, level->name)) {
      return Status::AlreadyExists(fmt::format("{} is already {}", id, level->name));
    }
    const bool rising = policy_.RankOf(level->name) < policy_.RankOf(current.severity);
    const bool peak = policy_.RankOf(level->name) < policy_.RankOf(current.peak_severity);
    std::vector<TimelineEntry> entries;
    std::map<std::string, std::string> fields{{"from", current.severity}, {"to", level->name}};
    if (peak) fields["peak"] = "true";
    if (!reason.empty()) fields["reason"] = reason;
    entries.push_back(
        Entry(EntryKind::kSeverityChange,
              fmt::format("severity {} → {}{}", current.severity, level->name, reason.empty() ? "" : ": " + reason),
              std::move(fields)));
    if (rising) {
      if (auto esc = EscalationFor(current, *level)) {
        entries.push_back(
            Entry(EntryKind::kCommandHandoff,
                  fmt::format("command passes from {} to {}: {}",
                              current.commander.empty() ? "nobody" : current.commander, esc->to, esc->reason),
                  {{"from", current.commander},
                   {"to", esc->to},
                   {"class", std::string(Name(esc->cls))},
                   {"reason", esc->reason}}));
      }
    }
    for (TimelineEntry& e : entries) {
      e.at = at;
      e.by = by;
    }
    return entries;
  });
}

Result<Incident> IncidentService::SetStatus(const std::string& id, IncidentStatus status, const std::string& by,
                                            const std::string& text, TimePoint at) {
  if (status == IncidentStatus::kResolved) {
    return Status::InvalidArgument("resolve with `incident resolve` (it drafts the postmortem)");
  }
  TimelineEntry e =
      Entry(EntryKind::kStatusChange, fmt::format("status: {}{}", Name(status), text.empty() ? "" : " — " + text),
            {{"to", std::string(Name(status))}});
  e.at = at;
  e.by = by;
  return Append(id, {std::move(e)}, [&](const Incident& inc) -> Status {
    SB_RETURN_IF_ERROR(NeedOpen(inc, "changing status"));
    if (inc.status == status) return Status::AlreadyExists(fmt::format("{} is already {}", id, Name(status)));
    return Status::OK();
  });
}

Result<Incident> IncidentService::Handoff(const std::string& id, const std::string& to, const std::string& by,
                                          const std::string& reason, TimePoint at) {
  if (Trim(to).empty()) return Status::InvalidArgument("a handoff needs the new commander (--to)");
  CommanderClass cls = CommanderClass::kDuty;
  if (roster_ != nullptr && to == roster_->leader) cls = CommanderClass::kLeader;
  for (const auto& level : policy_.levels) {
    const auto& execs = policy_.ExecutivesFor(level);
    if (std::find(execs.begin(), execs.end(), to) != execs.end()) cls = CommanderClass::kExecutive;
  }
  TimelineEntry e =
      Entry(EntryKind::kCommandHandoff, fmt::format("command passes to {}{}", to, reason.empty() ? "" : ": " + reason),
            {{"to", to}, {"class", std::string(Name(cls))}});
  if (!reason.empty()) e.fields["reason"] = reason;
  e.at = at;
  e.by = by;
  return Append(id, {std::move(e)}, [&](const Incident& inc) -> Status {
    SB_RETURN_IF_ERROR(NeedOpen(inc, "handing off command"));
    if (inc.commander == to) return Status::AlreadyExists(fmt::format("{} already commands {}", to, id));
    const SeverityLevel* level = policy_.Find(inc.severity);
    if (level != nullptr && cls < level->commander) {
      return Status::Refused(
          fmt::format("{} is commanded by the {} or someone more senior; {} is not (the severity "
                      "policy, {})",
                      level->name, Name(level->commander), to, level->origin));
    }
    return Status::OK();
  });
}

Result<Incident> IncidentService::AssignRole(const std::string& id, const std::string& role, const std::string& member,
                                             const std::string& by, TimePoint at) {
  if (role == "commander") return Status::InvalidArgument("pass command with `incident handoff`");
  if (Trim(role).empty() || Trim(member).empty()) return Status::InvalidArgument("a role and a member are needed");
  TimelineEntry e =
      Entry(EntryKind::kRoleAssigned, fmt::format("{} is {}", member, role), {{"role", role}, {"member", member}});
  e.at = at;
  e.by = by;
  return Append(id, {std::move(e)}, [&](const Incident& inc) { return NeedOpen(inc, "assigning roles"); });
}

Result<Incident> IncidentService::AddActionItem(const std::string& id, const std::string& text,
                                                const std::string& owner, std::optional<TimePoint> due,
                                                const std::string& by, TimePoint at) {
  if (Trim(text).empty() || Trim(owner).empty()) {
    return Status::InvalidArgument("an action item needs its text and an owner (--owner)");
  }
  TimelineEntry e = Entry(EntryKind::kActionItem, text, {{"owner", owner}});
  if (due) e.fields["due"] = FormatTime(*due);
  e.at = at;
  e.by = by;
  return Append(id, {std::move(e)});
}

Result<Incident> IncidentService::Resolve(const std::string& id, const std::string& summary, const std::string& by,
                                          TimePoint at) {
  Incident result;
  SB_RETURN_IF_ERROR(store_.InIncidentTransaction([&]() -> Status {
    SB_ASSIGN_OR_RETURN(result, Append(id, [&](const Incident& current) -> Result<std::vector<TimelineEntry>> {
                          SB_RETURN_IF_ERROR(NeedOpen(current, "resolving"));
                          TimelineEntry e = Entry(EntryKind::kResolved, summary);
                          // The postmortem owed follows the most severe level reached.
                          if (const SeverityLevel* level = policy_.Find(current.peak_severity)) {
                            e.fields["postmortem"] = std::string(Name(level->postmortem));
                            if (level->postmortem != PostmortemType::kNone) {
                              e.fields["postmortem_due"] = FormatTime(at + level->postmortem_due);
                            }
                          }
                          e.at = at;
                          e.by = by;
                          return std::vector<TimelineEntry>{std::move(e)};
                        }));
    // Its breach ends with it, in the same transaction.
    if (result.breach && slo_ != nullptr) SB_RETURN_IF_ERROR(slo_->ResolveBreach(id, by, at).status());
    return Status::OK();
  }));
  return result;
}

std::optional<TimePoint> IncidentService::NextUpdate(const Incident& inc) const {
  if (!inc.open()) return std::nullopt;
  const SeverityLevel* level = policy_.Find(inc.severity);
  if (level == nullptr || level->update_every == 0) return std::nullopt;
  return inc.last_update.value_or(inc.declared) + level->update_every;
}

json IncidentService::Context(const Incident& inc, TimePoint at) const {
  const SeverityLevel* level = policy_.Find(inc.severity);
  const SeverityLevel* peak = policy_.Find(inc.peak_severity);
  json j;
  j["id"] = inc.id;
  j["title"] = inc.title;
  j["public_title"] = "Security incident update";
  j["severity"] = inc.severity;
  j["severity_description"] = level != nullptr ? level->description : "";
  j["peak_severity"] = inc.peak_severity;
  j["status"] = Name(inc.status);
  j["drill"] = inc.drill;
  j["breach"] = inc.breach;
  j["breach_scope"] = ScopeText(inc);
  j["scope"] = {{"team", inc.team}, {"service", inc.service}, {"environment", inc.environment}};
  j["commander"] = inc.commander.empty() ? "unassigned" : inc.commander;
  j["commander_class"] = Name(inc.commander_class);
  json roles = json::array();
  roles.push_back({{"role", "commander"}, {"members", j["commander"]}});
  std::set<std::string> listed{"commander"};
  for (const auto& [role, members] : inc.roles) {
    if (role == "commander") continue;
    roles.push_back({{"role", role}, {"members", Join(members, ", ")}});
    listed.insert(role);
  }
  if (level != nullptr) {
    for (const auto& role : level->roles) {
      if (listed.insert(role).second) roles.push_back({{"role", role}, {"members", "unassigned"}});
    }
  }
  j["roles"] = std::move(roles);
  j["now"] = FormatTime(at);
  j["started"] = FormatTime(inc.started);
  j["detected"] = FormatTime(inc.detected);
  j["declared"] = FormatTime(inc.declared);
  j["acknowledged"] = TimeOrNull(inc.acknowledged);
  j["mitigated"] = TimeOrNull(inc.mitigated);
  j["resolved_at"] = TimeOrNull(inc.resolved);
  j["resolved"] = inc.resolved.has_value();
  j["open_for"] = FormatDuration(inc.resolved.value_or(at) - inc.declared);
  j["time_to_detect"] = FormatDuration(inc.detected - inc.started);
  j["time_to_acknowledge"] = SinceOrNull(inc.acknowledged, inc.detected);
  j["time_to_mitigate"] = SinceOrNull(inc.mitigated, inc.detected);
  j["time_to_resolve"] = SinceOrNull(inc.resolved, inc.detected);
  const auto next = NextUpdate(inc);
  j["next_update"] = next ? FormatTime(*next) : inc.open() ? "when there is news" : "none (resolved)";
  j["update_overdue"] = next.has_value() && *next < at;
  j["impact"] = TextOrNull(inc.impact);
  j["summary"] = TextOrNull(inc.summary);
  j["alerts"] = inc.alerts;
  json timeline = json::array(), key = json::array(), decisions = json::array(), pub = json::array(),
       handoffs = json::array(), factors = json::array();
  json latest_observation = nullptr, latest_action = nullptr;
  for (const auto& e : inc.timeline) {
    json ej = EntryJson(e);
    timeline.push_back(ej);
    if (IsKeyEntry(e.kind)) key.push_back(ej);
    if (e.kind == EntryKind::kDecision) decisions.push_back(ej);
    if (e.kind == EntryKind::kObservation) latest_observation = ej;
    if (e.kind == EntryKind::kAction) latest_action = ej;
    if (e.IsPublic()) pub.push_back(ej);
    if (e.kind == EntryKind::kCommandHandoff) {
      auto it = e.fields.find("to");
      json h = ej;
      h["text"] = it == e.fields.end() ? "" : it->second;
      handoffs.push_back(std::move(h));
    }
    if (e.kind == EntryKind::kContributingFactor) factors.push_back(ej);
  }
  j["timeline"] = std::move(timeline);
  j["key_timeline"] = std::move(key);
  j["decisions"] = std::move(decisions);
  j["public_updates"] = std::move(pub);
  j["handoffs"] = std::move(handoffs);
  j["factors"] = std::move(factors);
  j["latest_observation"] = std::move(latest_observation);
  j["latest_action"] = std::move(latest_action);
  json items = json::array();
  const Duration item_due = peak != nullptr ? peak->action_items_due : 14 * kDay;
  for (const auto& a : inc.action_items) {
    std::string due;
    if (a.due) {
      due = FormatDate(*a.due);
    } else if (inc.resolved) {
      due = FormatDate(*inc.resolved + item_due);
    } else {
      due = FormatDuration(item_due) + " after resolution";
    }
    items.push_back({{"text", a.text}, {"owner", a.owner}, {"due", due}});
  }
  j["action_items"] = std::move(items);
  const PostmortemType pm = peak != nullptr ? peak->postmortem : PostmortemType::kNone;
  j["postmortem_type"] = Name(pm);
  j["full"] = pm == PostmortemType::kFull;
  j["lightweight"] = pm == PostmortemType::kLightweight;
  if (pm != PostmortemType::kNone) {
    j["postmortem_due"] = inc.resolved ? FormatDate(*inc.resolved + peak->postmortem_due)
                                       : FormatDuration(peak->postmortem_due) + " after resolution";
  } else {
    j["postmortem_due"] = nullptr;
  }
  json audiences = json::array();
  if (level != nullptr) {
    for (Audience a : level->audiences) audiences.push_back(Name(a));
  }
  j["audiences"] = std::move(audiences);
  return j;
}

Result<std::string> IncidentService::StatusUpdate(const std::string& id, Audience audience, TimePoint at, bool publish,
                                                  const std::string& by) {
  SB_ASSIGN_OR_RETURN(Incident inc, Get(id));
  const SeverityLevel* level = policy_.Find(inc.severity);
  if (level != nullptr &&
      std::find(level->audiences.begin(), level->audiences.end(), audience) == level->audiences.end()) {
    std::vector<std::string> names;
    for (Audience a : level->audiences) names.emplace_back(Name(a));
    return Status::Refused(fmt::format("{} incidents are reported to {} only, not {} (the severity policy, {})",
                                       level->name, Join(names, ", "), Name(audience), level->origin));
  }
  const std::string name(Name(audience));
  if (publish) inc.last_update = at;  // the update being published resets the cadence it announces
  SB_ASSIGN_OR_RETURN(std::string text, RenderTemplate(policy_.Template(name), Context(inc, at), name + " template"));
  if (publish) {
    TimelineEntry e = Entry(EntryKind::kUpdatePublished, "status update for " + name,
                            {{"audience", name}, {"status", std::string(Name(inc.status))}});
    e.at = at;
    e.by = by;
    SB_RETURN_IF_ERROR(Append(id, {std::move(e)}).status());
  }
  return text;
}

Result<std::string> IncidentService::Postmortem(const std::string& id, TimePoint at) {
  SB_ASSIGN_OR_RETURN(Incident inc, Get(id));
  const SeverityLevel* peak = policy_.Find(inc.peak_severity);
  if (peak == nullptr || peak->postmortem == PostmortemType::kNone) {
    return Status::NotFound(fmt::format("{} incidents need no postmortem (the severity policy{})", inc.peak_severity,
                                        peak != nullptr ? ", " + peak->origin : ""));
  }
  return RenderTemplate(policy_.Template("postmortem"), Context(inc, at), "postmortem template");
}

Result<Metrics> IncidentService::ComputeMetrics(TimePoint from, TimePoint to) {
  SB_ASSIGN_OR_RETURN(auto incidents, List());
  Metrics m;
  m.from = from;
  m.to = to;
  struct Acc {
    Metrics::Row row;
    Duration ack = 0, mit = 0, res = 0;
    std::size_t n_mit = 0;
  };
  std::map<std::size_t, Acc> by_sev;
  std::map<std::string, Acc> by_quarter;
  Acc total;
  const auto add = [](Acc& acc, const Incident& inc) {
    ++acc.row.incidents;
    if (inc.acknowledged) {
      ++acc.row.acknowledged;
      acc.ack += *inc.acknowledged - inc.detected;
    }
    if (inc.mitigated) {
      ++acc.n_mit;
      acc.mit += *inc.mitigated - inc.detected;
    }
    if (inc.resolved) {
      ++acc.row.resolved;
      acc.res += *inc.resolved - inc.detected;
    }
  };
  const auto finish = [](Acc& acc, std::string key) {
    acc.row.key = std::move(key);
    if (acc.row.acknowledged > 0) acc.row.mtta = acc.ack / static_cast<Duration>(acc.row.acknowledged);
    if (acc.n_mit > 0) acc.row.mttm = acc.mit / static_cast<Duration>(acc.n_mit);
    if (acc.row.resolved > 0) acc.row.mttr = acc.res / static_cast<Duration>(acc.row.resolved);
    return acc.row;
  };
  for (const auto& inc : incidents) {
    if (inc.declared < from || inc.declared >= to) continue;
    if (inc.drill) {
      ++m.drills_excluded;
      continue;
    }
    add(by_sev[policy_.RankOf(inc.peak_severity)], inc);
    add(by_quarter[Quarter(inc.declared)], inc);
    add(total, inc);
  }
  for (auto& [rank, acc] : by_sev) {
    m.by_severity.push_back(finish(acc, rank < policy_.levels.size() ? policy_.levels[rank].name : "unknown"));
  }
  for (auto& [q, acc] : by_quarter) m.by_quarter.push_back(finish(acc, q));
  m.total = finish(total, "all");
  return m;
}

Result<std::vector<Alert>> IncidentService::Alerts(TimePoint at) {
  SB_ASSIGN_OR_RETURN(auto incidents, List());
  std::vector<Alert> out;
  for (const Incident& inc : incidents) {
    if (!inc.open() || inc.declared > at) continue;
    const auto make = [&](const char* name, const char* key, Urgency urgency, std::string summary) {
      Alert a;
      a.dedup_key = fmt::format("incident:{}:{}", inc.id, key);
      a.source = "incident";
      a.name = name;
      a.urgency = urgency;
      a.owner = inc.team;
      a.summary = std::move(summary);
      a.starts_at = inc.declared;
      a.labels = {{"incident", inc.id},
                  {"severity", inc.severity},
                  {"commander", inc.commander},
                  {"drill", inc.drill ? "true" : "false"}};
      if (!inc.service.empty()) a.labels["service"] = inc.service;
      if (!inc.environment.empty()) a.labels["environment"] = inc.environment;
      a.annotations = {{"title", inc.title}, {"declared", FormatTime(inc.declared)}};
      a.rank =
          static_cast<double>(policy_.levels.size() - std::min(policy_.RankOf(inc.severity), policy_.levels.size()));
      out.push_back(std::move(a));
    };
    if (!inc.acknowledged) {
      make("IncidentUnacknowledged", "unacknowledged", Urgency::kPage,
           fmt::format("[{}] {}{}: not acknowledged; commander {}", inc.severity, inc.title,
                       inc.drill ? " (DRILL)" : "", inc.commander.empty() ? "unassigned" : inc.commander));
    }
    if (const auto next = NextUpdate(inc); next && *next < at) {
      make("IncidentUpdateOverdue", "update", Urgency::kTicket,
           fmt::format("[{}] {}{}: status update due {} ({} overdue)", inc.severity, inc.title,
                       inc.drill ? " (DRILL)" : "", FormatTime(*next), FormatDuration(at - *next)));
    }
  }
  return out;
}

}  // namespace secbudget::incident
