#include "triage/policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/file.h"
#include "common/hash.h"
#include "common/strings.h"
#include "common/yaml.h"

namespace secbudget {

std::string_view Name(DecisionPoint p) {
  switch (p) {
    case DecisionPoint::kExploitation: return "exploitation";
    case DecisionPoint::kAutomatable: return "automatable";
    case DecisionPoint::kTechnicalImpact: return "technical_impact";
    case DecisionPoint::kMissionImpact: return "mission_impact";
    case DecisionPoint::kInKev: return "in_kev";
    case DecisionPoint::kExposure: return "exposure";
  }
  return "exploitation";
}

const std::vector<std::string>& Domain(DecisionPoint p) {
  static const std::vector<std::string> kExploitation = {"none", "public poc", "active"};
  static const std::vector<std::string> kYesNo = {"no", "yes"};
  static const std::vector<std::string> kImpact = {"partial", "total"};
  static const std::vector<std::string> kMission = {"low", "medium", "high"};
  switch (p) {
    case DecisionPoint::kExploitation: return kExploitation;
    case DecisionPoint::kTechnicalImpact: return kImpact;
    case DecisionPoint::kMissionImpact: return kMission;
    default: return kYesNo;
  }
}

namespace {

std::optional<DecisionPoint> ParseDecisionPoint(std::string_view s) {
  for (auto p : {DecisionPoint::kExploitation, DecisionPoint::kAutomatable, DecisionPoint::kTechnicalImpact,
                 DecisionPoint::kMissionImpact, DecisionPoint::kInKev, DecisionPoint::kExposure}) {
    if (s == Name(p)) return p;
  }
  return std::nullopt;
}

bool InDomain(DecisionPoint p, const std::string& v) {
  const auto& d = Domain(p);
  return std::find(d.begin(), d.end(), v) != d.end();
}

std::string Scalar(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : std::string(); }

Status ReadTable(const YAML::Node& node, const std::string& file, DecisionTable* t) {
  MapReader r(node, file, "table");
  t->name = r.String("name", true).value_or("");
  t->source = r.String("source").value_or("");
  const YAML::Node inputs = r.Require("inputs");
  const YAML::Node outcomes = r.Require("outcomes");
  const YAML::Node rows = r.Require("rows");
  SB_RETURN_IF_ERROR(r.Finish());
  const std::string what = fmt::format("table {}", t->name);
  if (!inputs.IsSequence() || inputs.size() == 0) {
    return Status::SchemaError(what + ": inputs must be a non-empty list").At(NodeLocation(file, inputs));
  }
  for (const auto& in : inputs) {
    auto p = ParseDecisionPoint(Scalar(in));
    if (!p) {
      return Status::SchemaError(fmt::format("{}: unknown input \"{}\" (expected exploitation, automatable, "
                                             "technical_impact, mission_impact, in_kev or exposure)",
                                             what, Scalar(in)))
          .At(NodeLocation(file, in));
    }
    if (std::find(t->inputs.begin(), t->inputs.end(), *p) != t->inputs.end()) {
      return Status::SchemaError(fmt::format("{}: input {} listed twice", what, Name(*p))).At(NodeLocation(file, in));
    }
    t->inputs.push_back(*p);
  }
  if (!outcomes.IsMap())
    return Status::SchemaError(what + ": outcomes must map outcome names to P1..P4").At(NodeLocation(file, outcomes));
  for (auto it = outcomes.begin(); it != outcomes.end(); ++it) {
    auto p = ParsePriority(Scalar(it->second));
    if (!p) {
      return Status::SchemaError(
                 fmt::format("{}: outcome \"{}\" must map to P1, P2, P3 or P4", what, Scalar(it->first)))
          .At(NodeLocation(file, it->second));
    }
    if (!t->outcomes.emplace(Scalar(it->first), *p).second) {
      return Status::SchemaError(fmt::format("{}: duplicate outcome \"{}\"", what, Scalar(it->first)))
          .At(NodeLocation(file, it->first));
    }
  }
  if (!rows.IsSequence()) return Status::SchemaError(what + ": rows must be a list").At(NodeLocation(file, rows));
  std::size_t expected = 1;
  for (auto p : t->inputs) expected *= Domain(p).size();
  for (const auto& row : rows) {
    if (!row.IsSequence() || row.size() != t->inputs.size() + 1) {
      return Status::SchemaError(fmt::format("{}: each row needs {} values and an outcome", what, t->inputs.size()))
          .At(NodeLocation(file, row));
    }
    DecisionTable::Row out;
    for (std::size_t i = 0; i < t->inputs.size(); ++i) {
      const std::string v = Scalar(row[i]);
      if (!InDomain(t->inputs[i], v)) {
        return Status::SchemaError(fmt::format("{}: \"{}\" is not a value of {} (expected {})", what, v,
                                               Name(t->inputs[i]), Join(Domain(t->inputs[i]), ", ")))
            .At(NodeLocation(file, row[i]));
      }
      out.values.push_back(v);
    }
    out.outcome = Scalar(row[t->inputs.size()]);
    if (!t->outcomes.count(out.outcome)) {
      return Status::SchemaError(fmt::format("{}: outcome \"{}\" is not listed under outcomes", what, out.outcome))
          .At(NodeLocation(file, row[t->inputs.size()]));
    }
    const std::string key = Join(out.values, "|");
    if (!t->index.emplace(key, t->rows.size()).second) {
      return Status::SchemaError(fmt::format("{}: the combination [{}] appears twice", what, Join(out.values, ", ")))
          .At(NodeLocation(file, row));
    }
    t->rows.push_back(std::move(out));
  }
  if (t->rows.size() != expected) {
    // Name the first missing combination.
    std::vector<std::size_t> idx(t->inputs.size(), 0);
    while (true) {
      std::vector<std::string> values;
      for (std::size_t i = 0; i < idx.size(); ++i) values.push_back(Domain(t->inputs[i])[idx[i]]);
      if (!t->index.count(Join(values, "|"))) {
        return Status::SchemaError(
                   fmt::format("{}: the rows cover {} of the {} combinations of its inputs; missing [{}]", what,
                               t->rows.size(), expected, Join(values, ", ")))
            .At(NodeLocation(file, rows));
      }
      std::size_t k = idx.size();
      while (k > 0) {
        --k;
        if (++idx[k] < Domain(t->inputs[k]).size()) break;
        idx[k] = 0;
        if (k == 0) return Status::OK();
      }
    }
  }
  return Status::OK();
}

Status ReadRanking(const YAML::Node& doc, const std::string& file, RankingPolicy* p) {
  MapReader top(doc, file, "RankingPolicy");
  top.Get("apiVersion");
  top.Get("kind");
  top.Get("metadata");
  const YAML::Node spec = top.Require("spec");
  SB_RETURN_IF_ERROR(top.Finish());
  p->file = file;
  MapReader r(spec, file, "spec");
  if (YAML::Node d = r.Get("deadlines"); d.IsDefined()) {
    MapReader dr(d, file, "deadlines");
    for (int i = 1; i <= 4; ++i) {
      const std::string key = fmt::format("P{}", i);
      if (auto v = dr.String(key, true)) {
        auto dur = ParseDuration(*v);
        if (!dur.ok() || *dur <= 0)
          dr.Fail(dr.Get(key),
                  fmt::format("deadlines.{}: {}", key, dur.ok() ? "must be positive" : dur.status().message()));
        else
          p->deadlines[static_cast<std::size_t>(i - 1)] = *dur;
      }
    }
    SB_RETURN_IF_ERROR(dr.Finish());
    for (std::size_t i = 1; i < 4; ++i) {
      if (p->deadlines[i] < p->deadlines[i - 1]) {
        return Status::SchemaError(fmt::format("deadlines: P{} ({}) is shorter than P{} ({})", i + 1,
                                               FormatDuration(p->deadlines[i]), i, FormatDuration(p->deadlines[i - 1])))
            .At(NodeLocation(file, d));
      }
    }
  }
  if (YAML::Node e = r.Get("exploitation"); e.IsDefined()) {
    MapReader er(e, file, "exploitation");
    if (auto t = er.Number("epss_threshold")) {
      if (*t < 0 || *t > 1)
        er.Fail(er.Get("epss_threshold"), "exploitation.epss_threshold must be in [0, 1]");
      else
        p->epss_threshold = *t;
    }
    SB_RETURN_IF_ERROR(er.Finish());
  }
  if (YAML::Node x = r.Get("exposure"); x.IsDefined()) {
    MapReader xr(x, file, "exposure");
    if (YAML::Node layers = xr.Get("layers"); layers.IsDefined()) {
      MapReader lr(layers, file, "exposure.layers");
      for (auto layer : {Layer::kApp, Layer::kCloud, Layer::kContainer, Layer::kCluster, Layer::kUnknown}) {
        if (auto v = lr.String(std::string(Name(layer)))) {
          if (*v != "inherit" && *v != "internal")
            lr.Fail(lr.Get(std::string(Name(layer))), "exposure.layers values are inherit or internal");
          p->layer_inherits_exposure[layer] = *v == "inherit";
        }
      }
      SB_RETURN_IF_ERROR(lr.Finish());
    }
    SB_RETURN_IF_ERROR(xr.Finish());
  }
  if (YAML::Node m = r.Get("mission_impact"); m.IsDefined()) {
    MapReader mr(m, file, "mission_impact");
    if (YAML::Node c = mr.Get("criticality"); c.IsDefined()) {
      MapReader cr(c, file, "mission_impact.criticality");
      for (auto crit : {Criticality::kLow, Criticality::kMedium, Criticality::kHigh, Criticality::kCritical}) {
        if (auto v = cr.String(std::string(Name(crit)))) {
          if (!InDomain(DecisionPoint::kMissionImpact, *v))
            cr.Fail(cr.Get(std::string(Name(crit))), "mission impact values are low, medium or high");
          p->criticality_mission[crit] = *v;
        }
      }
      SB_RETURN_IF_ERROR(cr.Finish());
    }
    if (YAML::Node c = mr.Get("environment_cap"); c.IsDefined()) {
      MapReader cr(c, file, "mission_impact.environment_cap");
      for (auto env : {Environment::kProd, Environment::kStaging, Environment::kDev}) {
        if (auto v = cr.String(std::string(Name(env)))) {
          if (!InDomain(DecisionPoint::kMissionImpact, *v))
            cr.Fail(cr.Get(std::string(Name(env))), "mission impact values are low, medium or high");
          p->environment_cap[env] = *v;
        }
      }
      SB_RETURN_IF_ERROR(cr.Finish());
    }
    SB_RETURN_IF_ERROR(mr.Finish());
  }
  if (YAML::Node u = r.Get("unknown_asset"); u.IsDefined()) {
    MapReader ur(u, file, "unknown_asset");
    if (auto v = ur.String("mission_impact")) {
      if (!InDomain(DecisionPoint::kMissionImpact, *v))
        ur.Fail(ur.Get("mission_impact"), "unknown_asset.mission_impact is low, medium or high");
      p->unknown_asset_mission = *v;
    }
    if (auto v = ur.String("exposure")) {
      if (*v != "yes" && *v != "no") ur.Fail(ur.Get("exposure"), "unknown_asset.exposure is \"yes\" or \"no\"");
      p->unknown_asset_exposure = *v;
    }
    SB_RETURN_IF_ERROR(ur.Finish());
  }
  if (YAML::Node w = r.Get("score_weights"); w.IsDefined()) {
    MapReader wr(w, file, "score_weights");
    const auto weight = [&](const char* key, double* out) {
      if (auto v = wr.Number(key)) {
        if (*v < 0) wr.Fail(wr.Get(key), fmt::format("score_weights.{} must not be negative", key));
        *out = *v;
      }
    };
    weight("exploitation", &p->weights.exploitation);
    weight("exposure", &p->weights.exposure);
    weight("automatable", &p->weights.automatable);
    weight("technical_impact", &p->weights.technical_impact);
    weight("mission_impact", &p->weights.mission_impact);
    weight("cvss", &p->weights.cvss);
    weight("fix_available", &p->weights.fix_available);
    SB_RETURN_IF_ERROR(wr.Finish());
  }
  if (auto c = r.String("combine")) {
    if (*c != "most_urgent") r.Fail(r.Get("combine"), "combine: only most_urgent is supported");
  }
  const YAML::Node tables = r.Require("tables");
  SB_RETURN_IF_ERROR(r.Finish());
  if (!tables.IsSequence() || tables.size() == 0) {
    return Status::SchemaError("spec.tables must list at least one decision table").At(NodeLocation(file, tables));
  }
  std::set<std::string> names;
  for (const auto& t : tables) {
    DecisionTable table;
    SB_RETURN_IF_ERROR(ReadTable(t, file, &table));
    if (!names.insert(table.name).second) {
      return Status::SchemaError(fmt::format("two tables named {}", table.name)).At(NodeLocation(file, t));
    }
    p->tables.push_back(std::move(table));
  }
  return Status::OK();
}

// Fills defaults the YAML left out.
void ApplyDefaults(RankingPolicy* p) {
  for (auto layer : {Layer::kApp, Layer::kCloud, Layer::kUnknown}) p->layer_inherits_exposure.try_emplace(layer, true);
  for (auto layer : {Layer::kContainer, Layer::kCluster}) p->layer_inherits_exposure.try_emplace(layer, false);
  p->criticality_mission.try_emplace(Criticality::kCritical, "high");
  p->criticality_mission.try_emplace(Criticality::kHigh, "high");
  p->criticality_mission.try_emplace(Criticality::kMedium, "medium");
  p->criticality_mission.try_emplace(Criticality::kLow, "low");
  p->environment_cap.try_emplace(Environment::kProd, "high");
  p->environment_cap.try_emplace(Environment::kStaging, "medium");
  p->environment_cap.try_emplace(Environment::kDev, "low");
}

Status CheckHeader(const YAML::Node& doc, const std::string& file, std::string* kind) {
  if (!doc.IsMap())
    return Status::SchemaError("a policy document must be a mapping with apiVersion and kind")
        .At(NodeLocation(file, doc));
  const YAML::Node api = doc["apiVersion"];
  const YAML::Node k = doc["kind"];
  if (!api.IsDefined() || Scalar(api) != kPolicyApiVersion) {
    return Status::SchemaError(fmt::format("apiVersion must be {}", kPolicyApiVersion))
        .At(NodeLocation(file, api.IsDefined() ? api : doc));
  }
  if (!k.IsDefined() || Scalar(k).empty()) return Status::SchemaError("missing kind").At(NodeLocation(file, doc));
  *kind = Scalar(k);
  return Status::OK();
}

}  // namespace

Result<RankingPolicy> ParseRankingPolicy(const std::string& text, const std::string& file) {
  SB_ASSIGN_OR_RETURN(auto docs, ParseYamlDocuments(text, file));
  if (docs.size() != 1) return Status::SchemaError("expected exactly one RankingPolicy document").WithFile(file);
  std::string kind;
  SB_RETURN_IF_ERROR(CheckHeader(docs[0], file, &kind));
  if (kind != "RankingPolicy") return Status::SchemaError("kind must be RankingPolicy").At(NodeLocation(file, docs[0]));
  RankingPolicy p;
  SB_RETURN_IF_ERROR(ReadRanking(docs[0], file, &p));
  ApplyDefaults(&p);
  return p;
}

int ScopeSelector::Specificity() const {
  return (team.empty() ? 0 : 1) + (service.empty() ? 0 : 1) + (environment.empty() ? 0 : 1);
}

bool ScopeSelector::Matches(std::string_view team_name, std::string_view service_name,
                            std::string_view environment_name) const {
  return (team.empty() || GlobMatch(team, team_name)) && (service.empty() || GlobMatch(service, service_name)) &&
         (environment.empty() || GlobMatch(environment, environment_name));
}

std::string ScopeSelector::Describe() const {
  std::string out;
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string&>{"team", team}, {"service", service}, {"environment", environment}}) {
    if (value.empty()) continue;
    if (!out.empty()) out += ',';
    out += fmt::format("{}={}", key, value);
  }
  return out;
}

