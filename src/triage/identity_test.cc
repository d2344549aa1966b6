#include "triage/identity.h"

#include <gtest/gtest.h>

#include "common/hash.h"

namespace secbudget {
namespace {

Occurrence Vuln(std::string id, std::vector<std::string> aliases = {}) {
  Occurrence o;
  o.kind = FindingKind::kVulnerability;
  o.artifact = "image:docker.io/library/nginx";
  o.ecosystem = "deb";
  o.package = "openssl";
  o.vuln_id = std::move(id);
  o.aliases = std::move(aliases);
  return o;
}

const Scope kTrivy{"trivy", "image:docker.io/library/nginx", true};
const Scope kGrype{"grype", "image:docker.io/library/nginx", true};

TEST(IdentityTest, IdsAreStableAcrossReleases) {
  const Identity id = ComputeIdentity(Vuln("CVE-2024-0727"), kTrivy);
  EXPECT_EQ(id.text, "vuln|image:docker.io/library/nginx|deb|openssl|CVE-2024-0727");
  EXPECT_EQ(HexId(id.id), "473c7b32c703edfa");
}

TEST(IdentityTest, OneVulnerabilityFromTwoScannersAndAliasesIsOneIdentity) {
  const Identity a = ComputeIdentity(Vuln("CVE-2024-0727"), kTrivy);
  const Identity b = ComputeIdentity(Vuln("GHSA-9v9h-cgj8-h64p", {"CVE-2024-0727"}), kGrype);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(b.canonical_vuln_id, "CVE-2024-0727");
  Occurrence versioned = Vuln("cve-2024-0727");
  versioned.installed_version = "3.0.11";
  versioned.title = "different words";
  EXPECT_EQ(ComputeIdentity(versioned, kTrivy).id, a.id);
}

TEST(IdentityTest, CanonicalIdsPreferTheOldestCve) {
  EXPECT_EQ(CanonicalVulnId("GHSA-xxxx-yyyy-zzzz", {"CVE-2021-45046", "CVE-2021-44228"}), "CVE-2021-44228");
  EXPECT_EQ(CanonicalVulnId("CVE-2021-9999", {"CVE-2021-10000"}), "CVE-2021-9999");
  EXPECT_EQ(CanonicalVulnId("ghsa-abcd-efgh-ijkl", {}), "GHSA-abcd-efgh-ijkl");
  EXPECT_EQ(CanonicalVulnId("ALAS-2023-123", {"not-a-cve"}), "ALAS-2023-123");
}

TEST(IdentityTest, PackageNamesAreNormalisedPerEcosystem) {
  EXPECT_EQ(NormalizePackage("pypi", "Django_REST.framework"), "django-rest-framework");
  EXPECT_EQ(NormalizePackage("maven", "log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            "org.apache.logging.log4j:log4j-core");
  EXPECT_EQ(NormalizePackage("maven", "org.apache.logging.log4j:log4j-core", ""),
            "org.apache.logging.log4j:log4j-core");
  EXPECT_EQ(NormalizePackage("npm", "Lodash"), "lodash");
}

TEST(IdentityTest, RuleFindingsUseScannerRuleAndFingerprintNeverText) {
  Occurrence m;
  m.kind = FindingKind::kMisconfiguration;
  m.artifact = "aws:arn:aws:s3:::bucket";
  m.rule_id = "S3.8";
  m.fingerprint = "finding-1";
  m.title = "one title";
  const Identity a = ComputeIdentity(m, kTrivy);
  m.title = "another title";
  m.description = "changed text";
  EXPECT_EQ(ComputeIdentity(m, kTrivy).id, a.id);
  EXPECT_NE(ComputeIdentity(m, kGrype).id, a.id);
  m.fingerprint = "finding-2";
  EXPECT_NE(ComputeIdentity(m, kTrivy).id, a.id);
}

TEST(IdentityTest, OneArtifactsFindingsShareAnIdPrefix) {
  const Identity a = ComputeIdentity(Vuln("CVE-2024-0727"), kTrivy);
  const Identity b = ComputeIdentity(Vuln("CVE-2023-5678"), kTrivy);
  EXPECT_EQ(a.id & kArtifactMask, b.id & kArtifactMask);
  EXPECT_NE(a.id, b.id);
  const std::uint64_t last = (a.id & kArtifactMask) | ~kArtifactMask;
  EXPECT_EQ(NextCandidateId(last), a.id & kArtifactMask);  // wraps within the prefix
  EXPECT_EQ(NextCandidateId(a.id) & kArtifactMask, a.id & kArtifactMask);
}

TEST(IdentityTest, ContentHashIgnoresBuildTagsButNotFacts) {
  Occurrence o = Vuln("CVE-2024-0727");
  o.severity = Severity::kHigh;
  const std::uint64_t base = ContentHash(o);
  o.locator.image_tag = "1.4.3";
  o.locator.image_digest = "sha256:abc";
  o.description = "descriptions change without a new fact";
  EXPECT_EQ(ContentHash(o), base);
  o.fixed_version = "3.0.13";
  EXPECT_NE(ContentHash(o), base);
}

}  // namespace
}  // namespace secbudget
