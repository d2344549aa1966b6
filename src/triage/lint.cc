#include "triage/lint.h"

#include <fmt/format.h>

#include "triage/policy.h"

namespace secbudget {

LintReport LintPolicyDirectory(const std::string& dir, const std::vector<PolicyExtension*>& extensions) {
  LintReport report;
  std::vector<Status> diagnostics;
  auto set = LoadPolicy(dir, &diagnostics, extensions);
  report.errors = std::move(diagnostics);
  if (!set.ok()) {
    if (report.errors.empty()) report.errors.push_back(set.status());
    return report;
  }
  report.files = set->files;
  report.assets = set->inventory.assets().size();
  report.tables = set->ranking.tables.size();
  report.ranking_source = set->ranking.file;
  for (const auto& a : set->inventory.assets()) {
    const Location loc = Location::File(a.file, static_cast<std::uint64_t>(a.line));
    if (a.internet_exposed == Tri::kUnknown) {
      report.warnings.push_back(
          Status::SchemaError(fmt::format("asset {}: internet_exposed not set: its exposure is unknown", a.id))
              .At(loc));
    }
    if (a.environment == Environment::kUnknown) {
      report.warnings.push_back(Status::SchemaError(fmt::format("asset {}: environment not set", a.id)).At(loc));
    }
    if (a.criticality == Criticality::kUnknown) {
      report.warnings.push_back(Status::SchemaError(fmt::format("asset {}: criticality not set", a.id)).At(loc));
    }
  }
  if (set->inventory.empty()) {
    report.warnings.push_back(
        Status::SchemaError("no AssetInventory: every finding will be unmatched (exposure and business impact unknown)")
            .WithFile(dir));
  }
  return report;
}

}  // namespace secbudget
