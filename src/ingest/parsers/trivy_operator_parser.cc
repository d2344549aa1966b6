// Trivy Operator reports (aquasecurity.github.io/v1alpha1 custom resources,
// as `kubectl get <kind> -o json` prints them).
//
// Shapes: one report object; a list of report objects; a Kubernetes List
// ({"kind": "List", "items": [...]}); or a dict keyed by CRD name
// ({"vulnerabilityreports.aquasecurity.github.io": [...], ...}).
//
// Kinds and field mapping:
//   VulnerabilityReport: report.vulnerabilities[] -> kind vulnerability
//     vulnerabilityID, resource (package), installedVersion, fixedVersion,
//     severity, score (CVSS), title, primaryLink, links (exploit refs),
//     class (os-pkgs -> container, else app), packageType -> ecosystem;
//     image = report.registry.server + "/" + report.artifact.repository
//   ConfigAuditReport, ClusterConfigAuditReport, RbacAssessmentReport,
//   ClusterRbacAssessmentReport, InfraAssessmentReport,
//   ClusterInfraAssessmentReport: report.checks[] -> kind misconfiguration;
//     checkID -> rule_id; success true -> explicit fix; severity, title,
//     description, messages
//   ExposedSecretReport: report.secrets[] -> kind secret (ruleID, target, match)
//   ClusterComplianceReport: status.detailReport.results[].checks[] -> kind
//     misconfiguration, rule_id "<control id>/<checkID>"; success false ->
//     finding, success true -> explicit fix
//   SbomReport and other kinds carry no findings and are skipped.
//
// The workload comes from the labels trivy-operator.resource.{kind,name,
// namespace} and trivy-operator.container.name. Reports do not name their
// cluster: --target names it (default: none).
//
// Scope: each report object fully covers its workload (and container) for its
// report kind: "k8s:<cluster>/<namespace>/<kind>/<name>[/<container>]#<Kind>".
#include <fmt/format.h>

#include "ingest/parsers/parsers.h"

