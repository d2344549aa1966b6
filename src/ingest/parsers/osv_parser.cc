// OSV-Scanner JSON (`osv-scanner --format json`).
//
// Shape: {results[{source{path, type}, packages[{package{name, version,
// ecosystem}, vulnerabilities[OSV entries], groups[{ids, aliases}]}]}]}.
//
// Field mapping (one occurrence per OSV entry; entries that are aliases of
// each other merge downstream through their shared canonical id):
//   id -> vuln_id;  aliases -> aliases;  summary -> title;  details -> text
//   package.name / version / ecosystem (canonicalised) -> package fields
//   severity: database_specific.severity, else the CVSS v3 vector's computed
//     base score (severity[].type CVSS_V3)
//   affected[].ranges[].events[].fixed for this package -> fixed version
//   references[] of type EXPLOIT or on exploit sites -> exploit_refs
//   layer: app for language ecosystems, container for OS ecosystems
//
// Scope: each lockfile (source.path) is fully scanned: "path:<source.path>",
// or, with --target, "repo:<target>" for the whole report. The report has no
// scan time: ingestion uses --now.
#include <fmt/format.h>

#include "ingest/parsers/parsers.h"
#include "model/cvss.h"

namespace secbudget::ingest {

using json::array;
using json::object;

bool DetectOsv(element root) {
  if (!root.is_object()) return false;
  element results;
  if (root.get_object().value_unsafe()["results"].get(results) != simdjson::SUCCESS || !results.is_array())
    return false;
  for (element r : json::Arr(results)) {
    if (!r.is_object()) return false;
    object ro = r.get_object().value_unsafe();
    element el;
    return ro["source"].get(el) == simdjson::SUCCESS && ro["packages"].get(el) == simdjson::SUCCESS;
  }
  // {"results": []} alone is OSV-Scanner's empty output.
  element other;
  object o = root.get_object().value_unsafe();
  return o.size() <= 2 && o["experimental_config"].get(other) == simdjson::SUCCESS;
}

namespace {

// The version that fixes `installed`: among the "fixed" events of this
// package's ranges, the lowest one above the installed version (advisories
// with several ranges, e.g. 1.x and 2.x branches, list one fix per branch).
std::string FixedVersion(element vuln, std::string_view package, std::string_view installed) {
  element affected;
  if (vuln.at_key("affected").get(affected) != simdjson::SUCCESS || !affected.is_array()) return {};
  std::string best;
  for (element a : json::Arr(affected)) {
    if (json::StrAt(a, "/package/name") != package) continue;
    element ranges;
    if (a.at_key("ranges").get(ranges) != simdjson::SUCCESS || !ranges.is_array()) continue;
    for (element r : json::Arr(ranges)) {
      element events;
      if (r.at_key("events").get(events) != simdjson::SUCCESS || !events.is_array()) continue;
      for (element e : json::Arr(events)) {
        if (!e.is_object()) continue;
        std::string fixed = json::Str(json::Obj(e), "fixed");
        if (fixed.empty()) continue;
        const bool above = installed.empty() || CompareVersions(fixed, installed) > 0;
        if (above && (best.empty() || CompareVersions(fixed, best) < 0)) best = std::move(fixed);
      }
    }
  }
  return best;
}

}  // namespace

Status ParseOsv(element root, const ParseOptions& options, ParsedReport& out) {
  SB_RETURN_IF_ERROR(ExpectRoot(root, true, false));

  object o = root.get_object().value_unsafe();
  const bool have_target = IsMeaningfulTarget(options.target);
  const std::string repo = have_target ? NormalizeRepository(options.target) : std::string();
  SB_ASSIGN_OR_RETURN(array results, json::ReqArray(o, "results", ""));
  std::size_t i = 0;
  for (element item : results) {
    const std::string rptr = json::Child("/results", i++);
    SB_ASSIGN_OR_RETURN(object r, json::AsObject(item, rptr));
    const std::string source_path = json::StrAt(item, "/source/path");
    const std::string target = have_target ? "repo:" + repo : "path:" + source_path;
    const bool complete = have_target || IsMeaningfulTarget(source_path);
    const std::size_t scope = AddScope(out, "osv-scanner", target, complete);
    SB_ASSIGN_OR_RETURN(auto packages, json::OptArray(r, "packages", rptr));
    if (!packages) continue;
    std::size_t j = 0;
    for (element pkg_el : *packages) {
      const std::string pptr = json::Child(json::Child(rptr, "packages"), j++);
      SB_ASSIGN_OR_RETURN(object p, json::AsObject(pkg_el, pptr));
      const std::string name = json::StrAt(pkg_el, "/package/name");
      const std::string version = json::StrAt(pkg_el, "/package/version");
      const std::string ecosystem = CanonicalEcosystem(json::StrAt(pkg_el, "/package/ecosystem"));
      SB_ASSIGN_OR_RETURN(auto vulns, json::OptArray(p, "vulnerabilities", pptr));
      if (!vulns) continue;
      std::size_t k = 0;
      for (element v_el : *vulns) {
        const std::string ptr = json::Child(json::Child(pptr, "vulnerabilities"), k++);
        SB_ASSIGN_OR_RETURN(object v, json::AsObject(v_el, ptr));
        Occurrence occ;
        occ.kind = FindingKind::kVulnerability;
        occ.scope_index = scope;
        occ.pointer = ptr;
        SB_ASSIGN_OR_RETURN(occ.vuln_id, json::Text(v, "id", ptr));
        if (occ.vuln_id.empty()) {
          SkipItem(out, ptr, "OSV entry without id");
          continue;
        }
        for (auto& alias : json::StrArray(v, "aliases")) json::AddUnique(occ.aliases, std::move(alias));
        occ.package = name;
        occ.installed_version = version;
        occ.ecosystem = ecosystem;
        occ.title = json::Str(v, "summary");
        occ.description = json::View(v, "details");
        occ.severity = ParseSeverity(json::StrAt(v_el, "/database_specific/severity")).value_or(Severity::kUnknown);
        element sev;
        if (v_el.at_key("severity").get(sev) == simdjson::SUCCESS && sev.is_array()) {
          for (element s : json::Arr(sev)) {
            if (!s.is_object()) continue;
            object so = s.get_object().value_unsafe();
            const std::string type = json::Str(so, "type");
            const std::string score = json::Str(so, "score");
            if (type == "CVSS_V3") {
              occ.cvss_vector = score;
              if (auto base = CvssV3BaseScore(score)) occ.cvss_score = *base;
            } else if (type == "CVSS_V4" && occ.cvss_vector.empty()) {
              occ.cvss_vector = score;
            }
          }
        }
        if (occ.severity == Severity::kUnknown && occ.cvss_score >= 0) occ.severity = SeverityFromCvss(occ.cvss_score);
        occ.fixed_version = FixedVersion(v_el, name, version);
        occ.fix_available = occ.fixed_version.empty() ? Tri::kNo : Tri::kYes;
        element refs;
        if (v_el.at_key("references").get(refs) == simdjson::SUCCESS && refs.is_array()) {
          for (element ref : json::Arr(refs)) {
            if (!ref.is_object()) continue;
            object ro = ref.get_object().value_unsafe();
            std::string url = json::Str(ro, "url");
            if (json::Str(ro, "type") == "EXPLOIT" || IsExploitReference(url)) json::AddUnique(occ.exploit_refs, url);
          }
        }
        if (!occ.exploit_refs.empty()) occ.exploit_available = Tri::kYes;
        occ.layer = (ecosystem == "deb" || ecosystem == "rpm" || ecosystem == "apk") ? Layer::kContainer : Layer::kApp;
        occ.artifact = target;
        if (have_target) occ.locator.repository = repo;
        occ.locator.path = source_path;
        occ.location = source_path;
        out.occurrences.push_back(std::move(occ));
      }
    }
  }
  return Status::OK();
}

}  // namespace secbudget::ingest
