#include "alert/vex.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "common/hash.h"
#include "common/strings.h"
#include "common/time.h"
#include "common/yaml.h"
#include "ingest/ingest.h"
#include "ingest/json_util.h"

namespace secbudget {

namespace {

// Limits (docs/alerting.md): a document is at most kMaxVexBytes and holds at
// most kMaxVexStatements statements (OpenVEX statements, CycloneDX
// vulnerabilities); statements times products may yield at most
// kMaxVexSuppressions suppressions.
constexpr std::size_t kMaxVexBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxVexStatements = 100'000;
constexpr std::size_t kMaxVexSuppressions = 100'000;
constexpr std::size_t kMaxIdBytes = 96;
constexpr std::size_t kMaxReasonBytes = 2048;
constexpr int kMaxComponentDepth = 64;

constexpr std::string_view kOpenVexStatuses[] = {"not_affected", "affected", "fixed", "under_investigation"};
constexpr std::string_view kOpenVexJustifications[] = {
    "component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"};
constexpr std::string_view kCdxStates[] = {"resolved",  "resolved_with_pedigree", "exploitable",
                                           "in_triage", "false_positive",         "not_affected"};
constexpr std::string_view kCdxJustifications[] = {
    "code_not_present",     "code_not_reachable",     "requires_configuration",
    "requires_dependency",  "requires_environment",   "protected_by_compiler",
    "protected_at_runtime", "protected_at_perimeter", "protected_by_mitigating_control"};

template <std::size_t N>
bool OneOf(std::string_view value, const std::string_view (&allowed)[N]) {
  return std::find(std::begin(allowed), std::end(allowed), value) != std::end(allowed);
}

template <std::size_t N>
std::string Alternatives(const std::string_view (&allowed)[N]) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += allowed[i];
  }
  return out;
}

Status SchemaAt(std::string_view pointer, std::string message) {
  return Status::SchemaError(std::move(message)).At(Location::Pointer(std::string(pointer)));
}

std::string Clean(std::string_view text, std::size_t max = kMaxReasonBytes) {
  return Ellipsize(Trim(SanitizeForTerminal(text)), max);
}

// RE2 syntax: escapes ASCII punctuation; letters, digits, '-', '_' and
// non-ASCII bytes stand for themselves.
std::string RegexEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain =
        u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!plain) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Lowercase [a-z0-9-._]: anything else becomes '-', runs of '-' collapse,
