#include "incident/severity.h"

#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "alert/alert_policy.h"
#include "common/file.h"
#include "common/strings.h"
#include "common/yaml.h"
#include "incident/defaults.h"
#include "incident/render.h"

namespace secbudget::incident {

std::string_view Name(CommanderClass c) {
  switch (c) {
    case CommanderClass::kDuty: return "duty";
    case CommanderClass::kLeader: return "leader";
    case CommanderClass::kExecutive: return "executive";
  }
  return "?";
}

std::string_view Name(Audience a) {
  switch (a) {
    case Audience::kEngineering: return "engineering";
    case Audience::kExecutives: return "executives";
    case Audience::kPress: return "press";
  }
  return "?";
}

std::optional<Audience> ParseAudience(std::string_view s) {
  for (Audience a : kAudiences) {
    if (IEquals(s, Name(a))) return a;
  }
  return std::nullopt;
}

std::string_view Name(PostmortemType t) {
  switch (t) {
    case PostmortemType::kNone: return "none";
    case PostmortemType::kLightweight: return "lightweight";
    case PostmortemType::kFull: return "full";
  }
  return "?";
}

const SeverityLevel* SeverityPolicy::Find(std::string_view name) const {
  for (const auto& l : levels) {
    if (IEquals(l.name, name)) return &l;
  }
  return nullptr;
}

std::size_t SeverityPolicy::RankOf(std::string_view name) const {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (IEquals(levels[i].name, name)) return i;
  }
  return levels.size();
}

const std::vector<std::string>& SeverityPolicy::ExecutivesFor(const SeverityLevel& level) const {
  return level.executives.empty() ? executives : level.executives;
}

const IncidentTrigger* SeverityPolicy::TriggerFor(const Labels& labels) const {
  for (const auto& t : triggers) {
    if (MatchesAll(t.matchers, labels)) return &t;
  }
  return nullptr;
}

const std::string& SeverityPolicy::Template(const std::string& name) const {
  static const auto* const kBuiltIn = [] {
    auto* m = new std::map<std::string, std::string>;
    for (std::string_view n : kTemplateNames) (*m)[std::string(n)] = std::string(DefaultTemplate(n));
    return m;
  }();
  if (auto it = templates.find(name); it != templates.end()) return it->second;
  static const std::string kEmpty;
  auto it = kBuiltIn->find(name);
  return it == kBuiltIn->end() ? kEmpty : it->second;
}

namespace {

Status ReadLevel(const YAML::Node& n, const std::string& file, SeverityLevel* out) {
  MapReader r(n, file, "severity level");
  out->origin = NodeOrigin(file, n);
  out->name = r.String("name", true).value_or("");
  out->description = r.String("description").value_or("");
  SB_RETURN_IF_ERROR(ReadStringList(r.Get("criteria"), file, "criteria", &out->criteria));
  if (auto c = r.String("commander")) {
    if (*c == "duty") {
      out->commander = CommanderClass::kDuty;
    } else if (*c == "leader") {
      out->commander = CommanderClass::kLeader;
    } else if (*c == "executive") {
      out->commander = CommanderClass::kExecutive;
    } else {
      r.Fail(r.Get("commander"), fmt::format("commander: \"{}\" is not duty, leader or executive", *c));
    }
  }
  SB_RETURN_IF_ERROR(ReadStringList(r.Get("executives"), file, "executives", &out->executives));
  SB_RETURN_IF_ERROR(ReadStringList(r.Get("roles"), file, "roles", &out->roles));
  SB_RETURN_IF_ERROR(ReadStringList(r.Get("teams"), file, "teams", &out->teams));
  SB_RETURN_IF_ERROR(ReadStringList(r.Get("notify"), file, "notify", &out->notify));
  out->update_every = ReadDurationKey(r, "update_every").value_or(0);
  std::vector<std::string> audiences;
  SB_RETURN_IF_ERROR(ReadStringList(r.Get("audiences"), file, "audiences", &audiences));
  for (const auto& a : audiences) {
    auto parsed = ParseAudience(a);
    if (!parsed) {
      r.Fail(r.Get("audiences"), fmt::format("audiences: \"{}\" is not engineering, executives or press", a));
      break;
    }
    out->audiences.push_back(*parsed);
  }
  if (out->audiences.empty()) out->audiences.push_back(Audience::kEngineering);
  if (const YAML::Node pm = r.Get("postmortem"); pm.IsDefined()) {
    MapReader p(pm, file, "postmortem");
    const std::string type = p.String("type", true).value_or("none");
    if (type == "full") {
      out->postmortem = PostmortemType::kFull;
    } else if (type == "lightweight") {
      out->postmortem = PostmortemType::kLightweight;
    } else if (type != "none") {
      p.Fail(p.Get("type"), fmt::format("type: \"{}\" is not full, lightweight or none", type));
    }
    out->postmortem_due = ReadDurationKey(p, "due").value_or(0);
    if (p.ok() && out->postmortem != PostmortemType::kNone && out->postmortem_due == 0) {
      p.Fail(pm, "a postmortem needs its due time (due: 5d)");
    }
    SB_RETURN_IF_ERROR(p.Finish());
  }
  if (auto d = ReadDurationKey(r, "action_items_due")) out->action_items_due = *d;
  return r.Finish();
}

Status ReadTrigger(const YAML::Node& n, const std::string& file, IncidentTrigger* out) {
  MapReader r(n, file, "trigger");
  out->origin = NodeOrigin(file, n);
  SB_RETURN_IF_ERROR(ReadMatchers(r.Require("matchers"), file, &out->matchers));
  out->severity = r.String("severity", true).value_or("");
  out->breach = r.Bool("breach").value_or(false);
  SB_RETURN_IF_ERROR(r.Finish());
  if (out->matchers.empty()) {
    return Status::SchemaError("a trigger needs at least one matcher (it would declare an incident for every alert)")
        .At(NodeLocation(file, n));
  }
  return Status::OK();
}

}  // namespace

