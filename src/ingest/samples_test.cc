// Conformance against real public scanner reports (../shared/data/scans,
// DefectDojo's parser test samples). Every expectation is computed from the
// sample itself with nlohmann::json, independently of the simdjson parsers:
// counts from the format's documented mapping, fields from the item that each
// occurrence's JSON pointer names. A new sample in a known folder needs no new
// C++: the file list is read at start-up.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "common/time.h"
#include "ingest/ingest.h"
#include "model/finding.h"
#include "test_util.h"

namespace secbudget {
namespace {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------
// Lenient accessors on nlohmann documents (a missing key reads as null).

const Json& Null() {
  static const Json kNull;
  return kNull;
}

const Json& Get(const Json& j, const std::string& key) {
  if (!j.is_object()) return Null();
  const auto it = j.find(key);
  return it == j.end() ? Null() : *it;
}

// A pointer relative to `j`; null when any step is missing.
const Json& At(const Json& j, const std::string& pointer) {
  const Json::json_pointer p(pointer);
  return j.contains(p) ? j.at(p) : Null();
}

// Strings as is, numbers and booleans as their JSON text, anything else "".
std::string Text(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number() || j.is_boolean()) return j.dump();
  return {};
}

std::string Str(const Json& j, const std::string& key) { return Text(Get(j, key)); }

// The elements of an array (none for anything else).
const Json& Items(const Json& j) {
  static const Json kEmpty = Json::array();
  return j.is_array() ? j : kEmpty;
}

const Json& Items(const Json& j, const std::string& key) { return Items(Get(j, key)); }

// "/a/b/3" -> "/a" for levels = 2.
std::string ParentPointer(std::string pointer, int levels) {
  for (int i = 0; i < levels; ++i) {
    const size_t slash = pointer.rfind('/');
    pointer = slash == std::string::npos ? std::string() : pointer.substr(0, slash);
  }
  return pointer;
}

// The last `n`-th token of a pointer (n = 0: the last one).
std::string PointerToken(const std::string& pointer, int n) {
  std::string p = ParentPointer(pointer, n);
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::optional<TimePoint> FileTime(const std::string& text) {
  if (text.empty() || StartsWith(text, "0001-01-01")) return std::nullopt;
  auto t = ParseTime(text);
  EXPECT_TRUE(t.ok()) << "the sample's own timestamp does not parse: " << text;
  if (!t.ok()) return std::nullopt;
  return *t;
}

void Latest(std::optional<TimePoint>& acc, std::optional<TimePoint> t) {
  if (t && (!acc || *t > *acc)) acc = t;
}

// A severity word as a report writes it, against the parsed severity. Words
// outside the common scale are not checked.
void ExpectSeverity(const std::string& text, Severity got) {
  std::string want = ToLower(Trim(text));
  if (want == "negligible") want = "low";
  if (want == "informational") want = "info";
  if (want.empty()) want = "unknown";
  static const std::set<std::string> kScale = {"unknown", "info", "low", "medium", "high", "critical"};
  if (kScale.count(want) != 0) {
    EXPECT_EQ(Name(got), want) << "severity text \"" << text << "\"";
  }
}

bool IsEmptyDocument(const Json& doc) { return doc.is_null() || ((doc.is_array() || doc.is_object()) && doc.empty()); }

// What a sample says, counted by the documented mapping. Items that are not
// findings (not affected, suppressed, muted, manual, exceptions, no id) are
// `skipped`; parsers may still report them as held occurrences, which open
// and close nothing (Occurrence::held).
struct Expected {
  std::size_t occurrences = 0;  // findings: occurrences that are not held
  std::size_t passed = 0;       // of which passed = true
  std::size_t skipped = 0;      // items the mapping says are not findings
  // Items that map one-to-one to an occurrence or a skip (nullopt where one
  // item can yield several occurrences).
  std::optional<std::size_t> items;
};

// ---------------------------------------------------------------------------
// Trivy

void CountTrivyResults(const Json& results, Expected& e) {
  for (const Json& r : Items(results)) {
    for (const Json& v : Items(r, "Vulnerabilities")) {
      ++*e.items;
      if (Str(v, "Status") == "not_affected" || Str(v, "VulnerabilityID").empty()) {
        ++e.skipped;
      } else {
        ++e.occurrences;
      }
    }
    for (const Json& m : Items(r, "Misconfigurations")) {
      ++*e.items;
      const std::string status = Str(m, "Status");
      if (status == "EXCEPTION" || (Str(m, "AVDID").empty() && Str(m, "ID").empty())) {
        ++e.skipped;
      } else if (status == "FAIL" || status == "PASS") {
        ++e.occurrences;
        if (status == "PASS") ++e.passed;
      }
      // Other statuses are neither findings nor documented skips: a sample
      // with one fails the occurrence count on purpose.
    }
    for (const Json& s : Items(r, "Secrets")) {
      ++*e.items;
      if (Str(s, "RuleID").empty()) {
        ++e.skipped;
      } else {
        ++e.occurrences;
      }
    }
  }
}

Expected CountTrivy(const Json& doc) {
  Expected e;
  e.items = 0;
  if (doc.is_array()) {
    CountTrivyResults(doc, e);
  } else if (doc.contains("ClusterName")) {
    for (const char* list : {"Resources", "Vulnerabilities", "Misconfigurations"}) {
      for (const Json& res : Items(doc, list)) CountTrivyResults(Get(res, "Results"), e);
    }
  } else {
    CountTrivyResults(Get(doc, "Results"), e);
  }
  return e;
}

std::optional<TimePoint> TrivyTime(const Json& doc) { return FileTime(Str(doc, "CreatedAt")); }

void CheckTrivy(const Json& doc, const ParsedReport& report) {
  for (const Occurrence& occ : report.occurrences) {
    SCOPED_TRACE(occ.pointer);
    const Json& item = At(doc, occ.pointer);
    const std::string list = PointerToken(occ.pointer, 1);
    const std::string status = Str(item, "Status");
    EXPECT_EQ(occ.held, status == "not_affected" || status == "EXCEPTION") << status;
    if (list == "Vulnerabilities") {
      EXPECT_EQ(occ.kind, FindingKind::kVulnerability);
      EXPECT_EQ(occ.vuln_id, Str(item, "VulnerabilityID"));
      EXPECT_EQ(occ.package, Str(item, "PkgName"));
      EXPECT_EQ(occ.installed_version, Str(item, "InstalledVersion"));
      ExpectSeverity(Str(item, "Severity"), occ.severity);
      const std::string fixed = Str(item, "FixedVersion");
      EXPECT_EQ(occ.fix_available, fixed.empty() ? Tri::kNo : Tri::kYes);
      if (!fixed.empty()) {
        // One of the listed versions ("2.15.0, 2.12.2").
        EXPECT_NE(fixed.find(occ.fixed_version), std::string::npos) << fixed;
        EXPECT_FALSE(occ.fixed_version.empty());
      }
      EXPECT_FALSE(occ.passed);
    } else if (list == "Misconfigurations") {
      EXPECT_EQ(occ.kind, FindingKind::kMisconfiguration);
      const std::string avd = Str(item, "AVDID");
      EXPECT_EQ(occ.rule_id, avd.empty() ? Str(item, "ID") : avd);
      EXPECT_EQ(occ.passed, Str(item, "Status") == "PASS");
      EXPECT_EQ(occ.title, Str(item, "Title"));
      ExpectSeverity(Str(item, "Severity"), occ.severity);
    } else {
      ASSERT_EQ(list, "Secrets");
      EXPECT_EQ(occ.kind, FindingKind::kSecret);
      EXPECT_EQ(occ.rule_id, Str(item, "RuleID"));
      ExpectSeverity(Str(item, "Severity"), occ.severity);
    }
    // Cluster reports: the resource the finding belongs to.
    if (doc.is_object() && doc.contains("ClusterName")) {
      const Json& resource = At(doc, ParentPointer(occ.pointer, 4));
      EXPECT_EQ(occ.locator.k8s_namespace, Str(resource, "Namespace"));
      EXPECT_EQ(occ.locator.resource, Str(resource, "Kind") + "/" + Str(resource, "Name"));
      EXPECT_EQ(occ.locator.cluster, Str(doc, "ClusterName"));
    }
  }
}

// ---------------------------------------------------------------------------
// Trivy Operator

std::vector<const Json*> OperatorReports(const Json& doc) {
  std::vector<const Json*> out;
  if (doc.is_object() && StartsWith(Str(doc, "apiVersion"), "aquasecurity.github.io/")) {
    out.push_back(&doc);
  } else if (doc.is_array()) {
    for (const Json& r : doc) out.push_back(&r);
  } else if (doc.is_object() && Get(doc, "items").is_array()) {
    for (const Json& r : Get(doc, "items")) out.push_back(&r);
  } else if (doc.is_object()) {
    for (const auto& [key, list] : doc.items()) {
      for (const Json& r : Items(list)) out.push_back(&r);
    }
  }
  return out;
}

bool IsCheckReport(const std::string& kind) {
  return EndsWith(kind, "ConfigAuditReport") || EndsWith(kind, "RbacAssessmentReport") ||
         EndsWith(kind, "InfraAssessmentReport");
}

Expected CountTrivyOperator(const Json& doc) {
  Expected e;
  e.items = 0;
  for (const Json* rep : OperatorReports(doc)) {
    const std::string kind = Str(*rep, "kind");
    if (kind == "VulnerabilityReport" || kind == "ExposedSecretReport" || IsCheckReport(kind)) {
      const char* list = kind == "VulnerabilityReport"   ? "/report/vulnerabilities"
                         : kind == "ExposedSecretReport" ? "/report/secrets"
                                                         : "/report/checks";
      const char* id = kind == "VulnerabilityReport"   ? "vulnerabilityID"
                       : kind == "ExposedSecretReport" ? "ruleID"
                                                       : "checkID";
      for (const Json& item : Items(At(*rep, list))) {
        ++*e.items;
        if (Str(item, id).empty()) {
          ++e.skipped;
          continue;
        }
        ++e.occurrences;
        if (Get(item, "success") == true) ++e.passed;
      }
    } else if (kind == "ClusterComplianceReport") {
      for (const Json& result : Items(At(*rep, "/status/detailReport/results"))) {
        for (const Json& check : Items(result, "checks")) {
          ++*e.items;
          ++e.occurrences;
          if (Get(check, "success") == true) ++e.passed;
        }
      }
    }
  }
  return e;
}

std::optional<TimePoint> TrivyOperatorTime(const Json& doc) {
  std::optional<TimePoint> latest;
  for (const Json* rep : OperatorReports(doc)) {
    Latest(latest, FileTime(Text(At(*rep, "/report/updateTimestamp"))));
    Latest(latest, FileTime(Text(At(*rep, "/status/updateTimestamp"))));
  }
  return latest;
}

void CheckTrivyOperator(const Json& doc, const ParsedReport& report) {
  for (const Occurrence& occ : report.occurrences) {
    SCOPED_TRACE(occ.pointer);
    const Json& item = At(doc, occ.pointer);
    const std::string list = PointerToken(occ.pointer, 1);
    EXPECT_FALSE(occ.held);
    const bool workload_report = list == "vulnerabilities" || list == "secrets" ||
                                 (list == "checks" && PointerToken(occ.pointer, 2) == "report");
    if (workload_report) {
      const Json& rep = At(doc, ParentPointer(occ.pointer, 3));
      // The workload from the report's labels (a ReplicaSet is named after
      // its Deployment plus a hash).
      const std::string ns = Text(At(rep, "/metadata/labels/trivy-operator.resource.namespace"));
      const std::string kind = Text(At(rep, "/metadata/labels/trivy-operator.resource.kind"));
      const std::string name = Text(At(rep, "/metadata/labels/trivy-operator.resource.name"));
      if (!ns.empty()) {
        EXPECT_EQ(occ.locator.k8s_namespace, ns);
      }
      if (kind == "ReplicaSet") {
        const std::string got = occ.locator.resource.substr(occ.locator.resource.find('/') + 1);
        EXPECT_TRUE(!got.empty() && StartsWith(name, got)) << occ.locator.resource << " for " << name;
      } else if (!kind.empty()) {
        EXPECT_EQ(occ.locator.resource, kind + "/" + name);
      }
      if (list == "vulnerabilities") {
        EXPECT_EQ(occ.kind, FindingKind::kVulnerability);
        EXPECT_EQ(occ.vuln_id, Str(item, "vulnerabilityID"));
        EXPECT_EQ(occ.package, Str(item, "resource"));
        EXPECT_EQ(occ.installed_version, Str(item, "installedVersion"));
        EXPECT_EQ(occ.fixed_version, Str(item, "fixedVersion"));
        ExpectSeverity(Str(item, "severity"), occ.severity);
        EXPECT_EQ(occ.locator.image_tag, Text(At(rep, "/report/artifact/tag")));
      } else if (list == "secrets") {
        EXPECT_EQ(occ.kind, FindingKind::kSecret);
        EXPECT_EQ(occ.rule_id, Str(item, "ruleID"));
        EXPECT_EQ(occ.locator.path, Str(item, "target"));
      } else {
        EXPECT_EQ(occ.kind, FindingKind::kMisconfiguration);
        EXPECT_EQ(occ.rule_id, Str(item, "checkID"));
        EXPECT_EQ(occ.passed, Get(item, "success") == true);
        EXPECT_EQ(occ.title, Str(item, "title"));
        ExpectSeverity(Str(item, "severity"), occ.severity);
      }
    } else {
      // ClusterComplianceReport: .../status/detailReport/results/<i>/checks/<j>.
      ASSERT_EQ(list, "checks");
      const Json& result = At(doc, ParentPointer(occ.pointer, 2));
      const std::string check_id = Str(item, "checkID");
      EXPECT_EQ(occ.kind, FindingKind::kMisconfiguration);
      EXPECT_EQ(occ.rule_id, check_id.empty() ? Str(result, "id") : Str(result, "id") + "/" + check_id);
      EXPECT_EQ(occ.passed, Get(item, "success") == true);
      const std::string severity = Str(item, "severity");
      ExpectSeverity(severity.empty() ? Str(result, "severity") : severity, occ.severity);
    }
  }
}

// ---------------------------------------------------------------------------
// Grype

Expected CountGrype(const Json& doc) {
  Expected e;
  e.items = 0;
  for (const Json& m : Items(doc, "matches")) {
    ++*e.items;
    if (Text(At(m, "/vulnerability/id")).empty()) {
      ++e.skipped;
    } else {
      ++e.occurrences;
    }
  }
  return e;
}

std::optional<TimePoint> GrypeTime(const Json& doc) { return FileTime(Text(At(doc, "/descriptor/timestamp"))); }

void CheckGrype(const Json& doc, const ParsedReport& report) {
  for (const Occurrence& occ : report.occurrences) {
    SCOPED_TRACE(occ.pointer);
    const Json& m = At(doc, occ.pointer);
    EXPECT_EQ(occ.kind, FindingKind::kVulnerability);
    EXPECT_FALSE(occ.held);
    EXPECT_EQ(occ.vuln_id, Text(At(m, "/vulnerability/id")));
    EXPECT_EQ(occ.package, Text(At(m, "/artifact/name")));
    EXPECT_EQ(occ.installed_version, Text(At(m, "/artifact/version")));
    EXPECT_EQ(occ.purl, Text(At(m, "/artifact/purl")));
    ExpectSeverity(Text(At(m, "/vulnerability/severity")), occ.severity);
    for (const Json& related : Items(m, "relatedVulnerabilities")) {
      const std::string id = Str(related, "id");
      if (!id.empty()) {
        EXPECT_NE(std::find(occ.aliases.begin(), occ.aliases.end(), id), occ.aliases.end()) << id;
      }
    }
    const Json& versions = At(m, "/vulnerability/fix/versions");
    const std::string state = Text(At(m, "/vulnerability/fix/state"));
    if (state == "fixed") {
      EXPECT_EQ(occ.fix_available, Tri::kYes);
      bool listed = Items(versions).empty();
      for (const Json& v : Items(versions)) listed = listed || Text(v) == occ.fixed_version;
      EXPECT_TRUE(listed) << occ.fixed_version << " not in " << versions.dump();
    } else if ((state == "not-fixed" || state == "wont-fix") && Items(versions).empty()) {
      EXPECT_EQ(occ.fix_available, Tri::kNo);
      EXPECT_EQ(occ.fixed_version, "");
    }
  }
}

// ---------------------------------------------------------------------------
// SARIF

// The rule id a result states (ruleId, rule.id, or the driver rule at
// ruleIndex / rule.index); "" when it states none.
std::string SarifRuleId(const Json& run, const Json& result) {
  std::string id = Str(result, "ruleId");
  if (id.empty()) id = Text(At(result, "/rule/id"));
  if (!id.empty()) return id;
  const Json& index = Get(result, "ruleIndex").is_number() ? Get(result, "ruleIndex") : At(result, "/rule/index");
  if (index.is_number_integer()) {
    const Json& rules = Items(At(run, "/tool/driver/rules"));
    const auto i = index.get<long long>();
    if (i >= 0 && static_cast<std::size_t>(i) < rules.size()) return Str(rules[static_cast<std::size_t>(i)], "id");
  }
  return {};
}

// Rule ids a run declares (driver and extensions).
std::set<std::string> SarifDeclaredRules(const Json& run) {
  std::set<std::string> ids;
  for (const Json& r : Items(At(run, "/tool/driver/rules"))) ids.insert(Str(r, "id"));
  for (const Json& ext : Items(At(run, "/tool/extensions"))) {
    for (const Json& r : Items(ext, "rules")) ids.insert(Str(r, "id"));
  }
  ids.erase("");
  return ids;
}

// SARIF 2.1.0 3.35.3: a suppression whose status is absent or "accepted"
// is in effect.
bool SarifSuppressed(const Json& result) {
  for (const Json& s : Items(result, "suppressions")) {
    const std::string status = Str(s, "status");
    if (status.empty() || status == "accepted") return true;
  }
  return false;
}

// The rule object a run declares for `id` (null when none).
const Json& SarifRule(const Json& run, const std::string& id) {
  for (const Json& r : Items(At(run, "/tool/driver/rules"))) {
    if (Str(r, "id") == id) return r;
  }
  for (const Json& ext : Items(At(run, "/tool/extensions"))) {
    for (const Json& r : Items(ext, "rules")) {
      if (Str(r, "id") == id) return r;
    }
  }
  return Null();
}

// properties["security-severity"] (a number, or a string holding one).
std::optional<double> SecuritySeverity(const Json& el) {
  const Json& v = At(el, "/properties/security-severity");
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string text = v.get<std::string>();
  double d = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return d;
}

// The severity SARIF's documented mapping gives a result ("" when it gives
// none to check).
std::string SarifSeverity(const Json& result, const Json& rule) {
  std::optional<double> score = SecuritySeverity(result);
  if (!score) score = SecuritySeverity(rule);
  if (score) {
    if (*score >= 9) return "critical";
    if (*score >= 7) return "high";
    if (*score >= 4) return "medium";
    return *score > 0 ? "low" : "";
  }
  std::string level = Str(result, "level");
  if (level.empty()) level = Text(At(rule, "/defaultConfiguration/level"));
  if (level == "error") return "high";
  if (level == "note") return "low";
  if (level == "none") return "info";
  return "medium";  // "warning", SARIF's default
}

// A result naming no rule is kept when its message starts with a declared
// rule id (old gitleaks SARIF), skipped otherwise.
bool SarifHasRule(const Json& run, const Json& result) {
  if (!SarifRuleId(run, result).empty()) return true;
  const std::string text = Text(At(result, "/message/text"));
  for (const std::string& id : SarifDeclaredRules(run)) {
    if (StartsWith(text, id)) return true;
  }
  return false;
}

Expected CountSarif(const Json& doc) {
  Expected e;
  e.items = 0;
  for (const Json& run : Items(doc, "runs")) {
    for (const Json& result : Items(run, "results")) {
      ++*e.items;
      if (SarifSuppressed(result) || !SarifHasRule(run, result)) {
        ++e.skipped;
      } else {
        ++e.occurrences;
        if (Str(result, "baselineState") == "absent") ++e.passed;
      }
    }
  }
  return e;
}

std::optional<TimePoint> SarifTime(const Json& doc) {
  std::optional<TimePoint> latest;
  for (const Json& run : Items(doc, "runs")) {
    std::optional<TimePoint> t = FileTime(Text(At(run, "/invocations/0/endTimeUtc")));
    if (!t) t = FileTime(Text(At(run, "/invocations/0/startTimeUtc")));
    Latest(latest, t);
  }
  return latest;
}

void CheckSarif(const Json& doc, const ParsedReport& report) {
  for (const Occurrence& occ : report.occurrences) {
    SCOPED_TRACE(occ.pointer);
    const Json& result = At(doc, occ.pointer);
    const Json& run = At(doc, ParentPointer(occ.pointer, 2));
    const std::string rule = SarifRuleId(run, result);
    if (!rule.empty()) {
      EXPECT_EQ(occ.rule_id, rule);
    } else {
      EXPECT_TRUE(StartsWith(Text(At(result, "/message/text")), occ.rule_id)) << occ.rule_id;
      EXPECT_EQ(SarifDeclaredRules(run).count(occ.rule_id), 1u) << occ.rule_id;
    }
    EXPECT_EQ(occ.locator.path, Text(At(result, "/locations/0/physicalLocation/artifactLocation/uri")));
    const long long line = At(result, "/locations/0/physicalLocation/region/startLine").is_number_integer()
                               ? At(result, "/locations/0/physicalLocation/region/startLine").get<long long>()
                               : 0;
    if (line > 0 && !occ.locator.path.empty()) {
      EXPECT_EQ(occ.location, occ.locator.path + ":" + std::to_string(line));
    }
    EXPECT_EQ(occ.passed, Str(result, "baselineState") == "absent");
    EXPECT_EQ(occ.held, SarifSuppressed(result));
    if (const std::string severity = SarifSeverity(result, SarifRule(run, occ.rule_id)); !severity.empty()) {
      EXPECT_EQ(Name(occ.severity), severity);
    }
    // Every usable fingerprint the tool gives is part of ours.
    for (const char* key : {"fingerprints", "partialFingerprints"}) {
      const Json& fps = Get(result, key);
      if (!fps.is_object()) continue;
      for (const auto& [name, value] : fps.items()) {
        const std::string text = Text(value);
        if (!value.is_string() || text.empty() || IEquals(text, "requires login")) {
          continue;
        }
        EXPECT_NE(occ.fingerprint.find(name + "=" + text), std::string::npos) << occ.fingerprint;
      }
      break;
    }
    EXPECT_FALSE(occ.fingerprint.empty());
    if (IStartsWith(occ.rule_id, "CVE-") || IStartsWith(occ.rule_id, "GHSA-")) {
      EXPECT_EQ(occ.kind, FindingKind::kVulnerability);
      EXPECT_EQ(occ.vuln_id, occ.rule_id);
    }
    const std::string driver = Text(At(run, "/tool/driver/name"));
    ASSERT_LT(occ.scope_index, report.scopes.size());
    EXPECT_EQ(report.scopes[occ.scope_index].scanner, "sarif:" + ToLower(driver));
  }
}

// ---------------------------------------------------------------------------
// ASFF

const Json& AsffFindings(const Json& doc) {
  if (doc.is_array()) return doc;
  for (const char* key : {"Findings", "findings"}) {
    if (Get(doc, key).is_array()) return Get(doc, key);
  }
  return Items(Null());
}

bool AsffPassed(const Json& f) {
  return Text(At(f, "/Compliance/Status")) == "PASSED" || Str(f, "RecordState") == "ARCHIVED" ||
         Text(At(f, "/Workflow/Status")) == "RESOLVED";
}

// No verdict: suppressed in Security Hub, or a check that could not be
// evaluated (Compliance.Status INFOED or NOT_AVAILABLE).
bool AsffHeld(const Json& f) {
  const std::string compliance = Text(At(f, "/Compliance/Status"));
  return !AsffPassed(f) &&
         (Text(At(f, "/Workflow/Status")) == "SUPPRESSED" || compliance == "INFOED" || compliance == "NOT_AVAILABLE");
}

Expected CountAsff(const Json& doc) {
  Expected e;
  const Json& findings = doc.is_object() && doc.contains("Id") ? Json::array({doc}) : AsffFindings(doc);
  for (const Json& f : findings) {
    if (Str(f, "Id").empty()) {
      ++e.skipped;
      continue;
    }
    if (AsffHeld(f)) {
      ++e.skipped;  // suppressed in Security Hub: held, not a finding
      continue;
    }
    std::size_t produced = 0;
    if (!Items(f, "Vulnerabilities").empty()) {
      for (const Json& v : Items(f, "Vulnerabilities")) {
        if (Str(v, "Id").empty()) {
          ++e.skipped;
          continue;
        }
        std::size_t packages = 0;
        for (const Json& p : Items(v, "VulnerablePackages")) packages += p.is_object() ? 1 : 0;
        // A vulnerability without packages is one finding on the resource.
        produced += Items(v, "VulnerablePackages").empty() ? 1 : packages;
      }
    } else {
      produced = 1;
    }
    e.occurrences += produced;
    if (AsffPassed(f)) e.passed += produced;
  }
  return e;
}

std::optional<TimePoint> AsffTime(const Json& doc) {
  std::optional<TimePoint> latest;
  const Json& findings = doc.is_object() && doc.contains("Id") ? Json::array({doc}) : AsffFindings(doc);
  for (const Json& f : findings) Latest(latest, FileTime(Str(f, "UpdatedAt")));
  return latest;
}

void CheckAsff(const Json& doc, const ParsedReport& report) {
  // "package|installed|fixed" reported per vulnerability, in order.
  std::map<std::string, std::vector<std::string>> packages;
  for (const Occurrence& occ : report.occurrences) {
    SCOPED_TRACE(occ.pointer);
    const bool is_vuln = PointerToken(occ.pointer, 1) == "Vulnerabilities";
    const Json& f = At(doc, is_vuln ? ParentPointer(occ.pointer, 2) : occ.pointer);
    EXPECT_EQ(occ.fingerprint, Str(f, "Id"));
    EXPECT_EQ(occ.passed, AsffPassed(f));
    EXPECT_EQ(occ.held, AsffHeld(f));
    if (Text(At(f, "/Severity/Label")) != "") ExpectSeverity(Text(At(f, "/Severity/Label")), occ.severity);
    EXPECT_EQ(occ.locator.arn, Text(At(f, "/Resources/0/Id")));
    EXPECT_EQ(occ.locator.account, Str(f, "AwsAccountId"));
    EXPECT_EQ(occ.title, Str(f, "Title"));
    if (is_vuln) {
      const Json& v = At(doc, occ.pointer);
      EXPECT_EQ(occ.kind, FindingKind::kVulnerability);
      EXPECT_EQ(occ.vuln_id, Str(v, "Id"));
      packages[occ.pointer].push_back(occ.package + "|" + occ.installed_version + "|" + occ.fixed_version);
    } else {
      bool threat = false;
      for (const Json& t : Items(f, "Types")) {
        const std::string type = Text(t);
        threat = threat || StartsWith(type, "TTPs/") || StartsWith(type, "Effects/") ||
                 StartsWith(type, "Unusual Behaviors/");
      }
      EXPECT_EQ(occ.kind, threat ? FindingKind::kThreat : FindingKind::kMisconfiguration);
      const std::string control = Text(At(f, "/ProductFields/ControlId"));
      EXPECT_EQ(occ.rule_id, control.empty() ? Str(f, "GeneratorId") : control);
    }
  }
  for (const auto& [pointer, got] : packages) {
    SCOPED_TRACE(pointer);
    std::vector<std::string> want;
    for (const Json& p : Items(At(doc, pointer), "VulnerablePackages")) {
      if (!p.is_object()) continue;
      const std::string release = Str(p, "Release");
      want.push_back(Str(p, "Name") + "|" + Str(p, "Version") + (release.empty() ? "" : "-" + release) + "|" +
                     Str(p, "FixedInVersion"));
    }
    if (!want.empty()) {
      EXPECT_EQ(got, want);
    } else {
      EXPECT_EQ(got.size(), 1u);
    }
  }
}

// ---------------------------------------------------------------------------
// Prowler (OCSF and v3)

bool IsOcsf(const Json& f) { return f.contains("finding_info") && f.contains("metadata"); }

// OCSF: status_code MANUAL, or muted (status "Suppressed"); v3: INFO, MANUAL.
bool ProwlerSkipped(const Json& f) {
  if (IsOcsf(f)) return ToUpper(Str(f, "status_code")) == "MANUAL" || IEquals(Str(f, "status"), "Suppressed");
  const std::string status = ToUpper(Str(f, "Status"));
  return status == "INFO" || status == "MANUAL";
}

Expected CountProwler(const Json& doc) {
  Expected e;
  e.items = 0;
  const Json& findings = doc.is_object() ? Json::array({doc}) : doc;
  for (const Json& f : Items(findings)) {
    ++*e.items;
    if (ProwlerSkipped(f)) {
      ++e.skipped;
      continue;
    }
    ++e.occurrences;
    if (ToUpper(Str(f, IsOcsf(f) ? "status_code" : "Status")) == "PASS") ++e.passed;
  }
  return e;
}

std::optional<TimePoint> ProwlerTime(const Json& doc) {
  std::optional<TimePoint> latest;
  const Json& findings = doc.is_object() ? Json::array({doc}) : doc;
  for (const Json& f : Items(findings)) {
    // Skipped items (MANUAL, muted) do not date the report.
    if (ProwlerSkipped(f)) continue;
    if (!IsOcsf(f)) {
      Latest(latest, FileTime(Str(f, "AssessmentStartTime")));
      continue;
    }
    // time_dt (Prowler 4.5+), event_time (earlier OCSF output), else time
    // (epoch seconds as Prowler writes it).
    std::optional<TimePoint> t = FileTime(Str(f, "time_dt"));
    if (!t) t = FileTime(Str(f, "event_time"));
    if (!t && Get(f, "time").is_number_integer()) t = Get(f, "time").get<TimePoint>();
    Latest(latest, t);
  }
  return latest;
}

void CheckProwler(const Json& doc, const ParsedReport& report) {
  for (const Occurrence& occ : report.occurrences) {
    SCOPED_TRACE(occ.pointer);
    const Json& f = At(doc, occ.pointer);
    EXPECT_EQ(occ.kind, FindingKind::kMisconfiguration);
    EXPECT_EQ(occ.held, ProwlerSkipped(f));
    if (IsOcsf(f)) {
      EXPECT_EQ(occ.fingerprint, Text(At(f, "/finding_info/uid")));
      EXPECT_EQ(occ.rule_id, Text(At(f, "/metadata/event_code")));
      EXPECT_EQ(occ.title, Text(At(f, "/finding_info/title")));
      EXPECT_EQ(occ.passed, ToUpper(Str(f, "status_code")) == "PASS");
      EXPECT_EQ(occ.locator.arn, Text(At(f, "/resources/0/uid")));
      ExpectSeverity(Str(f, "severity"), occ.severity);
    } else {
      EXPECT_EQ(occ.fingerprint, Str(f, "FindingUniqueId"));
      EXPECT_EQ(occ.rule_id, Str(f, "CheckID"));
      EXPECT_EQ(occ.title, Str(f, "CheckTitle"));
      EXPECT_EQ(occ.passed, ToUpper(Str(f, "Status")) == "PASS");
      EXPECT_EQ(occ.locator.account, Str(f, "AccountId"));
      ExpectSeverity(Str(f, "Severity"), occ.severity);
    }
  }
}

// ---------------------------------------------------------------------------
// Kubescape

std::string KubescapeStatus(const Json& control) {
  const Json& status = Get(control, "status");
  return status.is_object() ? Str(status, "status") : Text(status);
}

Expected CountKubescape(const Json& doc) {
  Expected e;
  e.items = 0;
  for (const Json& r : Items(doc, "results")) {
    for (const Json& c : Items(r, "controls")) {
      ++*e.items;
      const std::string status = KubescapeStatus(c);
      if ((status != "failed" && status != "passed") || Str(c, "controlID").empty()) {
        ++e.skipped;
        continue;
      }
      ++e.occurrences;
      if (status == "passed") ++e.passed;
    }
  }
  return e;
}

std::optional<TimePoint> KubescapeTime(const Json& doc) { return FileTime(Str(doc, "generationTime")); }

void CheckKubescape(const Json& doc, const ParsedReport& report) {
  for (const Occurrence& occ : report.occurrences) {
    SCOPED_TRACE(occ.pointer);
    const Json& c = At(doc, occ.pointer);
    const Json& r = At(doc, ParentPointer(occ.pointer, 2));
    EXPECT_EQ(occ.kind, FindingKind::kMisconfiguration);
    EXPECT_EQ(occ.rule_id, Str(c, "controlID"));
    EXPECT_EQ(occ.title, Str(c, "name"));
    EXPECT_EQ(occ.fingerprint, Str(r, "resourceID"));
    EXPECT_EQ(occ.passed, KubescapeStatus(c) == "passed");
    EXPECT_EQ(occ.held, KubescapeStatus(c) != "passed" && KubescapeStatus(c) != "failed");
    EXPECT_EQ(occ.layer, Layer::kCluster);
  }
}

// ---------------------------------------------------------------------------
// OSV-Scanner

Expected CountOsv(const Json& doc) {
  Expected e;
  e.items = 0;
  for (const Json& r : Items(doc, "results")) {
    for (const Json& p : Items(r, "packages")) {
      for (const Json& v : Items(p, "vulnerabilities")) {
        ++*e.items;
        if (Str(v, "id").empty()) {
          ++e.skipped;
        } else {
          ++e.occurrences;
        }
      }
    }
  }
  return e;
}

std::optional<TimePoint> OsvTime(const Json& /*doc*/) { return std::nullopt; }  // the format has none

void CheckOsv(const Json& doc, const ParsedReport& report) {
  for (const Occurrence& occ : report.occurrences) {
    SCOPED_TRACE(occ.pointer);
    const Json& v = At(doc, occ.pointer);
    const Json& p = At(doc, ParentPointer(occ.pointer, 2));
    const Json& r = At(doc, ParentPointer(occ.pointer, 4));
    EXPECT_EQ(occ.kind, FindingKind::kVulnerability);
    EXPECT_FALSE(occ.held);
    EXPECT_EQ(occ.vuln_id, Str(v, "id"));
    EXPECT_EQ(occ.package, Text(At(p, "/package/name")));
    EXPECT_EQ(occ.installed_version, Text(At(p, "/package/version")));
    EXPECT_EQ(occ.title, Str(v, "summary"));
    EXPECT_EQ(occ.locator.path, Text(At(r, "/source/path")));
    for (const Json& alias : Items(v, "aliases")) {
      EXPECT_NE(std::find(occ.aliases.begin(), occ.aliases.end(), Text(alias)), occ.aliases.end()) << alias.dump();
    }
    ASSERT_LT(occ.scope_index, report.scopes.size());
    EXPECT_EQ(report.scopes[occ.scope_index].target, "path:" + Text(At(r, "/source/path")));
  }
}

// ---------------------------------------------------------------------------
// The table of formats and the parameterised test.

struct FormatSpec {
  std::string folder;  // under scans/
  std::string name;    // ParsedReport::format
  Expected (*count)(const Json&);
  std::optional<TimePoint> (*time)(const Json&);
  void (*check)(const Json&, const ParsedReport&);
};

const std::vector<FormatSpec>& Specs() {
  static const std::vector<FormatSpec> kSpecs = {
      {"trivy", "trivy", CountTrivy, TrivyTime, CheckTrivy},
      {"trivy_operator", "trivy-operator", CountTrivyOperator, TrivyOperatorTime, CheckTrivyOperator},
      {"grype", "grype", CountGrype, GrypeTime, CheckGrype},
      {"sarif", "sarif", CountSarif, SarifTime, CheckSarif},
      {"asff", "asff", CountAsff, AsffTime, CheckAsff},
      {"prowler", "prowler", CountProwler, ProwlerTime, CheckProwler},
      {"kubescape", "kubescape", CountKubescape, KubescapeTime, CheckKubescape},
      {"osv_scanner", "osv-scanner", CountOsv, OsvTime, CheckOsv},
  };
  return kSpecs;
}

// Formats secbudget does not read: they must not be mistaken for one it does.
const std::vector<std::string>& ForeignFolders() {
  static const std::vector<std::string> kFolders = {"checkov",   "gitleaks",         "semgrep",   "snyk",
                                                    "npm_audit", "npm_audit_7_plus", "kube_bench"};
  return kFolders;
}

struct Sample {
  std::size_t spec = 0;  // index into Specs()
  std::string path;
};

void PrintTo(const Sample& s, std::ostream* os) { *os << s.path; }

std::vector<std::string> FilesIn(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(testing::SharedDataDir() + "/scans/" + folder, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Sample> AllSamples() {
  std::vector<Sample> out;
  for (std::size_t i = 0; i < Specs().size(); ++i) {
    for (auto& f : FilesIn(Specs()[i].folder)) out.push_back(Sample{i, std::move(f)});
  }
  return out;
}

std::string TestName(const ::testing::TestParamInfo<Sample>& info) {
  std::string name = Specs()[info.param.spec].folder + "_" + std::filesystem::path(info.param.path).filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

Json LoadJson(const std::string& bytes) { return Json::parse(bytes); }

class SamplesConformance : public ::testing::TestWithParam<Sample> {};

TEST_P(SamplesConformance, CountsFieldsAndTime) {
  SB_REQUIRE_SHARED_DATA();
  const FormatSpec& spec = Specs()[GetParam().spec];
  const std::string& path = GetParam().path;
  auto bytes = ReadFile(path);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  const Json doc = LoadJson(*bytes);

  ReportParser parser;
  ParseOptions options;
  options.file = path;
  auto report = parser.Parse(*bytes, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();

  if (IsEmptyDocument(doc)) {
    // `null`, `[]`, `{}`: nothing says which scanner wrote them.
    EXPECT_EQ(report->format, "empty");
    EXPECT_TRUE(report->occurrences.empty());
    EXPECT_FALSE(report->warnings.empty());
    EXPECT_EQ(report->skipped, 0u);
    return;
  }
  EXPECT_EQ(report->format, spec.name);
  auto detected = parser.Detect(*bytes, path);
  ASSERT_TRUE(detected.ok());
  EXPECT_EQ(*detected, spec.name);

  const Expected want = spec.count(doc);
  std::size_t findings = 0, passed = 0, held = 0;
  for (const Occurrence& occ : report->occurrences) {
    if (occ.held) {
      ++held;
      EXPECT_FALSE(occ.passed) << occ.pointer << ": held occurrences close nothing";
    } else {
      ++findings;
      passed += occ.passed ? 1 : 0;
    }
  }
  EXPECT_EQ(findings, want.occurrences);
  EXPECT_EQ(passed, want.passed);
  EXPECT_EQ(report->skipped, want.skipped);
  EXPECT_LE(held, report->skipped);  // held ones are counted as skipped
  if (want.items) {
    EXPECT_EQ(findings + report->skipped, *want.items);
  }
  if (report->skipped > 0) {
    EXPECT_FALSE(report->skipped_reason.empty());
  }

  const std::optional<TimePoint> time = spec.time(doc);
  if (time) {
    ASSERT_TRUE(report->scan_time.has_value()) << "expected " << FormatTime(*time);
    EXPECT_EQ(FormatTime(*report->scan_time), FormatTime(*time));
  } else {
    EXPECT_FALSE(report->scan_time.has_value()) << FormatTime(report->scan_time.value_or(0));
  }

  // Every occurrence points at an item of the sample and lies in a scope.
  for (const Occurrence& occ : report->occurrences) {
    EXPECT_TRUE(doc.contains(Json::json_pointer(occ.pointer))) << occ.pointer;
    EXPECT_LT(occ.scope_index, report->scopes.size());
  }
  spec.check(doc, *report);
}

INSTANTIATE_TEST_SUITE_P(Samples, SamplesConformance, ::testing::ValuesIn(AllSamples()), TestName);
// Without ../shared/data the list is empty: that is a skip, not an error.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SamplesConformance);

TEST(SamplesFolders, EveryFormatHasSamples) {
  SB_REQUIRE_SHARED_DATA();
  for (const FormatSpec& spec : Specs()) {
    EXPECT_FALSE(FilesIn(spec.folder).empty()) << spec.folder;
  }
  for (const std::string& folder : ForeignFolders()) {
    EXPECT_FALSE(FilesIn(folder).empty()) << folder;
  }
}

TEST(SamplesForeign, OtherFormatsAreNotMisdetected) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  std::size_t checked = 0;
  for (const std::string& folder : ForeignFolders()) {
    for (const std::string& path : FilesIn(folder)) {
      SCOPED_TRACE(path);
      auto bytes = ReadFile(path);
      ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
      const Json doc = LoadJson(*bytes);
      auto detected = parser.Detect(*bytes, path);
      ASSERT_TRUE(detected.ok()) << detected.status().ToString();
      EXPECT_EQ(*detected, "");
      ParseOptions options;
      options.file = path;
      auto report = parser.Parse(*bytes, options);
      if (IsEmptyDocument(doc)) {
        ASSERT_TRUE(report.ok()) << report.status().ToString();
        EXPECT_EQ(report->format, "empty");
        EXPECT_TRUE(report->occurrences.empty());
      } else {
        ASSERT_FALSE(report.ok()) << "read as " << report->format;
        EXPECT_EQ(report.status().code(), StatusCode::kUnknownFormat) << report.status().ToString();
        EXPECT_EQ(report.status().location().file, path);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
}

// Hand-picked spot checks named in the brief, values read from the sample.

struct Loaded {
  Json doc;
  ParsedReport report;
};

// Parses a sample (in `parser`, which must outlive the report's views).
std::optional<Loaded> Load(ReportParser& parser, const std::string& relative) {
  const std::string path = testing::SharedDataDir() + "/scans/" + relative;
  auto bytes = ReadFile(path);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return std::nullopt;
  ParseOptions options;
  options.file = path;
  auto report = parser.Parse(*bytes, options);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  if (!report.ok()) return std::nullopt;
  return Loaded{LoadJson(*bytes), std::move(report).value()};
}

TEST(SamplesSpotCheck, TrivySchemeTwoFirstVulnerability) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "trivy/scheme_2_many_vulns.json");
  ASSERT_TRUE(loaded);
  const Json& first = loaded->doc.at(Json::json_pointer("/Results/0/Vulnerabilities/0"));
  ASSERT_FALSE(loaded->report.occurrences.empty());
  const Occurrence& occ = loaded->report.occurrences.front();
  EXPECT_EQ(occ.pointer, "/Results/0/Vulnerabilities/0");
  EXPECT_EQ(occ.vuln_id, first.at("VulnerabilityID").get<std::string>());
  EXPECT_EQ(occ.package, first.at("PkgName").get<std::string>());
  EXPECT_EQ(occ.installed_version, first.at("InstalledVersion").get<std::string>());
  EXPECT_EQ(Name(occ.severity), ToLower(first.at("Severity").get<std::string>()));
  EXPECT_EQ(loaded->report.scopes.at(occ.scope_index).scanner, "trivy");
}

TEST(SamplesSpotCheck, TrivyStatusesSkipNotAffected) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "trivy/all_statuses.json");
  ASSERT_TRUE(loaded);
  std::size_t not_affected = 0;
  for (const Json& v : Items(loaded->doc.at(Json::json_pointer("/Results/0/Vulnerabilities")))) {
    not_affected += Str(v, "Status") == "not_affected" ? 1 : 0;
  }
  ASSERT_GT(not_affected, 0u);
  EXPECT_EQ(loaded->report.skipped, not_affected);
  // A not_affected entry is no finding: at most held (it opens and closes nothing).
  for (const Occurrence& occ : loaded->report.occurrences) {
    const bool is_not_affected = Text(At(loaded->doc, occ.pointer + "/Status")) == "not_affected";
    EXPECT_EQ(occ.held, is_not_affected) << occ.pointer;
  }
}

TEST(SamplesSpotCheck, GrypeCheckAllFields) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "grype/check_all_fields.json");
  ASSERT_TRUE(loaded);
  const Json& matches = loaded->doc.at("matches");
  ASSERT_EQ(loaded->report.occurrences.size(), matches.size());
  for (std::size_t i = 0; i < matches.size(); ++i) {
    const Occurrence& occ = loaded->report.occurrences[i];
    EXPECT_EQ(occ.vuln_id, matches[i].at("vulnerability").at("id").get<std::string>());
    EXPECT_EQ(occ.package, matches[i].at("artifact").at("name").get<std::string>());
    EXPECT_EQ(occ.installed_version, matches[i].at("artifact").at("version").get<std::string>());
  }
  // An image source: the scope is the image.
  EXPECT_EQ(loaded->doc.at("source").at("type"), "image");
  EXPECT_TRUE(StartsWith(loaded->report.scopes.at(0).target, "image:")) << loaded->report.scopes.at(0).target;
}

TEST(SamplesSpotCheck, SarifSuppressionsAreSkipped) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "sarif/suppression_test.sarif");
  ASSERT_TRUE(loaded);
  const Json& results = loaded->doc.at(Json::json_pointer("/runs/0/results"));
  std::vector<std::string> kept;
  for (const Json& r : results) {
    if (!SarifSuppressed(r)) kept.push_back(Str(r, "ruleId"));
  }
  ASSERT_LT(kept.size(), results.size());
  std::vector<std::string> got;
  for (const Occurrence& occ : loaded->report.occurrences) {
    if (!occ.held) got.push_back(occ.rule_id);
  }
  EXPECT_EQ(got, kept);
  EXPECT_EQ(loaded->report.skipped, results.size() - kept.size());
}

