// Grype JSON (`grype <target> -o json`).
//
// Shape: {matches[], source{type, target}, distro, descriptor{name, version,
// timestamp}}.
//
// Field mapping (matches[i]):
//   vulnerability.id -> vuln_id;  relatedVulnerabilities[].id -> aliases
//   artifact.name -> package;  artifact.type -> ecosystem (canonicalised)
//   artifact.version -> installed version;  artifact.locations[].path -> path
//   vulnerability.fix.state fixed|not-fixed|wont-fix|unknown and
//     fix.versions -> fix availability and fixed version (old Grype:
//     vulnerability.fixedInVersion)
//   vulnerability.severity (Negligible -> low)
//   cvss: the highest v3 entry of vulnerability.cvss, else of the related
//     vulnerabilities (old Grype: cvssV3 / cvssV2 objects)
//   epss[0].epss -> report EPSS;  urls matching exploit sites -> exploit_refs
//   knownExploited (non-empty) -> known exploited
//   ignoredMatches[] (same shape) -> held: neither opens nor closes
//   artifact.type deb/rpm/apk -> layer container, otherwise app
//
// Scope: image sources cover "image:<repository>" (from target.userInput or
// tags); directory sources cover "path:<target>" only when it is meaningful
// (not "."), or --target.
#include <fmt/format.h>

#include "ingest/parsers/parsers.h"

