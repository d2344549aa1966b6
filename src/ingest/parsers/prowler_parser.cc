// Prowler output: OCSF JSON (Prowler 4+, `-M json-ocsf`), an array of OCSF
// Detection Findings (class_uid 2004), and Prowler v3 JSON (an array of
// check results). Other products' OCSF Detection Findings read the same way.
//
// OCSF field mapping:
//   metadata.product.name -> scanner (lower-case; "prowler")
//   metadata.event_code -> rule_id (the check id)
//   finding_info.uid -> fingerprint;  finding_info.title -> title
//   status_code FAIL -> finding, PASS -> explicit fix, MANUAL -> held;
//     status "Suppressed" (muted in Prowler) -> held (neither opens nor closes)
//   severity (Informational/Low/Medium/High/Critical)
//   cloud.provider, cloud.account.uid, cloud.region; resources[0].uid/type/
//     name/namespace/region -> locator
//   status_detail (or message) -> description;  time_dt / time -> scan time
// v3 JSON field mapping: CheckID, FindingUniqueId, Status, StatusExtended,
//   Severity, Provider, AccountId, Region, ResourceId, ResourceArn,
//   ResourceType, CheckTitle, AssessmentStartTime -- the same roles.
//
// Scope: Prowler runs checks, not targets: a report that has any result
// (PASS or FAIL) for check C in account A fully covers (C, A), so a finding of
// C in A that a later report omits is fixed (its resource is gone). Checks the
// report did not run close nothing. Layer: cloud, or cluster for the
// kubernetes provider.
#include <fmt/format.h>

#include "ingest/parsers/parsers.h"

