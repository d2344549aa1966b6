#include "alert/vex.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "alert/alert_policy.h"
#include "common/file.h"
#include "common/yaml.h"

namespace secbudget {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ReadVex(const std::string& name) {
  auto bytes = ReadFile(std::string(SB_SOURCE_DIR) + "/tests/data/vex/" + name);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

VexImportOptions Options(std::string prefix = "acme") {
  VexImportOptions o;
  o.owner = "team-payments";
  o.approver = "ciso@acme.example";
  o.created = ParseTime("2026-11-01T00:00:00Z").value();
  o.expires = ParseTime("2026-12-01T00:00:00Z").value();
  o.id_prefix = std::move(prefix);
  return o;
}

std::vector<std::string> Matchers(const Suppression& s) {
  std::vector<std::string> out;
  for (const Matcher& m : s.matchers) out.push_back(m.ToString());
  return out;
}

std::vector<std::string> Ids(const VexImport& v) {
  std::vector<std::string> out;
  for (const Suppression& s : v.suppressions) out.push_back(s.id);
  return out;
}

Result<VexImport> Import(const std::string& text, const VexImportOptions& options = Options()) {
  return ImportVex(text, "vex.json", options);
}

// An OpenVEX v0.2.0 document around `statements` (a JSON array).
std::string OpenVex(const std::string& statements) {
  return R"({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://vex.acme.example/t",
             "author": "Acme", "timestamp": "2026-10-20T09:00:00Z", "version": 1, "statements": )" +
         statements + "}";
}

// --- OpenVEX ------------------------------------------------------------------

TEST(VexOpenVex, ImportsNotAffectedStatementsPerProduct) {
  auto r = ImportVex(ReadVex("openvex-acme.json"), "openvex-acme.json", Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, "openvex");
  EXPECT_EQ(r->document_id, "https://vex.acme.example/public/vex-2026-0042");
  EXPECT_EQ(r->statements, 8u);
  EXPECT_THAT(
      Ids(*r),
      ElementsAre("acme-cve-2021-23337-checkout-lodash-4.17.20", "acme-cve-2023-44487-golang.org-x-net-v0.7.0",
                  "acme-cve-2023-44487-google.golang.org-grpc-v1.56.2", "acme-cve-2023-38545-curl-7.88.1-10-deb12u4",
                  "acme-cve-2023-38545-edge_proxy-4.2.0", "acme-cve-2023-38545-angular-core-16.2.12"));
  const auto& s = r->suppressions;

  // An image product with a subcomponent: the image narrows the artifact
  // (its repository_url), the subcomponent gives package and version.
  EXPECT_THAT(Matchers(s[0]),
              ElementsAre(R"(vulnerability=~"CVE-2021-23337|GHSA-35jh-r3h4-6jhm")",
                          R"(artifact="image:ghcr.io/acme/checkout")", R"(package="lodash")", R"(version="4.17.20")"));
  EXPECT_EQ(s[0].reason, "VEX not_affected: vulnerable_code_not_in_execute_path");
  EXPECT_EQ(s[0].origin, "openvex-acme.json#/statements/0");
  EXPECT_EQ(s[0].source, "openvex");
  EXPECT_EQ(s[0].owner, "team-payments");
  EXPECT_EQ(s[0].approver, "ciso@acme.example");
  EXPECT_EQ(FormatTime(s[0].created), "2026-11-01T00:00:00Z");
  EXPECT_EQ(FormatTime(s[0].expires), "2026-12-01T00:00:00Z");
  EXPECT_TRUE(s[0].compensating_control.empty());
  EXPECT_TRUE(s[0].services.empty() && s[0].assets.empty() && s[0].teams.empty() && s[0].environments.empty());

  // Only an impact_statement: it is the reason. Two products, two suppressions.
  EXPECT_THAT(Matchers(s[1]), ElementsAre(R"(vulnerability=~"CVE-2023-44487|GHSA-qppj-fm5r-hxr3|GHSA-4374-p667-p6c8")",
                                          R"(package="golang.org/x/net")", R"(version="v0.7.0")"));
  EXPECT_EQ(s[1].reason,
            "VEX not_affected: The payments gateway makes outbound HTTP/1.1 calls only; it never serves HTTP/2.");
  EXPECT_EQ(s[1].origin, "openvex-acme.json#/statements/1");
  EXPECT_THAT(Matchers(s[2]), ElementsAre(R"(vulnerability=~"CVE-2023-44487|GHSA-qppj-fm5r-hxr3|GHSA-4374-p667-p6c8")",
                                          R"(package="google.golang.org/grpc")", R"(version="v1.56.2")"));

  // identifiers.purl with a percent-encoded version; a CPE; an encoded npm scope.
  EXPECT_THAT(Matchers(s[3]),
              ElementsAre(R"(vulnerability="CVE-2023-38545")", R"(package="curl")", R"(version="7.88.1-10+deb12u4")"));
  EXPECT_THAT(Matchers(s[4]),
              ElementsAre(R"(vulnerability="CVE-2023-38545")", R"(package="edge_proxy")", R"(version="4.2.0")"));
  EXPECT_THAT(Matchers(s[5]),
              ElementsAre(R"(vulnerability="CVE-2023-38545")", R"(package="@angular/core")", R"(version="16.2.12")"));
  EXPECT_EQ(s[5].reason, "VEX not_affected: vulnerable_code_not_present");
  EXPECT_EQ(s[5].origin, "openvex-acme.json#/statements/5");
}

TEST(VexOpenVex, SkipsOtherStatusesAndSupersededStatements) {
  auto r = ImportVex(ReadVex("openvex-acme.json"), "openvex-acme.json", Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Statement 6 (not_affected) is overridden by the later statement 7
  // (affected) about the same vulnerability and product.
  EXPECT_THAT(r->skipped, ElementsAre("/statements/2 CVE-2022-3602: status affected imports nothing",
                                      "/statements/3 CVE-2023-0286: status fixed imports nothing",
                                      "/statements/4 CVE-2024-21626: status under_investigation imports nothing",
                                      "/statements/7 CVE-2022-42003: status affected imports nothing",
                                      "/statements/6 CVE-2022-42003: superseded by /statements/7 (affected)"));
}

TEST(VexOpenVex, LaterNotAffectedStatementReplacesAnEarlierOne) {
  auto r = Import(OpenVex(R"([
    {"vulnerability": {"name": "CVE-2024-1"}, "timestamp": "2026-10-01T00:00:00Z",
     "products": [{"@id": "pkg:npm/a@1"}], "status": "not_affected", "justification": "component_not_present"},
    {"vulnerability": {"name": "CVE-2024-1"}, "timestamp": "2026-09-01T00:00:00Z",
     "products": [{"@id": "pkg:npm/a@1"}], "status": "under_investigation"}])"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The second statement is older: the first one stands.
  EXPECT_THAT(Ids(*r), ElementsAre("acme-cve-2024-1-a-1"));
  EXPECT_EQ(r->suppressions[0].origin, "vex.json#/statements/0");
}

TEST(VexOpenVex, ReasonJoinsJustificationAndImpactStatement) {
  auto r = Import(OpenVex(R"([{"vulnerability": {"name": "CVE-2024-2"}, "products": [{"@id": "pkg:npm/a@1"}],
    "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
    "impact_statement": "The template API is never called."}])"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->suppressions.size(), 1u);
  EXPECT_EQ(r->suppressions[0].reason,
            "VEX not_affected: vulnerable_code_not_in_execute_path — The template API is never called.");
}

TEST(VexOpenVex, MapsPackageUrlsAndPlainNames) {
  auto r = Import(OpenVex(R"([{"vulnerability": "CVE-2024-3", "status": "not_affected",
    "justification": "component_not_present", "products": [
      "pkg:npm/@scope/pkg@2.0.0",
      {"@id": "pkg:golang/github.com/x/y@v1.2.3#sub/dir"},
      {"@id": "pkg:deb/debian/openssl@3.0.11-1?arch=amd64"},
      {"@id": "pkg:rpm/redhat/openssl-libs@1%3A3.0.7-27.el9?arch=x86_64"},
      {"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
      {"@id": "pkg:pypi/requests"},
      {"@id": "pkg:oci/app@sha256%3A0123456789abcdef"},
      {"@id": "pkg:docker/library/nginx@1.25"},
      {"@id": "acme-billing"},
      {"@id": "cpe:/a:acme:ledger:1.0"},
      {"@id": "pkg:/broken"},
      {"hashes": {"sha-256": "0123"}}
    ]}])"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::vector<std::string>> got;
  for (const Suppression& s : r->suppressions) {
    auto m = Matchers(s);
    EXPECT_EQ(m.front(), R"(vulnerability="CVE-2024-3")");
    got.emplace_back(m.begin() + 1, m.end());
  }
  EXPECT_THAT(got, ElementsAre(ElementsAre(R"(package="@scope/pkg")", R"(version="2.0.0")"),
                               ElementsAre(R"(package="github.com/x/y")", R"(version="v1.2.3")"),
                               ElementsAre(R"(package="openssl")", R"(version="3.0.11-1")"),
                               ElementsAre(R"(package="openssl-libs")", R"(version="1:3.0.7-27.el9")"),
                               ElementsAre(R"(package="org.apache.logging.log4j:log4j-core")", R"(version="2.14.1")"),
                               ElementsAre(R"(package="requests")"), ElementsAre(R"(artifact=~"image:(.+/)?app")"),
                               ElementsAre(R"(artifact="image:docker.io/library/nginx")"),
                               ElementsAre(R"(package="acme-billing")"),
                               ElementsAre(R"(package="ledger")", R"(version="1.0")")));
  EXPECT_THAT(r->skipped,
              ElementsAre("/statements/0/products/10 CVE-2024-3: product skipped: \"pkg:/broken\" is not a valid "
                          "package URL",
                          "/statements/0/products/11 CVE-2024-3: product skipped: no @id, purl or CPE identifies it"));

  // The regex matches the image from any registry, and only that name.
  const Matcher& oci = r->suppressions[6].matchers[1];
  EXPECT_TRUE(oci.MatchesValue("image:ghcr.io/acme/app"));
  EXPECT_TRUE(oci.MatchesValue("image:docker.io/library/app"));
  EXPECT_FALSE(oci.MatchesValue("image:ghcr.io/acme/webapp"));
}

TEST(VexOpenVex, NonImageProductWithSubcomponentsNarrowsByName) {
  auto r = Import(OpenVex(R"([{"vulnerability": {"name": "CVE-2024-4"}, "status": "not_affected",
    "justification": "vulnerable_code_not_present", "products": [{"@id": "pkg:github/acme/api@v2",
    "subcomponents": [{"@id": "pkg:golang/golang.org/x/text@v0.3.7"}, {"identifiers": {"purl": "pkg:npm/minimist@1.2.5"}}]}]}])"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->suppressions.size(), 2u);
  EXPECT_THAT(Matchers(r->suppressions[0]), ElementsAre(R"(vulnerability="CVE-2024-4")", R"(artifact=~".*[/:]api")",
                                                        R"(package="golang.org/x/text")", R"(version="v0.3.7")"));
  EXPECT_EQ(r->suppressions[0].id, "acme-cve-2024-4-acme-api-v2-golang.org-x-text-v0.3.7");
  EXPECT_TRUE(r->suppressions[0].matchers[1].MatchesValue("repo:github.com/acme/api"));
  EXPECT_THAT(Matchers(r->suppressions[1]), ElementsAre(R"(vulnerability="CVE-2024-4")", R"(artifact=~".*[/:]api")",
                                                        R"(package="minimist")", R"(version="1.2.5")"));
}

