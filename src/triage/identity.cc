#include "triage/identity.h"

#include <fmt/format.h>

#include <tuple>

#include "common/hash.h"
#include "common/strings.h"

namespace secbudget {

namespace {

// (year, number) of "CVE-YYYY-NNNN...", or nullopt.
std::optional<std::pair<long long, long long>> CveKey(std::string_view id) {
  if (id.size() < 13 || !IStartsWith(id, "CVE-") || id[8] != '-') return std::nullopt;
  long long year = 0, number = 0;
  for (size_t i = 4; i < 8; ++i) {
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
    year = year * 10 + (id[i] - '0');
  }
  for (size_t i = 9; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9' || number > 1'000'000'000'000LL) return std::nullopt;
    number = number * 10 + (id[i] - '0');
  }
  return std::make_pair(year, number);
}

std::string UpperPrefix(const std::string& id) {
  if (IStartsWith(id, "CVE-") || IStartsWith(id, "GHSA-")) {
    std::string out = id;
    const size_t dash = out.find('-');
    for (size_t i = 0; i < dash; ++i) out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
    return out;
  }
  return id;
}

}  // namespace

std::string CanonicalVulnId(const std::string& id, const std::vector<std::string>& aliases) {
  std::optional<std::pair<long long, long long>> best = CveKey(id);
  std::string best_id = best ? id : std::string();
  for (const auto& alias : aliases) {
    const auto key = CveKey(alias);
    if (key && (!best || *key < *best)) {
      best = key;
      best_id = alias;
    }
  }
  return best ? ToUpper(best_id) : UpperPrefix(id);
}

std::string NormalizePackage(const std::string& ecosystem, const std::string& name, const std::string& purl) {
  // Maven names differ between scanners (Trivy: "group:artifact", Grype:
  // "artifact"); the purl ("pkg:maven/group/artifact@v") settles it.
  if (ecosystem == "maven" && name.find(':') == std::string::npos && StartsWith(purl, "pkg:maven/")) {
    std::string_view rest = std::string_view(purl).substr(10);
    rest = rest.substr(0, rest.find_first_of("@?#"));
    const size_t slash = rest.rfind('/');
    if (slash != std::string_view::npos) {
      std::string out(rest.substr(0, slash));
      out += ':';
      out += rest.substr(slash + 1);
      return ToLower(out);
    }
  }
  std::string out = ToLower(name);
  if (ecosystem == "pypi") {
    for (char& c : out) {
      if (c == '_' || c == '.') c = '-';
    }
  }
  return out;
}

Identity ComputeIdentity(const Occurrence& occ, const Scope& scope) {
  Identity out;
  // Plain appends: this runs for every finding of every report.
  std::string& t = out.text;
  if (occ.kind == FindingKind::kVulnerability) {
    out.canonical_vuln_id = CanonicalVulnId(occ.vuln_id, occ.aliases);
    const std::string package = NormalizePackage(occ.ecosystem, occ.package, occ.purl);
    t.reserve(occ.artifact.size() + occ.ecosystem.size() + package.size() + out.canonical_vuln_id.size() + 8);
    t.append("vuln|").append(occ.artifact).append("|").append(occ.ecosystem).append("|").append(package);
    t.append("|").append(out.canonical_vuln_id);
  } else {
    const std::string_view kind = Name(occ.kind);
    t.reserve(kind.size() + scope.scanner.size() + occ.artifact.size() + occ.rule_id.size() + occ.fingerprint.size() +
              4);
    t.append(kind).append("|").append(scope.scanner).append("|").append(occ.artifact).append("|").append(occ.rule_id);
    t.append("|").append(occ.fingerprint);
  }
  // The top 24 bits come from the artifact, the low 40 from the whole
  // identity: findings of one artifact sit together in every index, so a
  // report's writes touch few database pages. Collisions (rare) are resolved
  // by the pipeline with NextCandidateId and the stored identity text.
  out.id = (Hash64(occ.artifact) & kArtifactMask) | (Hash64(out.text) & ~kArtifactMask);
  return out;
}

std::uint64_t NextCandidateId(std::uint64_t id) { return (id & kArtifactMask) | ((id + 1) & ~kArtifactMask); }

std::uint64_t ContentHash(const Occurrence& occ) {
  FieldHasher h;
  h.Add(static_cast<std::int64_t>(occ.severity)).Add(occ.cvss_score).Add(occ.cvss_vector);
  h.Add(occ.installed_version).Add(occ.fixed_version).Add(static_cast<std::int64_t>(occ.fix_available));
  h.Add(static_cast<std::int64_t>(occ.exploit_available)).Add(static_cast<std::int64_t>(occ.known_exploited));
  h.Add(occ.epss).Add(occ.title).Add(occ.location).Add(static_cast<std::int64_t>(occ.layer));
  for (const auto& r : occ.exploit_refs) h.Add(r);
  const Locator& l = occ.locator;
  // Image tag and digest are left out: they change with every build, and a
  // rebuild that fixes nothing changes nothing about the finding.
  h.Add(l.image).Add(l.repository).Add(l.provider).Add(l.account);
  h.Add(l.region).Add(l.arn).Add(l.cluster).Add(l.k8s_namespace).Add(l.resource).Add(l.path);
  return h.Digest();
}

}  // namespace secbudget