namespace secbudget::ingest {

using json::object;

namespace {

bool IsOcsfFinding(element el) {
  if (!el.is_object()) return false;
  object o = el.get_object().value_unsafe();
  element x;
  return o["finding_info"].get(x) == simdjson::SUCCESS && o["metadata"].get(x) == simdjson::SUCCESS &&
         (o["class_uid"].get(x) == simdjson::SUCCESS || o["status_code"].get(x) == simdjson::SUCCESS);
}

bool IsV3Finding(element el) {
  if (!el.is_object()) return false;
  object o = el.get_object().value_unsafe();
  element x;
  return o["CheckID"].get(x) == simdjson::SUCCESS &&
         (o["FindingUniqueId"].get(x) == simdjson::SUCCESS || o["AssessmentStartTime"].get(x) == simdjson::SUCCESS);
}

void NoteTime(ParsedReport& out, std::optional<TimePoint> t) {
  if (t && (!out.scan_time || *t > *out.scan_time)) out.scan_time = t;
}

Status ParseOcsf(element f, const std::string& ptr, const ParseOptions& options, ParsedReport& out) {
  SB_ASSIGN_OR_RETURN(object fo, json::AsObject(f, ptr));
  const std::string status_code = ToUpper(json::Str(fo, "status_code"));
  bool held = false;
  if (status_code == "MANUAL") {
    held = true;
    out.skipped_reason = "manual check (status MANUAL)";
  } else if (IEquals(json::Str(fo, "status"), "Suppressed")) {
    held = true;
    out.skipped_reason = "muted in Prowler (status Suppressed)";
  }
  std::string product = ToLower(json::StrAt(f, "/metadata/product/name"));
  if (product.empty()) product = "ocsf";
  if (out.scanner_version.empty()) out.scanner_version = json::StrAt(f, "/metadata/product/version");
  const std::string check = json::StrAt(f, "/metadata/event_code");
  const std::string uid = json::StrAt(f, "/finding_info/uid");
  if (check.empty() && uid.empty()) {
    SkipItem(out, ptr, "finding without metadata.event_code or finding_info.uid");
    return Status::OK();
  }
  Locator loc;
  loc.provider = ToLower(json::StrAt(f, "/cloud/provider"));
  if (loc.provider.empty()) {
    const std::string profile = json::StrAt(f, "/metadata/profiles/0");
    loc.provider = profile == "container" ? "kubernetes" : std::string();
  }
  loc.account = json::StrAt(f, "/cloud/account/uid");
  loc.region = json::StrAt(f, "/cloud/region");
  const std::string resource_uid = json::StrAt(f, "/resources/0/uid");
  const std::string resource_type = json::StrAt(f, "/resources/0/type");
  const std::string resource_name = json::StrAt(f, "/resources/0/name");
  loc.arn = resource_uid;
  loc.resource = fmt::format("{}/{}", resource_type, resource_name.empty() ? resource_uid : resource_name);
  if (loc.provider == "kubernetes") {
    loc.cluster = IsMeaningfulTarget(options.target) ? options.target : loc.account;
    loc.k8s_namespace = json::StrAt(f, "/resources/0/namespace");
  } else if (std::string region = json::StrAt(f, "/resources/0/region"); !region.empty() && loc.region.empty()) {
    loc.region = region;
  }
  const std::string account = loc.provider == "kubernetes" ? loc.cluster : loc.account;
  const std::size_t scope = AddScope(
      out, product, fmt::format("{}:{}|check:{}", loc.provider.empty() ? "cloud" : loc.provider, account, check), true);
  Occurrence occ;
  occ.kind = FindingKind::kMisconfiguration;
  occ.scope_index = scope;
  occ.pointer = ptr;
  occ.passed = status_code == "PASS";
  occ.held = held;
  occ.rule_id = check;
  occ.fingerprint = uid;
  occ.title = json::StrAt(f, "/finding_info/title");
  occ.description = json::View(fo, "status_detail");
  if (occ.description.empty()) occ.description = json::View(fo, "message");
  occ.severity = ParseSeverity(json::Str(fo, "severity")).value_or(Severity::kUnknown);
  occ.layer = loc.provider == "kubernetes" ? Layer::kCluster : Layer::kCloud;
  occ.artifact = fmt::format("{}:{}", loc.provider, resource_uid.empty() ? account : resource_uid);
  occ.locator = loc;
  occ.location = loc.resource;
  std::optional<TimePoint> t = json::TimeOrNull(json::Str(fo, "time_dt"));
  if (!t) t = json::TimeOrNull(json::Str(fo, "event_time"));
  if (!t) {
    // OCSF timestamps are milliseconds; Prowler writes seconds.
    double epoch = json::Num(fo, "time", -1);
    if (epoch > 1e11) epoch /= 1000.0;
    if (epoch > 0) t = static_cast<TimePoint>(epoch);
  }
  NoteTime(out, t);
  out.occurrences.push_back(std::move(occ));
  return Status::OK();
}

Status ParseV3(element f, const std::string& ptr, const ParseOptions& /*options*/, ParsedReport& out) {
  SB_ASSIGN_OR_RETURN(object fo, json::AsObject(f, ptr));
  const std::string status = ToUpper(json::Str(fo, "Status"));
  const bool held = status == "INFO" || status == "MANUAL";
  if (held) {
    out.skipped_reason = "informational or manual check";
  }
  const std::string check = json::Str(fo, "CheckID");
  if (check.empty()) {
    SkipItem(out, ptr, "finding without CheckID");
    return Status::OK();
  }
  Locator loc;
  loc.provider = ToLower(json::Str(fo, "Provider"));
  if (loc.provider.empty()) loc.provider = "aws";
  loc.account = json::Str(fo, "AccountId");
  loc.region = json::Str(fo, "Region");
  loc.arn = json::Str(fo, "ResourceArn");
  const std::string resource_id = json::Str(fo, "ResourceId");
  if (loc.arn.empty()) loc.arn = resource_id;
  loc.resource = fmt::format("{}/{}", json::Str(fo, "ResourceType"), resource_id);
  const std::size_t scope =
      AddScope(out, "prowler", fmt::format("{}:{}|check:{}", loc.provider, loc.account, check), true);
  Occurrence occ;
  occ.kind = FindingKind::kMisconfiguration;
  occ.scope_index = scope;
  occ.pointer = ptr;
  occ.passed = status == "PASS";
  occ.held = held;
  occ.rule_id = check;
  occ.fingerprint = json::Str(fo, "FindingUniqueId");
  occ.title = json::Str(fo, "CheckTitle");
  occ.description = json::View(fo, "StatusExtended");
  occ.severity = ParseSeverity(json::Str(fo, "Severity")).value_or(Severity::kUnknown);
  occ.layer = loc.provider == "kubernetes" ? Layer::kCluster : Layer::kCloud;
  occ.artifact = fmt::format("{}:{}", loc.provider, loc.arn.empty() ? loc.account : loc.arn);
  occ.locator = loc;
  occ.location = loc.resource;
  if (std::string url = json::StrAt(f, "/Remediation/Recommendation/Url"); !url.empty()) occ.references.push_back(url);
  NoteTime(out, json::TimeOrNull(json::Str(fo, "AssessmentStartTime")));
  out.occurrences.push_back(std::move(occ));
  return Status::OK();
}

}  // namespace

bool DetectProwler(element root) {
  if (IsOcsfFinding(root)) return true;
  if (!root.is_array()) return false;
  for (element f : json::Arr(root)) return IsOcsfFinding(f) || IsV3Finding(f);
  return false;
}

Status ParseProwler(element root, const ParseOptions& options, ParsedReport& out) {
  SB_RETURN_IF_ERROR(ExpectRoot(root, true, true));

  if (root.is_object()) return ParseOcsf(root, "", options, out);
  std::size_t i = 0;
  for (element f : json::Arr(root)) {
    const std::string ptr = json::Child("", i++);
    if (IsOcsfFinding(f)) {
      SB_RETURN_IF_ERROR(ParseOcsf(f, ptr, options, out));
    } else if (IsV3Finding(f)) {
      SB_RETURN_IF_ERROR(ParseV3(f, ptr, options, out));
    } else {
      return Status::SchemaError("expected an OCSF Detection Finding or a Prowler v3 check result")
          .At(Location::Pointer(ptr));
    }
  }
  return Status::OK();
}

}  // namespace secbudget::ingest
