#include "model/types.h"

#include "common/strings.h"

namespace secbudget {

std::string_view Name(FindingKind v) {
  switch (v) {
    case FindingKind::kVulnerability: return "vulnerability";
    case FindingKind::kMisconfiguration: return "misconfiguration";
    case FindingKind::kSecret: return "secret";
    case FindingKind::kCode: return "code";
    case FindingKind::kThreat: return "threat";
  }
  return "vulnerability";
}

std::string_view Name(Severity v) {
  switch (v) {
    case Severity::kUnknown: return "unknown";
    case Severity::kInfo: return "info";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "unknown";
}

std::string_view Name(Layer v) {
  switch (v) {
    case Layer::kUnknown: return "unknown";
    case Layer::kCloud: return "cloud";
    case Layer::kCluster: return "cluster";
    case Layer::kContainer: return "container";
    case Layer::kApp: return "app";
  }
  return "unknown";
}

std::string_view Name(Environment v) {
  switch (v) {
    case Environment::kUnknown: return "unknown";
    case Environment::kProd: return "prod";
    case Environment::kStaging: return "staging";
    case Environment::kDev: return "dev";
  }
  return "unknown";
}

std::string_view Name(Criticality v) {
  switch (v) {
    case Criticality::kUnknown: return "unknown";
    case Criticality::kLow: return "low";
    case Criticality::kMedium: return "medium";
    case Criticality::kHigh: return "high";
    case Criticality::kCritical: return "critical";
  }
  return "unknown";
}

std::string_view Name(FindingStatus v) { return v == FindingStatus::kOpen ? "open" : "fixed"; }

std::string_view Name(Tri v) {
  switch (v) {
    case Tri::kUnknown: return "unknown";
    case Tri::kNo: return "no";
    case Tri::kYes: return "yes";
  }
  return "unknown";
}

std::string_view Name(Priority v) {
  switch (v) {
    case Priority::kP1: return "P1";
    case Priority::kP2: return "P2";
    case Priority::kP3: return "P3";
    case Priority::kP4: return "P4";
  }
  return "P4";
}

std::optional<FindingKind> ParseFindingKind(std::string_view s) {
  for (auto v : {FindingKind::kVulnerability, FindingKind::kMisconfiguration, FindingKind::kSecret, FindingKind::kCode,
                 FindingKind::kThreat}) {
    if (IEquals(s, Name(v))) return v;
  }
  return std::nullopt;
}

std::optional<Severity> ParseSeverity(std::string_view s) {
  s = Trim(s);
  if (IEquals(s, "critical")) return Severity::kCritical;
  if (IEquals(s, "high") || IEquals(s, "important")) return Severity::kHigh;
  if (IEquals(s, "medium") || IEquals(s, "moderate")) return Severity::kMedium;
  if (IEquals(s, "low") || IEquals(s, "negligible")) return Severity::kLow;
  if (IEquals(s, "info") || IEquals(s, "informational") || IEquals(s, "none")) return Severity::kInfo;
  if (IEquals(s, "unknown") || IEquals(s, "unspecified") || s.empty()) return Severity::kUnknown;
  return std::nullopt;
}

std::optional<Layer> ParseLayer(std::string_view s) {
  for (auto v : {Layer::kCloud, Layer::kCluster, Layer::kContainer, Layer::kApp, Layer::kUnknown}) {
    if (IEquals(s, Name(v))) return v;
  }
  if (IEquals(s, "application")) return Layer::kApp;
  return std::nullopt;
}

std::optional<Environment> ParseEnvironment(std::string_view s) {
  if (IEquals(s, "prod") || IEquals(s, "production")) return Environment::kProd;
  if (IEquals(s, "staging") || IEquals(s, "stage")) return Environment::kStaging;
  if (IEquals(s, "dev") || IEquals(s, "development") || IEquals(s, "test")) return Environment::kDev;
  if (IEquals(s, "unknown")) return Environment::kUnknown;
  return std::nullopt;
}

std::optional<Criticality> ParseCriticality(std::string_view s) {
  for (auto v :
       {Criticality::kLow, Criticality::kMedium, Criticality::kHigh, Criticality::kCritical, Criticality::kUnknown}) {
    if (IEquals(s, Name(v))) return v;
  }
  return std::nullopt;
}

std::optional<FindingStatus> ParseFindingStatus(std::string_view s) {
  if (IEquals(s, "open")) return FindingStatus::kOpen;
  if (IEquals(s, "fixed")) return FindingStatus::kFixed;
  return std::nullopt;
}

std::optional<Priority> ParsePriority(std::string_view s) {
  for (auto v : {Priority::kP1, Priority::kP2, Priority::kP3, Priority::kP4}) {
    if (IEquals(s, Name(v))) return v;
  }
  return std::nullopt;
}

Severity SeverityFromCvss(double score) {
  if (score < 0) return Severity::kUnknown;
  if (score >= 9.0) return Severity::kCritical;
  if (score >= 7.0) return Severity::kHigh;
  if (score >= 4.0) return Severity::kMedium;
  if (score > 0.0) return Severity::kLow;
  return Severity::kInfo;
}

}  // namespace secbudget
