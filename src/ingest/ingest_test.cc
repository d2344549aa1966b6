// Unit tests of report ingestion on small documents written for these tests:
// detection, forced formats, --target, malformed input and limits, the
// normalisation helpers, and reading (gzip) files with limits.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "common/time.h"
#include "ingest/ingest.h"
#include "ingest/json_util.h"
#include "model/finding.h"
#include "test_util.h"

namespace secbudget {
namespace {

using testing::Padded;

Result<ParsedReport> ParseText(ReportParser& parser, const std::string& text, const ParseOptions& options = {}) {
  return parser.Parse(Padded(text), options);
}

ParseOptions WithFile(std::string file) {
  ParseOptions options;
  options.file = std::move(file);
  return options;
}

// One minimal document per format, each with one finding.
struct Minimal {
  std::string format;
  std::string text;
};

const std::vector<Minimal>& MinimalDocuments() {
  static const std::vector<Minimal> kDocs = {
      {"trivy", R"j({"SchemaVersion": 2, "ArtifactName": "registry.example.com/shop/cart:3.1",
                    "ArtifactType": "container_image",
                    "Results": [{"Target": "cart (debian 12.4)", "Class": "os-pkgs", "Type": "debian",
                                 "Vulnerabilities": [{"VulnerabilityID": "CVE-2030-0001", "PkgName": "zlib1g",
                                                      "InstalledVersion": "1.2.13", "Severity": "HIGH"}]}]})j"},
      {"trivy-operator", R"({"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "VulnerabilityReport",
                             "metadata": {"name": "pod-cart", "namespace": "shop"},
                             "report": {"artifact": {"repository": "shop/cart", "tag": "3.1"},
                                        "registry": {"server": "registry.example.com"},
                                        "vulnerabilities": [{"vulnerabilityID": "CVE-2030-0002", "resource": "openssl",
                                                             "installedVersion": "3.0.1", "severity": "CRITICAL"}]}})"},
      {"grype", R"({"matches": [{"vulnerability": {"id": "CVE-2030-0003", "severity": "Medium"},
                                 "artifact": {"name": "busybox", "version": "1.36.1", "type": "apk"}}],
                    "source": {"type": "image", "target": {"userInput": "alpine:3.19"}}})"},
      {"sarif", R"({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "DemoLint"}},
                    "results": [{"ruleId": "demo.sql-injection", "level": "error", "message": {"text": "tainted query"},
                                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/db.py"},
                                                                     "region": {"startLine": 12}}}]}]}]})"},
      {"asff", R"({"Findings": [{"SchemaVersion": "2018-10-08", "Id": "finding-1",
                                  "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
                                  "AwsAccountId": "111122223333", "GeneratorId": "s3-bucket-public-read",
                                  "Title": "S3 bucket is public", "Severity": {"Label": "HIGH"},
                                  "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::demo-bucket"}]}]})"},
      {"prowler", R"([{"class_uid": 2004, "status_code": "FAIL", "severity": "High",
                       "finding_info": {"uid": "prowler-aws-s3_bucket_public-1", "title": "Bucket public"},
                       "metadata": {"event_code": "s3_bucket_public", "product": {"name": "Prowler"}},
                       "cloud": {"provider": "aws", "account": {"uid": "111122223333"}, "region": "eu-west-1"},
                       "resources": [{"uid": "arn:aws:s3:::demo-bucket", "type": "AwsS3Bucket",
                                      "name": "demo-bucket"}]}])"},
      {"kubescape", R"({"clusterName": "demo", "summaryDetails": {"controls": {"C-0017": {"scoreFactor": 8}}},
                        "resources": [], "results": [{"resourceID": "apps/v1/shop/Deployment/cart",
                                                      "controls": [{"controlID": "C-0017", "name": "Immutable fs",
                                                                    "status": {"status": "failed"}}]}]})"},
      {"osv-scanner", R"({"results": [{"source": {"path": "/src/package-lock.json", "type": "lockfile"},
                                       "packages": [{"package": {"name": "lodash", "version": "4.17.20",
                                                                 "ecosystem": "npm"},
                                                     "vulnerabilities": [{"id": "GHSA-35jh-r3h4-6jhm",
                                                                          "aliases": ["CVE-2021-23337"]}]}]}]})"},
  };
  return kDocs;
}

// ---------------------------------------------------------------------------
// Detection

TEST(IngestDetect, EachFormatFromAMinimalDocument) {
  ReportParser parser;
  for (const Minimal& doc : MinimalDocuments()) {
    SCOPED_TRACE(doc.format);
    auto detected = parser.Detect(Padded(doc.text), "doc.json");
    ASSERT_TRUE(detected.ok()) << detected.status().ToString();
    EXPECT_EQ(*detected, doc.format);
    auto report = ParseText(parser, doc.text, WithFile("doc.json"));
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->format, doc.format);
    EXPECT_EQ(report->occurrences.size(), 1u);
    EXPECT_FALSE(report->scopes.empty());
  }
}

TEST(IngestDetect, EveryRegisteredFormatIsCovered) {
  std::vector<std::string> registered;
  for (const FormatInfo& f : SupportedFormats()) {
    registered.emplace_back(f.name);
    EXPECT_FALSE(f.description.empty()) << f.name;
  }
  std::vector<std::string> covered;
  for (const Minimal& doc : MinimalDocuments()) covered.push_back(doc.format);
  std::sort(registered.begin(), registered.end());
  std::sort(covered.begin(), covered.end());
  EXPECT_EQ(covered, registered);
}