// leading and trailing '-' and '.' go; long ids keep a hash of the whole.
std::string SanitizeId(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-' || l == '.' || l == '_';
    if (!ok) l = '-';
    if (l == '-' && !out.empty() && out.back() == '-') continue;
    out.push_back(l);
  }
  const auto edge = [](char c) { return c == '-' || c == '.'; };
  while (!out.empty() && edge(out.back())) out.pop_back();
  std::size_t start = 0;
  while (start < out.size() && edge(out[start])) ++start;
  out.erase(0, start);
  if (out.size() > kMaxIdBytes) {
    const std::string digest = HexId(Hash64(out)).substr(0, 8);
    out.resize(kMaxIdBytes - digest.size() - 1);
    while (!out.empty() && edge(out.back())) out.pop_back();
    out += "-" + digest;
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// A package URL (https://github.com/package-url/purl-spec):
//   pkg:type/namespace/name@version?qualifiers#subpath
struct Purl {
  std::string type;  // lowercase
  std::vector<std::string> namespace_parts;
  std::string name;
  std::string version;
  std::map<std::string, std::string> qualifiers;
};

std::optional<Purl> ParsePurl(std::string_view text) {
  if (!IStartsWith(text, "pkg:")) return std::nullopt;
  std::string_view rest = text.substr(4);
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  Purl purl;
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    for (std::string_view pair : Split(rest.substr(q + 1), '&')) {
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;
      purl.qualifiers[ToLower(pair.substr(0, eq))] = PercentDecode(pair.substr(eq + 1));
    }
    rest = rest.substr(0, q);
  }
  const std::size_t last_slash = rest.rfind('/');
  if (last_slash == std::string_view::npos) return std::nullopt;
  // The version's '@' comes after the last '/'; an earlier one is an
  // unencoded npm scope ("pkg:npm/@angular/core").
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos && at > last_slash) {
    purl.version = PercentDecode(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::vector<std::string_view> parts;
  for (std::string_view part : Split(rest, '/')) {
    if (!part.empty()) parts.push_back(part);
  }
  if (parts.size() < 2) return std::nullopt;
  purl.type = ToLower(parts.front());
  purl.name = PercentDecode(parts.back());
  for (std::size_t i = 1; i + 1 < parts.size(); ++i) purl.namespace_parts.push_back(PercentDecode(parts[i]));
  if (purl.type.empty() || purl.name.empty()) return std::nullopt;
  return purl;
}

// What a product or component is, as labels of finding alerts see it.
struct Target {
  std::string artifact;  // artifact matcher value (empty: none)
  MatchOp artifact_op = MatchOp::kEqual;
  std::string package;  // package matcher (empty: none)
  std::string version;  // version matcher (empty: none)
  std::string key;      // for ids and for matching later statements
  bool image = false;   // an OCI/Docker image: it narrows the artifact
};

// Types whose package names keep the namespace as scanners report them.
bool NamespacedType(std::string_view type) {
  return type == "npm" || type == "golang" || type == "composer" || type == "github" || type == "gitlab" ||
         type == "bitbucket" || type == "swift";
}

Target ImageTarget(const std::string& repository, const std::string& name) {
  Target t;
  t.image = true;
  t.key = name;
  if (!repository.empty()) {
    std::string repo = repository;
    const std::size_t slash = repo.rfind('/');
    if ((slash == std::string::npos ? repo : repo.substr(slash + 1)) != name) repo += "/" + name;
    t.artifact = "image:" + NormalizeImage(repo);
    t.artifact_op = MatchOp::kEqual;
  } else {
    t.artifact = "image:(.+/)?" + RegexEscape(name);
    t.artifact_op = MatchOp::kRegex;
  }
  return t;
}

Target PurlTarget(const Purl& purl) {
  if (purl.type == "oci") {
    const auto it = purl.qualifiers.find("repository_url");
    return ImageTarget(it == purl.qualifiers.end() ? std::string() : it->second, purl.name);
  }
  if (purl.type == "docker") {
    std::string repo = Join(purl.namespace_parts, "/");
    const auto it = purl.qualifiers.find("repository_url");
    if (it != purl.qualifiers.end() && !it->second.empty()) repo = it->second + (repo.empty() ? "" : "/" + repo);
    if (repo.empty()) repo = "library";  // docker.io/library/<name>
    return ImageTarget(repo, purl.name);
  }
  Target t;
  const std::string ns = Join(purl.namespace_parts, "/");
  if (purl.type == "maven" && !ns.empty()) {
    t.package = Join(purl.namespace_parts, ".") + ":" + purl.name;
  } else if (NamespacedType(purl.type) && !ns.empty()) {
    t.package = ns + "/" + purl.name;
  } else {
    t.package = purl.name;
  }
  t.version = purl.version;
  t.key = t.version.empty() ? t.package : t.package + "-" + t.version;
  return t;
}

// cpe:2.3:part:vendor:product:version:... and cpe:/part:vendor:product:version
std::optional<Target> CpeTarget(std::string_view cpe) {
  std::vector<std::string_view> parts = Split(cpe, ':');
  std::size_t product = 0;
  if (IStartsWith(cpe, "cpe:2.3:")) {
    product = 4;
  } else if (IStartsWith(cpe, "cpe:/")) {
    product = 3;
  } else {
    return std::nullopt;
  }
  if (parts.size() <= product) return std::nullopt;
  const auto unescape = [](std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out.push_back(s[i]);
    }
    return out;
  };
  Target t;
  t.package = unescape(parts[product]);
  if (t.package.empty() || t.package == "*" || t.package == "-") return std::nullopt;
  if (parts.size() > product + 1 && parts[product + 1] != "*" && parts[product + 1] != "-") {
    t.version = unescape(parts[product + 1]);
  }
  t.key = t.version.empty() ? t.package : t.package + "-" + t.version;
  return t;
}

// A product that holds subcomponents narrows the artifact. Images map as
// above; any other product to artifacts whose last path segment is its name
// ("repo:github.com/acme/app", "path:/src/app").
Target NarrowingTarget(const Target& product, const std::string& name) {
  if (product.image) return product;
  Target t;
  t.artifact = ".*[/:]" + RegexEscape(name);
  t.artifact_op = MatchOp::kRegex;
  t.key = product.key;
  return t;
}

// Resolves a product's identity: identifiers.purl, an @id that is a purl,
// a CPE (identifiers.cpe23/cpe22 or an @id), else the @id as a plain name.
struct Identity {
  Target target;
  std::string name;  // the product's own name, for NarrowingTarget
};

