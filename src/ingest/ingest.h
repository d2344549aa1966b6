// Report parsing: bytes in, a ParsedReport out, or an error that names the
// file and the JSON pointer (or line:column for syntax errors).
//
// Formats and their field mappings are documented in each parser's source
// (src/ingest/parsers/*_parser.cc) and in docs/formats.md. The format is detected from
// content unless forced.
//
// Limits (enforced here, documented in docs/formats.md):
//   - report size: ReadLimits::max_bytes (1 GiB by default, --max-report-size)
//   - JSON nesting depth: kMaxJsonDepth
//   - findings per report: kMaxOccurrences
//   - any single string kept from a report is cut at kMaxFieldBytes
//
// Thread-safety: a ReportParser is not thread-safe; use one per thread. It
// reuses its buffers between reports.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/finding.h"

namespace secbudget {

inline constexpr std::size_t kMaxJsonDepth = 256;
inline constexpr std::size_t kMaxOccurrences = 5'000'000;
inline constexpr std::size_t kMaxFieldBytes = 64 * 1024;

struct FormatInfo {
  std::string_view name;         // "trivy", "grype", ...
  std::string_view description;  // one line for `secbudget formats`
};

// Every supported format, in detection order.
std::vector<FormatInfo> SupportedFormats();

struct ParseOptions {
  std::string file;    // for error messages and provenance
  std::string format;  // force a format; empty = detect from content
  std::string target;  // override the scanned target (SARIF, OSV, directories)
  // Optional: recognises items the scope's last scan reported exactly so.
  // Parsers that compute item digests (Occurrence::digest; Trivy
  // vulnerabilities today) call it per item before extracting it; when it
  // returns true with the finding id, the parser records a KnownItem instead
  // of an Occurrence.
  std::function<bool(std::size_t scope_index, const Scope& scope, std::uint64_t digest, std::uint64_t* finding_id)>
      known;
  // Optional: the item arrays of the scope's last scan (ParsedReport::
  // item_arrays as it stored them), or null. When set, Parse first tries to
  // recognise the report's item arrays as those bytes and parse only the
  // rest (ParsedReport::arrays_recognised); and a full parse of a format
  // with item arrays locates them, for the next scan.
  std::function<const std::vector<ItemArray>*(const Scope& scope)> item_arrays;
};

// Part of every item digest. Bump it whenever a parser, or a normaliser it
// calls, would extract something else from the same item: digests stored by
// the previous version then match nothing, and the next scan of each scope
// extracts every item again.
inline constexpr std::uint64_t kItemDigestVersion = 3;  // 3: json::Digest reads the tape

class ReportParser {
 public:
  ReportParser();
  ~ReportParser();
  ReportParser(const ReportParser&) = delete;
  ReportParser& operator=(const ReportParser&) = delete;

  // Parses `bytes`. REQUIRES: bytes.capacity() >= bytes.size() + 64 (ReadFile
  // guarantees this). On error nothing of the report is returned.
  Result<ParsedReport> Parse(const std::string& bytes, const ParseOptions& options);

  // Detects the format only ("" when unknown).
  Result<std::string> Detect(const std::string& bytes, const std::string& file);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Normalises an image reference to "registry/repository" without tag or
// digest: "nginx:1.2" -> "docker.io/library/nginx". Tag and digest are
// returned through the optional out-parameters.
std::string NormalizeImage(std::string_view ref, std::string* tag = nullptr, std::string* digest = nullptr);

// Normalises a source-repository URL: "https://github.com/Acme/api.git" ->
// "github.com/acme/api"; "git@github.com:acme/api" -> "github.com/acme/api".
std::string NormalizeRepository(std::string_view url);

// Canonical ecosystem names from the spellings scanners use
// ("debian" -> "deb", "pip" -> "pypi", "go-module" -> "go", ...).
std::string CanonicalEcosystem(std::string_view scanner_type);

// The fix version to upgrade to, from scanners that list one per release
// branch ("2.15.0, 2.12.2, 2.3.1"): the lowest version above `installed`
// (or the lowest overall when none is above, or the text as is when it does
// not look like a list of versions).
std::string PickFixedVersion(std::string_view versions, std::string_view installed);

// True when a URL points at a public exploit (Exploit-DB, Packet Storm,
// a PoC repository, Metasploit module, ...).
bool IsExploitReference(std::string_view url);

}  // namespace secbudget