TEST(IngestDetect, ProwlerV3AndLegacyTrivyList) {
  ReportParser parser;
  auto v3 = parser.Detect(
      Padded(R"([{"CheckID": "iam_root_mfa_enabled", "FindingUniqueId": "prowler-1", "Status": "FAIL"}])"), "p.json");
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(*v3, "prowler");
  auto legacy = parser.Detect(
      Padded(R"([{"Target": "app/package-lock.json", "Type": "npm", "Vulnerabilities": null}])"), "t.json");
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(*legacy, "trivy");
}

TEST(IngestDetect, UnknownDocument) {
  ReportParser parser;
  auto detected = parser.Detect(Padded(R"({"hello": "world"})"), "x.json");
  ASSERT_TRUE(detected.ok());
  EXPECT_EQ(*detected, "");
  auto report = ParseText(parser, R"({"hello": "world"})", WithFile("x.json"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kUnknownFormat);
  EXPECT_EQ(report.status().location().file, "x.json");
}

TEST(IngestDetect, EmptyDocuments) {
  ReportParser parser;
  for (const char* text : {"null", "[]", "{}", " [ ] \n"}) {
    SCOPED_TRACE(text);
    auto report = ParseText(parser, text);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->format, "empty");
    EXPECT_TRUE(report->occurrences.empty());
    EXPECT_EQ(report->warnings.size(), 1u);
  }
  // An empty document with a forced format keeps the format.
  ParseOptions options;
  options.format = "prowler";
  auto forced = ParseText(parser, "[]", options);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->format, "prowler");
  EXPECT_TRUE(forced->occurrences.empty());
}

// ---------------------------------------------------------------------------
// Forced format

TEST(IngestForcedFormat, ReadsWhatDetectionCannotTell) {
  ReportParser parser;
  // A bare, empty Grype match list names nothing Grype-specific.
  const std::string bare = R"({"matches": []})";
  auto unknown = ParseText(parser, bare);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnknownFormat);
  ParseOptions options;
  options.format = "grype";
  auto forced = ParseText(parser, bare, options);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(forced->format, "grype");
  EXPECT_TRUE(forced->occurrences.empty());

  // OSV-Scanner output without a result.
  options.format = "osv-scanner";
  auto osv = ParseText(parser, R"({"results": [], "note": "x", "other": 1})", options);
  ASSERT_TRUE(osv.ok()) << osv.status().ToString();
  EXPECT_EQ(osv->format, "osv-scanner");
}

TEST(IngestForcedFormat, WrongFormatIsASchemaError) {
  ReportParser parser;
  ParseOptions options;
  options.file = "trivy.json";
  options.format = "grype";
  auto report = ParseText(parser, MinimalDocuments().front().text, options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kSchemaError);
  EXPECT_EQ(report.status().location().file, "trivy.json");
  EXPECT_EQ(report.status().location().pointer, "/");  // "matches" is missing at the root
}

TEST(IngestForcedFormat, AnyRootTypeIsASchemaErrorNotACrash) {
  // A forced format meets documents its detector would never accept.
  ReportParser parser;
  for (const FormatInfo& f : SupportedFormats()) {
    for (const char* text : {"\"text\"", "42", "-1.5", "true", "[1, 2]", "[\"x\"]", "[[]]"}) {
      SCOPED_TRACE(std::string(f.name) + " on " + text);
      ParseOptions options = WithFile("forced.json");
      options.format = std::string(f.name);
      auto report = ParseText(parser, text, options);
      ASSERT_FALSE(report.ok()) << "read as " << report->format;
      EXPECT_EQ(report.status().code(), StatusCode::kSchemaError) << report.status().ToString();
      EXPECT_TRUE(StartsWith(report.status().location().pointer, "/")) << report.status().ToString();
      EXPECT_EQ(report.status().location().file, "forced.json");
    }
  }
}

TEST(IngestForcedFormat, UnknownFormatNameIsAnArgumentError) {
  ReportParser parser;
  ParseOptions options;
  options.format = "nessus";
  auto report = ParseText(parser, R"({"matches": []})", options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(report.status().message().find("nessus"), std::string::npos);
}

// ---------------------------------------------------------------------------
// --target

TEST(IngestTarget, SarifWithoutProvenanceNeedsTarget) {
  ReportParser parser;
  const std::string sarif = MinimalDocuments()[3].text;
  ASSERT_EQ(MinimalDocuments()[3].format, "sarif");
  auto plain = ParseText(parser, sarif);
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->scopes.size(), 1u);
  EXPECT_EQ(plain->scopes[0].scanner, "sarif:demolint");
  EXPECT_EQ(plain->scopes[0].target, "repo:unknown");
  EXPECT_FALSE(plain->scopes[0].complete);
  EXPECT_FALSE(plain->warnings.empty());

  ParseOptions options;
  options.target = "https://github.com/Acme/API.git";
  auto targeted = ParseText(parser, sarif, options);
  ASSERT_TRUE(targeted.ok());
  ASSERT_EQ(targeted->scopes.size(), 1u);
  EXPECT_EQ(targeted->scopes[0].target, "repo:github.com/acme/api");
  EXPECT_TRUE(targeted->scopes[0].complete);
  ASSERT_EQ(targeted->occurrences.size(), 1u);
  EXPECT_EQ(targeted->occurrences[0].locator.repository, "github.com/acme/api");
  EXPECT_EQ(targeted->occurrences[0].artifact, "repo:github.com/acme/api");
  EXPECT_EQ(targeted->occurrences[0].location, "src/db.py:12");
  EXPECT_TRUE(targeted->warnings.empty());
}