TEST(SamplesSpotCheck, SarifFirstResultRuleAndUri) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "sarif/codeQL-output.sarif");
  ASSERT_TRUE(loaded);
  const Json& first = loaded->doc.at(Json::json_pointer("/runs/0/results/0"));
  ASSERT_FALSE(loaded->report.occurrences.empty());
  const Occurrence& occ = loaded->report.occurrences.front();
  EXPECT_EQ(occ.rule_id, first.at("ruleId").get<std::string>());
  EXPECT_EQ(occ.locator.path,
            first.at(Json::json_pointer("/locations/0/physicalLocation/artifactLocation/uri")).get<std::string>());
  EXPECT_EQ(loaded->report.scopes.at(occ.scope_index).scanner, "sarif:codeql");
}

TEST(SamplesSpotCheck, AsffPassedAndFingerprint) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "asff/config_many_findings.json");
  ASSERT_TRUE(loaded);
  const Json& findings = loaded->doc.at("findings");
  ASSERT_EQ(loaded->report.occurrences.size(), findings.size());
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const Occurrence& occ = loaded->report.occurrences[i];
    EXPECT_EQ(occ.fingerprint, findings[i].at("Id").get<std::string>());
    EXPECT_EQ(occ.passed, findings[i].at("Compliance").at("Status") == "PASSED");
  }
}