Result<std::optional<Identity>> OpenVexIdentity(json::element el, const std::string& ptr, std::string* why) {
  std::string id, purl, cpe;
  if (el.is_string()) {
    id = std::string(el.get_string().value_unsafe());
  } else {
    SB_ASSIGN_OR_RETURN(json::object obj, json::AsObject(el, ptr));
    SB_ASSIGN_OR_RETURN(id, json::Text(obj, "@id", ptr));
    SB_ASSIGN_OR_RETURN(auto identifiers, json::OptObject(obj, "identifiers", ptr));
    if (identifiers) {
      const std::string iptr = json::Child(ptr, "identifiers");
      SB_ASSIGN_OR_RETURN(purl, json::Text(*identifiers, "purl", iptr));
      for (const char* key : {"cpe23", "@cpe23", "cpe22", "@cpe22"}) {
        if (!cpe.empty()) break;
        SB_ASSIGN_OR_RETURN(cpe, json::Text(*identifiers, key, iptr));
      }
    }
  }
  id = std::string(Trim(id));
  purl = std::string(Trim(purl));
  if (purl.empty() && IStartsWith(id, "pkg:")) purl = id;
  if (cpe.empty() && IStartsWith(id, "cpe:")) cpe = id;
  Identity out;
  if (!purl.empty()) {
    const auto parsed = ParsePurl(purl);
    if (!parsed) {
      *why = fmt::format("\"{}\" is not a valid package URL", Clean(purl, 200));
      return std::optional<Identity>();
    }
    out.target = PurlTarget(*parsed);
    out.name = parsed->name;
    return std::optional<Identity>(std::move(out));
  }
  if (!cpe.empty()) {
    auto t = CpeTarget(cpe);
    if (!t) {
      *why = fmt::format("\"{}\" is not a valid CPE", Clean(cpe, 200));
      return std::optional<Identity>();
    }
    out.name = t->package;
    out.target = std::move(*t);
    return std::optional<Identity>(std::move(out));
  }
  if (id.empty()) {
    *why = "no @id, purl or CPE identifies it";
    return std::optional<Identity>();
  }
  out.target.package = Clean(id, 1024);
  out.target.key = out.target.package;
  out.name = out.target.package;
  return std::optional<Identity>(std::move(out));
}

// One (statement, target) pair before later statements are applied.
struct Entry {
  std::string vuln;
  std::string vuln_key;
  std::string target_key;
  std::size_t statement = 0;
  TimePoint at = 0;
  std::string pointer;
  std::string status;
  std::optional<Suppression> suppression;  // when the statement suppresses
};

struct Builder {
  const std::string& file;
  const VexImportOptions& options;
  std::string source;
  VexImport& out;
  std::vector<Entry> entries;
  std::string prefix;

  Result<std::vector<Matcher>> VulnMatchers(const std::string& name, const std::vector<std::string>& aliases,
                                            const std::string& ptr) {
    std::vector<std::string> ids = {name};
    for (const std::string& a : aliases) json::AddUnique(ids, Clean(a, 256));
    std::vector<std::string> escaped;
    escaped.reserve(ids.size());
    for (const std::string& id : ids) escaped.push_back(RegexEscape(id));
    Result<Matcher> m = ids.size() == 1 ? Matcher::Make("vulnerability", MatchOp::kEqual, name)
                                        : Matcher::Make("vulnerability", MatchOp::kRegex, Join(escaped, "|"));
    if (!m.ok()) return SchemaAt(ptr, m.status().message());
    return std::vector<Matcher>{std::move(m).value()};
  }