Result<SeverityPolicy> ParseSeverityPolicy(const YAML::Node& doc, const std::string& file) {
  SB_ASSIGN_OR_RETURN(PolicyEnvelope env, ReadPolicyEnvelope(doc, file, "SeverityPolicy"));
  SeverityPolicy p;
  p.origin = file;
  MapReader r(env.spec, file, "SeverityPolicy spec");
  SB_RETURN_IF_ERROR(ReadStringList(r.Get("executives"), file, "executives", &p.executives));
  const YAML::Node levels = r.Require("levels");
  const YAML::Node triggers = r.Get("triggers");
  const YAML::Node templates = r.Get("templates");
  SB_RETURN_IF_ERROR(r.Finish());
  if (!levels.IsSequence() || levels.size() == 0) {
    return Status::SchemaError("levels: a list of severity levels, most severe first").At(NodeLocation(file, levels));
  }
  std::set<std::string> names;
  for (const auto& item : levels) {
    SeverityLevel level;
    SB_RETURN_IF_ERROR(ReadLevel(item, file, &level));
    if (!names.insert(ToLower(level.name)).second) {
      return Status::SchemaError(fmt::format("severity level {} is defined twice", level.name))
          .At(NodeLocation(file, item));
    }
    if (level.commander == CommanderClass::kExecutive && level.executives.empty() && p.executives.empty()) {
      return Status::SchemaError(fmt::format("{} is commanded by an executive, but no executives are named "
                                             "(spec.executives or the level's executives)",
                                             level.name))
          .At(NodeLocation(file, item));
    }
    p.levels.push_back(std::move(level));
  }
  // Command may only pass upward as severity rises.
  for (std::size_t i = 1; i < p.levels.size(); ++i) {
    if (p.levels[i].commander > p.levels[i - 1].commander) {
      return Status::SchemaError(fmt::format("{} needs a more senior commander ({}) than the more severe {} ({})",
                                             p.levels[i].name, Name(p.levels[i].commander), p.levels[i - 1].name,
                                             Name(p.levels[i - 1].commander)))
          .At(Location::File(file));
    }
  }
  if (triggers.IsDefined()) {
    if (!triggers.IsSequence()) {
      return Status::SchemaError("triggers: a list of {matchers, severity}").At(NodeLocation(file, triggers));
    }
    for (const auto& item : triggers) {
      IncidentTrigger t;
      SB_RETURN_IF_ERROR(ReadTrigger(item, file, &t));
      if (p.Find(t.severity) == nullptr) {
        return Status::SchemaError(fmt::format("trigger severity \"{}\" is not a level of this policy", t.severity))
            .At(NodeLocation(file, item));
      }
      p.triggers.push_back(std::move(t));
    }
  }
  if (templates.IsDefined()) {
    MapReader tr(templates, file, "templates");
    for (std::string_view n : kTemplateNames) {
      const std::string name(n);
      auto path = tr.String(name);
      if (!path) continue;
      const std::filesystem::path full = std::filesystem::path(file).parent_path() / *path;
      auto text = ReadFile(full.string(), ReadLimits{});
      if (!text.ok()) return std::move(text).take_status().At(NodeLocation(file, tr.Get(name)));
      SB_RETURN_IF_ERROR(CheckTemplate(*text, full.string()));
      p.templates[name] = *std::move(text);
    }
    SB_RETURN_IF_ERROR(tr.Finish());
  }
  return p;
}

const SeverityPolicy& DefaultSeverityPolicy() {
  static const SeverityPolicy* const kDefault = [] {
    auto docs = ParseYamlDocuments(std::string(DefaultSeverityPolicyText()), "<built-in severity policy>");
    auto p = ParseSeverityPolicy(docs->front(), "<built-in>");
    return new SeverityPolicy(*std::move(p));
  }();
  return *kDefault;
}

Status SeverityPolicyLoader::AddDocument(const std::string& /*kind*/, const YAML::Node& doc, const std::string& file) {
  if (policy_) {
    return Status::SchemaError(fmt::format("a second SeverityPolicy (the first is in {})", policy_->origin))
        .At(NodeLocation(file, doc));
  }
  SB_ASSIGN_OR_RETURN(SeverityPolicy p, ParseSeverityPolicy(doc, file));
  policy_ = std::move(p);
  return Status::OK();
}

Status SeverityPolicyLoader::Finish(PolicySet& /*set*/) { return Status::OK(); }

}  // namespace secbudget::incident
