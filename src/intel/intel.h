// Threat-intelligence feeds: the CISA Known Exploited Vulnerabilities catalog
// (JSON as CISA publishes it) and FIRST EPSS scores (CSV or .csv.gz, with or
// without the "#model_version:...,score_date:..." first line).
//
// Parsing is pure: persistence and re-ranking are triage's job.
// Limits: a feed file is at most kMaxIntelBytes after decompression.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "model/asset.h"

namespace secbudget {

inline constexpr std::size_t kMaxIntelBytes = 512u * 1024 * 1024;

enum class IntelKind { kUnknown, kKev, kEpss };

// Looks at content, not the file name.
IntelKind DetectIntel(const std::string& bytes);

struct KevCatalog {
  IntelSource source;  // name "kev", version = catalogVersion, released = dateReleased
  std::vector<KevEntry> entries;
};

// REQUIRES: bytes has 64 bytes of padding capacity (ReadFile provides it).
// Errors name the file and JSON pointer. Entries must have cveID and a valid
// dateAdded; dueDate may be empty.
Result<KevCatalog> ParseKev(const std::string& bytes, const std::string& file);

struct EpssScores {
  IntelSource source;  // name "epss", version = model_version, released = score_date
  std::vector<EpssEntry> entries;
};

// Errors name the file and line. Scores must lie in [0, 1].
Result<EpssScores> ParseEpss(const std::string& bytes, const std::string& file);

// "CVE-2021-44228" style ids only.
bool IsCveId(std::string_view id);

}  // namespace secbudget
