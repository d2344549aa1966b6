// Kubescape JSON (`kubescape scan --format json`).
//
// Shape: {clusterName, generationTime, summaryDetails{controls{<id>{name,
// scoreFactor, ...}}}, resources[{resourceID, object{kind, metadata{name,
// namespace}}, source{path, relativePath}}], results[{resourceID,
// controls[{controlID, name, status{status}, rules[{paths[{fixPath}]}]}]}]}.
//
// Field mapping (results[i].controls[j]):
//   status.status failed -> finding; passed -> explicit fix; other statuses
//     (skipped, irrelevant, excluded) -> held (neither opens nor closes)
//   controlID -> rule_id;  name -> title;  resourceID -> fingerprint
//   severity from summaryDetails.controls[id].scoreFactor, as Kubescape's
//     own mapping: >= 9 critical, >= 7 high, >= 4 medium, else low
//   rules[].paths[].fixPath.path / failedPath -> description (what to fix)
//   layer cluster
//
// Scope: the cluster ("k8s:<clusterName>", or --target) or, for a scan of
// manifest files, their directory ("path:<source.path>").
#include <fmt/format.h>

#include <map>

#include "ingest/parsers/parsers.h"

namespace secbudget::ingest {

using json::object;

bool DetectKubescape(element root) {
  if (!root.is_object()) return false;
  object o = root.get_object().value_unsafe();
  element x;
  return o["summaryDetails"].get(x) == simdjson::SUCCESS &&
         (o["results"].get(x) == simdjson::SUCCESS || o["resources"].get(x) == simdjson::SUCCESS);
}

namespace {

Severity FromScoreFactor(double f) {
  if (f < 0) return Severity::kUnknown;
  if (f >= 9) return Severity::kCritical;
  if (f >= 7) return Severity::kHigh;
  if (f >= 4) return Severity::kMedium;
  return Severity::kLow;
}

struct ResourceInfo {
  std::string kind, name, ns, file;
};

}  // namespace

Status ParseKubescape(element root, const ParseOptions& options, ParsedReport& out) {
  SB_RETURN_IF_ERROR(ExpectRoot(root, true, false));

  object o = root.get_object().value_unsafe();
  out.scan_time = json::TimeOrNull(json::Str(o, "generationTime"));
  std::map<std::string, double, std::less<>> score_factor;
  if (auto controls = json::At(root, "/summaryDetails/controls"); controls && controls->is_object()) {
    for (auto [id, c] : json::Obj(*controls)) {
      if (c.is_object()) score_factor[std::string(id)] = json::Num(c.get_object().value_unsafe(), "scoreFactor", -1);
    }
  }
  std::map<std::string, ResourceInfo, std::less<>> resources;
  std::string source_dir;
  SB_ASSIGN_OR_RETURN(auto res_list, json::OptArray(o, "resources", ""));
  if (res_list) {
    for (element r : *res_list) {
      if (!r.is_object()) continue;
      ResourceInfo info;
      info.kind = json::StrAt(r, "/object/kind");
      info.name = json::StrAt(r, "/object/metadata/name");
      info.ns = json::StrAt(r, "/object/metadata/namespace");
      info.file = json::StrAt(r, "/source/relativePath");
      if (source_dir.empty()) source_dir = json::StrAt(r, "/source/path");
      resources[json::Str(r.get_object().value_unsafe(), "resourceID")] = info;
    }
  }
  std::string cluster = IsMeaningfulTarget(options.target) ? options.target : json::Str(o, "clusterName");
  std::string target;
  bool complete = true;
  if (!cluster.empty()) {
    target = "k8s:" + cluster;
  } else if (!source_dir.empty()) {
    target = "path:" + source_dir;
  } else {
    target = "k8s:unknown";
    complete = false;
    out.warnings.push_back("the report names neither a cluster nor a directory: pass --target");
  }
  const std::size_t scope = AddScope(out, "kubescape", target, complete);

  SB_ASSIGN_OR_RETURN(auto results, json::OptArray(o, "results", ""));
  if (!results) return Status::OK();
  std::size_t i = 0;
  for (element r_el : *results) {
    const std::string rptr = json::Child("/results", i++);
    SB_ASSIGN_OR_RETURN(object r, json::AsObject(r_el, rptr));
    const std::string resource_id = json::Str(r, "resourceID");
    const auto found = resources.find(resource_id);
    const ResourceInfo info = found != resources.end() ? found->second : ResourceInfo{};
    SB_ASSIGN_OR_RETURN(auto controls, json::OptArray(r, "controls", rptr));
    if (!controls) continue;
    std::size_t j = 0;
    for (element c_el : *controls) {
      const std::string ptr = json::Child(json::Child(rptr, "controls"), j++);
      SB_ASSIGN_OR_RETURN(object c, json::AsObject(c_el, ptr));
      std::string status = json::StrAt(c_el, "/status/status");
      if (status.empty()) status = json::Str(c, "status");
      const bool held = status != "failed" && status != "passed";
      if (held) {
        out.skipped_reason = "control status " + (status.empty() ? std::string("unknown") : status);
      }
      Occurrence occ;
      occ.kind = FindingKind::kMisconfiguration;
      occ.scope_index = scope;
      occ.pointer = ptr;
      occ.passed = status == "passed";
      occ.held = held;
      occ.rule_id = json::Str(c, "controlID");
      if (occ.rule_id.empty()) {
        SkipItem(out, ptr, "control without controlID");
        continue;
      }
      occ.fingerprint = resource_id;
      occ.title = json::Str(c, "name");
      const auto sf = score_factor.find(occ.rule_id);
      occ.severity = FromScoreFactor(sf != score_factor.end() ? sf->second : -1);
      std::vector<std::string> fixes;
      if (auto rules = json::At(c_el, "/rules"); rules && rules->is_array()) {
        for (element rule : json::Arr(*rules)) {
          if (auto paths = json::At(rule, "/paths"); paths && paths->is_array()) {
            for (element p : json::Arr(*paths)) {
              std::string fix = json::StrAt(p, "/fixPath/path");
              if (fix.empty()) fix = json::StrAt(p, "/failedPath");
              if (fix.empty()) fix = json::StrAt(p, "/reviewPath");
              json::AddUnique(fixes, std::move(fix));
            }
          }
        }
      }
      if (!fixes.empty()) occ.description = out.Keep("fix: " + Join(fixes, "; "));
      occ.layer = Layer::kCluster;
      occ.locator.provider = "kubernetes";
      occ.locator.cluster = cluster;
      occ.locator.k8s_namespace = info.ns;
      occ.locator.resource = info.kind.empty() ? resource_id : fmt::format("{}/{}", info.kind, info.name);
      occ.locator.path = info.file;
      occ.artifact = fmt::format("{}|{}", target, resource_id);
      occ.location = info.file.empty() ? occ.locator.resource : fmt::format("{} ({})", info.file, occ.locator.resource);
      out.occurrences.push_back(std::move(occ));
    }
  }
  return Status::OK();
}

}  // namespace secbudget::ingest