TEST(IngestTarget, SarifTargetOverridesProvenance) {
  ReportParser parser;
  const std::string sarif = R"({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "DemoLint"}},
      "versionControlProvenance": [{"repositoryUri": "https://gitlab.example.com/team/app"}], "results": []}]})";
  auto plain = ParseText(parser, sarif);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->scopes.at(0).target, "repo:gitlab.example.com/team/app");
  EXPECT_TRUE(plain->scopes.at(0).complete);
  ParseOptions options;
  options.target = "git@github.com:acme/other.git";
  auto targeted = ParseText(parser, sarif, options);
  ASSERT_TRUE(targeted.ok());
  EXPECT_EQ(targeted->scopes.at(0).target, "repo:github.com/acme/other");
}

TEST(IngestTarget, GrypeDirectory) {
  ReportParser parser;
  const std::string grype = R"({"matches": [{"vulnerability": {"id": "CVE-2030-0004"},
      "artifact": {"name": "requests", "version": "2.0.0", "type": "python"}}],
      "source": {"type": "directory", "target": "."}})";
  auto plain = ParseText(parser, grype);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_EQ(plain->scopes.size(), 1u);
  EXPECT_EQ(plain->scopes[0].target, "path:unknown");  // "." says nothing
  EXPECT_FALSE(plain->scopes[0].complete);
  EXPECT_FALSE(plain->warnings.empty());

  ParseOptions options;
  options.target = "https://github.com/Acme/API.git";
  auto targeted = ParseText(parser, grype, options);
  ASSERT_TRUE(targeted.ok());
  EXPECT_EQ(targeted->scopes.at(0).target, "repo:github.com/acme/api");
  EXPECT_TRUE(targeted->scopes.at(0).complete);
  ASSERT_EQ(targeted->occurrences.size(), 1u);
  EXPECT_EQ(targeted->occurrences[0].locator.repository, "github.com/acme/api");
  EXPECT_EQ(targeted->occurrences[0].ecosystem, "pypi");

  // A meaningful directory is its own scope.
  const std::string named = R"({"matches": [], "source": {"type": "directory", "target": "/src/shop"}})";
  auto dir = ParseText(parser, named);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->scopes.at(0).target, "path:/src/shop");
  EXPECT_TRUE(dir->scopes.at(0).complete);
}

TEST(IngestTarget, OsvTargetCoversEveryLockfile) {
  ReportParser parser;
  const std::string osv = R"({"results": [
      {"source": {"path": "/src/a/package-lock.json"}, "packages": [{"package": {"name": "minimist", "version": "0.0.8",
        "ecosystem": "npm"}, "vulnerabilities": [{"id": "GHSA-vh95-rmgr-6w4m"}]}]},
      {"source": {"path": "/src/b/requirements.txt"}, "packages": [{"package": {"name": "Jinja2", "version": "2.10",
        "ecosystem": "PyPI"}, "vulnerabilities": [{"id": "PYSEC-2019-217"}]}]}]})";
  auto plain = ParseText(parser, osv);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_EQ(plain->scopes.size(), 2u);
  EXPECT_EQ(plain->scopes[0].target, "path:/src/a/package-lock.json");
  EXPECT_EQ(plain->scopes[1].target, "path:/src/b/requirements.txt");
  ASSERT_EQ(plain->occurrences.size(), 2u);
  EXPECT_EQ(plain->occurrences[1].ecosystem, "pypi");

  ParseOptions options;
  options.target = "https://github.com/acme/shop";
  auto targeted = ParseText(parser, osv, options);
  ASSERT_TRUE(targeted.ok());
  ASSERT_EQ(targeted->scopes.size(), 1u);
  EXPECT_EQ(targeted->scopes[0].target, "repo:github.com/acme/shop");
  ASSERT_EQ(targeted->occurrences.size(), 2u);
  for (const Occurrence& occ : targeted->occurrences) {
    EXPECT_EQ(occ.scope_index, 0u);
    EXPECT_EQ(occ.locator.repository, "github.com/acme/shop");
  }
  EXPECT_EQ(targeted->occurrences[0].locator.path, "/src/a/package-lock.json");
}

TEST(IngestTarget, MeaninglessTargetIsIgnored) {
  ReportParser parser;
  ParseOptions options;
  options.target = ".";
  auto report = ParseText(parser, MinimalDocuments()[3].text, options);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->scopes.at(0).target, "repo:unknown");
}

// ---------------------------------------------------------------------------
// Malformed input