  // Adds the entry of `targets` (outermost first) for a statement.
  Status Add(const std::string& vuln, const std::vector<Matcher>& vuln_matchers, std::size_t statement, TimePoint at,
             const std::string& ptr, const std::string& status, const std::string* reason,
             const std::vector<const Target*>& targets) {
    Entry e;
    e.vuln = vuln;
    e.vuln_key = ToLower(vuln);
    e.statement = statement;
    e.at = at;
    e.pointer = ptr;
    e.status = status;
    for (const Target* t : targets) e.target_key += (e.target_key.empty() ? "" : "\x1f") + t->key;
    if (reason != nullptr) {
      Suppression s;
      s.matchers = vuln_matchers;
      for (const Target* t : targets) {
        if (!t->artifact.empty()) {
          SB_ASSIGN_OR_RETURN(Matcher m, Matcher::Make("artifact", t->artifact_op, t->artifact));
          s.matchers.push_back(std::move(m));
        }
      }
      for (const Target* t : targets) {
        if (!t->package.empty()) s.matchers.push_back(Matcher::Make("package", MatchOp::kEqual, t->package).value());
        if (!t->version.empty()) s.matchers.push_back(Matcher::Make("version", MatchOp::kEqual, t->version).value());
      }
      s.reason = *reason;
      s.owner = options.owner;
      s.approver = options.approver;
      s.created = options.created;
      s.expires = options.expires;
      s.origin = file + "#" + ptr;
      s.source = source;
      e.suppression = std::move(s);
    }
    entries.push_back(std::move(e));
    if (entries.size() > kMaxVexSuppressions) {
      return Status::LimitExceeded(fmt::format("more than {} products in one VEX document", kMaxVexSuppressions));
    }
    return Status::OK();
  }

  // A later statement (by timestamp, then position) about the same
  // vulnerability and product replaces an earlier one, as VEX intends.
  void Finish() {
    std::unordered_map<std::string, std::size_t> winner;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string key = entries[i].vuln_key + '\x1e' + entries[i].target_key;
      auto [it, fresh] = winner.emplace(key, i);
      if (!fresh) {
        const Entry& held = entries[it->second];
        if (std::pair(entries[i].at, entries[i].statement) >= std::pair(held.at, held.statement)) it->second = i;
      }
    }
    std::unordered_map<std::string, int> used;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      Entry& e = entries[i];
      if (!e.suppression) continue;
      const Entry& w = entries[winner.at(e.vuln_key + '\x1e' + e.target_key)];
      if (&w != &e) {
        out.skipped.push_back(fmt::format("{} {}: superseded by {} ({})", e.pointer, e.vuln, w.pointer, w.status));
        continue;
      }
      std::string key = e.target_key;
      std::replace(key.begin(), key.end(), '\x1f', '-');
      std::string id = SanitizeId(prefix + "-" + e.vuln_key + "-" + key);
      const int n = ++used[id];
      if (n > 1) {
        std::string candidate = fmt::format("{}-{}", id, n);
        while (used.count(candidate) > 0) candidate = fmt::format("{}-{}", id, ++used[id]);
        used[candidate] = 1;
        id = std::move(candidate);
      }
      e.suppression->id = std::move(id);
      out.suppressions.push_back(std::move(*e.suppression));
    }
  }
};

std::string Reason(std::string_view status, std::string_view justification, const std::vector<std::string>& responses,
                   std::string_view text) {
  std::string out = fmt::format("VEX {}", status);
  if (!justification.empty()) out += fmt::format(": {}", justification);
  if (!responses.empty()) out += fmt::format(" (response: {})", Join(responses, ", "));
  if (!text.empty()) out += fmt::format("{}{}", justification.empty() && responses.empty() ? ": " : " — ", text);
  return Clean(out);
}

// --- OpenVEX ----------------------------------------------------------------

