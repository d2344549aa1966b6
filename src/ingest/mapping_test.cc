// Field mappings decided after the conformance suite was written: each test
// here fails without the rule it names.
#include <gtest/gtest.h>

#include "ingest/ingest.h"
#include "test_util.h"

namespace secbudget {
namespace {

using testing::Padded;

Result<ParsedReport> Parse(ReportParser& parser, const std::string& text, const ParseOptions& options = {}) {
  return parser.Parse(Padded(text), options);
}

TEST(IngestRules, GrypeIgnoredMatchesAreHeld) {
  ReportParser parser;
  auto r = Parse(parser, R"({"matches": [], "ignoredMatches": [
      {"vulnerability": {"id": "CVE-2024-0001", "severity": "High"},
       "artifact": {"name": "openssl", "version": "3.0.1", "type": "deb"},
       "appliedIgnoreRules": [{"vulnerability": "CVE-2024-0001"}]}],
    "source": {"type": "image", "target": {"userInput": "nginx:1.25"}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->occurrences.size(), 1u);
  EXPECT_TRUE(r->occurrences[0].held);
  EXPECT_FALSE(r->occurrences[0].passed);
  EXPECT_EQ(r->occurrences[0].pointer, "/ignoredMatches/0");
  EXPECT_EQ(r->skipped, 1u);
}

TEST(IngestRules, GrypeKnownExploitedAndOwnEpssFirst) {
  ReportParser parser;
  auto r = Parse(parser, R"({"matches": [
      {"vulnerability": {"id": "GHSA-aaaa-bbbb-cccc", "severity": "High", "epss": [{"epss": 0.5}],
                         "knownExploited": [{"cve": "CVE-2024-0002"}]},
       "relatedVulnerabilities": [{"id": "CVE-2024-0002", "epss": [{"epss": 0.01}]}],
       "artifact": {"name": "lib", "version": "1.0", "type": "npm"}}],
    "source": {"type": "image", "target": {"userInput": "nginx:1.25"}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->occurrences.size(), 1u);
  EXPECT_EQ(r->occurrences[0].known_exploited, Tri::kYes);
  EXPECT_DOUBLE_EQ(r->occurrences[0].epss, 0.5);
}

TEST(IngestRules, SarifResultKindAndExtensionRules) {
  ReportParser parser;
  auto r = Parse(parser, R"({"version": "2.1.0", "runs": [{
      "tool": {"driver": {"name": "Scanner", "rules": [{"id": "D1"}]},
               "extensions": [{"name": "pack", "rules": [{"id": "E0"}, {"id": "E1",
                 "shortDescription": {"text": "extension rule"}}]}]},
      "versionControlProvenance": [{"repositoryUri": "https://github.com/acme/api"}],
      "results": [
        {"ruleId": "D1", "kind": "pass", "message": {"text": "ok"}},
        {"ruleId": "D1", "kind": "review", "message": {"text": "look"}},
        {"rule": {"index": 1, "toolComponent": {"index": 0}}, "message": {"text": "x"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.js"}, "region": {"startLine": 3}}}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->occurrences.size(), 3u);
  EXPECT_TRUE(r->occurrences[0].passed);
  EXPECT_FALSE(r->occurrences[0].held);
  EXPECT_TRUE(r->occurrences[1].held);
  EXPECT_EQ(r->occurrences[1].severity, Severity::kInfo);  // non-fail kinds default to level "none"
  EXPECT_EQ(r->occurrences[2].rule_id, "E1");
  EXPECT_EQ(r->occurrences[2].title, "extension rule");
  EXPECT_FALSE(r->occurrences[2].passed || r->occurrences[2].held);
}

TEST(IngestRules, TrivyKubernetesMetadataListAndResourceErrors) {
  ReportParser parser;
  auto r = Parse(parser, R"({"ClusterName": "prod", "Resources": [
      {"Namespace": "app", "Kind": "Deployment", "Name": "api",
       "Metadata": [{"RepoTags": ["ghcr.io/acme/api:2.0"]}],
       "Results": [{"Target": "app.jar", "Class": "lang-pkgs", "Type": "jar",
                    "Vulnerabilities": [{"VulnerabilityID": "CVE-2024-0003", "PkgName": "x:y"}]}]},
      {"Namespace": "app", "Kind": "Deployment", "Name": "secret-one", "Error": "forbidden: rbac"}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->occurrences.size(), 1u);
  EXPECT_EQ(r->occurrences[0].artifact, "image:ghcr.io/acme/api");  // from the Metadata list
  ASSERT_EQ(r->scopes.size(), 1u);
  EXPECT_FALSE(r->scopes[0].complete);  // an unscanned resource: the report closes nothing
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings.back().find("app/Deployment/secret-one was not scanned"), std::string::npos);
}

TEST(IngestRules, TrivyOperatorReplicaSetsAreTheirDeployment) {
  ReportParser parser;
  auto r = Parse(parser, R"({"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "ConfigAuditReport",
      "metadata": {"labels": {"trivy-operator.resource.kind": "ReplicaSet",
                              "trivy-operator.resource.name": "api-5f7c9d8b46",
                              "trivy-operator.resource.namespace": "app"}},
      "report": {"checks": [{"checkID": "KSV001", "success": false, "severity": "MEDIUM"}]}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->occurrences.size(), 1u);
  EXPECT_EQ(r->occurrences[0].locator.resource, "Deployment/api");
  EXPECT_EQ(r->scopes[0].target, "k8s:/app/Deployment/api#ConfigAuditReport");
  // A name whose suffix is not a pod-template hash is left alone.
  auto other = Parse(parser, R"({"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "ConfigAuditReport",
      "metadata": {"labels": {"trivy-operator.resource.kind": "ReplicaSet",
                              "trivy-operator.resource.name": "api-canary",
                              "trivy-operator.resource.namespace": "app"}},
      "report": {"checks": []}})");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->scopes[0].target, "k8s:/app/ReplicaSet/api-canary#ConfigAuditReport");
}

TEST(IngestRules, OsvReleaseEcosystemsAndBranchFixes) {
  ReportParser parser;
  auto r = Parse(parser, R"({"results": [{"source": {"path": "/src/img/status", "type": "os"}, "packages": [
      {"package": {"name": "openssl", "version": "3.0.11", "ecosystem": "Debian:12"},
       "vulnerabilities": [{"id": "DSA-1", "aliases": ["CVE-2024-0004"], "affected": [
         {"package": {"name": "openssl"}, "ranges": [
           {"events": [{"introduced": "0"}, {"fixed": "1.1.1w"}]},
           {"events": [{"introduced": "3.0.0"}, {"fixed": "3.0.13"}]}]}]}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->occurrences.size(), 1u);
  EXPECT_EQ(r->occurrences[0].ecosystem, "deb");
  EXPECT_EQ(r->occurrences[0].layer, Layer::kContainer);
  EXPECT_EQ(r->occurrences[0].fixed_version, "3.0.13");
}

TEST(IngestRules, InspectorOsPackagesTakeTheirPlatformsEcosystem) {
  ReportParser parser;
  auto r = Parse(parser, R"({"Findings": [{"SchemaVersion": "2018-10-08", "Id": "arn:aws:inspector2:f/1",
      "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/inspector", "AwsAccountId": "111122223333",
      "Region": "eu-west-1", "UpdatedAt": "2026-11-02T00:00:00Z", "Severity": {"Label": "HIGH"},
      "Resources": [{"Type": "AwsEcrContainerImage", "Id": "arn:aws:ecr:img",
        "Details": {"AwsEcrContainerImage": {"RegistryId": "111122223333", "RepositoryName": "api",
                                             "Platform": "DEBIAN_12"}}}],
      "Vulnerabilities": [{"Id": "CVE-2024-0005",
        "VulnerablePackages": [{"Name": "openssl", "Version": "3.0.11", "PackageManager": "OS"}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->occurrences.size(), 1u);
  EXPECT_EQ(r->occurrences[0].ecosystem, "deb");
  EXPECT_EQ(r->occurrences[0].artifact, "image:111122223333.dkr.ecr.eu-west-1.amazonaws.com/api");
}

TEST(IngestRules, ExploitReferencesOnGithubNeedAPocName) {
  EXPECT_TRUE(IsExploitReference("https://github.com/someone/CVE-2021-44228-PoC"));
  EXPECT_TRUE(IsExploitReference("https://github.com/someone/log4shell_exploit"));
  EXPECT_TRUE(IsExploitReference("https://github.com/rapid7/metasploit-framework/blob/master/modules/x.rb"));
  EXPECT_FALSE(IsExploitReference("https://github.com/pocoproject/poco/issues/4404"));
  EXPECT_FALSE(IsExploitReference("https://github.com/pocketbase/pocketbase/releases"));
  EXPECT_FALSE(IsExploitReference("https://github.com/someone"));
}

TEST(IngestRules, EcosystemSpellings) {
  EXPECT_EQ(CanonicalEcosystem("rhel"), "rpm");
  EXPECT_EQ(CanonicalEcosystem("Debian:12"), "deb");
  EXPECT_EQ(CanonicalEcosystem("Alpine:v3.18"), "apk");
  EXPECT_EQ(NormalizeRepository("https://github.com/acme/api.git/"), "github.com/acme/api");
  EXPECT_EQ(NormalizeRepository("https://github.com:443/acme/api"), "github.com/acme/api");
}

}  // namespace
}  // namespace secbudget