// Line and column (1-based) just past the end of `text`.
std::pair<std::uint64_t, std::uint64_t> EndPosition(const std::string& text) {
  std::uint64_t line = 1, column = 1;
  for (const char c : text) {
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

TEST(IngestErrors, TruncatedJsonNamesLineAndColumn) {
  ReportParser parser;
  const std::string text = "{\n  \"SchemaVersion\": 2,\n  \"Results\": [\n    {\"Target\": \"app\"";
  auto report = ParseText(parser, text, WithFile("cut.json"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kParseError);
  const Location& loc = report.status().location();
  EXPECT_EQ(loc.file, "cut.json");
  const auto [line, column] = EndPosition(text);
  EXPECT_EQ(loc.line, line);  // line 4, where the input stops
  EXPECT_EQ(loc.line, 4u);
  EXPECT_EQ(loc.column, column);
  EXPECT_NE(report.status().ToString().find("cut.json:4:"), std::string::npos) << report.status().ToString();
}

TEST(IngestErrors, SyntaxErrorInTheMiddle) {
  ReportParser parser;
  // A missing comma between two members on line 3.
  const std::string text = "{\n  \"matches\": [],\n  \"source\": {\"type\": \"image\" \"target\": {}}\n}\n";
  auto report = ParseText(parser, text, WithFile("bad.json"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kParseError);
  const Location& loc = report.status().location();
  EXPECT_EQ(loc.line, 3u);
  // Column of the unexpected string "target" (1-based), or within it.
  const std::string line3 = "  \"source\": {\"type\": \"image\" \"target\": {}}";
  const std::uint64_t start = line3.find("\"target\"") + 1;
  EXPECT_GE(loc.column, start);
  EXPECT_LE(loc.column, start + std::string("\"target\"").size());
}

TEST(IngestErrors, TrailingGarbage) {
  ReportParser parser;
  auto report = ParseText(parser, "{\"matches\": []}\nxyz", WithFile("t.json"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kParseError);
  EXPECT_EQ(report.status().location().file, "t.json");
  EXPECT_EQ(report.status().location().line, 2u);
  EXPECT_EQ(report.status().location().column, 1u);  // the "x"

  auto two = ParseText(parser, "{} {}", WithFile("t.json"));
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().code(), StatusCode::kParseError);
  EXPECT_EQ(two.status().location().line, 1u);
  EXPECT_EQ(two.status().location().column, 4u);  // the second "{"
}

TEST(IngestErrors, WrongStructuralTypesNameThePointer) {
  ReportParser parser;
  struct Case {
    std::string text;
    std::string pointer;
    std::string format;  // forced, when detection would not take the document
  };
  const std::vector<Case> cases = {
      {R"({"SchemaVersion": 2, "Results": "x"})", "/Results", ""},
      {R"({"SchemaVersion": 2, "Results": [{"Target": "a", "Vulnerabilities": ["CVE-2030-1"]}]})",
       "/Results/0/Vulnerabilities/0", ""},
      {R"({"SchemaVersion": 2, "Results": [{"Target": "a", "Vulnerabilities": [{"VulnerabilityID": ["x"]}]}]})",
       "/Results/0/Vulnerabilities/0/VulnerabilityID", ""},
      {R"({"SchemaVersion": 2, "Results": [{}, {"Target": "b", "Misconfigurations": {}}]})",
       "/Results/1/Misconfigurations", ""},
      {R"({"matches": {}, "source": {}})", "/matches", "grype"},
      {R"({"matches": [{"vulnerability": "x", "artifact": {}}], "source": {}})", "/matches/0/vulnerability", ""},
      {R"({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [1]}]})", "/runs/0/results/0",
       ""},
      {R"({"version": "2.1.0", "runs": [{"results": []}]})", "/runs/0/tool", ""},
      {R"({"results": [{"source": {}, "packages": [{"vulnerabilities": "x"}]}]})",
       "/results/0/packages/0/vulnerabilities", ""},
      {R"({"summaryDetails": {}, "results": [{"controls": 5}]})", "/results/0/controls", ""},
      {R"({"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "ConfigAuditReport", "report": {"checks": "x"}})",
       "/report/checks", ""},
      {R"([{"finding_info": {}, "metadata": {}, "status_code": "FAIL"}, {"unrelated": true}])", "/1", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    ParseOptions options = WithFile("r.json");
    options.format = c.format;
    auto report = ParseText(parser, c.text, options);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.status().code(), StatusCode::kSchemaError) << report.status().ToString();
    EXPECT_EQ(report.status().location().pointer, c.pointer);
    EXPECT_EQ(report.status().location().file, "r.json");
  }
}

std::string Nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(IngestLimits, NestingDepth) {
  ReportParser parser;
  auto deep = ParseText(parser, Nested(kMaxJsonDepth + 1), WithFile("deep.json"));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(deep.status().location().file, "deep.json");

  auto very_deep = ParseText(parser, Nested(100'000));
  ASSERT_FALSE(very_deep.ok());
  EXPECT_EQ(very_deep.status().code(), StatusCode::kLimitExceeded);

  // At the limit the document is read (and is no known format).
  auto at_limit = ParseText(parser, Nested(kMaxJsonDepth));
  ASSERT_FALSE(at_limit.ok());
  EXPECT_EQ(at_limit.status().code(), StatusCode::kUnknownFormat);
}

TEST(IngestErrors, EmptyInput) {
  ReportParser parser;
  for (const char* text : {"", "   \n\t  "}) {
    auto report = ParseText(parser, text, WithFile("empty.json"));
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.status().code(), StatusCode::kParseError);
    EXPECT_EQ(report.status().location().file, "empty.json");
  }
}

TEST(IngestErrors, BinaryInputIsAnErrorNotACrash) {
  ReportParser parser;
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 200; ++round) {
    std::string data(1 + round * 37 % 4096, '\0');
    for (char& c : data) c = static_cast<char>(byte(rng));
    if (round % 3 == 0) data[0] = '{';  // looks like JSON for one byte
    if (round % 3 == 1) data[0] = '[';
    auto report = ParseText(parser, data, WithFile("blob.bin"));
    ASSERT_FALSE(report.ok()) << "round " << round;
    EXPECT_EQ(report.status().location().file, "blob.bin");
  }
  // A NUL in the middle of otherwise valid JSON.
  auto nul = ParseText(parser, std::string("{\"matches\": [\0]}", 16));
  EXPECT_FALSE(nul.ok());
  // Invalid UTF-8 inside a string.
  auto utf8 = ParseText(parser, "{\"SchemaVersion\": 2, \"ArtifactName\": \"\xff\xfe\", \"Results\": []}");
  EXPECT_FALSE(utf8.ok());
}

TEST(IngestErrors, UnpaddedBufferIsRefused) {
  ReportParser parser;
  std::string text = R"({"matches": []})";
  text.shrink_to_fit();
  ASSERT_LT(text.capacity(), text.size() + 64);
  auto report = parser.Parse(text, WithFile("p.json"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInternal);
}

TEST(IngestLimits, HugeStringFieldsAreCut) {
  ReportParser parser;
  const std::string huge(kMaxFieldBytes * 2, 'A');
  const std::string text = R"({"SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "filesystem", "Results": [
      {"Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2030-0005", "PkgName": "pkg", "Title": ")" +
                           huge + R"(", "Description": ")" + huge + R"("}]}]})";
  auto report = ParseText(parser, text);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->occurrences.size(), 1u);
  const Occurrence& occ = report->occurrences[0];
  // Copied strings are cut at kMaxFieldBytes (an ellipsis marks the cut).
  EXPECT_LT(occ.title.size(), huge.size());
  EXPECT_LE(occ.title.size(), kMaxFieldBytes + std::string("\u2026").size());
  EXPECT_EQ(occ.title.substr(0, kMaxFieldBytes), huge.substr(0, kMaxFieldBytes));
  // Views are cut at kMaxFieldBytes exactly.
  EXPECT_EQ(occ.description.size(), kMaxFieldBytes);
}