Status ImportOpenVex(json::object root, Builder& b) {
  SB_ASSIGN_OR_RETURN(b.out.document_id, json::Text(root, "@id", ""));
  const std::optional<TimePoint> doc_time = json::TimeOrNull(json::Str(root, "timestamp"));
  SB_ASSIGN_OR_RETURN(json::array statements, json::ReqArray(root, "statements", ""));
  if (statements.size() > kMaxVexStatements) {
    return Status::LimitExceeded(fmt::format("more than {} statements", kMaxVexStatements))
        .At(Location::Pointer("/statements"));
  }
  std::size_t index = 0;
  for (json::element el : statements) {
    const std::size_t n = index++;
    const std::string ptr = json::Child("/statements", n);
    ++b.out.statements;
    SB_ASSIGN_OR_RETURN(json::object st, json::AsObject(el, ptr));

    // vulnerability: {name, aliases} (v0.2.0) or a string (v0.0.x).
    std::string vuln;
    std::vector<std::string> aliases;
    json::element v;
    if (st["vulnerability"].get(v) != simdjson::SUCCESS) {
      return SchemaAt(ptr, "missing required field \"vulnerability\"");
    }
    const std::string vptr = json::Child(ptr, "vulnerability");
    if (v.is_string()) {
      vuln = std::string(v.get_string().value_unsafe());
    } else {
      SB_ASSIGN_OR_RETURN(json::object vo, json::AsObject(v, vptr));
      SB_ASSIGN_OR_RETURN(vuln, json::Text(vo, "name", vptr));
      SB_ASSIGN_OR_RETURN(auto alias_arr, json::OptArray(vo, "aliases", vptr));
      if (alias_arr) aliases = json::StrArray(vo, "aliases");
    }
    vuln = Clean(vuln, 256);
    if (vuln.empty()) return SchemaAt(vptr, "the vulnerability needs a name");

    json::element status_el;
    if (st["status"].get(status_el) != simdjson::SUCCESS) {
      return SchemaAt(ptr, "missing required field \"status\"");
    }
    SB_ASSIGN_OR_RETURN(const std::string status, json::Text(st, "status", ptr));
    if (!OneOf(status, kOpenVexStatuses)) {
      return SchemaAt(json::Child(ptr, "status"), fmt::format("unknown status \"{}\" (expected {})", Clean(status, 64),
                                                              Alternatives(kOpenVexStatuses)));
    }
    SB_ASSIGN_OR_RETURN(const std::string justification, json::Text(st, "justification", ptr));
    if (!justification.empty() && !OneOf(justification, kOpenVexJustifications)) {
      return SchemaAt(json::Child(ptr, "justification"),
                      fmt::format("unknown justification \"{}\" (expected {})", Clean(justification, 64),
                                  Alternatives(kOpenVexJustifications)));
    }
    SB_ASSIGN_OR_RETURN(const std::string impact, json::Text(st, "impact_statement", ptr));
    const TimePoint at = json::TimeOrNull(json::Str(st, "timestamp")).value_or(doc_time.value_or(0));

    std::optional<std::string> reason;
    if (status == "not_affected") {
      if (justification.empty() && Trim(impact).empty()) {
        b.out.skipped.push_back(
            fmt::format("{} {}: not_affected without a justification or impact_statement", ptr, vuln));
        continue;
      }
      reason = Reason(status, justification, {}, Clean(impact));
    }
    SB_ASSIGN_OR_RETURN(auto products, json::OptArray(st, "products", ptr));
    if (!products || products->size() == 0) {
      b.out.skipped.push_back(fmt::format("{} {}: status {}: no products", ptr, vuln, status));
      continue;
    }
    SB_ASSIGN_OR_RETURN(std::vector<Matcher> vuln_matchers, b.VulnMatchers(vuln, aliases, vptr));
    std::size_t product_index = 0;
    for (json::element p : *products) {
      const std::string pptr = json::Child(json::Child(ptr, "products"), product_index++);
      std::string why;
      SB_ASSIGN_OR_RETURN(const auto product, OpenVexIdentity(p, pptr, &why));
      if (!product) {
        b.out.skipped.push_back(fmt::format("{} {}: product skipped: {}", pptr, vuln, why));
        continue;
      }
      std::optional<json::array> subs;
      if (p.is_object()) {
        SB_ASSIGN_OR_RETURN(subs, json::OptArray(json::Obj(p), "subcomponents", pptr));
      }
      if (!subs || subs->size() == 0) {
        SB_RETURN_IF_ERROR(
            b.Add(vuln, vuln_matchers, n, at, ptr, status, reason ? &*reason : nullptr, {&product->target}));
        continue;
      }
      const Target narrow = NarrowingTarget(product->target, product->name);
      std::size_t sub_index = 0;
      for (json::element s : *subs) {
        const std::string sptr = json::Child(json::Child(pptr, "subcomponents"), sub_index++);
        SB_ASSIGN_OR_RETURN(const auto sub, OpenVexIdentity(s, sptr, &why));
        if (!sub) {
          b.out.skipped.push_back(fmt::format("{} {}: subcomponent skipped: {}", sptr, vuln, why));
          continue;
        }
        SB_RETURN_IF_ERROR(
            b.Add(vuln, vuln_matchers, n, at, ptr, status, reason ? &*reason : nullptr, {&narrow, &sub->target}));
      }
    }
    if (!reason) b.out.skipped.push_back(fmt::format("{} {}: status {} imports nothing", ptr, vuln, status));
  }
  return Status::OK();
}

// --- CycloneDX ----------------------------------------------------------------

using ComponentMap = std::unordered_map<std::string_view, json::object>;