namespace secbudget::ingest {

using json::array;
using json::object;

namespace {

bool IsOperatorReport(element el) {
  if (!el.is_object()) return false;
  object o = el.get_object().value_unsafe();
  return StartsWith(json::Str(o, "apiVersion"), "aquasecurity.github.io/");
}

struct Workload {
  std::string cluster, ns, kind, name, container;
};

// A ReplicaSet name is its Deployment's plus "-<pod-template-hash>" (8 to 10
// characters of Kubernetes' safe alphabet). Trivy Operator labels reports
// with the ReplicaSet, which changes on every rollout; the Deployment does not.
bool StripPodTemplateHash(std::string& name) {
  const size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0) return false;
  const std::string_view hash = std::string_view(name).substr(dash + 1);
  if (hash.size() < 8 || hash.size() > 10) return false;
  for (const char c : hash) {
    if (std::string_view("bcdfghjklmnpqrstvwxz2456789").find(c) == std::string_view::npos) return false;
  }
  name.resize(dash);
  return true;
}

Workload WorkloadOf(element report, const ParseOptions& options) {
  Workload w;
  w.cluster = IsMeaningfulTarget(options.target) ? options.target : std::string();
  w.kind = json::StrAt(report, "/metadata/labels/trivy-operator.resource.kind");
  w.name = json::StrAt(report, "/metadata/labels/trivy-operator.resource.name");
  w.ns = json::StrAt(report, "/metadata/labels/trivy-operator.resource.namespace");
  w.container = json::StrAt(report, "/metadata/labels/trivy-operator.container.name");
  if (w.kind.empty()) w.kind = json::StrAt(report, "/metadata/ownerReferences/0/kind");
  if (w.name.empty()) w.name = json::StrAt(report, "/metadata/ownerReferences/0/name");
  if (w.name.empty()) w.name = json::StrAt(report, "/metadata/name");
  if (w.ns.empty()) w.ns = json::StrAt(report, "/metadata/namespace");
  if (w.kind == "ReplicaSet" && StripPodTemplateHash(w.name)) w.kind = "Deployment";
  return w;
}

Locator WorkloadLocator(const Workload& w) {
  Locator loc;
  loc.provider = "kubernetes";
  loc.cluster = w.cluster;
  loc.k8s_namespace = w.ns;
  loc.resource = fmt::format("{}/{}", w.kind, w.name);
  return loc;
}

Status ParseVulnerabilityReport(element rep, const std::string& ptr, const Workload& w, std::size_t scope,
                                ParsedReport& out) {
  const std::string server = json::StrAt(rep, "/report/registry/server");
  const std::string repo = json::StrAt(rep, "/report/artifact/repository");
  Locator base = WorkloadLocator(w);
  base.image = NormalizeImage(server.empty() ? repo : server + "/" + repo);
  base.image_tag = json::StrAt(rep, "/report/artifact/tag");
  base.image_digest = json::StrAt(rep, "/report/artifact/digest");
  const std::string artifact = "image:" + base.image;
  auto vulns_el = json::At(rep, "/report/vulnerabilities");
  if (!vulns_el || vulns_el->is_null()) return Status::OK();
  if (!vulns_el->is_array()) return json::WrongType(ptr + "/report/vulnerabilities", "array", vulns_el->type());
  std::size_t i = 0;
  for (element v_el : json::Arr(*vulns_el)) {
    const std::string vptr = json::Child(ptr + "/report/vulnerabilities", i++);
    SB_ASSIGN_OR_RETURN(object v, json::AsObject(v_el, vptr));
    Occurrence occ;
    occ.kind = FindingKind::kVulnerability;
    occ.scope_index = scope;
    occ.pointer = vptr;
    occ.vuln_id = json::Str(v, "vulnerabilityID");
    if (occ.vuln_id.empty()) {
      SkipItem(out, vptr, "vulnerability without vulnerabilityID");
      continue;
    }
    occ.package = json::Str(v, "resource");
    occ.installed_version = json::Str(v, "installedVersion");
    occ.fixed_version = PickFixedVersion(json::Str(v, "fixedVersion"), occ.installed_version);
    occ.fix_available = occ.fixed_version.empty() ? Tri::kNo : Tri::kYes;
    occ.severity = ParseSeverity(json::Str(v, "severity")).value_or(Severity::kUnknown);
    occ.cvss_score = json::Num(v, "score", -1);
    occ.title = json::Str(v, "title");
    occ.description = json::View(v, "description");
    if (std::string link = json::Str(v, "primaryLink"); !link.empty()) occ.references.push_back(link);
    for (auto& url : json::StrArray(v, "links")) {
      if (IsExploitReference(url)) json::AddUnique(occ.exploit_refs, url);
    }
    if (!occ.exploit_refs.empty()) occ.exploit_available = Tri::kYes;
    const std::string klass = json::Str(v, "class");
    const std::string package_type = json::Str(v, "packageType");
    occ.ecosystem = CanonicalEcosystem(package_type.empty() ? json::StrAt(rep, "/report/os/family") : package_type);
    const bool os = klass == "os-pkgs" ||
                    (klass.empty() && (occ.ecosystem == "deb" || occ.ecosystem == "rpm" || occ.ecosystem == "apk"));
    occ.layer = os ? Layer::kContainer : Layer::kApp;
    occ.artifact = artifact;
    occ.locator = base;
    occ.locator.path = json::Str(v, "pkgPath");
    occ.location = fmt::format("{}/{}/{} ({})", w.ns, w.kind, w.name, base.image);
    out.occurrences.push_back(std::move(occ));
  }
  return Status::OK();
}

Status ParseChecks(element rep, const std::string& ptr, const Workload& w, std::size_t scope, ParsedReport& out) {
  auto checks = json::At(rep, "/report/checks");
  if (!checks || checks->is_null()) return Status::OK();
  if (!checks->is_array()) return json::WrongType(ptr + "/report/checks", "array", checks->type());
  const std::string artifact = fmt::format("k8s:{}/{}/{}/{}", w.cluster, w.ns, w.kind, w.name);
  std::size_t i = 0;
  for (element c_el : json::Arr(*checks)) {
    const std::string cptr = json::Child(ptr + "/report/checks", i++);
    SB_ASSIGN_OR_RETURN(object c, json::AsObject(c_el, cptr));
    Occurrence occ;
    occ.kind = FindingKind::kMisconfiguration;
    occ.scope_index = scope;
    occ.pointer = cptr;
    occ.rule_id = json::Str(c, "checkID");
    if (occ.rule_id.empty()) {
      SkipItem(out, cptr, "check without checkID");
      continue;
    }
    occ.passed = json::Bool(c, "success").value_or(false);
    occ.fingerprint = artifact;
    occ.title = json::Str(c, "title");
    const auto messages = json::StrArray(c, "messages");
    occ.description = messages.empty() ? json::View(c, "description") : out.Keep(Join(messages, "; "));
    occ.severity = ParseSeverity(json::Str(c, "severity")).value_or(Severity::kUnknown);
    occ.layer = Layer::kCluster;
    occ.artifact = artifact;
    occ.locator = WorkloadLocator(w);
    occ.location = fmt::format("{}/{}/{}", w.ns, w.kind, w.name);
    out.occurrences.push_back(std::move(occ));
  }
  return Status::OK();
}

Status ParseSecretsReport(element rep, const std::string& ptr, const Workload& w, std::size_t scope,
                          ParsedReport& out) {
  auto secrets = json::At(rep, "/report/secrets");
  if (!secrets || secrets->is_null()) return Status::OK();
  if (!secrets->is_array()) return json::WrongType(ptr + "/report/secrets", "array", secrets->type());
  const std::string server = json::StrAt(rep, "/report/registry/server");
  const std::string repo = json::StrAt(rep, "/report/artifact/repository");
  Locator base = WorkloadLocator(w);
  base.image = NormalizeImage(server.empty() ? repo : server + "/" + repo);
  base.image_tag = json::StrAt(rep, "/report/artifact/tag");
  std::size_t i = 0;
  for (element s_el : json::Arr(*secrets)) {
    const std::string sptr = json::Child(ptr + "/report/secrets", i++);
    SB_ASSIGN_OR_RETURN(object s, json::AsObject(s_el, sptr));
    Occurrence occ;
    occ.kind = FindingKind::kSecret;
    occ.scope_index = scope;
    occ.pointer = sptr;
    occ.rule_id = json::Str(s, "ruleID");
    if (occ.rule_id.empty()) {
      SkipItem(out, sptr, "secret without ruleID");
      continue;
    }
    const std::string file = json::Str(s, "target");
    occ.fingerprint = fmt::format("{}|{}", file, json::Str(s, "match"));
    occ.title = json::Str(s, "title");
    occ.description = json::View(s, "match");
    occ.severity = ParseSeverity(json::Str(s, "severity")).value_or(Severity::kUnknown);
    occ.layer = Layer::kContainer;
    occ.artifact =
        base.image.empty() ? fmt::format("k8s:{}/{}/{}/{}", w.cluster, w.ns, w.kind, w.name) : "image:" + base.image;
    occ.locator = base;
    occ.locator.path = file;
    occ.location = file;
    out.occurrences.push_back(std::move(occ));
  }
  return Status::OK();
}

Status ParseCompliance(element rep, const std::string& ptr, const ParseOptions& options, ParsedReport& out) {
  const std::string spec = json::StrAt(rep, "/spec/compliance/id").empty() ? json::StrAt(rep, "/metadata/name")
                                                                           : json::StrAt(rep, "/spec/compliance/id");
  const std::string cluster = IsMeaningfulTarget(options.target) ? options.target : std::string();
  const std::size_t scope = AddScope(out, "trivy-operator", fmt::format("k8s:{}#compliance:{}", cluster, spec), true);
  auto results = json::At(rep, "/status/detailReport/results");
  if (!results || results->is_null()) return Status::OK();
  if (!results->is_array()) return json::WrongType(ptr + "/status/detailReport/results", "array", results->type());
  std::size_t i = 0;
  for (element r_el : json::Arr(*results)) {
    const std::string rptr = json::Child(ptr + "/status/detailReport/results", i++);
    SB_ASSIGN_OR_RETURN(object r, json::AsObject(r_el, rptr));
    const std::string control = json::Str(r, "id");
    const Severity control_severity = ParseSeverity(json::Str(r, "severity")).value_or(Severity::kUnknown);
    SB_ASSIGN_OR_RETURN(auto checks, json::OptArray(r, "checks", rptr));
    if (!checks) continue;
    std::size_t j = 0;
    for (element c_el : *checks) {
      const std::string cptr = json::Child(rptr + "/checks", j++);
      SB_ASSIGN_OR_RETURN(object c, json::AsObject(c_el, cptr));
      Occurrence occ;
      occ.kind = FindingKind::kMisconfiguration;
      occ.scope_index = scope;
      occ.pointer = cptr;
      occ.passed = json::Bool(c, "success").value_or(false);
      const std::string check = json::Str(c, "checkID");
      occ.rule_id = control;
      if (!check.empty()) occ.rule_id.append("/").append(check);
      const std::string target = json::Str(c, "target");
      occ.fingerprint = target;
      occ.title = json::Str(c, "title");
      if (occ.title.empty()) occ.title = json::Str(r, "name");
      occ.description = json::View(c, "description");
      occ.severity = ParseSeverity(json::Str(c, "severity")).value_or(Severity::kUnknown);
      if (occ.severity == Severity::kUnknown) occ.severity = control_severity;
      occ.layer = Layer::kCluster;
      occ.artifact = fmt::format("k8s:{}{}", cluster, target.empty() ? "/" : target);
      occ.locator.provider = "kubernetes";
      occ.locator.cluster = cluster;
      occ.locator.resource = target;
      occ.location = target.empty() ? fmt::format("{} {}", spec, control) : target;
      out.occurrences.push_back(std::move(occ));
    }
  }
  return Status::OK();
}

Status ParseOne(element rep, const std::string& ptr, const ParseOptions& options, ParsedReport& out) {
  SB_ASSIGN_OR_RETURN(object o, json::AsObject(rep, ptr.empty() ? "/" : ptr));
  if (!IsOperatorReport(rep)) {
    return Status::SchemaError("not a Trivy Operator report (apiVersion aquasecurity.github.io/...)")
        .At(Location::Pointer(ptr.empty() ? "/" : ptr));
  }
  const std::string kind = json::Str(o, "kind");
  if (out.scanner_version.empty()) out.scanner_version = json::StrAt(rep, "/report/scanner/version");
  for (const char* key : {"/report/updateTimestamp", "/status/updateTimestamp"}) {
    if (auto t = json::TimeOrNull(json::StrAt(rep, key)); t && (!out.scan_time || *t > *out.scan_time))
      out.scan_time = t;
  }
  if (kind == "ClusterComplianceReport") return ParseCompliance(rep, ptr, options, out);
  const Workload w = WorkloadOf(rep, options);
  std::string target = fmt::format("k8s:{}/{}/{}/{}", w.cluster, w.ns, w.kind, w.name);
  if (!w.container.empty()) target += "/" + w.container;
  const std::size_t scope = AddScope(out, "trivy-operator", target + "#" + kind, true);
  if (kind == "VulnerabilityReport") return ParseVulnerabilityReport(rep, ptr, w, scope, out);
  if (kind == "ExposedSecretReport") return ParseSecretsReport(rep, ptr, w, scope, out);
  if (EndsWith(kind, "ConfigAuditReport") || EndsWith(kind, "RbacAssessmentReport") ||
      EndsWith(kind, "InfraAssessmentReport")) {
    return ParseChecks(rep, ptr, w, scope, out);
  }
  out.scopes.pop_back();  // SbomReport and unknown kinds: nothing to track
  out.warnings.push_back(fmt::format("{}: {} reports carry no findings; skipped", ptr.empty() ? "/" : ptr, kind));
  return Status::OK();
}

}  // namespace