TEST(VexOpenVex, StatementsWithoutProductsOrReasonAreSkipped) {
  auto r = Import(OpenVex(R"([
    {"vulnerability": {"name": "CVE-2024-5"}, "status": "not_affected", "justification": "component_not_present"},
    {"vulnerability": {"name": "CVE-2024-6"}, "status": "not_affected", "products": [{"@id": "pkg:npm/a@1"}]}])"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->suppressions.empty());
  EXPECT_THAT(r->skipped,
              ElementsAre("/statements/0 CVE-2024-5: status not_affected: no products",
                          "/statements/1 CVE-2024-6: not_affected without a justification or impact_statement"));
}

// --- CycloneDX ----------------------------------------------------------------

TEST(VexCycloneDx, ImportsNotAffectedAndFalsePositive) {
  auto r = ImportVex(ReadVex("cyclonedx-vex-acme.json"), "cyclonedx-vex-acme.json", Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, "cyclonedx");
  EXPECT_EQ(r->document_id, "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79");
  EXPECT_EQ(r->statements, 6u);
  EXPECT_THAT(Ids(*r), ElementsAre("acme-cve-2021-44228-ledger-org.apache.logging.log4j-log4j-core-2.14.1",
                                   "acme-cve-2024-3094-ledger-xz-utils-5.4.1-0.2",
                                   "acme-cve-2022-37434-ledger-zlib-1.2.11", "acme-cve-2022-37434-ledger"));
  const auto& s = r->suppressions;
  // The BOM describes an image (metadata.component): it narrows the artifact.
  EXPECT_THAT(Matchers(s[0]),
              ElementsAre(R"(vulnerability=~"CVE-2021-44228|GHSA-jfh8-c2jp-5v3q")", R"(artifact=~"image:(.+/)?ledger")",
                          R"(package="org.apache.logging.log4j:log4j-core")", R"(version="2.14.1")"));
  EXPECT_EQ(s[0].reason,
            "VEX not_affected: code_not_reachable (response: will_not_fix, update) — JNDI lookups are disabled "
            "(log4j2.formatMsgNoLookups=true) and the JndiLookup class is removed from the classpath.");
  EXPECT_EQ(s[0].origin, "cyclonedx-vex-acme.json#/vulnerabilities/0");
  EXPECT_EQ(s[0].source, "cyclonedx");
  EXPECT_EQ(s[0].owner, "team-payments");
  EXPECT_EQ(s[0].approver, "ciso@acme.example");
  EXPECT_EQ(FormatTime(s[0].expires), "2026-12-01T00:00:00Z");

  EXPECT_THAT(Matchers(s[1]), ElementsAre(R"(vulnerability="CVE-2024-3094")", R"(artifact=~"image:(.+/)?ledger")",
                                          R"(package="xz-utils")", R"(version="5.4.1-0.2")"));
  EXPECT_EQ(s[1].reason,
            "VEX false_positive: Debian 12 ships xz-utils 5.4.1, which predates the backdoored 5.6.0 and 5.6.1 "
            "releases.");
  // A component without a purl maps by name and version; the image itself
  // maps to the artifact only.
  EXPECT_THAT(Matchers(s[2]), ElementsAre(R"(vulnerability="CVE-2022-37434")", R"(artifact=~"image:(.+/)?ledger")",
                                          R"(package="zlib")", R"(version="1.2.11")"));
  EXPECT_THAT(Matchers(s[3]), ElementsAre(R"(vulnerability="CVE-2022-37434")", R"(artifact=~"image:(.+/)?ledger")"));
  EXPECT_EQ(s[3].reason,
            "VEX not_affected: requires_configuration — inflateGetHeader() is never called: the service only inflates "
            "raw deflate streams.");
  EXPECT_EQ(s[3].origin, "cyclonedx-vex-acme.json#/vulnerabilities/5");
}