TEST(IngestLimits, CutDoesNotSplitUtf8) {
  ReportParser parser;
  // "é" is two bytes; an odd prefix puts a sequence across the cut.
  std::string text_field = "x";
  while (text_field.size() < kMaxFieldBytes + 10) text_field += "\xc3\xa9";
  const std::string text = R"({"SchemaVersion": 2, "ArtifactName": "app", "Results": [{"Target": "t",
      "Vulnerabilities": [
      {"VulnerabilityID": "CVE-2030-0006", "Description": ")" +
                           text_field + R"("}]}]})";
  auto report = ParseText(parser, text);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const std::string_view d = report->occurrences.at(0).description;
  ASSERT_FALSE(d.empty());
  EXPECT_LE(d.size(), kMaxFieldBytes);
  EXPECT_NE(static_cast<unsigned char>(d.back()), 0xc3);  // no dangling lead byte
}

TEST(IngestErrors, ParserIsReusableAfterErrors) {
  ReportParser parser;
  auto bad = ParseText(parser, "{\"Results\": [");
  ASSERT_FALSE(bad.ok());
  auto good = ParseText(parser, MinimalDocuments()[2].text);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->format, "grype");
  EXPECT_EQ(good->occurrences.at(0).vuln_id, "CVE-2030-0003");
}

// ---------------------------------------------------------------------------
// Field mapping details on inline documents

TEST(IngestMapping, TrivyImageLocatorAndSkips) {
  ReportParser parser;
  const std::string text = R"j({"SchemaVersion": 2, "ArtifactName": "ghcr.io/Acme/api:1.4.2",
      "ArtifactType": "container_image",
      "CreatedAt": "2024-05-01T10:00:00.123Z",
      "Metadata": {"RepoDigests": ["ghcr.io/acme/api@sha256:0123abcd"]},
      "Results": [{"Target": "ghcr.io/acme/api:1.4.2 (alpine 3.19.1)", "Class": "os-pkgs", "Type": "alpine",
        "Vulnerabilities": [
          {"VulnerabilityID": "CVE-2030-0010", "PkgName": "musl", "InstalledVersion": "1.2.4-r2",
           "FixedVersion": "1.2.5-r0, 1.2.4-r3", "Severity": "CRITICAL",
           "References": ["https://www.exploit-db.com/exploits/12345",
                          "https://nvd.nist.gov/vuln/detail/CVE-2030-0010"]},
          {"VulnerabilityID": "CVE-2030-0011", "PkgName": "musl", "Status": "not_affected"},
          {"PkgName": "busybox"}],
        "Misconfigurations": [
          {"AVDID": "AVD-DS-0002", "Status": "PASS", "Title": "root user"},
          {"ID": "DS005", "Status": "EXCEPTION"}]}]})j";
  auto report = ParseText(parser, text);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // not_affected and EXCEPTION are held (reported, opening and closing
  // nothing); the entry without an id is dropped. All three are skipped.
  std::vector<const Occurrence*> findings;
  std::vector<std::string> held;
  for (const Occurrence& occ : report->occurrences) {
    if (occ.held) {
      held.push_back(occ.pointer);
    } else {
      findings.push_back(&occ);
    }
  }
  EXPECT_EQ(report->skipped, 3u);
  for (const std::string& pointer : held) {
    EXPECT_TRUE(pointer == "/Results/0/Vulnerabilities/1" || pointer == "/Results/0/Misconfigurations/1") << pointer;
  }
  ASSERT_EQ(findings.size(), 2u);
  const Occurrence& v = *findings[0];
  EXPECT_EQ(v.locator.image, "ghcr.io/acme/api");
  EXPECT_EQ(v.locator.image_tag, "1.4.2");
  EXPECT_EQ(v.locator.image_digest, "sha256:0123abcd");
  EXPECT_EQ(v.artifact, "image:ghcr.io/acme/api");
  EXPECT_EQ(v.ecosystem, "apk");
  EXPECT_EQ(v.layer, Layer::kContainer);
  EXPECT_EQ(v.fixed_version, "1.2.4-r3");
  EXPECT_EQ(v.fix_available, Tri::kYes);
  EXPECT_EQ(v.severity, Severity::kCritical);
  EXPECT_EQ(v.exploit_available, Tri::kYes);
  EXPECT_EQ(v.exploit_refs, std::vector<std::string>{"https://www.exploit-db.com/exploits/12345"});
  EXPECT_EQ(v.location, "alpine 3.19.1 packages");
  const Occurrence& m = *findings[1];
  EXPECT_EQ(m.kind, FindingKind::kMisconfiguration);
  EXPECT_EQ(m.rule_id, "AVD-DS-0002");
  EXPECT_TRUE(m.passed);
  ASSERT_TRUE(report->scan_time.has_value());
  const auto t = ParseTime("2024-05-01T10:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*report->scan_time, *t);
  EXPECT_EQ(report->scopes.at(0).target, "image:ghcr.io/acme/api");
}

