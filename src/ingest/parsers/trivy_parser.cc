// Trivy JSON (`trivy image|fs|repo|config|k8s --format json`).
//
// Shapes accepted:
//   1. SchemaVersion 2 report: {SchemaVersion, ArtifactName, ArtifactType,
//      CreatedAt, Metadata{RepoTags, RepoDigests}, Results[]}
//   2. Kubernetes cluster report: {ClusterName, Resources[{Namespace, Kind,
//      Name, Metadata, Results[]}]}, or the older {ClusterName,
//      Vulnerabilities[...], Misconfigurations[...]} with the same entries.
//   3. Legacy (schema-less) list: [{Target, Type, Vulnerabilities[]}].
//
// Field mapping (Results[i]):
//   Vulnerabilities[j] -> kind vulnerability
//     VulnerabilityID -> vuln_id;  VendorIDs -> aliases
//     PkgName -> package;  Result.Type -> ecosystem (canonicalised)
//     InstalledVersion, FixedVersion (non-empty => fix available)
//     Status "not_affected" -> held (neither opens nor closes a finding)
//     Severity; CVSS{source:{V3Score,V3Vector,V2Score}} -> best v3 score
//     References matching exploit sites -> exploit_refs
//     Result.Class os-pkgs -> layer container, lang-pkgs -> app
//   Misconfigurations[j] -> kind misconfiguration
//     AVDID (or ID) -> rule_id;  Status FAIL -> finding, PASS -> explicit
//     fix, EXCEPTION and other statuses -> held (neither opens nor closes);  Result.Target + CauseMetadata.Resource ->
//     fingerprint (no line numbers: they move when files change)
//     Result.Type kubernetes/helm -> cluster, dockerfile -> container,
//     terraform/cloudformation/... -> cloud
//   Secrets[j] -> kind secret: RuleID -> rule_id; Result.Target + Match
//     (already redacted by Trivy) -> fingerprint; layer app
//
// Scope: image reports cover "image:<repository>"; repository reports
// "repo:<url>"; filesystem reports "path:<ArtifactName>". --target replaces
// the artifact: an image name for image reports, a repository URL for any
// other ("repo:<url>"). Kubernetes reports cover the whole cluster
// "k8s:<ClusterName>" (--target names the cluster), unless a resource carries
// an Error (then the report closes nothing). A legacy list names no
// artifact: it closes nothing unless --target is given.
#include <fmt/format.h>

#include "common/hash.h"
#include "ingest/parsers/parsers.h"