TEST(VexCycloneDx, SkipsOtherStatesAndUnresolvedRefs) {
  auto r = ImportVex(ReadVex("cyclonedx-vex-acme.json"), "cyclonedx-vex-acme.json", Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->skipped, ElementsAre("/vulnerabilities/2 CVE-2023-45803: state exploitable imports nothing",
                                      "/vulnerabilities/3 CVE-2023-32681: state in_triage imports nothing",
                                      "/vulnerabilities/4 CVE-2021-45046: state resolved imports nothing",
                                      "/vulnerabilities/5/affects/2 CVE-2022-37434: affect skipped: ref "
                                      "\"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#comp-missing\" names no "
                                      "component of this BOM"));
}

TEST(VexCycloneDx, StandaloneVexWithPurlRefsAndBomLinks) {
  auto r = Import(R"({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
    "components": [{"type": "library", "bom-ref": "c1", "name": "lodash", "purl": "pkg:npm/lodash@4.17.20"}],
    "vulnerabilities": [
      {"id": "CVE-2021-23337", "analysis": {"state": "not_affected", "justification": "code_not_present"},
       "affects": [{"ref": "pkg:npm/%40babel/traverse@7.22.0"}, {"ref": "urn:cdx:1234/1#c1"}, {"ref": "c9"}]},
      {"id": "CVE-2024-7", "analysis": {"state": "not_affected"}, "affects": [{"ref": "c1"}]},
      {"id": "CVE-2024-8", "description": "listed only"}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->suppressions.size(), 2u);
  EXPECT_THAT(Matchers(r->suppressions[0]),
              ElementsAre(R"(vulnerability="CVE-2021-23337")", R"(package="@babel/traverse")", R"(version="7.22.0")"));
  EXPECT_THAT(Matchers(r->suppressions[1]),
              ElementsAre(R"(vulnerability="CVE-2021-23337")", R"(package="lodash")", R"(version="4.17.20")"));
  EXPECT_EQ(r->suppressions[0].reason, "VEX not_affected: code_not_present");
  EXPECT_THAT(r->skipped,
              ElementsAre("/vulnerabilities/0/affects/2 CVE-2021-23337: affect skipped: ref \"c9\" names no component "
                          "of this BOM",
                          "/vulnerabilities/1 CVE-2024-7: not_affected without a justification or detail",
                          "/vulnerabilities/2 CVE-2024-8: no analysis (not a VEX statement)"));
}

// --- Identifiers ----------------------------------------------------------------

TEST(VexIds, StableOnReimportAndDerivedFromTheDocumentId) {
  const std::string bytes = ReadVex("openvex-acme.json");
  auto first = ImportVex(bytes, "openvex-acme.json", Options(""));
  auto again = ImportVex(bytes, "elsewhere/renamed.json", Options(""));
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(Ids(*first), Ids(*again));
  const std::regex shape("vex-[0-9a-f]{8}-cve-2021-23337-checkout-lodash-4\\.17\\.20");
  EXPECT_TRUE(std::regex_match(first->suppressions[0].id, shape)) << first->suppressions[0].id;
  for (const std::string& id : Ids(*first)) {
    EXPECT_TRUE(std::regex_match(id, std::regex("[a-z0-9._-]+"))) << id;
  }

  // A new statement leaves the ids of the others alone.
  std::string grown = bytes;
  const std::string added =
      R"({"vulnerability": {"name": "CVE-2020-8203"}, "products": [{"@id": "pkg:npm/lodash@4.17.15"}],
      "status": "not_affected", "justification": "vulnerable_code_not_present"},
    {)";
  grown.replace(grown.find("{\n      \"@id\": \"https://vex.acme.example/public/vex-2026-0042#lodash\""), 1, added);
  auto more = ImportVex(grown, "openvex-acme.json", Options(""));
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  std::vector<std::string> ids = Ids(*more);
  ASSERT_EQ(ids.size(), first->suppressions.size() + 1);
  ids.erase(ids.begin());
  EXPECT_EQ(ids, Ids(*first));
}