TEST(IngestMapping, TwoParsersKeepTheirOwnViews) {
  // Views point into the parser that produced them: two parsers keep their
  // own reports valid side by side.
  ReportParser a, b;
  auto ra = ParseText(a, R"({"matches": [{"vulnerability": {"id": "CVE-2030-1", "description": "first text"},
      "artifact": {"name": "x"}}], "source": {"type": "directory", "target": "/a"}})");
  auto rb = ParseText(b, R"({"matches": [{"vulnerability": {"id": "CVE-2030-2", "description": "second text"},
      "artifact": {"name": "y"}}], "source": {"type": "directory", "target": "/b"}})");
  ASSERT_TRUE(ra.ok());
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(ra->occurrences.at(0).description, "first text");
  EXPECT_EQ(rb->occurrences.at(0).description, "second text");
}

// ---------------------------------------------------------------------------
// Helpers

TEST(NormalizeImage, DockerHubShortNames) {
  EXPECT_EQ(NormalizeImage("nginx"), "docker.io/library/nginx");
  EXPECT_EQ(NormalizeImage("bitnami/redis"), "docker.io/bitnami/redis");
  EXPECT_EQ(NormalizeImage("docker.io/nginx"), "docker.io/library/nginx");
  EXPECT_EQ(NormalizeImage("index.docker.io/library/nginx:latest"), "docker.io/library/nginx");
  EXPECT_EQ(NormalizeImage("  Nginx  "), "docker.io/library/nginx");
  EXPECT_EQ(NormalizeImage(""), "");
}

TEST(NormalizeImage, TagAndDigest) {
  std::string tag, digest;
  EXPECT_EQ(NormalizeImage("nginx:1.25", &tag, &digest), "docker.io/library/nginx");
  EXPECT_EQ(tag, "1.25");
  EXPECT_EQ(digest, "");

  tag.clear();
  digest.clear();
  EXPECT_EQ(NormalizeImage("ghcr.io/acme/api@sha256:abc", &tag, &digest), "ghcr.io/acme/api");
  EXPECT_EQ(tag, "");
  EXPECT_EQ(digest, "sha256:abc");

  tag.clear();
  digest.clear();
  EXPECT_EQ(NormalizeImage("ghcr.io/acme/api:2.0@sha256:def", &tag, &digest), "ghcr.io/acme/api");
  EXPECT_EQ(tag, "2.0");
  EXPECT_EQ(digest, "sha256:def");

  // Trivy's OS target: "image:tag (distro version)".
  tag.clear();
  EXPECT_EQ(NormalizeImage("alpine:3.19 (alpine 3.19.1)", &tag), "docker.io/library/alpine");
  EXPECT_EQ(tag, "3.19");
}

TEST(NormalizeImage, RegistryPortsAreNotTags) {
  std::string tag;
  EXPECT_EQ(NormalizeImage("localhost:5000/x:tag", &tag), "localhost:5000/x");
  EXPECT_EQ(tag, "tag");
  tag.clear();
  EXPECT_EQ(NormalizeImage("registry:5000/team/app:1", &tag), "registry:5000/team/app");
  EXPECT_EQ(tag, "1");
  tag.clear();
  EXPECT_EQ(NormalizeImage("registry:5000/team/app", &tag), "registry:5000/team/app");
  EXPECT_EQ(tag, "");
  EXPECT_EQ(NormalizeImage("localhost/app"), "localhost/app");
  EXPECT_EQ(NormalizeImage("My.Registry.io/Team/App:V1"), "my.registry.io/team/app");
}

TEST(NormalizeRepository, UrlsAndScpSyntax) {
  EXPECT_EQ(NormalizeRepository("https://github.com/Acme/API.git"), "github.com/acme/api");
  EXPECT_EQ(NormalizeRepository("git@github.com:acme/api.git"), "github.com/acme/api");
  EXPECT_EQ(NormalizeRepository("git@github.com:acme/api"), "github.com/acme/api");
  EXPECT_EQ(NormalizeRepository("http://github.com/acme/api/"), "github.com/acme/api");
  EXPECT_EQ(NormalizeRepository("ssh://git@gitlab.example.com:2222/team/app.git"), "gitlab.example.com:2222/team/app");
  EXPECT_EQ(NormalizeRepository("https://user@bitbucket.org/team/repo"), "bitbucket.org/team/repo");
  EXPECT_EQ(NormalizeRepository("github.com/acme/api"), "github.com/acme/api");
}

TEST(NormalizeEcosystem, ScannerSpellings) {
  EXPECT_EQ(CanonicalEcosystem("debian"), "deb");
  EXPECT_EQ(CanonicalEcosystem("ubuntu"), "deb");
  EXPECT_EQ(CanonicalEcosystem("alpine"), "apk");
  EXPECT_EQ(CanonicalEcosystem("redhat"), "rpm");
  EXPECT_EQ(CanonicalEcosystem("pip"), "pypi");
  EXPECT_EQ(CanonicalEcosystem("PyPI"), "pypi");
  EXPECT_EQ(CanonicalEcosystem("go-module"), "go");
  EXPECT_EQ(CanonicalEcosystem("gobinary"), "go");
  EXPECT_EQ(CanonicalEcosystem("java-archive"), "maven");
  EXPECT_EQ(CanonicalEcosystem("Packagist"), "composer");
  EXPECT_EQ(CanonicalEcosystem("crates.io"), "cargo");
  EXPECT_EQ(CanonicalEcosystem(" npm "), "npm");
  EXPECT_EQ(CanonicalEcosystem("Hex"), "hex");  // unknown: lower-cased as is
  EXPECT_EQ(CanonicalEcosystem(""), "");
}