bool DetectTrivyOperator(element root) {
  if (IsOperatorReport(root)) return true;
  if (root.is_array()) {
    for (element e : json::Arr(root)) return IsOperatorReport(e);
    return false;
  }
  if (!root.is_object()) return false;
  object o = root.get_object().value_unsafe();
  element items;
  if (o["items"].get(items) == simdjson::SUCCESS && items.is_array()) {
    for (element e : json::Arr(items)) return IsOperatorReport(e);
    return false;
  }
  for (auto [key, value] : o) {
    if (!EndsWith(key, ".aquasecurity.github.io")) return false;
  }
  return o.size() > 0;
}

Status ParseTrivyOperator(element root, const ParseOptions& options, ParsedReport& out) {
  SB_RETURN_IF_ERROR(ExpectRoot(root, true, true));

  if (IsOperatorReport(root)) return ParseOne(root, "", options, out);
  const auto parse_list = [&](array list, const std::string& base) -> Status {
    std::size_t i = 0;
    for (element e : list) SB_RETURN_IF_ERROR(ParseOne(e, json::Child(base, i++), options, out));
    return Status::OK();
  };
  if (root.is_array()) return parse_list(root.get_array().value_unsafe(), "");
  object o = root.get_object().value_unsafe();
  element items;
  if (o["items"].get(items) == simdjson::SUCCESS && items.is_array())
    return parse_list(items.get_array().value_unsafe(), "/items");
  for (auto [key, value] : o) {
    const std::string kptr = json::Child("", key);
    if (value.is_null()) continue;
    if (!value.is_array()) return json::WrongType(kptr, "array", value.type());
    SB_RETURN_IF_ERROR(parse_list(value.get_array().value_unsafe(), kptr));
  }
  return Status::OK();
}

}  // namespace secbudget::ingest