TEST(VexIds, CollisionsAfterSanitisingAreNumbered) {
  auto r = Import(OpenVex(R"([{"vulnerability": {"name": "CVE-2024-9"}, "status": "not_affected",
    "justification": "component_not_present",
    "products": [{"@id": "pkg:npm/%40scope/pkg@1"}, {"@id": "pkg:npm/scope-pkg@1"}, {"@id": "pkg:npm/SCOPE-pkg@1"}]}])"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Ids(*r), ElementsAre("acme-cve-2024-9-scope-pkg-1", "acme-cve-2024-9-scope-pkg-1-2",
                                   "acme-cve-2024-9-scope-pkg-1-3"));
}

TEST(VexIds, LongIdsAreCutWithADigest) {
  const std::string name(300, 'a');
  auto r = Import(OpenVex(R"([{"vulnerability": {"name": "CVE-2024-10"}, "status": "not_affected",
    "justification": "component_not_present", "products": [{"@id": "pkg:npm/)" +
                          name + R"(@1"}]}])"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->suppressions.size(), 1u);
  EXPECT_LE(r->suppressions[0].id.size(), 96u);
  EXPECT_TRUE(std::regex_match(r->suppressions[0].id, std::regex("acme-cve-2024-10-a+-[0-9a-f]{8}")))
      << r->suppressions[0].id;
}

