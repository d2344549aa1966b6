// VEX import: OpenVEX (https://github.com/openvex/spec, v0.2.0) and
// CycloneDX VEX (a CycloneDX 1.4-1.6 BOM's `vulnerabilities[].analysis`)
// statements that say a product is not affected by a vulnerability become
// suppressions: accepted risk with the statement's justification as the
// reason, and the owner, approver and expiry the importer supplies (VEX
// documents have no expiry, and secbudget requires one).
//
// Mapping (documented in docs/alerting.md):
// - OpenVEX statement with status "not_affected" and a justification (or an
//   impact_statement): one suppression per product; vulnerability.name and
//   vulnerability.aliases give the `vulnerability` matcher, the product's
//   purl (@id or identifiers.purl) gives `package` (and `version` when the
//   purl has one; an oci purl gives an `artifact` matcher instead);
//   subcomponents narrow the package.
// - CycloneDX: vulnerabilities[] whose analysis.state is "not_affected"
//   (or "false_positive"), with analysis.justification; `affects[].ref`
//   resolves through components' bom-ref to a purl, mapped as above.
// - Other statuses (affected, fixed, under_investigation, exploitable,
//   in_triage, resolved) import nothing and are counted as skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alert/suppression.h"
#include "common/status.h"

namespace secbudget {

struct VexImportOptions {
  std::string owner;      // required
  std::string approver;   // required
  TimePoint created = 0;  // the import time (the CLI's --now)
  TimePoint expires = 0;  // required, > created
  std::string id_prefix;  // "" = derived from the document's @id / serialNumber
};

struct VexImport {
  std::string format;  // "openvex" or "cyclonedx"
  std::string document_id;
  std::vector<Suppression> suppressions;
  std::size_t statements = 0;        // statements read
  std::vector<std::string> skipped;  // one line per statement not imported, with why
};

// Detects the format from content. Errors name the file and JSON pointer.
Result<VexImport> ImportVex(std::string_view bytes, const std::string& file, const VexImportOptions& options);

// Suppression policy documents (YAML, kind Suppression, one per
// suppression) that the policy loader reads back to equal suppressions.
std::string SuppressionsToYaml(const std::vector<Suppression>& suppressions, const std::string& comment);

}  // namespace secbudget