TEST(NormalizeExploitReference, KnownExploitSites) {
  EXPECT_TRUE(IsExploitReference("https://www.exploit-db.com/exploits/50592"));
  EXPECT_TRUE(IsExploitReference("https://WWW.Exploit-DB.com/exploits/50592"));
  EXPECT_TRUE(IsExploitReference("https://exploit-db.com/download/50592"));
  EXPECT_TRUE(IsExploitReference("http://packetstormsecurity.com/files/165225/Apache-Log4j2-RCE.html"));
  EXPECT_TRUE(IsExploitReference("https://seclists.org/fulldisclosure/2021/Dec/1"));
  EXPECT_TRUE(IsExploitReference("https://github.com/rapid7/metasploit-framework/blob/master/modules/exploits/x.rb"));
  EXPECT_TRUE(IsExploitReference("https://GitHub.com/someone/CVE-2021-44228-PoC"));
  EXPECT_TRUE(IsExploitReference("www.exploit-db.com/exploits/1"));  // no scheme
}

TEST(NormalizeExploitReference, OtherReferences) {
  EXPECT_FALSE(IsExploitReference("https://nvd.nist.gov/vuln/detail/CVE-2021-44228"));
  EXPECT_FALSE(IsExploitReference("https://www.exploit-db.com/"));
  EXPECT_FALSE(IsExploitReference("https://www.exploit-db.com/about-exploit-db"));
  EXPECT_FALSE(IsExploitReference("https://github.com/apache/logging-log4j2"));
  EXPECT_FALSE(IsExploitReference("https://example.com/www.exploit-db.com/exploits/1"));
  EXPECT_FALSE(IsExploitReference("https://exploit-db.com.evil.example/exploits/1"));
  EXPECT_FALSE(IsExploitReference("https://seclists.org/oss-sec/2021/q4/1"));
  EXPECT_FALSE(IsExploitReference(""));
}

TEST(NormalizeFixedVersion, PicksTheBranchFix) {
  EXPECT_EQ(PickFixedVersion("2.15.0, 2.12.2, 2.3.1", "2.14.1"), "2.15.0");
  EXPECT_EQ(PickFixedVersion("2.15.0, 2.12.2, 2.3.1", "2.12.1"), "2.12.2");
  EXPECT_EQ(PickFixedVersion("2.15.0, 2.12.2, 2.3.1", "2.0.0"), "2.3.1");
  // None above the installed version: the lowest overall.
  EXPECT_EQ(PickFixedVersion("2.15.0, 2.12.2, 2.3.1", "3.0.0"), "2.3.1");
  // No installed version: the lowest.
  EXPECT_EQ(PickFixedVersion("2.15.0, 2.12.2, 2.3.1", ""), "2.3.1");
  EXPECT_EQ(PickFixedVersion("1.10.0", "1.9.0"), "1.10.0");
  EXPECT_EQ(PickFixedVersion("", "1.0"), "");
  EXPECT_EQ(PickFixedVersion(" , ", "1.0"), "");
}

// ---------------------------------------------------------------------------
// Reading files

void WriteGzip(const std::string& path, const std::string& data) {
  gzFile gz = gzopen(path.c_str(), "wb9");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, data.data(), static_cast<unsigned>(data.size())), static_cast<int>(data.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
}

// The bytes of a file as stored (no decompression).
std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What ReadFile returns for `path` ("" on error).
std::string ReadOrEmpty(const std::string& path) {
  auto r = ReadFile(path, ReadLimits{});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

TEST(ReadFileLimits, FileOverTheLimit) {
  testing::TempDir dir;
  const std::string path = dir.Write("big.json", std::string(4096, ' ') + "{}");
  ReadLimits limits;
  limits.max_bytes = 1024;
  auto r = ReadFile(path, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(r.status().location().file, path);
  EXPECT_NE(r.status().ToString().find("big.json"), std::string::npos);

  limits.max_bytes = 4098;  // exactly the size: accepted
  auto ok = ReadFile(path, limits);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->size(), 4098u);
  EXPECT_GE(ok->capacity(), ok->size() + limits.padding);
}

TEST(ReadFileLimits, MissingFileAndDirectory) {
  testing::TempDir dir;
  auto missing = ReadFile(dir.File("nope.json"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  EXPECT_EQ(missing.status().location().file, dir.File("nope.json"));
  auto directory = ReadFile(dir.path().string());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().code(), StatusCode::kIoError);
}

TEST(ReadFileGzip, TransparentlyDecompressed) {
  testing::TempDir dir;
  const std::string doc = MinimalDocuments()[2].text;
  const std::string path = dir.File("report.json.gz");
  WriteGzip(path, doc);
  const std::string raw = Slurp(path);
  ASSERT_TRUE(LooksGzipped(raw));

  auto r = ReadFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, doc);
  EXPECT_GE(r->capacity(), r->size() + 64);
  ReportParser parser;
  auto report = parser.Parse(*r, WithFile(path));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->format, "grype");

  // The name does not matter: gzip is recognised by its magic bytes.
  const std::string renamed = dir.File("report.json");
  std::filesystem::copy_file(path, renamed);
  EXPECT_EQ(ReadOrEmpty(renamed), doc);
}

