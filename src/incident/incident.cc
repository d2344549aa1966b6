#include "incident/incident.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace secbudget::incident {

namespace {

struct KindName {
  EntryKind kind;
  std::string_view name;
};
constexpr KindName kKinds[] = {
    {EntryKind::kDeclared, "declared"},
    {EntryKind::kObservation, "observation"},
    {EntryKind::kDecision, "decision"},
    {EntryKind::kAction, "action"},
    {EntryKind::kNote, "note"},
    {EntryKind::kStatusChange, "status_change"},
    {EntryKind::kSeverityChange, "severity_change"},
    {EntryKind::kCommandHandoff, "command_handoff"},
    {EntryKind::kRoleAssigned, "role_assigned"},
    {EntryKind::kAcknowledged, "acknowledged"},
    {EntryKind::kImpact, "impact"},
    {EntryKind::kContributingFactor, "contributing_factor"},
    {EntryKind::kActionItem, "action_item"},
    {EntryKind::kAlertLinked, "alert_linked"},
    {EntryKind::kUpdatePublished, "update_published"},
    {EntryKind::kResolved, "resolved"},
};

constexpr std::string_view kStatuses[] = {"investigating", "identified", "mitigated", "resolved"};

std::string Field(const std::map<std::string, std::string>& f, const std::string& key) {
  auto it = f.find(key);
  return it == f.end() ? std::string() : it->second;
}

std::optional<TimePoint> TimeField(const std::map<std::string, std::string>& f, const std::string& key) {
  const std::string v = Field(f, key);
  if (v.empty()) return std::nullopt;
  auto t = ParseTime(v);
  if (!t.ok()) return std::nullopt;
  return *t;
}

CommanderClass ClassField(const std::map<std::string, std::string>& f) {
  const std::string c = Field(f, "class");
  if (c == "leader") return CommanderClass::kLeader;
  if (c == "executive") return CommanderClass::kExecutive;
  return CommanderClass::kDuty;
}

void AddRole(Incident& inc, const std::string& role, const std::string& member) {
  auto& members = inc.roles[role];
  if (std::find(members.begin(), members.end(), member) == members.end()) members.push_back(member);
}

Status Apply(Incident& inc, const TimelineEntry& e) {
  const auto& f = e.fields;
  switch (e.kind) {
    case EntryKind::kDeclared:
      inc.title = e.text;
      inc.severity = inc.peak_severity = Field(f, "severity");
      inc.drill = Field(f, "drill") == "true";
      inc.breach = Field(f, "breach") == "true";
      inc.team = Field(f, "team");
      inc.service = Field(f, "service");
      inc.environment = Field(f, "environment");
      inc.declared = e.at;
      inc.detected = TimeField(f, "detected").value_or(e.at);
      inc.started = TimeField(f, "started").value_or(inc.detected);
      inc.impact = Field(f, "impact");
      if (Field(f, "acknowledged") == "true") inc.acknowledged = e.at;
      break;
    case EntryKind::kSeverityChange:
      inc.severity = Field(f, "to");
      if (Field(f, "peak") == "true") inc.peak_severity = inc.severity;  // more severe than any before
      break;
    case EntryKind::kCommandHandoff:
      inc.commander = Field(f, "to");
      inc.commander_class = ClassField(f);
      if (!inc.commander.empty()) inc.roles["commander"] = {inc.commander};
      break;
    case EntryKind::kRoleAssigned: AddRole(inc, Field(f, "role"), Field(f, "member")); break;
    case EntryKind::kAcknowledged:
      if (!inc.acknowledged) inc.acknowledged = e.at;
      break;
    case EntryKind::kStatusChange: {
      auto s = ParseIncidentStatus(Field(f, "to"));
      if (!s) return Status::SchemaError(fmt::format("unknown status \"{}\"", Field(f, "to")));
      inc.status = *s;
      if (*s == IncidentStatus::kMitigated && !inc.mitigated) inc.mitigated = e.at;
      break;
    }
    case EntryKind::kImpact: inc.impact = e.text; break;
    case EntryKind::kActionItem:
      inc.action_items.push_back({e.text, Field(f, "owner"), TimeField(f, "due"), e.seq});
      break;
    case EntryKind::kAlertLinked: inc.alerts.push_back(Field(f, "dedup_key")); break;
    case EntryKind::kUpdatePublished: inc.last_update = e.at; break;
    case EntryKind::kResolved:
      inc.status = IncidentStatus::kResolved;
      inc.resolved = e.at;
      if (!inc.mitigated) inc.mitigated = e.at;
      inc.summary = e.text;
      break;
    case EntryKind::kObservation:
    case EntryKind::kDecision:
    case EntryKind::kAction:
    case EntryKind::kNote:
    case EntryKind::kContributingFactor: break;
  }
  return Status::OK();
}

}  // namespace