void CollectComponents(json::object holder, std::string_view key, int depth, ComponentMap& map) {
  json::element list;
  if (depth > kMaxComponentDepth || holder[key].get(list) != simdjson::SUCCESS || !list.is_array()) return;
  for (json::element c : json::Arr(list)) {
    if (!c.is_object()) continue;
    const json::object obj = json::Obj(c);
    const std::string_view ref = json::View(obj, "bom-ref");
    if (!ref.empty()) map.emplace(ref, obj);
    CollectComponents(obj, "components", depth + 1, map);
  }
}

std::optional<Target> ComponentTarget(json::object c, std::string* why) {
  const std::string purl = std::string(Trim(json::Str(c, "purl")));
  if (!purl.empty()) {
    const auto parsed = ParsePurl(purl);
    if (parsed) return PurlTarget(*parsed);
    *why = fmt::format("\"{}\" is not a valid package URL", Clean(purl, 200));
    return std::nullopt;
  }
  const std::string cpe = json::Str(c, "cpe");
  if (!cpe.empty()) {
    auto t = CpeTarget(cpe);
    if (t) return t;
  }
  Target t;
  t.package = Clean(json::Str(c, "name"), 1024);
  if (t.package.empty()) {
    *why = "the component has no purl, CPE or name";
    return std::nullopt;
  }
  t.version = Clean(json::Str(c, "version"), 256);
  t.key = t.version.empty() ? t.package : t.package + "-" + t.version;
  return t;
}

