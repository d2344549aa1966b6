// SARIF 2.1.0 from any tool (OASIS SARIF v2.1.0, sections 3.13-3.27).
//
// Shape: {version "2.1.0", runs[{tool{driver{name, version, rules[]},
// extensions[{rules[]}]}, results[], invocations[], versionControlProvenance[],
// artifacts[]}]}.
//
// Field mapping (runs[i].results[j]):
//   tool.driver.name -> scanner "sarif:<name>" (lower-case)
//   ruleId (or rule.id, or driver.rules[ruleIndex].id) -> rule_id
//   fingerprints, else partialFingerprints (all entries, sorted) ->
//     fingerprint; else the primary location's uri:line:column
//   level (or the rule's defaultConfiguration.level; SARIF's default is
//     "warning"); a "security-severity" property (a CVSS-like number, as
//     CodeQL and Semgrep write it) on the rule or result wins:
//     >= 9 critical, >= 7 high, >= 4 medium, > 0 low.
//     Otherwise error -> high, warning -> medium, note -> low, none -> info.
//   message.text (or the rule's messageStrings with arguments) -> description
//   rule shortDescription / name -> title
//   locations[0].physicalLocation.artifactLocation.uri + region.startLine ->
//     location and path
//   suppressions with status absent or "accepted" -> held (suppressed in
//     source: neither opens nor closes); baselineState "absent" or kind
//     "pass" -> explicit fix; kind open/review/informational/notApplicable
//     -> held
//   kind: vulnerability when the rule id is a CVE/GHSA id; secret for secret
//     scanners (gitleaks, trufflehog, detect-secrets); otherwise code.
//   layer: app; container for image linters (dockle, hadolint); cloud for
//     IaC scanners (checkov, tfsec, kics, terrascan).
//
// Scope: "repo:<url>" from --target or versionControlProvenance[0]. Without
// either, the report cannot say what it scanned: findings are recorded but
// later scans do not close them (a warning says so).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "ingest/parsers/parsers.h"