TEST(ReadFileGzip, ConcatenatedMembers) {
  testing::TempDir dir;
  WriteGzip(dir.File("a.gz"), "first,");
  WriteGzip(dir.File("b.gz"), "second");
  const std::string both = dir.Write("both.gz", Slurp(dir.File("a.gz")) + Slurp(dir.File("b.gz")));
  EXPECT_EQ(ReadOrEmpty(both), "first,second");
}

TEST(ReadFileGzip, TruncatedGzipIsAParseError) {
  testing::TempDir dir;
  std::string doc;
  for (int i = 0; i < 2000; ++i) doc += "{\"line\": " + std::to_string(i * 7919 % 10007) + "}\n";
  const std::string full = dir.File("full.gz");
  WriteGzip(full, doc);
  const std::string bytes = Slurp(full);
  ASSERT_GT(bytes.size(), 100u);
  for (const std::size_t keep : {bytes.size() / 2, bytes.size() - 4, std::size_t{12}}) {
    SCOPED_TRACE(keep);
    const std::string cut = dir.Write("cut.gz", bytes.substr(0, keep));
    auto r = ReadFile(cut);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kParseError) << r.status().ToString();
    EXPECT_EQ(r.status().location().file, cut);
  }
}

// Bytes inflated from gzip `data`, counted without keeping them.
std::size_t InflatedSize(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::vector<unsigned char> buf(1 << 16);
  std::size_t total = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = buf.data();
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    total += buf.size() - zs.avail_out;
  }
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END);
  return total;
}

long MaxRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(ReadFileGzip, BombIsALimitErrorWithoutInflatingEverything) {
  testing::TempDir dir;
  constexpr std::size_t kBomb = std::size_t{64} << 20;  // 64 MiB of zeros
  const std::string path = dir.File("bomb.json.gz");
  {
    gzFile gz = gzopen(path.c_str(), "wb9");
    ASSERT_NE(gz, nullptr);
    const std::string zeros(1 << 20, '\0');
    for (std::size_t written = 0; written < kBomb; written += zeros.size()) {
      ASSERT_EQ(gzwrite(gz, zeros.data(), static_cast<unsigned>(zeros.size())), static_cast<int>(zeros.size()));
    }
    ASSERT_EQ(gzclose(gz), Z_OK);
  }
  const auto compressed = std::filesystem::file_size(path);
  ASSERT_LT(compressed, std::uintmax_t{1} << 20);  // small on disk

  const long rss_before = MaxRssKiB();
  ReadLimits limits;
  limits.max_bytes = 8u << 20;
  auto r = ReadFile(path, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(r.status().location().file, path);
  // The peak memory grew by far less than the 64 MiB the file inflates to.
  EXPECT_LT(MaxRssKiB() - rss_before, 32L * 1024);

  // The bomb is real: it inflates to 64 MiB.
  auto raw = ReadFile(path, ReadLimits{std::size_t{1} << 20, 64});  // raw bytes are under 1 MiB...
  ASSERT_FALSE(raw.ok());                                           // ...but inflated they are not
  const std::string bytes = Slurp(path);
  ASSERT_EQ(bytes.size(), compressed);
  EXPECT_EQ(InflatedSize(bytes), kBomb);
  auto in_memory = Gunzip(bytes, 1 << 20);
  ASSERT_FALSE(in_memory.ok());
  EXPECT_EQ(in_memory.status().code(), StatusCode::kLimitExceeded);
}

}  // namespace
}  // namespace secbudget

namespace secbudget {
namespace {

// json::Digest: equal values give equal digests wherever they sit in their
// documents; any difference in a byte, a key, a number, a type or the
// nesting gives another.
std::uint64_t DigestOf(simdjson::dom::parser& parser, const std::string& doc, const char* pointer) {
  simdjson::dom::element root;
  EXPECT_EQ(parser.parse(doc).get(root), simdjson::SUCCESS) << doc;
  simdjson::dom::element el;
  EXPECT_EQ(root.at_pointer(pointer).get(el), simdjson::SUCCESS) << pointer;
  return json::Digest(el, 42);
}

TEST(JsonDigest, SameValueSameDigestAnyDifferenceAnother) {
  simdjson::dom::parser parser;
  const std::string item = R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,)"
                           R"("Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}}})";
  const std::uint64_t alone = DigestOf(parser, item, "");
  // The same item after other strings and numbers, deeper in another document.
  EXPECT_EQ(DigestOf(parser, R"({"x":"padding","y":[1,2,"z"],"items":[{"q":"r"},)" + item + "]}", "/items/1"), alone);
  const std::vector<std::string> others = {
      R"({"ID":"CVE-2","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"Id":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.7,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.8,"N":3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551614,"Ok":true,"Nil":null,"Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":false,"Nil":null,"Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":false,"Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["b","a"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["ab"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["a","b",""],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["a","b"],"CVSS":{"nvd":{},"V3Score":9.8}})",
      R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":[["a"],"b"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":"9.8","N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}}})",
      R"({"ID":"CVE-1","Score":9.8,"N":-3,"U":18446744073709551615,"Ok":true,"Nil":null,"Refs":["a","b"],"CVSS":{"nvd":{"V3Score":9.8}},"X":1})",
  };
  for (const auto& other : others) EXPECT_NE(DigestOf(parser, other, ""), alone) << other;
  // The seed counts too.
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(item).get(root), simdjson::SUCCESS);
  EXPECT_NE(json::Digest(root, 43), alone);
}

}  // namespace
}  // namespace secbudget