Duration PolicySet::Deadline(Priority p, const FindingRecord& f) const {
  const std::size_t i = static_cast<std::size_t>(p) - 1;
  Duration d = ranking.deadlines[i];
  for (const auto& rule : deadline_rules) {
    if (rule.deadlines[i] && rule.scope.Matches(f)) d = *rule.deadlines[i];
  }
  return d;
}

Result<PolicySet> LoadPolicy(const std::string& dir, std::vector<Status>* diagnostics,
                             const std::vector<PolicyExtension*>& extensions) {
  PolicySet set;
  bool have_ranking = false;
  bool failed = false;
  FieldHasher fingerprint;
  std::string known_kinds = "RankingPolicy, AssetInventory";
  for (PolicyExtension* ext : extensions) {
    for (const auto& k : ext->Kinds()) known_kinds += ", " + k;
  }
  const auto find_extension = [&](const std::string& kind) -> PolicyExtension* {
    for (PolicyExtension* ext : extensions) {
      for (const auto& k : ext->Kinds()) {
        if (k == kind) return ext;
      }
    }
    return nullptr;
  };
  const auto report = [&](Status st) -> bool {  // true: stop
    failed = true;
    if (diagnostics == nullptr) return true;
    diagnostics->push_back(std::move(st));
    return false;
  };
  if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return Status::NotFound("policy directory does not exist").WithFile(dir);
    }
    std::vector<std::string> files;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      const std::string ext = it->path().extension().string();
      if (ext == ".yaml" || ext == ".yml") files.push_back(it->path().string());
    }
    if (ec) return Status::IoError(ec.message()).WithFile(dir);
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      ReadLimits limits;
      limits.max_bytes = kMaxPolicyBytes;
      auto text = ReadFile(file, limits);
      if (!text.ok()) {
        if (report(text.status())) return std::move(text).take_status();
        continue;
      }
      fingerprint.Add(file).Add(*text);
      set.files.push_back(file);
      auto docs = ParseYamlDocuments(*text, file);
      if (!docs.ok()) {
        if (report(docs.status())) return std::move(docs).take_status();
        continue;
      }
      for (const auto& doc : *docs) {
        if (doc.IsNull()) continue;
        std::string kind;
        Status st = CheckHeader(doc, file, &kind);
        if (st.ok()) {
          if (kind == "RankingPolicy") {
            if (have_ranking) {
              st = Status::SchemaError("a second RankingPolicy: keep exactly one").At(NodeLocation(file, doc));
            } else {
              st = ReadRanking(doc, file, &set.ranking);
              have_ranking = st.ok();
            }
          } else if (kind == "AssetInventory") {
            st = set.inventory.AddDocument(doc, file);
          } else if (PolicyExtension* ext = find_extension(kind); ext != nullptr) {
            st = ext->AddDocument(kind, doc, file);
          } else {
            st = Status::SchemaError(fmt::format("unknown kind \"{}\" (known: {})", kind, known_kinds))
                     .At(NodeLocation(file, doc["kind"]));
          }
        }
        if (!st.ok() && report(st)) return st;
      }
    }
    if (Status st = set.inventory.Validate(); !st.ok() && report(st)) return st;
  }
  if (!have_ranking) {
    auto def = ParseRankingPolicy(std::string(DefaultRankingPolicyText()), "<built-in ranking policy>");
    if (!def.ok()) return std::move(def).take_status().Context("built-in default policy");
    set.ranking = std::move(def).value();
    fingerprint.Add(DefaultRankingPolicyText());
  }
  ApplyDefaults(&set.ranking);
  if (!failed) {
    for (PolicyExtension* ext : extensions) {
      if (Status st = ext->Finish(set); !st.ok() && report(st)) return st;
    }
  }
  if (failed) {
    return Status::SchemaError(
               fmt::format("{} error(s) in the policy directory", diagnostics ? diagnostics->size() : 1))
        .WithFile(dir);
  }
  set.fingerprint = HexId(fingerprint.Digest());
  return set;
}

}  // namespace secbudget
