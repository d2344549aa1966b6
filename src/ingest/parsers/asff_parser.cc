// AWS Security Finding Format (ASFF, schema 2018-10-08): Security Hub
// exports (`aws securityhub get-findings`), Inspector, GuardDuty, Config
// rules and Prowler's ASFF output.
//
// Shapes: {"Findings": [...]}, {"findings": [...]}, a bare array of
// findings, or one finding object.
//
// Field mapping (each finding):
//   ProductName (or ProductFields["aws/securityhub/ProductName"], or the
//     ProductArn's product path) -> scanner "asff:<product>"
//   Vulnerabilities[k] x VulnerablePackages[m] -> kind vulnerability:
//     Id -> vuln_id;  package Name/Version/FixedInVersion/PackageManager;
//     Cvss[].BaseScore/BaseVector (highest version);  FixAvailable;
//     ExploitAvailable YES -> public exploit;  EpssScore -> report EPSS;
//     ReferenceUrls on exploit sites -> exploit_refs
//   Types starting "TTPs/", "Effects/" or "Unusual Behaviors/" -> kind threat
//     (attacker activity: exploitation is active)
//   otherwise -> kind misconfiguration, rule_id = ProductFields.ControlId or
//     GeneratorId
//   Id -> fingerprint (Security Hub keeps it stable per control and resource)
//   Severity.Label (or Normalized: >=90 critical, >=70 high, >=40 medium,
//     >=1 low) -> severity
//   Compliance.Status PASSED, RecordState ARCHIVED or Workflow.Status
//     RESOLVED -> explicit fix; Workflow.Status SUPPRESSED or Compliance.Status
//     INFOED / NOT_AVAILABLE -> held (no verdict). Only Resources[0] is read:
//     a finding listing several resources is one finding on the first.
//   Resources[0]: Id -> arn, Type/Id -> resource, Region; an
//     AwsEcrContainerImage resource becomes the image
//     "<RegistryId>.dkr.ecr.<region>.amazonaws.com/<RepositoryName>", so that
//     Inspector and Trivy findings on one image merge.
//   UpdatedAt (latest in the file) -> scan time
//
// Scope: a Security Hub export is a feed, not a complete rescan: absence
// closes nothing. Findings close through the explicit states above.
#include <fmt/format.h>

#include "ingest/parsers/parsers.h"