// --- Errors ---------------------------------------------------------------------

TEST(VexErrors, UnknownFormatNamesTheFile) {
  for (const char* text : {R"({"SchemaVersion": 2, "ArtifactName": "nginx", "Results": []})", "[]", "42",
                           R"({"@context": "https://example.com/ns", "statements": []})", R"({"bomFormat": "SPDX"})"}) {
    auto r = Import(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kUnknownFormat) << text;
    EXPECT_EQ(r.status().location().file, "vex.json");
  }
}

TEST(VexErrors, BadJsonHasLineAndColumn) {
  auto r = Import("{\n  \"@context\": \"https://openvex.dev/ns/v0.2.0\",\n  \"statements\": [,]\n}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kParseError);
  EXPECT_EQ(r.status().location().file, "vex.json");
  EXPECT_EQ(r.status().location().line, 3u);
  EXPECT_EQ(r.status().location().column, 18u);
  EXPECT_THAT(r.status().ToString(), HasSubstr("vex.json:3:18: parse-error: invalid JSON"));

  auto empty = Import("  \n");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kParseError);

  auto truncated = Import(ReadVex("openvex-acme.json").substr(0, 500));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kParseError);
}

TEST(VexErrors, SchemaErrorsNameTheJsonPointer) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {OpenVex(R"([{"vulnerability": {"name": "CVE-1"}, "products": []},
                   {"vulnerability": {"name": "CVE-2"}, "products": []}])"),
       "vex.json#/statements/0: schema-error: missing required field \"status\""},
      {OpenVex(R"([{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}, {"vulnerability": {"name": "CVE-2"},
                   "status": "mitigated"}])"),
       "vex.json#/statements/1/status: schema-error: unknown status \"mitigated\" (expected not_affected, affected, "
       "fixed or under_investigation)"},
      {OpenVex(R"([{"status": "fixed"}])"),
       "vex.json#/statements/0: schema-error: missing required field "
       "\"vulnerability\""},
      {OpenVex(R"([{"vulnerability": {"aliases": ["GHSA-1"]}, "status": "fixed"}])"),
       "vex.json#/statements/0/vulnerability: schema-error: the vulnerability needs a name"},
      {OpenVex(R"([{"vulnerability": {"name": "CVE-1"}, "status": "not_affected", "justification": "trust_me"}])"),
       "vex.json#/statements/0/justification: schema-error: unknown justification \"trust_me\""},
      {OpenVex(R"({"a": 1})"), "vex.json#/statements: schema-error: expected array, found object"},
      {OpenVex(R"([{"vulnerability": {"name": "CVE-1"}, "status": "fixed", "products": [7]}])"),
       "vex.json#/statements/0/products/0: schema-error: expected object, found number"},
      {R"({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x"})",
       "vex.json#/: schema-error: missing required field \"statements\""},
      {R"({"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "wontfix"}}]})",
       "vex.json#/vulnerabilities/0/analysis/state: schema-error: unknown state \"wontfix\""},
      {R"({"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "not_affected",
          "justification": "code_not_present"}, "affects": [{"ref": ["c1"]}]}]})",
       "vex.json#/vulnerabilities/0/affects/0/ref: schema-error: expected string, found array"},
      {R"({"bomFormat": "CycloneDX", "vulnerabilities": [{"analysis": {"state": "not_affected"}}]})",
       "vex.json#/vulnerabilities/0: schema-error: missing required field \"id\""},
  };
  for (const Case& c : cases) {
    auto r = Import(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kSchemaError) << c.text;
    EXPECT_THAT(r.status().ToString(), HasSubstr(c.expected));
  }
}