Status ImportCycloneDx(json::object root, Builder& b) {
  SB_ASSIGN_OR_RETURN(b.out.document_id, json::Text(root, "serialNumber", ""));
  ComponentMap components;
  std::optional<Target> image;  // the BOM's subject, when an image
  SB_ASSIGN_OR_RETURN(auto metadata, json::OptObject(root, "metadata", ""));
  if (metadata) {
    SB_ASSIGN_OR_RETURN(auto subject, json::OptObject(*metadata, "component", "/metadata"));
    if (subject) {
      const std::string_view ref = json::View(*subject, "bom-ref");
      if (!ref.empty()) components.emplace(ref, *subject);
      CollectComponents(*subject, "components", 1, components);
      std::string ignored;
      auto t = ComponentTarget(*subject, &ignored);
      if (t && t->image) image = std::move(t);
    }
  }
  CollectComponents(root, "components", 0, components);

  SB_ASSIGN_OR_RETURN(auto vulns, json::OptArray(root, "vulnerabilities", ""));
  if (!vulns) return Status::OK();
  if (vulns->size() > kMaxVexStatements) {
    return Status::LimitExceeded(fmt::format("more than {} vulnerabilities", kMaxVexStatements))
        .At(Location::Pointer("/vulnerabilities"));
  }
  std::size_t index = 0;
  for (json::element el : *vulns) {
    const std::size_t n = index++;
    const std::string ptr = json::Child("/vulnerabilities", n);
    ++b.out.statements;
    SB_ASSIGN_OR_RETURN(json::object v, json::AsObject(el, ptr));
    SB_ASSIGN_OR_RETURN(std::string vuln, json::Text(v, "id", ptr));
    vuln = Clean(vuln, 256);
    SB_ASSIGN_OR_RETURN(auto analysis, json::OptObject(v, "analysis", ptr));
    if (!analysis) {
      b.out.skipped.push_back(fmt::format("{} {}: no analysis (not a VEX statement)", ptr, vuln));
      continue;
    }
    if (vuln.empty()) return SchemaAt(ptr, "missing required field \"id\"");
    const std::string aptr = json::Child(ptr, "analysis");
    SB_ASSIGN_OR_RETURN(const std::string state, json::Text(*analysis, "state", aptr));
    if (state.empty()) {
      b.out.skipped.push_back(fmt::format("{} {}: the analysis has no state", ptr, vuln));
      continue;
    }
    if (!OneOf(state, kCdxStates)) {
      return SchemaAt(json::Child(aptr, "state"),
                      fmt::format("unknown state \"{}\" (expected {})", Clean(state, 64), Alternatives(kCdxStates)));
    }
    SB_ASSIGN_OR_RETURN(const std::string justification, json::Text(*analysis, "justification", aptr));
    if (!justification.empty() && !OneOf(justification, kCdxJustifications)) {
      return SchemaAt(json::Child(aptr, "justification"),
                      fmt::format("unknown justification \"{}\" (expected {})", Clean(justification, 64),
                                  Alternatives(kCdxJustifications)));
    }
    SB_ASSIGN_OR_RETURN(const std::string detail, json::Text(*analysis, "detail", aptr));
    SB_ASSIGN_OR_RETURN(auto response_arr, json::OptArray(*analysis, "response", aptr));
    std::vector<std::string> responses;
    if (response_arr) {
      for (const std::string& r : json::StrArray(*analysis, "response")) responses.push_back(Clean(r, 64));
    }
    const bool suppresses = state == "not_affected" || state == "false_positive";
    if (state == "not_affected" && justification.empty() && Trim(detail).empty()) {
      b.out.skipped.push_back(fmt::format("{} {}: not_affected without a justification or detail", ptr, vuln));
      continue;
    }
    const std::string reason = suppresses ? Reason(state, justification, responses, Clean(detail)) : std::string();
    std::vector<std::string> aliases;
    SB_ASSIGN_OR_RETURN(auto refs, json::OptArray(v, "references", ptr));
    if (refs) {
      for (json::element r : *refs) {
        if (r.is_object()) json::AddUnique(aliases, json::Str(json::Obj(r), "id"));
      }
    }
    SB_ASSIGN_OR_RETURN(auto affects, json::OptArray(v, "affects", ptr));
    if (!affects || affects->size() == 0) {
      b.out.skipped.push_back(fmt::format("{} {}: state {}: no affects", ptr, vuln, state));
      continue;
    }
    SB_ASSIGN_OR_RETURN(std::vector<Matcher> vuln_matchers, b.VulnMatchers(vuln, aliases, ptr));
    const TimePoint at = json::TimeOrNull(json::Str(*analysis, "lastUpdated")).value_or(0);
    std::size_t affect_index = 0;
    for (json::element a : *affects) {
      const std::string rptr = json::Child(json::Child(ptr, "affects"), affect_index++);
      SB_ASSIGN_OR_RETURN(json::object ao, json::AsObject(a, rptr));
      SB_ASSIGN_OR_RETURN(const std::string ref, json::Text(ao, "ref", rptr));
      std::string_view lookup = ref;
      // A BOM-Link ("urn:cdx:serial/version#bom-ref") names a component
      // by its bom-ref.
      if (IStartsWith(lookup, "urn:cdx:") && lookup.find('#') != std::string_view::npos) {
        lookup = lookup.substr(lookup.find('#') + 1);
      }
      std::optional<Target> target;
      std::string why;
      const auto found = components.find(lookup);
      if (found != components.end()) {
        target = ComponentTarget(found->second, &why);
      } else if (IStartsWith(ref, "pkg:")) {
        const auto parsed = ParsePurl(ref);
        if (parsed) {
          target = PurlTarget(*parsed);
        } else {
          why = fmt::format("\"{}\" is not a valid package URL", Clean(ref, 200));
        }
      } else {
        why = fmt::format("ref \"{}\" names no component of this BOM", Clean(ref, 200));
      }
      if (!target) {
        b.out.skipped.push_back(fmt::format("{} {}: affect skipped: {}", rptr, vuln, why));
        continue;
      }
      std::vector<const Target*> targets;
      if (image && !target->image) targets.push_back(&*image);
      targets.push_back(&*target);
      SB_RETURN_IF_ERROR(b.Add(vuln, vuln_matchers, n, at, ptr, state, suppresses ? &reason : nullptr, targets));
    }
    if (!suppresses) b.out.skipped.push_back(fmt::format("{} {}: state {} imports nothing", ptr, vuln, state));
  }
  return Status::OK();
}

// --- JSON loading -------------------------------------------------------------

Status SyntaxError(std::string_view bytes, const std::string& file, simdjson::error_code err) {
  std::string detail = simdjson::error_message(err);
  Location loc = JsonSyntaxErrorLocation(bytes, file, &detail);
  return Status::ParseError(fmt::format("invalid JSON: {}", detail)).At(std::move(loc));
}

std::string Basename(const std::string& path) {
  const std::size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status ValidateOptions(const VexImportOptions& options) {
  if (Trim(options.owner).empty()) return Status::InvalidArgument("VEX import needs an owner (--owner)");
  if (Trim(options.approver).empty()) return Status::InvalidArgument("VEX import needs an approver (--approver)");
  if (options.expires == 0) return Status::InvalidArgument("VEX import needs an expiry (--expires)");
  if (options.expires <= options.created) {
    return Status::InvalidArgument(fmt::format("the expiry {} is not after the import time {}",
                                               FormatTime(options.expires), FormatTime(options.created)));
  }
  return Status::OK();
}

}  // namespace

