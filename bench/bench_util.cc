#include "bench_util.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace secbudget::bench {

std::uint64_t Rng::Next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string CveId(std::size_t i) { return fmt::format("CVE-{}-{:05}", 2015 + i % 11, 10000 + i); }

namespace {

constexpr const char* kOsPackages[] = {"openssl",      "libssl3",      "zlib1g",      "libc6",      "curl",
                                       "libcurl4",     "bash",         "tar",         "gzip",       "libxml2",
                                       "libsqlite3-0", "perl-base",    "libgnutls30", "libkrb5-3",  "libpam0g",
                                       "util-linux",   "ncurses-base", "libexpat1",   "libtasn1-6", "systemd"};
constexpr const char* kLangPackages[] = {"org.apache.logging.log4j:log4j-core",
                                         "com.fasterxml.jackson.core:jackson-databind",
                                         "org.springframework:spring-web",
                                         "io.netty:netty-codec-http",
                                         "org.yaml:snakeyaml",
                                         "com.google.guava:guava",
                                         "org.apache.commons:commons-text",
                                         "ch.qos.logback:logback-core"};
constexpr const char* kSeverities[] = {"LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "CRITICAL"};
constexpr const char* kVectors[] = {
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"};
constexpr double kScores[] = {9.8, 7.5, 7.8, 4.2, 6.5};

// The vulnerability indices of one image in one round.
std::vector<std::size_t> PickVulns(const CorpusSpec& spec, std::size_t image, double change_percent) {
  Rng rng(spec.seed * 1000003 + image);
  std::vector<std::size_t> picks;
  picks.reserve(spec.vulns_per_image);
  for (std::size_t i = 0; i < spec.vulns_per_image; ++i) picks.push_back(rng.Below(spec.cve_pool) * 64 + i % 64);
  if (change_percent > 0) {
    Rng change(spec.seed * 7 + image * 13 + 1);
    const auto n = static_cast<std::size_t>(static_cast<double>(spec.vulns_per_image) * change_percent / 100.0);
    // Half of the changed ones disappear (fixed), half are replaced by new ones.
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t at = change.Below(picks.size());
      if (k % 2 == 0) {
        picks.erase(picks.begin() + static_cast<std::ptrdiff_t>(at));
      } else {
        picks[at] = change.Below(spec.cve_pool) * 64 + 63;
      }
    }
  }
  return picks;
}

// One vulnerability entry. As in real reports, the advisory text (title,
// description, references) belongs to the CVE: the same CVE found in
// another package or image carries the same text, as Trivy takes it from
// the same NVD or vendor record.
void AppendVuln(std::string& out, std::size_t code) {
  const std::size_t cve = code / 64;
  const bool os = code % 3 != 0;
  const char* pkg = os ? kOsPackages[code % std::size(kOsPackages)] : kLangPackages[code % std::size(kLangPackages)];
  const std::size_t v = code % std::size(kVectors);
  const std::string id = CveId(cve);
  const bool fixed = code % 4 != 0;
  out += fmt::format(
      R"({{"VulnerabilityID":"{id}","PkgID":"{pkg}@1.{a}.{b}","PkgName":"{pkg}{suffix}","InstalledVersion":"1.{a}.{b}-{c}",)"
      R"("FixedVersion":"{fixed}","Status":"{status}","Layer":{{"Digest":"sha256:{digest:016x}{digest:016x}","DiffID":"sha256:{digest:016x}{digest:016x}"}},)"
      R"("SeveritySource":"nvd","PrimaryURL":"https://avd.aquasec.com/nvd/{lid}","DataSource":{{"ID":"debian","Name":"Debian Security Tracker","URL":"https://salsa.debian.org/security-tracker-team/security-tracker"}},)"
      R"("Title":"{cvepkg}: memory corruption in request parsing allows a crafted input to crash or control the process",)"
      R"("Description":"A flaw was found in {cvepkg}. When processing specially crafted input, an out-of-bounds write in the parser may occur. A remote attacker could use this to cause a denial of service or potentially execute arbitrary code with the privileges of the process. This issue affects versions before 1.{ca}.{cnext}.",)"
      R"("Severity":"{sev}","CweIDs":["CWE-787"],"CVSS":{{"nvd":{{"V3Vector":"{vec}","V3Score":{score}}},"redhat":{{"V3Vector":"{vec}","V3Score":{score}}}}},)"
      R"("References":["https://access.redhat.com/security/cve/{lid}","https://nvd.nist.gov/vuln/detail/{id}","https://security-tracker.debian.org/tracker/{id}","https://ubuntu.com/security/notices/USN-{usn}-1"],)"
      R"("PublishedDate":"2023-0{m}-1{d}T15:15:0{d}.000Z","LastModifiedDate":"2024-0{m}-2{d}T18:15:0{d}.000Z"}})",
      fmt::arg("id", id), fmt::arg("lid", fmt::format("cve-{}", id.substr(4))), fmt::arg("pkg", pkg),
      fmt::arg("cvepkg", kOsPackages[cve % std::size(kOsPackages)]), fmt::arg("ca", cve % 9),
      fmt::arg("cnext", cve % 13 + 1), fmt::arg("suffix", code % 5 == 0 ? fmt::format("-{}", code % 7) : std::string()),
      fmt::arg("a", code % 9), fmt::arg("b", code % 13), fmt::arg("c", code % 5), fmt::arg("next", code % 13 + 1),
      fmt::arg("fixed", fixed ? fmt::format("1.{}.{}-1", code % 9, code % 13 + 1) : std::string()),
      fmt::arg("status", fixed ? "fixed" : "affected"), fmt::arg("digest", code * 2654435761ULL),
      fmt::arg("sev", kSeverities[code % std::size(kSeverities)]), fmt::arg("vec", kVectors[v]),
      fmt::arg("score", kScores[v]), fmt::arg("usn", 5000 + cve % 999), fmt::arg("m", 1 + code % 9),
      fmt::arg("d", code % 10));
}

}  // namespace

std::string TrivyImageReport(const CorpusSpec& spec, std::size_t image, int round, double change_percent) {
  const std::vector<std::size_t> picks = PickVulns(spec, image, change_percent);
  std::string out;
  out.reserve(picks.size() * 1500 + 2048);
  const std::string name = fmt::format("ghcr.io/bench/service-{:04}", image);
  out += fmt::format(
      R"({{"SchemaVersion":2,"CreatedAt":"2026-10-{:02}T08:00:{:02}Z","ArtifactName":"{}:1.0.{}","ArtifactType":"container_image",)"
      R"("Metadata":{{"OS":{{"Family":"debian","Name":"12.5"}},"ImageID":"sha256:{:016x}","RepoTags":["{}:1.0.{}"],)"
      R"("RepoDigests":["{}@sha256:{:016x}{:016x}"]}},"Results":[)",
      1 + round, image % 60, name, round, image * 31, name, round, name, image * 97, image);
  std::string os, lang;
  bool first_os = true, first_lang = true;
  for (std::size_t i = 0; i < picks.size(); ++i) {
    const bool is_os = picks[i] % 3 != 0;
    std::string& dst = is_os ? os : lang;
    bool& first = is_os ? first_os : first_lang;
    if (!first) dst += ',';
    first = false;
    AppendVuln(dst, picks[i]);
  }
  out += fmt::format(R"J({{"Target":"{}:1.0.{} (debian 12.5)","Class":"os-pkgs","Type":"debian","Vulnerabilities":[)J",
                     name, round);
  out += os;
  out += R"(]},{"Target":"app/app.jar","Class":"lang-pkgs","Type":"jar","Vulnerabilities":[)";
  out += lang;
  out += "]}]}";
  return out;
}

std::string KevCatalog(const CorpusSpec& spec) {
  std::string out =
      R"({"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.10.01","dateReleased":"2026-10-01T12:00:00.000Z","count":)";
  out += std::to_string(spec.kev_entries) + R"(,"vulnerabilities":[)";
  Rng rng(spec.seed + 5);
  for (std::size_t i = 0; i < spec.kev_entries; ++i) {
    if (i > 0) out += ',';
    out += fmt::format(
        R"({{"cveID":"{}","vendorProject":"Vendor","product":"Product","vulnerabilityName":"Product memory corruption","dateAdded":"2024-0{}-1{}","shortDescription":"x","requiredAction":"Apply updates.","dueDate":"2024-0{}-2{}","knownRansomwareCampaignUse":"{}","notes":"","cwes":["CWE-787"]}})",
        CveId(rng.Below(spec.cve_pool)), 1 + i % 9, i % 10, 1 + i % 9, i % 10, i % 5 == 0 ? "Known" : "Unknown");
  }
  out += "]}";
  return out;
}

std::string EpssCsv(const CorpusSpec& spec) {
  std::string out = "#model_version:v2025.03.14,score_date:2026-10-01T00:00:00+0000\ncve,epss,percentile\n";
  Rng rng(spec.seed + 9);
  for (std::size_t i = 0; i < spec.cve_pool; ++i) {
    const double u = rng.Unit();
    const double epss = u * u * u * u;
    out += fmt::format("{},{:.5f},{:.5f}\n", CveId(i), epss, u);
  }
  return out;
}

std::string AssetInventoryYaml(const CorpusSpec& spec) {
  std::string out = "apiVersion: secbudget.dev/v1\nkind: AssetInventory\nspec:\n  assets:\n";
  static constexpr const char* kEnv[] = {"prod", "prod", "staging", "dev"};
  static constexpr const char* kCrit[] = {"critical", "high", "medium", "low"};
  for (std::size_t i = 0; i < spec.images; ++i) {
    out += fmt::format(
        "    - id: service-{0:04}\n      service: service-{0:04}\n      team: team-{1}\n      environment: {2}\n"
        "      layer: app\n      internet_exposed: {3}\n      criticality: {4}\n      match:\n"
        "        - image: \"ghcr.io/bench/service-{0:04}\"\n",
        i, i % 40, kEnv[i % 4], i % 3 == 0 ? "true" : "false", kCrit[i % 4]);
  }
  return out;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double PeakRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

double CurrentRssMiB() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return static_cast<double>(resident) * 4096.0 / (1024.0 * 1024.0);
}

}  // namespace secbudget::bench