TEST(SamplesSpotCheck, AsffInspectorEcrOneOccurrencePerPackage) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "asff/inspector_ecr.json");
  ASSERT_TRUE(loaded);
  std::size_t want = 0;
  for (const Json& f : loaded->doc.at("Findings")) {
    for (const Json& v : f.at("Vulnerabilities")) want += v.at("VulnerablePackages").size();
  }
  EXPECT_EQ(loaded->report.occurrences.size(), want);
  // ECR images become registry/repository images.
  const Json& ecr = loaded->doc.at(Json::json_pointer("/Findings/0/Resources/0/Details/AwsEcrContainerImage"));
  const Occurrence& occ = loaded->report.occurrences.at(0);
  const std::string repository = ToLower(ecr.at("RepositoryName").get<std::string>());
  const std::string registry = ecr.at("RegistryId").get<std::string>();
  EXPECT_TRUE(EndsWith(occ.locator.image, "/" + repository)) << occ.locator.image;
  EXPECT_TRUE(StartsWith(occ.locator.image, registry + ".dkr.ecr.")) << occ.locator.image;
}

TEST(SamplesSpotCheck, ProwlerOcsfFingerprintAndRule) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "prowler/one_vuln.ocsf.json");
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->report.occurrences.size(), 1u);
  const Json& f = loaded->doc.at(0);
  EXPECT_EQ(loaded->report.occurrences[0].fingerprint, f.at("finding_info").at("uid").get<std::string>());
  EXPECT_EQ(loaded->report.occurrences[0].rule_id, f.at("metadata").at("event_code").get<std::string>());
}

