#include "report_builder.h"

#include <nlohmann/json.hpp>

namespace secbudget::testing {

using nlohmann::json;

namespace {

double ScoreFor(const std::string& vector) {
  if (vector.find("C:H/I:H/A:H") != std::string::npos && vector.find("AV:N") != std::string::npos) return 9.8;
  return 5.5;
}

}  // namespace

std::string TrivyImage(const std::string& image, const std::string& created_at, const std::vector<Vuln>& vulns,
                       bool lang) {
  json vs = json::array();
  for (const auto& v : vulns) {
    json j = {{"VulnerabilityID", v.id},
              {"PkgName", v.package},
              {"InstalledVersion", v.installed},
              {"Severity", v.severity},
              {"Title", v.package + ": a flaw"},
              {"Description", "A flaw in " + v.package + "."},
              {"PrimaryURL", "https://avd.aquasec.com/nvd/" + v.id},
              {"CVSS", {{"nvd", {{"V3Vector", v.vector}, {"V3Score", ScoreFor(v.vector)}}}}}};
    if (!v.fixed.empty()) j["FixedVersion"] = v.fixed;
    if (!v.status.empty()) j["Status"] = v.status;
    vs.push_back(j);
  }
  json result = lang ? json{{"Target", "app/app.jar"}, {"Class", "lang-pkgs"}, {"Type", "jar"}, {"Vulnerabilities", vs}}
                     : json{{"Target", image + " (debian 12.5)"},
                            {"Class", "os-pkgs"},
                            {"Type", "debian"},
                            {"Vulnerabilities", vs}};
  json report = {{"SchemaVersion", 2},
                 {"CreatedAt", created_at},
                 {"ArtifactName", image},
                 {"ArtifactType", "container_image"},
                 {"Metadata", {{"RepoTags", {image}}}},
                 {"Results", {result}}};
  return report.dump(2);
}

std::string GrypeImage(const std::string& image, const std::string& timestamp, const std::vector<Vuln>& vulns) {
  json matches = json::array();
  for (const auto& v : vulns) {
    json related = json::array();
    for (const auto& r : v.related) related.push_back({{"id", r}, {"namespace", "nvd:cpe"}});
    json fix = v.fixed.empty() ? json{{"versions", json::array()}, {"state", "not-fixed"}}
                               : json{{"versions", {v.fixed}}, {"state", "fixed"}};
    matches.push_back(
        {{"vulnerability",
          {{"id", v.id},
           {"namespace", "debian:distro:debian:12"},
           {"severity", "High"},
           {"description", "A flaw in " + v.package + "."},
           {"cvss", {{{"version", "3.1"}, {"vector", v.vector}, {"metrics", {{"baseScore", ScoreFor(v.vector)}}}}}},
           {"fix", fix}}},
         {"relatedVulnerabilities", related},
         {"artifact", {{"name", v.package}, {"version", v.installed}, {"type", "deb"}}}});
  }
  json report = {{"matches", matches},
                 {"source", {{"type", "image"}, {"target", {{"userInput", image}}}}},
                 {"descriptor", {{"name", "grype"}, {"version", "0.80.0"}, {"timestamp", timestamp}}}};
  return report.dump(2);
}

std::string AsffControl(const std::string& id, const std::string& control, const std::string& compliance,
                        const std::string& updated_at, const std::string& workflow) {
  json f = {{"SchemaVersion", "2018-10-08"},
            {"Id", id},
            {"ProductArn", "arn:aws:securityhub:eu-west-1::product/aws/securityhub"},
            {"ProductName", "Security Hub"},
            {"GeneratorId", "aws-foundational-security-best-practices/v/1.0.0/" + control},
            {"AwsAccountId", "111122223333"},
            {"Region", "eu-west-1"},
            {"Types", {"Software and Configuration Checks/Industry and Regulatory Standards"}},
            {"UpdatedAt", updated_at},
            {"Severity", {{"Label", "HIGH"}}},
            {"Title", control + " a control"},
            {"Description", "A control."},
            {"ProductFields", {{"ControlId", control}}},
            {"Resources", {{{"Type", "AwsS3Bucket"}, {"Id", "arn:aws:s3:::acme-bucket"}, {"Region", "eu-west-1"}}}},
            {"Compliance", {{"Status", compliance}}},
            {"Workflow", {{"Status", workflow}}},
            {"RecordState", "ACTIVE"}};
  return json{{"Findings", {f}}}.dump(2);
}

}  // namespace secbudget::testing
