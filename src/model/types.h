// The vocabulary of secbudget: enums shared by every module, with their
// stable spellings (used in the database, JSON output and policy files).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace secbudget {

enum class FindingKind : std::uint8_t {
  kVulnerability,     // a known vulnerability (CVE, GHSA, ...) in a package
  kMisconfiguration,  // a failed configuration or compliance check
  kSecret,            // an exposed credential
  kCode,              // a static-analysis result in source code
  kThreat,            // a detection of attacker activity (e.g. GuardDuty)
};

enum class Severity : std::uint8_t { kUnknown, kInfo, kLow, kMedium, kHigh, kCritical };

// Architecture layer a finding sits in. The exposure rules of the ranking
// policy are written per layer.
enum class Layer : std::uint8_t { kUnknown, kCloud, kCluster, kContainer, kApp };

enum class Environment : std::uint8_t { kUnknown, kProd, kStaging, kDev };

enum class Criticality : std::uint8_t { kUnknown, kLow, kMedium, kHigh, kCritical };

enum class FindingStatus : std::uint8_t { kOpen, kFixed };

// Tri-state for facts that may be unknown: "never checked" stays apart from
// "checked and no".
enum class Tri : std::uint8_t { kUnknown, kNo, kYes };

enum class Priority : std::uint8_t { kP1 = 1, kP2 = 2, kP3 = 3, kP4 = 4 };

std::string_view Name(FindingKind v);
std::string_view Name(Severity v);
std::string_view Name(Layer v);
std::string_view Name(Environment v);
std::string_view Name(Criticality v);
std::string_view Name(FindingStatus v);
std::string_view Name(Tri v);
std::string_view Name(Priority v);

// Parsers accept the spellings above, case-insensitively, plus common
// synonyms for severities ("moderate", "negligible", "informational",
// "error"/"warning"/"note" are NOT accepted here: SARIF levels are mapped by
// the SARIF parser).
std::optional<FindingKind> ParseFindingKind(std::string_view s);
std::optional<Severity> ParseSeverity(std::string_view s);
std::optional<Layer> ParseLayer(std::string_view s);
std::optional<Environment> ParseEnvironment(std::string_view s);
std::optional<Criticality> ParseCriticality(std::string_view s);
std::optional<FindingStatus> ParseFindingStatus(std::string_view s);
std::optional<Priority> ParsePriority(std::string_view s);

// CVSS base score (0-10) to the CVSS v3 qualitative rating.
Severity SeverityFromCvss(double score);

}  // namespace secbudget