TEST(SamplesSpotCheck, OsvFirstEntry) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "osv_scanner/many_findings.json");
  ASSERT_TRUE(loaded);
  const Json& pkg = loaded->doc.at(Json::json_pointer("/results/0/packages/0"));
  ASSERT_FALSE(loaded->report.occurrences.empty());
  EXPECT_EQ(loaded->report.occurrences[0].vuln_id, pkg.at("vulnerabilities").at(0).at("id").get<std::string>());
  EXPECT_EQ(loaded->report.occurrences[0].package, pkg.at("package").at("name").get<std::string>());
  EXPECT_FALSE(loaded->report.scan_time.has_value());
}

TEST(SamplesSpotCheck, KubescapeFailedControls) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "kubescape/with_a_failure.json");
  ASSERT_TRUE(loaded);
  std::vector<std::string> failed;
  for (const Json& r : loaded->doc.at("results")) {
    for (const Json& c : r.at("controls")) {
      if (KubescapeStatus(c) == "failed") failed.push_back(c.at("controlID").get<std::string>());
    }
  }
  ASSERT_FALSE(failed.empty());
  std::vector<std::string> got;
  for (const Occurrence& occ : loaded->report.occurrences) {
    if (!occ.passed) got.push_back(occ.rule_id);
  }
  EXPECT_EQ(got, failed);
  // generationTime is Go's zero time here: no scan time.
  EXPECT_TRUE(StartsWith(loaded->doc.at("generationTime").get<std::string>(), "0001-01-01"));
  EXPECT_FALSE(loaded->report.scan_time.has_value());
}