namespace secbudget::ingest {

using json::array;
using json::object;

bool DetectSarif(element root) {
  if (!root.is_object()) return false;
  object o = root.get_object().value_unsafe();
  element runs;
  if (o["runs"].get(runs) != simdjson::SUCCESS || !runs.is_array()) return false;
  const std::string version = json::Str(o, "version");
  const std::string schema = json::Str(o, "$schema");
  return StartsWith(version, "2.") || IContains(schema, "sarif");
}

namespace {

bool IsVulnId(std::string_view id) { return IStartsWith(id, "CVE-") || IStartsWith(id, "GHSA-"); }

Severity SeverityFromLevel(std::string_view level) {
  if (level == "error") return Severity::kHigh;
  if (level == "note") return Severity::kLow;
  if (level == "none") return Severity::kInfo;
  return Severity::kMedium;  // "warning" and SARIF's default
}

// "security-severity" as CodeQL/Semgrep write it, in properties.
double SecuritySeverity(element el) {
  element props;
  if (el.at_key("properties").get(props) != simdjson::SUCCESS || !props.is_object()) return -1;
  return json::Num(props.get_object().value_unsafe(), "security-severity", -1);
}

std::string FingerprintOf(element result) {
  for (const char* key : {"fingerprints", "partialFingerprints"}) {
    element fp;
    if (result.at_key(key).get(fp) != simdjson::SUCCESS || !fp.is_object()) continue;
    std::vector<std::string> parts;
    for (auto [k, v] : json::Obj(fp)) {
      std::string value;
      if (v.is_string())
        value = std::string(v.get_string().value_unsafe());
      else if (v.is_object())
        value = json::StrAt(v, "/value");  // tolerated non-standard nesting
      else
        continue;
      // Semgrep OSS without a login writes the same placeholder on every
      // result; such a value identifies nothing.
      if (value.empty() || IEquals(value, "requires login")) continue;
      parts.push_back(fmt::format("{}={}", k, value));
    }
    if (parts.empty()) continue;
    std::sort(parts.begin(), parts.end());
    return Join(parts, ";");
  }
  return {};
}

std::string RenderMessage(element result, std::optional<element> rule) {
  std::string text = json::StrAt(result, "/message/text");
  if (!text.empty()) return text;
  const std::string id = json::StrAt(result, "/message/id");
  if (id.empty() || !rule) return {};
  std::string tmpl = json::StrAt(*rule, "/messageStrings/" + EscapePointerToken(id) + "/text");
  element args;
  if (result.at_pointer("/message/arguments").get(args) == simdjson::SUCCESS && args.is_array()) {
    std::size_t n = 0;
    for (element a : json::Arr(args)) {
      const std::string placeholder = fmt::format("{{{}}}", n++);
      const std::string value = a.is_string() ? std::string(a.get_string().value_unsafe()) : std::string();
      for (size_t pos = tmpl.find(placeholder); pos != std::string::npos;
           pos = tmpl.find(placeholder, pos + value.size())) {
        tmpl.replace(pos, placeholder.size(), value);
      }
    }
  }
  return tmpl;
}

struct Tool {
  std::string name;
  FindingKind default_kind = FindingKind::kCode;
  Layer layer = Layer::kApp;
};

Tool ClassifyTool(const std::string& name) {
  Tool t{ToLower(name)};
  const std::string& n = t.name;
  if (n.find("gitleaks") != std::string::npos || n.find("trufflehog") != std::string::npos ||
      n.find("detect-secrets") != std::string::npos || n.find("secret") != std::string::npos) {
    t.default_kind = FindingKind::kSecret;
  } else if (n.find("dockle") != std::string::npos || n.find("hadolint") != std::string::npos) {
    t.default_kind = FindingKind::kMisconfiguration;
    t.layer = Layer::kContainer;
  } else if (n.find("checkov") != std::string::npos || n.find("tfsec") != std::string::npos ||
             n.find("kics") != std::string::npos || n.find("terrascan") != std::string::npos) {
    t.default_kind = FindingKind::kMisconfiguration;
    t.layer = Layer::kCloud;
  } else if (n.find("kube-linter") != std::string::npos || n.find("kubescape") != std::string::npos) {
    t.default_kind = FindingKind::kMisconfiguration;
    t.layer = Layer::kCluster;
  }
  return t;
}

Status ParseRun(element run_el, std::string_view run_ptr, const ParseOptions& options, ParsedReport& out) {
  SB_ASSIGN_OR_RETURN(object run, json::AsObject(run_el, run_ptr));
  const std::string driver_name = json::StrAt(run_el, "/tool/driver/name");
  if (driver_name.empty()) {
    return Status::SchemaError("run without tool.driver.name").At(Location::Pointer(std::string(run_ptr) + "/tool"));
  }
  const Tool tool = ClassifyTool(driver_name);
  std::string version = json::StrAt(run_el, "/tool/driver/semanticVersion");
  if (version.empty()) version = json::StrAt(run_el, "/tool/driver/version");
  if (out.scanner_version.empty()) out.scanner_version = version;

  // Rules by id, and by index per tool component (the driver, then each
  // extension: a result may reference a rule as {index, toolComponent}).
  std::map<std::string, element, std::less<>> rules_by_id;
  std::vector<element> driver_rules;
  std::vector<std::vector<element>> extension_rules;
  const auto collect = [&](element component, std::vector<element>& by_index) {
    element rules;
    if (component.at_key("rules").get(rules) != simdjson::SUCCESS || !rules.is_array()) return;
    for (element r : json::Arr(rules)) {
      by_index.push_back(r);
      if (!r.is_object()) continue;
      const std::string id = json::Str(r.get_object().value_unsafe(), "id");
      if (!id.empty()) rules_by_id.emplace(id, r);
    }
  };
  if (auto driver = json::At(run_el, "/tool/driver")) collect(*driver, driver_rules);
  if (auto ext = json::At(run_el, "/tool/extensions"); ext && ext->is_array()) {
    for (element e : json::Arr(*ext)) collect(e, extension_rules.emplace_back());
  }

  // Time and target.
  for (const char* key : {"/invocations/0/endTimeUtc", "/invocations/0/startTimeUtc"}) {
    if (auto t = json::TimeOrNull(json::StrAt(run_el, key))) {
      if (!out.scan_time || *t > *out.scan_time) out.scan_time = t;
      break;
    }
  }
  Locator base;
  std::string repo_url = IsMeaningfulTarget(options.target)
                             ? options.target
                             : json::StrAt(run_el, "/versionControlProvenance/0/repositoryUri");
  const bool complete = !repo_url.empty();
  base.repository = complete ? NormalizeRepository(repo_url) : std::string();
  const std::string target = complete ? "repo:" + base.repository : std::string("repo:unknown");
  const std::size_t scope = AddScope(out, "sarif:" + tool.name, target, complete);
  if (!complete) {
    out.warnings.push_back(fmt::format(
        "SARIF run of {} names no repository: pass --target so that later scans can close its findings", driver_name));
  }

  SB_ASSIGN_OR_RETURN(auto results, json::OptArray(run, "results", run_ptr));
  if (!results) return Status::OK();
  const std::string results_ptr = json::Child(run_ptr, "results");
  std::size_t j = 0;
  for (element res_el : *results) {
    const std::string ptr = json::Child(results_ptr, j++);
    SB_ASSIGN_OR_RETURN(object res, json::AsObject(res_el, ptr));
    // Suppressed in source (e.g. `// nosemgrep`) and accepted there: held.
    bool suppressed = false;
    if (auto supp = json::At(res_el, "/suppressions");
        supp && supp->is_array() && supp->get_array().value_unsafe().size() > 0) {
      for (element s : json::Arr(*supp)) {
        const std::string status = s.is_object() ? json::Str(s.get_object().value_unsafe(), "status") : std::string();
        if (status.empty() || status == "accepted") suppressed = true;
      }
      if (suppressed) {
        out.skipped_reason = "suppressed in source (SARIF suppressions)";
      }
    }
    std::string rule_id = json::Str(res, "ruleId");
    if (rule_id.empty()) rule_id = json::StrAt(res_el, "/rule/id");
    std::optional<element> rule;
    if (!rule_id.empty()) {
      if (auto it = rules_by_id.find(rule_id); it != rules_by_id.end()) rule = it->second;
    }
    double rule_index = json::Num(res, "ruleIndex", -1);
    if (rule_index < 0) rule_index = json::NumAt(res_el, "/rule/index", -1);
    const double component = json::NumAt(res_el, "/rule/toolComponent/index", -1);
    const std::vector<element>* by_index = &driver_rules;
    if (component >= 0) {
      by_index = static_cast<std::size_t>(component) < extension_rules.size()
                     ? &extension_rules[static_cast<std::size_t>(component)]
                     : nullptr;
    }
    if (!rule && by_index != nullptr && rule_index >= 0 && static_cast<std::size_t>(rule_index) < by_index->size()) {
      rule = (*by_index)[static_cast<std::size_t>(rule_index)];
      if (rule_id.empty() && rule->is_object()) rule_id = json::Str(rule->get_object().value_unsafe(), "id");
    }
    if (rule_id.empty()) {
      // Old gitleaks SARIF names the rule only at the start of the message
      // ("AWS Access Key secret detected"): accept a declared rule id there.
      const std::string text = json::StrAt(res_el, "/message/text");
      std::size_t best = 0;
      for (const auto& [id, el] : rules_by_id) {
        if (id.size() > best && StartsWith(text, id)) {
          rule_id = id;
          rule = el;
          best = id.size();
        }
      }
    }
    if (rule_id.empty()) {
      SkipItem(out, ptr, "result without ruleId, rule.id or ruleIndex");
      continue;
    }

    Occurrence occ;
    occ.scope_index = scope;
    occ.pointer = ptr;
    occ.rule_id = rule_id;
    // result.kind (SARIF 3.27.9): "fail" (the default) is a problem; "pass"
    // says the rule held; "open", "review", "informational", "notApplicable"
    // give no verdict.
    const std::string kind = json::Str(res, "kind");
    const bool fail = kind.empty() || kind == "fail";
    occ.passed = json::Str(res, "baselineState") == "absent" || kind == "pass";
    occ.held = suppressed || (!fail && kind != "pass");
    occ.layer = tool.layer;
    occ.kind = IsVulnId(rule_id) ? FindingKind::kVulnerability : tool.default_kind;
    // Severity.
    double sec = SecuritySeverity(res_el);
    if (sec < 0 && rule) sec = SecuritySeverity(*rule);
    std::string level = json::Str(res, "level");
    if (level.empty() && rule) level = json::StrAt(*rule, "/defaultConfiguration/level");
    if (level.empty() && !fail) level = "none";
    occ.severity = sec >= 0 ? SeverityFromCvss(sec) : SeverityFromLevel(level);
    if (sec >= 0) occ.cvss_score = sec;
    // Words.
    occ.description = out.Keep(RenderMessage(res_el, rule));
    if (rule) {
      occ.title = json::StrAt(*rule, "/shortDescription/text");
      if (occ.title.empty()) occ.title = json::StrAt(*rule, "/name");
      if (std::string help = json::StrAt(*rule, "/helpUri"); !help.empty()) occ.references.push_back(help);
    }
    if (occ.title.empty()) occ.title = std::string(occ.description.substr(0, occ.description.find('\n')));
    // Location.
    std::string uri = json::StrAt(res_el, "/locations/0/physicalLocation/artifactLocation/uri");
    if (uri.empty()) {
      const double index = json::NumAt(res_el, "/locations/0/physicalLocation/artifactLocation/index", -1);
      if (index >= 0)
        uri = json::StrAt(run_el, fmt::format("/artifacts/{}/location/uri", static_cast<long long>(index)));
    }
    const auto line = static_cast<long long>(json::NumAt(res_el, "/locations/0/physicalLocation/region/startLine", 0));
    const auto column =
        static_cast<long long>(json::NumAt(res_el, "/locations/0/physicalLocation/region/startColumn", 0));
    std::string logical = json::StrAt(res_el, "/locations/0/logicalLocations/0/fullyQualifiedName");
    occ.location = uri.empty() ? logical : (line > 0 ? fmt::format("{}:{}", uri, line) : uri);
    occ.fingerprint = FingerprintOf(res_el);
    if (occ.fingerprint.empty()) occ.fingerprint = fmt::format("{}:{}:{}|{}", uri, line, column, logical);
    if (occ.kind == FindingKind::kVulnerability) {
      occ.vuln_id = rule_id;
      occ.package = uri.empty() ? logical : uri;
    }
    occ.artifact = target;
    occ.locator = base;
    occ.locator.path = uri;
    out.occurrences.push_back(std::move(occ));
  }
  return Status::OK();
}

}  // namespace

Status ParseSarif(element root, const ParseOptions& options, ParsedReport& out) {
  SB_RETURN_IF_ERROR(ExpectRoot(root, true, false));

  object o = root.get_object().value_unsafe();
  const std::string version = json::Str(o, "version");
  if (!version.empty() && version != "2.1.0") {
    out.warnings.push_back(fmt::format("SARIF version {}: read as 2.1.0", version));
  }
  SB_ASSIGN_OR_RETURN(array runs, json::ReqArray(o, "runs", ""));
  std::size_t i = 0;
  for (element run : runs) SB_RETURN_IF_ERROR(ParseRun(run, json::Child("/runs", i++), options, out));
  return Status::OK();
}

}  // namespace secbudget::ingest
