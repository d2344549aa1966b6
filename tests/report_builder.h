// Builders of small, realistic scanner reports for tests (project-written,
// in the formats' real shapes).
#pragma once

#include <string>
#include <vector>

namespace secbudget::testing {

struct Vuln {
  std::string id;  // CVE-... or GHSA-...
  std::string package;
  std::string installed = "1.0.0";
  std::string fixed;  // "" = no fix
  std::string severity = "HIGH";
  std::string vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  std::string status;                // Trivy status ("", "fixed", "affected", "not_affected")
  std::vector<std::string> related;  // Grype relatedVulnerabilities ids
};

// Trivy image report: OS packages (debian) unless `lang` is set (jar).
std::string TrivyImage(const std::string& image, const std::string& created_at, const std::vector<Vuln>& vulns,
                       bool lang = false);
// An inventory of one asset, "api" (team payments, prod, internet-facing,
// high criticality), matching the image ghcr.io/acme/api.
inline constexpr const char* kApiAssetInventory = R"(apiVersion: secbudget.dev/v1
kind: AssetInventory
spec:
  assets:
    - id: api
      service: api
      team: payments
      environment: prod
      layer: app
      internet_exposed: true
      criticality: high
      match:
        - image: ghcr.io/acme/api
)";
// Grype image report.
std::string GrypeImage(const std::string& image, const std::string& timestamp, const std::vector<Vuln>& vulns);
// One ASFF Security Hub control finding.
std::string AsffControl(const std::string& id, const std::string& control, const std::string& compliance,
                        const std::string& updated_at, const std::string& workflow = "NEW");

}  // namespace secbudget::testing