TEST(SamplesSpotCheck, TrivyOperatorVulnerabilityReport) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  auto loaded = Load(parser, "trivy_operator/vulnerabilityreport_single_vuln.json");
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->report.occurrences.size(), 1u);
  const Json& v = loaded->doc.at(Json::json_pointer("/report/vulnerabilities/0"));
  const Occurrence& occ = loaded->report.occurrences[0];
  EXPECT_EQ(occ.vuln_id, v.at("vulnerabilityID").get<std::string>());
  EXPECT_EQ(occ.package, v.at("resource").get<std::string>());
  const std::string repo = loaded->doc.at(Json::json_pointer("/report/artifact/repository")).get<std::string>();
  EXPECT_TRUE(EndsWith(occ.locator.image, "/" + repo)) << occ.locator.image;
  const auto t = ParseTime(loaded->doc.at(Json::json_pointer("/report/updateTimestamp")).get<std::string>());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(loaded->report.scan_time, std::optional<TimePoint>(*t));
}

TEST(SamplesSpotCheck, EmptyDocuments) {
  SB_REQUIRE_SHARED_DATA();
  ReportParser parser;
  // `null` (legacy Trivy) and `[]` (Prowler): no format can be told.
  for (const char* relative : {"trivy/legacy_no_vuln.json", "prowler/prowler_zero_vul.json"}) {
    SCOPED_TRACE(relative);
    auto loaded = Load(parser, relative);
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(IsEmptyDocument(loaded->doc));
    EXPECT_EQ(loaded->report.format, "empty");
    EXPECT_EQ(loaded->report.warnings.size(), 1u);
    EXPECT_TRUE(loaded->report.scopes.empty());
  }
  // `{"runs": []}` says SARIF: the format, with nothing in it.
  auto sarif = Load(parser, "sarif/no_runs.sarif");
  ASSERT_TRUE(sarif);
  EXPECT_TRUE(sarif->doc.at("runs").empty());
  EXPECT_EQ(sarif->report.format, "sarif");
  EXPECT_TRUE(sarif->report.occurrences.empty());
  EXPECT_TRUE(sarif->report.scopes.empty());
}

}  // namespace
}  // namespace secbudget