Result<VexImport> ImportVex(std::string_view bytes, const std::string& file, const VexImportOptions& options) {
  SB_RETURN_IF_ERROR(ValidateOptions(options));
  if (bytes.size() > kMaxVexBytes) {
    return Status::LimitExceeded(fmt::format("VEX document larger than {} MiB", kMaxVexBytes >> 20)).WithFile(file);
  }
  if (Trim(bytes).empty()) return Status::ParseError("file is empty").WithFile(file);
  const simdjson::padded_string padded(bytes.data(), bytes.size());
  simdjson::dom::parser parser;
  if (parser.allocate(std::max<std::size_t>(bytes.size(), 1 << 12), kMaxJsonDepth) != simdjson::SUCCESS) {
    return Status::LimitExceeded("cannot allocate parser memory for this document").WithFile(file);
  }
  json::element root;
  const auto err = parser.parse(padded).get(root);
  if (err == simdjson::DEPTH_ERROR) {
    return Status::LimitExceeded(fmt::format("JSON nesting deeper than {} levels", kMaxJsonDepth)).WithFile(file);
  }
  if (err != simdjson::SUCCESS) return SyntaxError(bytes, file, err);

  VexImport out;
  Builder b{file, options, "", out, {}, ""};
  Status st;
  if (root.is_object() && StartsWith(json::View(json::Obj(root), "@context"), "https://openvex.dev/ns")) {
    out.format = b.source = "openvex";
    st = ImportOpenVex(json::Obj(root), b);
  } else if (root.is_object() && json::View(json::Obj(root), "bomFormat") == "CycloneDX") {
    out.format = b.source = "cyclonedx";
    st = ImportCycloneDx(json::Obj(root), b);
  } else {
    return Status::UnknownFormat(
               "not a VEX document (expected OpenVEX, with an \"@context\" of https://openvex.dev/ns/..., or a "
               "CycloneDX BOM with \"bomFormat\": \"CycloneDX\")")
        .WithFile(file);
  }
  if (!st.ok()) return std::move(st).WithFile(file);
  if (!options.id_prefix.empty()) {
    b.prefix = SanitizeId(options.id_prefix);
  }
  if (b.prefix.empty()) {
    b.prefix = "vex-" + HexId(Hash64(out.document_id.empty() ? Basename(file) : out.document_id)).substr(0, 8);
  }
  b.Finish();
  return out;
}

std::string SuppressionsToYaml(const std::vector<Suppression>& suppressions, const std::string& comment) {
  std::string out;
  if (!comment.empty()) {
    for (std::string_view line : Split(comment, '\n')) {
      const std::string text = SanitizeForTerminal(line);
      out += text.empty() ? "#\n" : "# " + text + "\n";
    }
  }
  for (const Suppression& s : suppressions) {
    YAML::Emitter e;
    e << YAML::BeginMap;
    e << YAML::Key << "apiVersion" << YAML::Value << "secbudget.dev/v1";
    e << YAML::Key << "kind" << YAML::Value << "Suppression";
    e << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value << s.id << YAML::EndMap;
    e << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "matchers" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const Matcher& m : s.matchers) e << YAML::SingleQuoted << m.ToString();
    e << YAML::EndSeq;
    const std::pair<const char*, const std::vector<std::string>*> scope[] = {
        {"services", &s.services}, {"assets", &s.assets}, {"teams", &s.teams}, {"environments", &s.environments}};
    if (std::any_of(std::begin(scope), std::end(scope), [](const auto& p) { return !p.second->empty(); })) {
      e << YAML::Key << "scope" << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (const auto& [name, list] : scope) {
        if (list->empty()) continue;
        e << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const std::string& item : *list) e << item;
        e << YAML::EndSeq;
      }
      e << YAML::EndMap;
    }
    e << YAML::Key << "reason" << YAML::Value << s.reason;
    e << YAML::Key << "owner" << YAML::Value << s.owner;
    e << YAML::Key << "approver" << YAML::Value << s.approver;
    e << YAML::Key << "created" << YAML::Value << FormatTime(s.created);
    e << YAML::Key << "expires" << YAML::Value << FormatTime(s.expires);
    if (!s.compensating_control.empty()) {
      e << YAML::Key << "compensating_control" << YAML::Value << s.compensating_control;
    }
    if (!s.source.empty() && s.source != "policy") e << YAML::Key << "source" << YAML::Value << s.source;
    e << YAML::EndMap << YAML::EndMap;
    out += "---\n";
    out += e.c_str();
    out += "\n";
  }
  return out;
}

}  // namespace secbudget