std::string_view Name(EntryKind k) {
  for (const auto& kn : kKinds) {
    if (kn.kind == k) return kn.name;
  }
  return "?";
}

std::optional<EntryKind> ParseEntryKind(std::string_view s) {
  for (const auto& kn : kKinds) {
    if (kn.name == s) return kn.kind;
  }
  if (s == "factor") return EntryKind::kContributingFactor;
  return std::nullopt;
}

bool IsLoggable(EntryKind k) {
  switch (k) {
    case EntryKind::kObservation:
    case EntryKind::kDecision:
    case EntryKind::kAction:
    case EntryKind::kNote:
    case EntryKind::kImpact:
    case EntryKind::kContributingFactor: return true;
    default: return false;
  }
}

std::string_view Name(IncidentStatus s) { return kStatuses[static_cast<std::size_t>(s)]; }

std::optional<IncidentStatus> ParseIncidentStatus(std::string_view s) {
  for (std::size_t i = 0; i < std::size(kStatuses); ++i) {
    if (IEquals(kStatuses[i], s)) return static_cast<IncidentStatus>(i);
  }
  return std::nullopt;
}

bool TimelineEntry::IsPublic() const { return Field(fields, "public") == "true"; }

Status AppendEntry(Incident& inc, TimelineEntry e) {
  SB_RETURN_IF_ERROR(Apply(inc, e));
  inc.timeline.push_back(std::move(e));
  return Status::OK();
}

IncidentEventRecord ToRecord(const std::string& incident, const TimelineEntry& e) {
  IncidentEventRecord r;
  r.incident = incident;
  r.at = e.at;
  r.actor = e.by;
  r.type = std::string(Name(e.kind));
  r.text = e.text;
  nlohmann::json data = nlohmann::json::object();
  for (const auto& [k, v] : e.fields) data[k] = v;
  r.data = data.dump();
  return r;
}

Result<std::vector<Incident>> Replay(const std::vector<IncidentEventRecord>& events) {
  std::vector<Incident> out;
  std::map<std::string, std::size_t> index;
  for (const auto& r : events) {
    TimelineEntry e;
    e.seq = r.seq;
    e.at = r.at;
    e.by = r.actor;
    e.text = r.text;
    auto kind = ParseEntryKind(r.type);
    if (!kind)
      return Status::SchemaError(fmt::format("incident {} event {}: unknown kind \"{}\"", r.incident, r.seq, r.type));
    e.kind = *kind;
    const auto data = nlohmann::json::parse(r.data, nullptr, false);
    if (!data.is_object()) {
      return Status::SchemaError(fmt::format("incident {} event {}: its data is not a JSON object", r.incident, r.seq));
    }
    for (const auto& [k, v] : data.items()) e.fields[k] = v.is_string() ? v.get<std::string>() : v.dump();
    auto [it, added] = index.emplace(r.incident, out.size());
    if (added) {
      if (e.kind != EntryKind::kDeclared) {
        return Status::SchemaError(
            fmt::format("incident {} event {}: the first event is not its declaration", r.incident, r.seq));
      }
      out.emplace_back();
      out.back().id = r.incident;
    }
    if (Status st = AppendEntry(out[it->second], std::move(e)); !st.ok()) {
      return std::move(st).Context(fmt::format("incident {} event {}", r.incident, r.seq));
    }
  }
  return out;
}

}  // namespace secbudget::incident