namespace secbudget {
namespace {

// Every real Trivy report: the item arrays the lexer locates are the ones
// the parser walked (each span is a JSON array of as many items as the
// parser counted), and the same bytes, and the same bytes with a new scan
// time, are recognised against them: parsed without the arrays, to the same
// scope and with no item left over.
TEST(SamplesItemArrays, TrivyArraysAreLocatedWhereTheParserReadsThem) {
  SB_REQUIRE_SHARED_DATA();
  std::size_t located = 0, recognised = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testing::SharedDataDir() + "/scans/trivy")) {
    const std::string path = entry.path().string();
    auto bytes = ReadFile(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    ReportParser parser;
    ParseOptions options;
    options.file = path;
    options.item_arrays = [](const Scope&) -> const std::vector<ItemArray>* { return nullptr; };
    auto full = parser.Parse(*bytes, options);
    ASSERT_TRUE(full.ok()) << full.status().ToString();
    if (full->item_arrays.empty()) continue;
    ++located;
    const std::vector<ItemArray> arrays = full->item_arrays;
    for (const ItemArray& a : arrays) {
      const Json span = Json::parse(bytes->substr(a.begin, a.end - a.begin));
      ASSERT_TRUE(span.is_array()) << path;
      EXPECT_EQ(span.size(), a.items) << path;
    }
    // Misconfigurations and secrets are outside the arrays: a report with
    // them is parsed in full, every time.
    const bool only_arrays = std::all_of(full->occurrences.begin(), full->occurrences.end(),
                                         [](const Occurrence& o) { return o.kind == FindingKind::kVulnerability; });
    const Scope scope = full->scopes.at(0);
    const auto scan_time = full->scan_time;
    options.item_arrays = [&](const Scope& s) -> const std::vector<ItemArray>* {
      return s.scanner == scope.scanner && s.target == scope.target ? &arrays : nullptr;
    };
    std::string rescan = *bytes;
    const std::size_t created = rescan.find("\"CreatedAt\"");
    if (created != std::string::npos && created < arrays.front().begin) {
      rescan.insert(created, "\"Unrelated\": \"a member the parser ignores\", ");
    }
    rescan.reserve(rescan.size() + 64);
    for (const std::string* doc : {&*bytes, &rescan}) {
      auto again = parser.Parse(*doc, options);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(again->arrays_recognised, only_arrays) << path;
      if (!only_arrays) {
        EXPECT_EQ(again->occurrences.size(), full->occurrences.size()) << path;
        continue;
      }
      EXPECT_TRUE(again->occurrences.empty()) << path;
      ASSERT_EQ(again->scopes.size(), 1u);
      EXPECT_EQ(again->scopes[0].target, scope.target);
      EXPECT_EQ(again->scan_time, scan_time);
      EXPECT_EQ(again->item_arrays.size(), arrays.size());
      ++recognised;
    }
  }
  EXPECT_GT(located, 0u);     // the folder has image reports with vulnerabilities
  EXPECT_GT(recognised, 0u);  // and some with nothing else
}

}  // namespace
}  // namespace secbudget