namespace secbudget::ingest {

using json::array;
using json::object;

bool DetectTrivy(element root) {
  if (root.is_object()) {
    object o = root.get_object().value_unsafe();
    element el;
    if (o["SchemaVersion"].get(el) == simdjson::SUCCESS &&
        (o["Results"].get(el) == simdjson::SUCCESS || o["ArtifactName"].get(el) == simdjson::SUCCESS)) {
      return true;
    }
    return o["ClusterName"].get(el) == simdjson::SUCCESS &&
           (o["Resources"].get(el) == simdjson::SUCCESS || o["Vulnerabilities"].get(el) == simdjson::SUCCESS ||
            o["Misconfigurations"].get(el) == simdjson::SUCCESS);
  }
  if (root.is_array()) {
    array a = root.get_array().value_unsafe();
    if (a.size() == 0) return false;
    element first;
    if (a.at(0).get(first) != simdjson::SUCCESS || !first.is_object()) return false;
    object o = first.get_object().value_unsafe();
    element el;
    return o["Target"].get(el) == simdjson::SUCCESS &&
           (o["Vulnerabilities"].get(el) == simdjson::SUCCESS || o["Type"].get(el) == simdjson::SUCCESS);
  }
  return false;
}

namespace {

struct Context {
  const ParseOptions& options;
  ParsedReport& out;
  std::size_t scope = 0;
  std::string artifact;         // identity artifact for vulnerabilities and secrets
  Locator base;                 // locator shared by everything in the artifact
  std::string config_artifact;  // identity artifact for misconfigurations
  bool record_arrays = false;   // report each Vulnerabilities array (ParsedReport::item_arrays)
};

Layer ConfigLayer(std::string_view type) {
  if (type == "kubernetes" || type == "helm") return Layer::kCluster;
  if (type == "dockerfile") return Layer::kContainer;
  if (type == "terraform" || type == "cloudformation" || type == "azure-arm" || type == "terraformplan" ||
      type == "cloud") {
    return Layer::kCloud;
  }
  return Layer::kUnknown;
}

// Picks the best CVSS: NVD v3, else the highest v3 of any source, else v2.
// A vulnerability's "CVSS" member (null: none).
void ReadCvss(const element* cvss_el, Occurrence& occ) {
  if (cvss_el == nullptr || !cvss_el->is_object()) return;
  double nvd = -1, best = -1, v2 = -1;
  std::string nvd_vector, best_vector;
  for (auto [source, value] : json::Obj(*cvss_el)) {
    if (!value.is_object()) continue;
    object c = value.get_object().value_unsafe();
    const double v3 = json::Num(c, "V3Score");
    if (v3 >= 0 && source == "nvd") {
      nvd = v3;
      nvd_vector = json::Str(c, "V3Vector");
    }
    if (v3 > best) {
      best = v3;
      best_vector = json::Str(c, "V3Vector");
    }
    v2 = std::max(v2, json::Num(c, "V2Score"));
  }
  if (nvd >= 0) {
    occ.cvss_score = nvd;
    occ.cvss_vector = nvd_vector;
  } else if (best >= 0) {
    occ.cvss_score = best;
    occ.cvss_vector = best_vector;
  } else {
    occ.cvss_score = v2;
  }
}

// The seed of a vulnerability's digest: everything outside the item that
// its occurrence is built from. Image tag and digest are left out, as
// ContentHash leaves them out: a rebuild that changes nothing else is
// unchanged. The result's target enters only through what is kept of it.
std::uint64_t VulnerabilityContext(const Context& ctx, std::string_view klass, std::string_view ecosystem,
                                   std::string_view lang_path, std::string_view target_location) {
  FieldHasher h;
  h.Add(static_cast<std::int64_t>(kItemDigestVersion)).Add("trivy/vulnerability").Add(ctx.artifact);
  const Locator& l = ctx.base;
  h.Add(l.image).Add(l.repository).Add(l.provider).Add(l.account).Add(l.region).Add(l.arn).Add(l.cluster);
  h.Add(l.k8s_namespace).Add(l.resource).Add(l.path);
  h.Add(klass).Add(ecosystem).Add(lang_path).Add(target_location);
  return h.Digest();
}

Status ParseVulnerabilities(Context& ctx, object result, std::string_view result_ptr, std::string_view target,
                            std::string_view klass, std::string_view type) {
  SB_ASSIGN_OR_RETURN(auto vulns, json::OptArray(result, "Vulnerabilities", result_ptr));
  if (!vulns) return Status::OK();
  const std::string vptr = json::Child(result_ptr, "Vulnerabilities");
  // A rescan recognises most items: reserve for those, not for occurrences
  // (about a kilobyte each, which would be allocated and never touched).
  if (ctx.options.known) {
    ctx.out.known.reserve(ctx.out.known.size() + vulns->size());
  } else {
    ctx.out.occurrences.reserve(ctx.out.occurrences.size() + vulns->size());
  }
  // What each item takes from its result, worked out once.
  const std::string ecosystem = CanonicalEcosystem(type);
  const std::string_view lang_path = klass == "lang-pkgs" ? target : std::string_view();
  std::string target_location;
  if (const size_t paren = target.find(" ("); paren != std::string_view::npos && klass == "os-pkgs") {
    // "image:tag (debian 12.5)": keep the distribution, not the tag, which
    // changes with every build.
    target_location = std::string(target.substr(paren + 2, target.size() - paren - 3)) + " packages";
  } else {
    target_location = std::string(target);
  }
  const std::uint64_t context = VulnerabilityContext(ctx, klass, ecosystem, lang_path, target_location);
  if (ctx.record_arrays) {
    // Equal contexts and equal bytes make equal item digests: the array's
    // items are then the ones its last scan had (ingest/item_arrays.h).
    ctx.out.item_arrays.push_back(ItemArray{0, 0, 0, context, static_cast<std::uint32_t>(vulns->size())});
  }
  // Every member of an item read below, found in one walk over it.
  enum : std::size_t {
    kStatus,
    kId,
    kVendorIds,
    kPkgName,
    kInstalled,
    kFixed,
    kPkgIdentifier,
    kTitle,
    kDescription,
    kSeverity,
    kCvss,
    kReferences,
    kPrimaryUrl,
    kPkgPath
  };
  static const json::MemberNames kNames{
      "Status", "VulnerabilityID", "VendorIDs", "PkgName", "InstalledVersion", "FixedVersion", "PkgIdentifier",
      "Title",  "Description",     "Severity",  "CVSS",    "References",       "PrimaryURL",   "PkgPath"};
  const Scope& scope = ctx.out.scopes[ctx.scope];
  std::size_t j = 0;
  for (element item : *vulns) {
    std::uint64_t digest = 0;
    if (ctx.options.known && item.is_object()) {
      digest = json::Digest(item, context);
      std::uint64_t finding_id = 0;
      if (ctx.options.known(ctx.scope, scope, digest, &finding_id)) {
        ctx.out.known.push_back(KnownItem{ctx.scope, digest, finding_id});
        ++j;
        continue;
      }
    }
    if (j == 0 && ctx.options.known) {
      // The first item is not recognised: most likely none will be (a first
      // scan), so room for them all.
      ctx.out.occurrences.reserve(ctx.out.occurrences.size() + vulns->size());
    }
    const std::string ptr = json::Child(vptr, j++);
    SB_ASSIGN_OR_RETURN(object v, json::AsObject(item, ptr));
    const json::Members m(v, kNames);
    const std::string status = json::Str(m[kStatus]);
    // Filled where it stays (an occurrence is some thirty strings to move).
    Occurrence& occ = ctx.out.occurrences.emplace_back();
    if (status == "not_affected") {
      occ.held = true;
      ctx.out.skipped_reason = "marked not_affected by Trivy";
    }
    occ.kind = FindingKind::kVulnerability;
    occ.scope_index = ctx.scope;
    occ.pointer = ptr;
    SB_ASSIGN_OR_RETURN(occ.vuln_id, json::Text(m[kId], ptr, "VulnerabilityID"));
    if (occ.vuln_id.empty()) {
      ctx.out.occurrences.pop_back();
      SkipItem(ctx.out, ptr, "vulnerability without VulnerabilityID");
      continue;
    }
    for (auto& alias : json::StrArray(m[kVendorIds])) json::AddUnique(occ.aliases, std::move(alias));
    occ.digest = digest;
    occ.package = json::Str(m[kPkgName]);
    occ.ecosystem = ecosystem;
    occ.installed_version = json::Str(m[kInstalled]);
    occ.fixed_version = PickFixedVersion(json::Str(m[kFixed]), occ.installed_version);
    occ.fix_available = occ.fixed_version.empty() ? Tri::kNo : Tri::kYes;
    if (const element* id = m[kPkgIdentifier]; id != nullptr && id->is_object()) {
      occ.purl = json::Str(json::Obj(*id), "PURL");
    }
    occ.title = json::Str(m[kTitle]);
    occ.description = json::View(m[kDescription]);
    occ.severity = ParseSeverity(json::Str(m[kSeverity])).value_or(Severity::kUnknown);
    ReadCvss(m[kCvss], occ);
    if (const element* refs = m[kReferences]; refs != nullptr && refs->is_array()) {
      for (element ref : json::Arr(*refs)) {
        if (!ref.is_string()) continue;
        const std::string_view url = ref.get_string().value_unsafe();
        if (IsExploitReference(url)) json::AddUnique(occ.exploit_refs, std::string(url));
      }
    }
    if (!occ.exploit_refs.empty()) occ.exploit_available = Tri::kYes;
    if (std::string primary = json::Str(m[kPrimaryUrl]); !primary.empty()) occ.references.push_back(primary);
    occ.layer = klass == "os-pkgs" ? Layer::kContainer : Layer::kApp;
    occ.artifact = ctx.artifact;
    occ.locator = ctx.base;
    occ.locator.path = json::Str(m[kPkgPath]);
    if (occ.locator.path.empty()) occ.locator.path = std::string(lang_path);
    occ.location = occ.locator.path.empty() ? target_location : occ.locator.path;
  }
  return Status::OK();
}

Status ParseMisconfigurations(Context& ctx, object result, std::string_view result_ptr, std::string_view target,
                              std::string_view type) {
  SB_ASSIGN_OR_RETURN(auto items, json::OptArray(result, "Misconfigurations", result_ptr));
  if (!items) return Status::OK();
  const std::string mptr = json::Child(result_ptr, "Misconfigurations");
  std::size_t j = 0;
  for (element item : *items) {
    const std::string ptr = json::Child(mptr, j++);
    SB_ASSIGN_OR_RETURN(object m, json::AsObject(item, ptr));
    const std::string status = json::Str(m, "Status");
    Occurrence occ;
    if (status != "FAIL" && status != "PASS" && !status.empty()) {
      // EXCEPTION (accepted in Trivy) and statuses without a verdict.
      occ.held = true;
      ctx.out.skipped_reason = "Trivy exception";
    }
    occ.kind = FindingKind::kMisconfiguration;
    occ.scope_index = ctx.scope;
    occ.pointer = ptr;
    occ.passed = status == "PASS";
    occ.rule_id = json::Str(m, "AVDID");
    if (occ.rule_id.empty()) occ.rule_id = json::Str(m, "ID");
    if (occ.rule_id.empty()) {
      SkipItem(ctx.out, ptr, "misconfiguration without ID or AVDID");
      continue;
    }
    const std::string resource = json::StrAt(item, "/CauseMetadata/Resource");
    occ.fingerprint = fmt::format("{}|{}", target, resource);
    occ.title = json::Str(m, "Title");
    occ.description = json::View(m, "Message");
    if (occ.description.empty()) occ.description = json::View(m, "Description");
    occ.severity = ParseSeverity(json::Str(m, "Severity")).value_or(Severity::kUnknown);
    if (std::string primary = json::Str(m, "PrimaryURL"); !primary.empty()) occ.references.push_back(primary);
    occ.layer = ConfigLayer(type);
    occ.artifact = ctx.config_artifact.empty() ? ctx.artifact : ctx.config_artifact;
    occ.locator = ctx.base;
    occ.locator.path = std::string(target);
    const double line = json::NumAt(item, "/CauseMetadata/StartLine", 0);
    occ.location = line > 0 ? fmt::format("{}:{}", target, static_cast<long long>(line)) : std::string(target);
    if (!resource.empty()) occ.location += fmt::format(" ({})", resource);
    ctx.out.occurrences.push_back(std::move(occ));
  }
  return Status::OK();
}

Status ParseSecrets(Context& ctx, object result, std::string_view result_ptr, std::string_view target) {
  SB_ASSIGN_OR_RETURN(auto items, json::OptArray(result, "Secrets", result_ptr));
  if (!items) return Status::OK();
  const std::string sptr = json::Child(result_ptr, "Secrets");
  std::size_t j = 0;
  for (element item : *items) {
    const std::string ptr = json::Child(sptr, j++);
    SB_ASSIGN_OR_RETURN(object s, json::AsObject(item, ptr));
    Occurrence occ;
    occ.kind = FindingKind::kSecret;
    occ.scope_index = ctx.scope;
    occ.pointer = ptr;
    occ.rule_id = json::Str(s, "RuleID");
    if (occ.rule_id.empty()) {
      SkipItem(ctx.out, ptr, "secret without RuleID");
      continue;
    }
    occ.fingerprint = fmt::format("{}|{}", target, json::Str(s, "Match"));
    occ.title = json::Str(s, "Title");
    occ.description = json::View(s, "Match");
    occ.severity = ParseSeverity(json::Str(s, "Severity")).value_or(Severity::kUnknown);
    occ.layer = Layer::kApp;
    occ.artifact = ctx.artifact;
    occ.locator = ctx.base;
    occ.locator.path = std::string(target);
    const double line = json::Num(s, "StartLine", 0);
    occ.location = line > 0 ? fmt::format("{}:{}", target, static_cast<long long>(line)) : std::string(target);
    ctx.out.occurrences.push_back(std::move(occ));
  }
  return Status::OK();
}

Status ParseResults(Context& ctx, array results, std::string_view results_ptr) {
  std::size_t i = 0;
  for (element item : results) {
    const std::string ptr = json::Child(results_ptr, i++);
    SB_ASSIGN_OR_RETURN(object r, json::AsObject(item, ptr));
    const std::string target = json::Str(r, "Target");
    const std::string klass = json::Str(r, "Class");
    const std::string type = json::Str(r, "Type");
    // Legacy reports have no Class: an OS target reads "name (distro x.y)".
    const std::string effective_class =
        !klass.empty() ? klass : (target.find(" (") != std::string::npos ? "os-pkgs" : "lang-pkgs");
    SB_RETURN_IF_ERROR(ParseVulnerabilities(ctx, r, ptr, target, effective_class, type));
    SB_RETURN_IF_ERROR(ParseMisconfigurations(ctx, r, ptr, target, type));
    SB_RETURN_IF_ERROR(ParseSecrets(ctx, r, ptr, target));
  }
  return Status::OK();
}

// Image of a Kubernetes resource: RepoTags, then RepoDigests, then the OS
// result's target ("docker.io/redis:6.0.5 (debian 10.4)").
std::string ResourceImage(object resource, std::string* tag, std::string* digest) {
  element meta;
  bool have_meta = false;
  // Trivy writes Metadata as an object in older reports and as a list (one
  // entry per image) in newer ones.
  if (resource["Metadata"].get(meta) == simdjson::SUCCESS) {
    if (meta.is_array()) {
      for (element first : json::Arr(meta)) {
        meta = first;
        have_meta = meta.is_object();
        break;
      }
    } else {
      have_meta = meta.is_object();
    }
  }
  if (have_meta) {
    object m = meta.get_object().value_unsafe();
    const auto tags = json::StrArray(m, "RepoTags");
    const auto digests = json::StrArray(m, "RepoDigests");
    if (!digests.empty()) NormalizeImage(digests.front(), nullptr, digest);
    if (!tags.empty()) return NormalizeImage(tags.front(), tag, nullptr);
    if (!digests.empty()) return NormalizeImage(digests.front(), nullptr, digest);
  }
  element results;
  if (resource["Results"].get(results) == simdjson::SUCCESS && results.is_array()) {
    for (element r : json::Arr(results)) {
      if (!r.is_object()) continue;
      object ro = r.get_object().value_unsafe();
      if (json::Str(ro, "Class") == "os-pkgs") return NormalizeImage(json::Str(ro, "Target"), tag, nullptr);
    }
  }
  return {};
}

Status ParseClusterResources(Context& ctx, array resources, std::string_view ptr, const std::string& cluster) {
  std::size_t i = 0;
  for (element item : resources) {
    const std::string rptr = json::Child(ptr, i++);
    SB_ASSIGN_OR_RETURN(object res, json::AsObject(item, rptr));
    const std::string ns = json::Str(res, "Namespace");
    const std::string kind = json::Str(res, "Kind");
    const std::string name = json::Str(res, "Name");
    if (const std::string error = json::Str(res, "Error"); !error.empty()) {
      // A resource Trivy could not scan is not clean: this report must not
      // close anything in the cluster.
      ctx.out.scopes[ctx.scope].complete = false;
      ctx.out.warnings.push_back(
          fmt::format("{}/{}/{} was not scanned ({}): this report closes no finding in the cluster", ns, kind, name,
                      Ellipsize(error, 200)));
    }
    Locator loc;
    loc.provider = "kubernetes";
    loc.cluster = cluster;
    loc.k8s_namespace = ns;
    loc.resource = fmt::format("{}/{}", kind, name);
    std::string tag, digest;
    const std::string image = ResourceImage(res, &tag, &digest);
    loc.image = image;
    loc.image_tag = tag;
    loc.image_digest = digest;
    ctx.base = loc;
    ctx.config_artifact = fmt::format("k8s:{}/{}/{}/{}", cluster, ns, kind, name);
    ctx.artifact = image.empty() ? ctx.config_artifact : "image:" + image;
    SB_ASSIGN_OR_RETURN(auto results, json::OptArray(res, "Results", rptr));
    if (results) SB_RETURN_IF_ERROR(ParseResults(ctx, *results, json::Child(rptr, "Results")));
  }
  return Status::OK();
}

}  // namespace

Status ParseTrivy(element root, const ParseOptions& options, ParsedReport& out) {
  SB_RETURN_IF_ERROR(ExpectRoot(root, true, true));

  Context ctx{options, out, 0, {}, {}, {}, false};
  if (root.is_array()) {
    // Legacy list: no artifact name in the report.
    const bool have_target = IsMeaningfulTarget(options.target);
    const std::string target = have_target ? options.target : "unknown";
    ctx.scope = AddScope(out, "trivy", "path:" + target, have_target);
    ctx.artifact = "path:" + target;
    if (!have_target)
      out.warnings.push_back("legacy Trivy list names no artifact: pass --target to let later scans close findings");
    return ParseResults(ctx, root.get_array().value_unsafe(), "");
  }
  object o = root.get_object().value_unsafe();
  out.scan_time = json::TimeOrNull(json::Str(o, "CreatedAt"));
  element el;
  if (o["ClusterName"].get(el) == simdjson::SUCCESS) {
    std::string cluster = json::Str(o, "ClusterName");
    if (IsMeaningfulTarget(options.target)) cluster = options.target;
    ctx.scope = AddScope(out, "trivy", "k8s:" + cluster, !cluster.empty());
    if (cluster.empty()) out.warnings.push_back("Kubernetes report without ClusterName: pass --target <cluster>");
    for (const char* key : {"Resources", "Vulnerabilities", "Misconfigurations"}) {
      SB_ASSIGN_OR_RETURN(auto resources, json::OptArray(o, key, ""));
      if (resources) SB_RETURN_IF_ERROR(ParseClusterResources(ctx, *resources, json::Child("", key), cluster));
    }
    return Status::OK();
  }
  const std::string name = json::Str(o, "ArtifactName");
  const std::string type = json::Str(o, "ArtifactType");
  Locator base;
  std::string target;
  bool complete = true;
  if (IsMeaningfulTarget(options.target)) {
    target = options.target;
    if (type == "container_image")
      base.image = NormalizeImage(options.target, &base.image_tag, &base.image_digest);
    else
      base.repository = NormalizeRepository(options.target);
    target = type == "container_image" ? "image:" + base.image : "repo:" + base.repository;
  } else if (type == "container_image") {
    base.image = NormalizeImage(name, &base.image_tag, &base.image_digest);
    target = "image:" + base.image;
  } else if (type == "repository") {
    base.repository = NormalizeRepository(name);
    target = "repo:" + base.repository;
  } else {
    complete = IsMeaningfulTarget(name);
    target = "path:" + (complete ? name : std::string("unknown"));
    base.path = name;
    if (!complete)
      out.warnings.push_back("the report names no artifact: pass --target to let later scans close findings");
  }
  if (base.image_digest.empty()) {
    element digests;
    if (root.at_pointer("/Metadata/RepoDigests").get(digests) == simdjson::SUCCESS && digests.is_array()) {
      for (element d : json::Arr(digests)) {
        if (d.is_string()) NormalizeImage(d.get_string().value_unsafe(), nullptr, &base.image_digest);
        break;
      }
    }
  }
  ctx.scope = AddScope(out, "trivy", target, complete);
  ctx.artifact = target;
  ctx.base = base;
  ctx.record_arrays = true;
  SB_ASSIGN_OR_RETURN(auto results, json::OptArray(o, "Results", ""));
  if (results) SB_RETURN_IF_ERROR(ParseResults(ctx, *results, "/Results"));
  return Status::OK();
}

}  // namespace secbudget::ingest
