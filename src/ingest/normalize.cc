#include <fmt/format.h>

#include <array>
#include <utility>

#include "common/strings.h"
#include "ingest/ingest.h"

namespace secbudget {

std::string NormalizeImage(std::string_view ref, std::string* tag, std::string* digest) {
  std::string_view s = Trim(ref);
  // Trivy writes OS targets as "image:tag (debian 10.4)".
  if (const size_t paren = s.find(" ("); paren != std::string_view::npos) s = s.substr(0, paren);
  if (const size_t at = s.find('@'); at != std::string_view::npos) {
    if (digest != nullptr) *digest = std::string(s.substr(at + 1));
    s = s.substr(0, at);
  }
  // A tag follows the last ':' after the last '/' (a ':' before it is a port).
  const size_t slash = s.rfind('/');
  const size_t colon = s.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    if (tag != nullptr) *tag = std::string(s.substr(colon + 1));
    s = s.substr(0, colon);
  }
  std::string name = ToLower(s);
  if (name.empty()) return name;
  const size_t first_slash = name.find('/');
  const std::string first = first_slash == std::string::npos ? std::string() : name.substr(0, first_slash);
  const bool has_registry = !first.empty() && (first.find('.') != std::string::npos ||
                                               first.find(':') != std::string::npos || first == "localhost");
  if (!has_registry) {
    name = (first_slash == std::string::npos ? "docker.io/library/" : "docker.io/") + name;
  } else if (first == "index.docker.io" || first == "registry-1.docker.io") {
    name = "docker.io" + name.substr(first_slash);
  }
  if (StartsWith(name, "docker.io/") && name.find('/', 10) == std::string::npos) {
    name = "docker.io/library/" + name.substr(10);
  }
  return name;
}

std::string NormalizeRepository(std::string_view url) {
  std::string s(Trim(url));
  for (const std::string_view scheme : {"https://", "http://", "ssh://", "git://", "git+https://"}) {
    if (IStartsWith(s, scheme)) {
      s = s.substr(scheme.size());
      break;
    }
  }
  if (const size_t at = s.find('@'); at != std::string::npos && at < s.find('/')) s = s.substr(at + 1);
  // scp-like "github.com:acme/api"
  if (const size_t colon = s.find(':'); colon != std::string::npos && colon < s.find('/')) {
    const std::string rest = s.substr(colon + 1);
    const bool is_port = !rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0]));
    if (!is_port) s = s.substr(0, colon) + "/" + rest;
  }
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (EndsWith(s, ".git")) s.resize(s.size() - 4);
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (const size_t port = s.find(":443/"); port != std::string::npos && port < s.find('/')) s.erase(port, 4);
  return ToLower(s);
}

std::string CanonicalEcosystem(std::string_view type) {
  static const std::array<std::pair<std::string_view, std::string_view>, 61> kMap = {{
      {"debian", "deb"},
      {"ubuntu", "deb"},
      {"deb", "deb"},
      {"dpkg", "deb"},
      {"alpine", "apk"},
      {"apk", "apk"},
      {"wolfi", "apk"},
      {"chainguard", "apk"},
      {"redhat", "rpm"},
      {"rhel", "rpm"},
      {"centos", "rpm"},
      {"rocky", "rpm"},
      {"alma", "rpm"},
      {"amazon", "rpm"},
      {"oracle", "rpm"},
      {"fedora", "rpm"},
      {"photon", "rpm"},
      {"suse", "rpm"},
      {"opensuse", "rpm"},
      {"cbl-mariner", "rpm"},
      {"rpm", "rpm"},
      {"npm", "npm"},
      {"yarn", "npm"},
      {"pnpm", "npm"},
      {"node-pkg", "npm"},
      {"javascript", "npm"},
      {"pip", "pypi"},
      {"pipenv", "pypi"},
      {"poetry", "pypi"},
      {"python-pkg", "pypi"},
      {"python", "pypi"},
      {"pypi", "pypi"},
      {"uv", "pypi"},
      {"gomod", "go"},
      {"gobinary", "go"},
      {"go-module", "go"},
      {"go", "go"},
      {"jar", "maven"},
      {"pom", "maven"},
      {"gradle", "maven"},
      {"java-archive", "maven"},
      {"maven", "maven"},
      {"sbt", "maven"},
      {"composer", "composer"},
      {"php-composer", "composer"},
      {"packagist", "composer"},
      {"bundler", "gem"},
      {"gemspec", "gem"},
      {"gem", "gem"},
      {"rubygems", "gem"},
      {"cargo", "cargo"},
      {"rust-binary", "cargo"},
      {"rust-crate", "cargo"},
      {"crates.io", "cargo"},
      {"nuget", "nuget"},
      {"dotnet-core", "nuget"},
      {"dotnet", "nuget"},
      {"conan", "conan"},
      {"swift", "swift"},
      {"cocoapods", "cocoapods"},
      {"pub", "pub"},
  }};
  std::string lower = ToLower(Trim(type));
  // OSV ecosystems may carry a release: "Debian:12", "Alpine:v3.18".
  if (const size_t colon = lower.find(':'); colon != std::string::npos) lower.resize(colon);
  for (const auto& [from, to] : kMap) {
    if (lower == from) return std::string(to);
  }
  return lower;
}

std::string PickFixedVersion(std::string_view versions, std::string_view installed) {
  std::string_view best;
  std::string_view lowest;
  for (std::string_view v : Split(versions, ',')) {
    v = Trim(v);
    if (v.empty()) continue;
    if (lowest.empty() || CompareVersions(v, lowest) < 0) lowest = v;
    const bool above = installed.empty() || CompareVersions(v, installed) > 0;
    if (above && (best.empty() || CompareVersions(v, best) < 0)) best = v;
  }
  return std::string(!best.empty() ? best : lowest);
}

bool IsExploitReference(std::string_view url) {
  // Called for every reference of every vulnerability: look at the host
  // first (one scan), and at the path only for the few hosts that matter.
  const size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  const size_t slash = rest.find('/');
  std::string_view host = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (IStartsWith(host, "www.")) host.remove_prefix(4);
  const auto path_has = [&](std::string_view needle) { return IContains(path, needle); };
  if (IEquals(host, "exploit-db.com")) return path_has("/exploits/") || path_has("/download/");
  if (IEquals(host, "packetstormsecurity.com") || IEquals(host, "packetstormsecurity.org")) return path_has("/files/");
  if (IEquals(host, "seclists.org")) return path_has("/fulldisclosure/");
  if (IEquals(host, "cxsecurity.com")) return path_has("/issue/");
  if (IEquals(host, "0day.today")) return path_has("/exploit");
  if (IEquals(host, "github.com")) {
    if (path_has("/rapid7/metasploit-framework/")) return true;
    // Repositories named after a PoC or exploit: github.com/<user>/<repo>
    // where <repo> has a "poc"/"exploit" word or is named after a CVE
    // ("CVE-2021-44228-poc", "log4shell_exploit", "CVE-2023-4911"), not
    // merely starting with the letters ("pocoproject").
    const auto parts = Split(path, '/');
    if (parts.size() < 3) return false;
    const std::string repo = ToLower(parts[2]);
    if (StartsWith(repo, "cve-") && repo.size() >= 13) return true;
    std::string word;
    for (std::size_t i = 0; i <= repo.size(); ++i) {
      const char c = i < repo.size() ? repo[i] : '-';
      if (c == '-' || c == '_' || c == '.') {
        if (word == "poc" || word == "exploit" || word == "exploits") return true;
        word.clear();
      } else {
        word += c;
      }
    }
  }
  return false;
}

}  // namespace secbudget