TEST(VexErrors, OptionsAreValidated) {
  const std::string doc = ReadVex("openvex-acme.json");
  VexImportOptions o = Options();
  o.owner = " ";
  EXPECT_EQ(Import(doc, o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(Import(doc, o).status().message(), HasSubstr("owner"));
  o = Options();
  o.approver.clear();
  EXPECT_THAT(Import(doc, o).status().message(), HasSubstr("approver"));
  o = Options();
  o.expires = 0;
  EXPECT_THAT(Import(doc, o).status().message(), HasSubstr("expiry"));
  o = Options();
  o.expires = o.created;
  EXPECT_EQ(Import(doc, o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(Import(doc, o).status().message(),
              HasSubstr("the expiry 2026-11-01T00:00:00Z is not after the import time 2026-11-01T00:00:00Z"));
  o.expires = o.created - 1;
  EXPECT_EQ(Import(doc, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(VexErrors, LimitsOnSizeAndStatements) {
  std::string huge = OpenVex("[]");
  huge.append(64 * 1024 * 1024, ' ');
  auto big = Import(huge);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(big.status().location().file, "vex.json");

  std::string statements = "[";
  for (int i = 0; i <= 100'000; ++i) statements += R"({"vulnerability":"CVE-1","status":"fixed"},)";
  statements.back() = ']';
  auto many = Import(OpenVex(statements));
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), StatusCode::kLimitExceeded);
  EXPECT_THAT(many.status().ToString(), HasSubstr("vex.json#/statements: limit-exceeded: more than 100000"));

  std::string nested = R"({"bomFormat": "CycloneDX", "x": )" + std::string(1000, '[') + std::string(1000, ']') + "}";
  EXPECT_EQ(Import(nested).status().code(), StatusCode::kLimitExceeded);
}

// --- YAML -----------------------------------------------------------------------

TEST(VexYaml, EmitsSuppressionDocuments) {
  auto r = ImportVex(ReadVex("openvex-acme.json"), "openvex-acme.json", Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<Suppression> two(r->suppressions.begin(), r->suppressions.begin() + 2);
  const std::string yaml =
      SuppressionsToYaml(two, "Imported by secbudget from openvex-acme.json\nReview before merging");
  EXPECT_EQ(yaml.substr(0, yaml.find("---", yaml.find("---") + 1)),
            R"(# Imported by secbudget from openvex-acme.json
# Review before merging
---
apiVersion: secbudget.dev/v1
kind: Suppression
metadata:
  name: acme-cve-2021-23337-checkout-lodash-4.17.20
spec:
  matchers: ['vulnerability=~"CVE-2021-23337|GHSA-35jh-r3h4-6jhm"', 'artifact="image:ghcr.io/acme/checkout"', 'package="lodash"', 'version="4.17.20"']
  reason: "VEX not_affected: vulnerable_code_not_in_execute_path"
  owner: team-payments
  approver: ciso@acme.example
  created: 2026-11-01T00:00:00Z
  expires: 2026-12-01T00:00:00Z
  source: openvex
)");

  auto docs = ParseYamlDocuments(yaml, "suppressions.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 2u);
  for (std::size_t i = 0; i < docs->size(); ++i) {
    const YAML::Node& d = (*docs)[i];
    const Suppression& s = two[i];
    EXPECT_EQ(d["apiVersion"].as<std::string>(), "secbudget.dev/v1");
    EXPECT_EQ(d["kind"].as<std::string>(), "Suppression");
    EXPECT_EQ(d["metadata"]["name"].as<std::string>(), s.id);
    const YAML::Node spec = d["spec"];
    std::vector<std::string> keys;
    for (const auto& kv : spec) keys.push_back(kv.first.as<std::string>());
    EXPECT_THAT(keys, ElementsAre("matchers", "reason", "owner", "approver", "created", "expires", "source"));
    EXPECT_EQ(spec["matchers"].as<std::vector<std::string>>(), Matchers(s));
    for (const auto& m : spec["matchers"].as<std::vector<std::string>>()) {
      auto parsed = Matcher::Parse(m);
      ASSERT_TRUE(parsed.ok()) << m;
      EXPECT_EQ(parsed->ToString(), m);
    }
    EXPECT_EQ(spec["reason"].as<std::string>(), s.reason);
    EXPECT_EQ(spec["owner"].as<std::string>(), "team-payments");
    EXPECT_EQ(spec["approver"].as<std::string>(), "ciso@acme.example");
    EXPECT_EQ(spec["created"].as<std::string>(), "2026-11-01T00:00:00Z");
    EXPECT_EQ(spec["expires"].as<std::string>(), "2026-12-01T00:00:00Z");
    EXPECT_EQ(spec["source"].as<std::string>(), "openvex");
  }
}

TEST(VexYaml, PolicyLoaderReadsBackEqualSuppressions) {
  for (const char* file : {"openvex-acme.json", "cyclonedx-vex-acme.json"}) {
    auto r = ImportVex(ReadVex(file), file, Options());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto docs = ParseYamlDocuments(SuppressionsToYaml(r->suppressions, file), "s.yaml");
    ASSERT_TRUE(docs.ok()) << docs.status().ToString();
    ASSERT_EQ(docs->size(), r->suppressions.size());
    for (std::size_t i = 0; i < docs->size(); ++i) {
      const YAML::Node& d = (*docs)[i];
      auto back = ParseSuppression(d["spec"], d["metadata"]["name"].as<std::string>(), "s.yaml", "s.yaml");
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      const Suppression& s = r->suppressions[i];
      EXPECT_EQ(back->ContentHash(), s.ContentHash()) << s.id;
      EXPECT_EQ(Matchers(*back), Matchers(s));
      EXPECT_EQ(back->source, s.source);
    }
  }
}

TEST(VexYaml, ScopeCompensatingControlAndPolicySource) {
  Suppression s;
  s.id = "payments-accept-cve-2024-1";
  s.matchers.push_back(Matcher::Parse(R"(vulnerability="CVE-2024-1")").value());
  s.services = {"checkout", "ledger"};
  s.environments = {"prod*"};
  s.reason = "Line one\nline 'two' with \"quotes\" and: colons";
  s.owner = "team-payments";
  s.approver = "ciso@acme.example";
  s.created = ParseTime("2026-11-01T00:00:00Z").value();
  s.expires = ParseTime("2026-11-15T12:00:00Z").value();
  s.compensating_control = "WAF rule 942100 blocks the payload";
  s.source = "policy";
  const std::string yaml = SuppressionsToYaml({s}, "");
  EXPECT_THAT(yaml, HasSubstr("  scope: {services: [checkout, ledger], environments: [prod*]}\n"));
  EXPECT_EQ(yaml.find('#'), std::string::npos);
  auto docs = ParseYamlDocuments(yaml, "s.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 1u);
  const YAML::Node spec = (*docs)[0]["spec"];
  std::vector<std::string> keys;
  for (const auto& kv : spec) keys.push_back(kv.first.as<std::string>());
  EXPECT_THAT(keys, ElementsAre("matchers", "scope", "reason", "owner", "approver", "created", "expires",
                                "compensating_control"));
  EXPECT_EQ(spec["scope"]["services"].as<std::vector<std::string>>(), s.services);
  EXPECT_EQ(spec["scope"]["environments"].as<std::vector<std::string>>(), s.environments);
  EXPECT_FALSE(spec["scope"]["assets"].IsDefined());
  EXPECT_EQ(spec["reason"].as<std::string>(), s.reason);
  EXPECT_EQ(spec["compensating_control"].as<std::string>(), s.compensating_control);
  EXPECT_EQ(spec["expires"].as<std::string>(), "2026-11-15T12:00:00Z");

  EXPECT_EQ(SuppressionsToYaml({}, "nothing to import"), "# nothing to import\n");
}

}  // namespace
}  // namespace secbudget