namespace secbudget::ingest {

using json::array;
using json::object;

bool DetectGrype(element root) {
  if (!root.is_object()) return false;
  object o = root.get_object().value_unsafe();
  element el;
  if (o["matches"].get(el) != simdjson::SUCCESS || !el.is_array()) return false;
  element other;
  if (o["source"].get(other) == simdjson::SUCCESS || o["descriptor"].get(other) == simdjson::SUCCESS ||
      o["distro"].get(other) == simdjson::SUCCESS) {
    return true;
  }
  // A bare {"matches": [...]} whose entries have Grype's shape.
  for (element m : json::Arr(el)) {
    return m.is_object() && json::Obj(m)["vulnerability"].get(other) == simdjson::SUCCESS &&
           json::Obj(m)["artifact"].get(other) == simdjson::SUCCESS;
  }
  return false;
}

namespace {

// Highest-versioned, then highest-scoring CVSS entry of a "cvss" array.
void ReadCvssArray(object vuln, double& score, std::string& vector) {
  element arr;
  if (vuln["cvss"].get(arr) != simdjson::SUCCESS || !arr.is_array()) return;
  double best_version = -1;
  for (element c : json::Arr(arr)) {
    if (!c.is_object()) continue;
    object co = c.get_object().value_unsafe();
    const double version = json::Num(co, "version", 0);
    const double base = json::NumAt(c, "/metrics/baseScore", -1);
    if (base < 0) continue;
    if (version > best_version || (version == best_version && base > score)) {
      best_version = version;
      score = base;
      vector = json::Str(co, "vector");
    }
  }
}

void ReadLegacyCvss(element vuln, double& score, std::string& vector) {
  const double v3 = json::NumAt(vuln, "/cvssV3/baseScore", -1);
  if (v3 >= 0) {
    score = v3;
    vector = json::StrAt(vuln, "/cvssV3/vector");
    return;
  }
  score = json::NumAt(vuln, "/cvssV2/baseScore", -1);
}

}  // namespace

Status ParseGrype(element root, const ParseOptions& options, ParsedReport& out) {
  SB_RETURN_IF_ERROR(ExpectRoot(root, true, false));

  object o = root.get_object().value_unsafe();
  out.scan_time = json::TimeOrNull(json::StrAt(root, "/descriptor/timestamp"));
  out.scanner_version = json::StrAt(root, "/descriptor/version");

  Locator base;
  std::string target;
  bool complete = true;
  const std::string source_type = json::StrAt(root, "/source/type");
  if (IsMeaningfulTarget(options.target)) {
    if (source_type == "image") {
      base.image = NormalizeImage(options.target, &base.image_tag, &base.image_digest);
      target = "image:" + base.image;
    } else {
      base.repository = NormalizeRepository(options.target);
      target = "repo:" + base.repository;
    }
  } else if (source_type == "image") {
    std::string ref = json::StrAt(root, "/source/target/userInput");
    if (ref.empty()) {
      element tags;
      if (root.at_pointer("/source/target/tags").get(tags) == simdjson::SUCCESS && tags.is_array()) {
        for (element t : json::Arr(tags)) {
          if (t.is_string()) ref = std::string(t.get_string().value_unsafe());
          break;
        }
      }
    }
    base.image = NormalizeImage(ref, &base.image_tag, &base.image_digest);
    if (base.image_digest.empty()) base.image_digest = json::StrAt(root, "/source/target/manifestDigest");
    complete = !base.image.empty();
    target = "image:" + (complete ? base.image : std::string("unknown"));
  } else {
    std::string dir = json::StrAt(root, "/source/target");
    if (!dir.empty() && dir.front() == '"' && dir.back() == '"' && dir.size() >= 2) dir = dir.substr(1, dir.size() - 2);
    complete = IsMeaningfulTarget(dir);
    target = "path:" + (complete ? dir : std::string("unknown"));
    base.path = dir;
  }
  if (!complete)
    out.warnings.push_back("the report names no usable target: pass --target to let later scans close findings");
  const std::size_t scope = AddScope(out, "grype", target, complete);

  SB_ASSIGN_OR_RETURN(array matches, json::ReqArray(o, "matches", ""));
  SB_ASSIGN_OR_RETURN(auto ignored, json::OptArray(o, "ignoredMatches", ""));
  // Matches ignored by the user's Grype configuration or VEX are held: they
  // neither open a finding nor close one.
  for (const bool held : {false, true}) {
    if (held && !ignored) break;
    const char* list_name = held ? "/ignoredMatches" : "/matches";
    std::size_t i = 0;
    for (element item : held ? *ignored : matches) {
      const std::string ptr = json::Child(list_name, i++);
      SB_ASSIGN_OR_RETURN(object m, json::AsObject(item, ptr));
      SB_ASSIGN_OR_RETURN(auto vuln_obj, json::OptObject(m, "vulnerability", ptr));
      SB_ASSIGN_OR_RETURN(auto art_obj, json::OptObject(m, "artifact", ptr));
      if (!vuln_obj || !art_obj) {
        return Status::SchemaError("match without \"vulnerability\" or \"artifact\"").At(Location::Pointer(ptr));
      }
      object v = *vuln_obj;
      object a = *art_obj;
      element v_el = item.at_key("vulnerability").value_unsafe();
      Occurrence occ;
      occ.kind = FindingKind::kVulnerability;
      occ.scope_index = scope;
      occ.pointer = ptr;
      SB_ASSIGN_OR_RETURN(occ.vuln_id, json::Text(v, "id", json::Child(ptr, "vulnerability")));
      if (occ.vuln_id.empty()) {
        SkipItem(out, ptr + "/vulnerability", "vulnerability without id");
        continue;
      }
      occ.package = json::Str(a, "name");
      occ.installed_version = json::Str(a, "version");
      occ.purl = json::Str(a, "purl");
      const std::string type = json::Str(a, "type");
      occ.ecosystem = CanonicalEcosystem(type);
      occ.layer = (occ.ecosystem == "deb" || occ.ecosystem == "rpm" || occ.ecosystem == "apk") ? Layer::kContainer
                                                                                               : Layer::kApp;
      occ.severity = ParseSeverity(json::Str(v, "severity")).value_or(Severity::kUnknown);
      occ.description = json::View(v, "description");
      // Fix.
      const std::string state = json::StrAt(v_el, "/fix/state");
      element versions;
      if (v_el.at_pointer("/fix/versions").get(versions) == simdjson::SUCCESS && versions.is_array()) {
        // Several fix versions (one per release branch): PickFixedVersion
        // chooses the one to upgrade to.
        std::string list;
        for (element fv : json::Arr(versions)) {
          if (!fv.is_string()) continue;
          if (!list.empty()) list += ", ";
          list += fv.get_string().value_unsafe();
        }
        occ.fixed_version = PickFixedVersion(list, occ.installed_version);
      }
      if (occ.fixed_version.empty()) occ.fixed_version = json::Str(v, "fixedInVersion");
      if (state == "fixed" || !occ.fixed_version.empty())
        occ.fix_available = Tri::kYes;
      else if (state == "not-fixed" || state == "wont-fix")
        occ.fix_available = Tri::kNo;
      // CVSS: own, then related, then legacy fields.
      ReadCvssArray(v, occ.cvss_score, occ.cvss_vector);
      SB_ASSIGN_OR_RETURN(auto related, json::OptArray(m, "relatedVulnerabilities", ptr));
      if (related) {
        for (element r : *related) {
          if (!r.is_object()) continue;
          object ro = r.get_object().value_unsafe();
          json::AddUnique(occ.aliases, json::Str(ro, "id"));
          if (occ.cvss_score < 0) ReadCvssArray(ro, occ.cvss_score, occ.cvss_vector);
          if (occ.description.empty()) occ.description = json::View(ro, "description");
        }
      }
      if (occ.cvss_score < 0) ReadLegacyCvss(v_el, occ.cvss_score, occ.cvss_vector);
      // EPSS: the match's own score, else a related entry's.
      occ.epss = json::NumAt(v_el, "/epss/0/epss", -1);
      if (occ.epss < 0 && related) {
        for (element r : *related) {
          if ((occ.epss = json::NumAt(r, "/epss/0/epss", -1)) >= 0) break;
        }
      }
      // Newer Grype copies CISA KEV membership into the match.
      if (auto kev = json::At(v_el, "/knownExploited"); kev && kev->is_array() && json::Arr(*kev).size() > 0) {
        occ.known_exploited = Tri::kYes;
      }
      for (const char* key : {"urls", "links"}) {
        for (auto& url : json::StrArray(v, key)) {
          if (IsExploitReference(url)) json::AddUnique(occ.exploit_refs, url);
        }
      }
      if (!occ.exploit_refs.empty()) occ.exploit_available = Tri::kYes;
      if (std::string ds = json::Str(v, "dataSource"); !ds.empty()) occ.references.push_back(ds);
      occ.title = occ.vuln_id + " in " + occ.package;
      occ.artifact = target;
      occ.locator = base;
      occ.locator.path = json::StrAt(item, "/artifact/locations/0/path");
      occ.location = occ.locator.path;
      occ.held = held;
      if (held) out.skipped_reason = "ignored by the Grype configuration (ignoredMatches)";
      out.occurrences.push_back(std::move(occ));
    }
  }
  return Status::OK();
}

}  // namespace secbudget::ingest