namespace secbudget::ingest {

using json::array;
using json::object;

namespace {

bool IsAsffFinding(element el) {
  if (!el.is_object()) return false;
  object o = el.get_object().value_unsafe();
  element x;
  return o["SchemaVersion"].get(x) == simdjson::SUCCESS && o["Id"].get(x) == simdjson::SUCCESS &&
         (o["ProductArn"].get(x) == simdjson::SUCCESS || o["AwsAccountId"].get(x) == simdjson::SUCCESS);
}

// The finding list and its pointer.
std::optional<std::pair<array, std::string>> FindingList(element root) {
  if (root.is_array()) return std::make_pair(root.get_array().value_unsafe(), std::string());
  if (!root.is_object()) return std::nullopt;
  object o = root.get_object().value_unsafe();
  for (const char* key : {"Findings", "findings"}) {
    element el;
    if (o[key].get(el) == simdjson::SUCCESS && el.is_array()) {
      return std::make_pair(el.get_array().value_unsafe(), json::Child("", key));
    }
  }
  return std::nullopt;
}

Severity AsffSeverity(element f) {
  if (auto s = ParseSeverity(json::StrAt(f, "/Severity/Label")); s && *s != Severity::kUnknown) return *s;
  const double n = json::NumAt(f, "/Severity/Normalized", -1);
  if (n >= 90) return Severity::kCritical;
  if (n >= 70) return Severity::kHigh;
  if (n >= 40) return Severity::kMedium;
  if (n >= 1) return Severity::kLow;
  if (n == 0) return Severity::kInfo;
  return ParseSeverity(json::StrAt(f, "/Severity/Original")).value_or(Severity::kUnknown);
}

std::string ProductName(element f) {
  std::string name = json::StrAt(f, "/ProductName");
  if (name.empty()) name = json::StrAt(f, "/ProductFields/aws~1securityhub~1ProductName");
  if (name.empty()) name = json::StrAt(f, "/ProductFields/ProviderName");
  if (name.empty()) {
    const std::string arn = json::StrAt(f, "/ProductArn");
    const size_t pos = arn.find(":product/");
    name = pos == std::string::npos ? "unknown" : arn.substr(pos + 9);
  }
  return ToLower(name);
}

bool IsThreat(element f) {
  element types;
  if (f.at_key("Types").get(types) != simdjson::SUCCESS || !types.is_array()) return false;
  for (element t : json::Arr(types)) {
    if (!t.is_string()) continue;
    const std::string_view s = t.get_string().value_unsafe();
    if (StartsWith(s, "TTPs/") || StartsWith(s, "Effects/") || StartsWith(s, "Unusual Behaviors/")) return true;
  }
  return false;
}

Locator ResourceLocator(element f, std::string* artifact, bool* is_image) {
  Locator loc;
  loc.provider = "aws";
  loc.account = json::StrAt(f, "/AwsAccountId");
  loc.region = json::StrAt(f, "/Region");
  const std::string id = json::StrAt(f, "/Resources/0/Id");
  const std::string type = json::StrAt(f, "/Resources/0/Type");
  if (std::string r = json::StrAt(f, "/Resources/0/Region"); !r.empty()) loc.region = r;
  loc.arn = id;
  loc.resource = type.empty() ? id : fmt::format("{}/{}", type, id);
  *is_image = false;
  if (auto ecr = json::At(f, "/Resources/0/Details/AwsEcrContainerImage")) {
    const std::string registry = json::StrAt(*ecr, "/RegistryId");
    const std::string repo = json::StrAt(*ecr, "/RepositoryName");
    if (!registry.empty() && !repo.empty()) {
      loc.image = NormalizeImage(fmt::format("{}.dkr.ecr.{}.amazonaws.com/{}", registry, loc.region, repo));
      loc.image_digest = json::StrAt(*ecr, "/ImageDigest");
      loc.image_tag = json::StrAt(*ecr, "/ImageTags/0");
      *is_image = true;
    }
  }
  *artifact = *is_image ? "image:" + loc.image : "aws:" + (id.empty() ? loc.account : id);
  return loc;
}

}  // namespace

bool DetectAsff(element root) {
  if (IsAsffFinding(root)) return true;
  auto list = FindingList(root);
  if (!list) return false;
  for (element f : list->first) return IsAsffFinding(f);
  // An empty {"Findings": []} is an empty Security Hub export.
  return root.is_object();
}

Status ParseAsff(element root, const ParseOptions& /*options*/, ParsedReport& out) {
  std::vector<std::pair<element, std::string>> findings;
  if (IsAsffFinding(root)) {
    findings.emplace_back(root, "");
  } else if (auto list = FindingList(root)) {
    std::size_t i = 0;
    for (element f : list->first) findings.emplace_back(f, json::Child(list->second, i++));
  } else {
    return Status::SchemaError("expected an ASFF finding, an array of findings, or {\"Findings\": [...]}")
        .At(Location::Pointer("/"));
  }
  for (const auto& [f, ptr] : findings) {
    SB_ASSIGN_OR_RETURN(object fo, json::AsObject(f, ptr));
    SB_ASSIGN_OR_RETURN(std::string id, json::Text(fo, "Id", ptr));
    if (id.empty()) {
      SkipItem(out, ptr.empty() ? "/" : ptr, "finding without Id");
      continue;
    }
    if (auto t = json::TimeOrNull(json::Str(fo, "UpdatedAt"))) {
      if (!out.scan_time || *t > *out.scan_time) out.scan_time = t;
    }
    const std::string product = ProductName(f);
    std::string artifact;
    bool is_image = false;
    const Locator loc = ResourceLocator(f, &artifact, &is_image);
    const std::size_t scope = AddScope(out, "asff:" + product, "aws:" + loc.account, false);
    const bool passed = json::StrAt(f, "/Compliance/Status") == "PASSED" ||
                        json::Str(fo, "RecordState") == "ARCHIVED" || json::StrAt(f, "/Workflow/Status") == "RESOLVED";
    // No verdict: suppressed in Security Hub, or a check that could not be
    // evaluated (INFOED: Prowler's manual checks; NOT_AVAILABLE).
    const std::string compliance = json::StrAt(f, "/Compliance/Status");
    const bool held = !passed && (json::StrAt(f, "/Workflow/Status") == "SUPPRESSED" || compliance == "INFOED" ||
                                  compliance == "NOT_AVAILABLE");
    if (held) {
      out.skipped_reason = "suppressed in Security Hub (Workflow.Status SUPPRESSED)";
    }
    const Severity severity = AsffSeverity(f);
    const std::string title = json::Str(fo, "Title");
    const std::string_view description = json::View(fo, "Description");

    SB_ASSIGN_OR_RETURN(auto vulns, json::OptArray(fo, "Vulnerabilities", ptr));
    if (vulns && vulns->size() > 0) {
      std::size_t k = 0;
      for (element v_el : *vulns) {
        const std::string vptr = json::Child(json::Child(ptr, "Vulnerabilities"), k++);
        SB_ASSIGN_OR_RETURN(object v, json::AsObject(v_el, vptr));
        Occurrence proto;
        proto.kind = FindingKind::kVulnerability;
        proto.scope_index = scope;
        proto.passed = passed;
        proto.held = held;
        proto.pointer = vptr;
        proto.vuln_id = json::Str(v, "Id");
        if (proto.vuln_id.empty()) {
          SkipItem(out, vptr, "vulnerability without Id");
          continue;
        }
        proto.fingerprint = id;
        proto.title = title;
        proto.description = description;
        proto.severity = severity;
        const std::string fix = json::Str(v, "FixAvailable");
        proto.fix_available = fix == "YES" || fix == "PARTIAL" ? Tri::kYes : (fix == "NO" ? Tri::kNo : Tri::kUnknown);
        const std::string exploit = json::Str(v, "ExploitAvailable");
        proto.exploit_available = exploit == "YES" ? Tri::kYes : (exploit == "NO" ? Tri::kNo : Tri::kUnknown);
        proto.epss = json::Num(v, "EpssScore", json::Num(fo, "EpssScore", -1));
        double best_version = -1;
        if (auto cvss = json::At(v_el, "/Cvss"); cvss && cvss->is_array()) {
          for (element c : json::Arr(*cvss)) {
            if (!c.is_object()) continue;
            object co = c.get_object().value_unsafe();
            const double version = json::Num(co, "Version", 0);
            const double score = json::Num(co, "BaseScore", -1);
            if (score >= 0 && (version > best_version || (version == best_version && score > proto.cvss_score))) {
              best_version = version;
              proto.cvss_score = score;
              proto.cvss_vector = json::Str(co, "BaseVector");
            }
          }
        }
        for (auto& url : json::StrArray(v, "ReferenceUrls")) {
          if (IsExploitReference(url)) json::AddUnique(proto.exploit_refs, url);
        }
        if (!proto.exploit_refs.empty()) proto.exploit_available = Tri::kYes;
        proto.locator = loc;
        proto.artifact = artifact;
        // OS packages: the ecosystem follows the image's platform
        // ("DEBIAN_12" -> deb), so that Inspector merges with Trivy/Grype.
        std::string platform = json::StrAt(f, "/Resources/0/Details/AwsEcrContainerImage/Platform");
        if (platform.empty()) {
          platform = json::StrAt(
              f, "/ProductFields/aws~1inspector~1resources~11~1resourceDetails~1awsEcrContainerImageDetails~1platform");
        }
        if (platform.empty()) {
          platform = json::StrAt(
              f, "/ProductFields/aws~1inspector~1resources~11~1resourceDetails~1awsEc2InstanceDetails~1platform");
        }
        const std::string os_ecosystem = CanonicalEcosystem(ToLower(platform.substr(0, platform.find('_'))));
        SB_ASSIGN_OR_RETURN(auto packages, json::OptArray(v, "VulnerablePackages", vptr));
        if (!packages || packages->size() == 0) {
          proto.package = loc.resource;
          proto.layer = is_image ? Layer::kContainer : Layer::kCloud;
          proto.location = loc.resource;
          out.occurrences.push_back(std::move(proto));
          continue;
        }
        for (element p_el : *packages) {
          if (!p_el.is_object()) continue;
          object p = p_el.get_object().value_unsafe();
          Occurrence occ = proto;
          occ.package = json::Str(p, "Name");
          occ.installed_version = json::Str(p, "Version");
          if (std::string release = json::Str(p, "Release"); !release.empty()) occ.installed_version += "-" + release;
          occ.fixed_version = json::Str(p, "FixedInVersion");
          if (!occ.fixed_version.empty() && occ.fix_available == Tri::kUnknown) occ.fix_available = Tri::kYes;
          const std::string manager = json::Str(p, "PackageManager");
          const bool os = manager == "OS" || manager.empty();
          occ.ecosystem = os ? os_ecosystem
                             : CanonicalEcosystem(manager == "GOMOD" || manager == "GOBINARY"  ? "go"
                                                  : manager == "NODEPKG"                       ? "npm"
                                                  : manager == "PIP" || manager == "PYTHONPKG" ? "pypi"
                                                  : manager == "JAR" || manager == "POM"       ? "maven"
                                                                                               : ToLower(manager));
          occ.layer = os ? (is_image ? Layer::kContainer : Layer::kCloud) : Layer::kApp;
          occ.locator.path = json::Str(p, "FilePath");
          occ.location = occ.locator.path.empty() ? loc.resource : occ.locator.path;
          out.occurrences.push_back(std::move(occ));
        }
      }
      continue;
    }
    Occurrence occ;
    occ.scope_index = scope;
    occ.passed = passed;
    occ.held = held;
    occ.pointer = ptr;
    occ.fingerprint = id;
    occ.kind = IsThreat(f) ? FindingKind::kThreat : FindingKind::kMisconfiguration;
    if (occ.kind == FindingKind::kThreat) occ.known_exploited = Tri::kYes;
    occ.rule_id = json::StrAt(f, "/ProductFields/ControlId");
    if (occ.rule_id.empty()) occ.rule_id = json::Str(fo, "GeneratorId");
    occ.title = title;
    occ.description = description;
    occ.severity = severity;
    occ.layer = Layer::kCloud;
    occ.locator = loc;
    occ.artifact = artifact;
    occ.location = loc.resource;
    if (std::string url = json::StrAt(f, "/Remediation/Recommendation/Url"); !url.empty())
      occ.references.push_back(url);
    out.occurrences.push_back(std::move(occ));
  }
  return Status::OK();
}

}  // namespace secbudget::ingest
