// Threat-intelligence feeds: the CISA KEV catalog and FIRST EPSS scores, read
// from the real public files in ../shared/data/intel (when present) and from
// small inline documents. Expectations on the real files are read from the
// files themselves (nlohmann::json, a plain line count).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "common/time.h"
#include "intel/intel.h"
#include "test_util.h"

namespace secbudget {
namespace {

using Json = nlohmann::json;
using testing::Padded;

std::string IntelPath(const std::string& name) { return testing::SharedDataDir() + "/intel/" + name; }

TimePoint Time(std::string_view text) {
  auto t = ParseTime(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : 0;
}

// ---------------------------------------------------------------------------
// KEV, real catalogs

// Checks a published catalog against what it says of itself.
void CheckKevCatalog(const std::string& path) {
  SCOPED_TRACE(path);
  ReadLimits limits;
  limits.max_bytes = kMaxIntelBytes;
  auto bytes = ReadFile(path, limits);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(DetectIntel(*bytes), IntelKind::kKev);
  const Json doc = Json::parse(*bytes);
  auto catalog = ParseKev(*bytes, path);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();

  const Json& vulns = doc.at("vulnerabilities");
  EXPECT_EQ(catalog->entries.size(), doc.at("count").get<std::size_t>());
  EXPECT_EQ(catalog->entries.size(), vulns.size());
  EXPECT_EQ(catalog->source.name, "kev");
  EXPECT_EQ(catalog->source.version, doc.at("catalogVersion").get<std::string>());
  EXPECT_EQ(catalog->source.released, Time(doc.at("dateReleased").get<std::string>()));
  EXPECT_EQ(catalog->source.entries, static_cast<std::int64_t>(vulns.size()));
  EXPECT_EQ(catalog->source.file, path);

  // Entry by entry, in file order.
  ASSERT_EQ(catalog->entries.size(), vulns.size());
  std::size_t ransomware = 0;
  for (std::size_t i = 0; i < vulns.size(); ++i) {
    const KevEntry& e = catalog->entries[i];
    const Json& v = vulns[i];
    ASSERT_EQ(e.cve, ToUpper(v.at("cveID").get<std::string>())) << i;
    EXPECT_EQ(e.date_added, Time(v.at("dateAdded").get<std::string>())) << e.cve;
    const bool known = v.value("knownRansomwareCampaignUse", "") == "Known";
    EXPECT_EQ(e.ransomware, known) << e.cve;
    ransomware += known ? 1 : 0;
  }
  EXPECT_GT(ransomware, 0u);

  // Log4Shell, field by field.
  const auto in_file =
      std::find_if(vulns.begin(), vulns.end(), [](const Json& v) { return v.at("cveID") == "CVE-2021-44228"; });
  ASSERT_NE(in_file, vulns.end());
  const auto parsed = std::find_if(catalog->entries.begin(), catalog->entries.end(),
                                   [](const KevEntry& e) { return e.cve == "CVE-2021-44228"; });
  ASSERT_NE(parsed, catalog->entries.end());
  EXPECT_EQ(parsed->vendor, in_file->at("vendorProject").get<std::string>());
  EXPECT_EQ(parsed->product, in_file->at("product").get<std::string>());
  EXPECT_EQ(parsed->name, in_file->at("vulnerabilityName").get<std::string>());
  EXPECT_EQ(FormatDate(parsed->date_added), in_file->at("dateAdded").get<std::string>());
  EXPECT_EQ(FormatDate(parsed->due_date), in_file->at("dueDate").get<std::string>());
  EXPECT_EQ(parsed->ransomware, in_file->at("knownRansomwareCampaignUse") == "Known");
}

TEST(IntelKevFile, CurrentCatalog) {
  SB_REQUIRE_SHARED_DATA();
  const std::string path = IntelPath("known_exploited_vulnerabilities.json");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  CheckKevCatalog(path);
}

TEST(IntelKevFile, OlderCatalog) {
  SB_REQUIRE_SHARED_DATA();
  const std::string path = IntelPath("known_exploited_vulnerabilities-2025.08.25.json");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  CheckKevCatalog(path);
}

TEST(IntelKevFile, NewerCatalogExtendsTheOlderOne) {
  SB_REQUIRE_SHARED_DATA();
  const std::string current = IntelPath("known_exploited_vulnerabilities.json");
  const std::string older = IntelPath("known_exploited_vulnerabilities-2025.08.25.json");
  if (!std::filesystem::exists(current) || !std::filesystem::exists(older)) GTEST_SKIP() << "KEV catalogs not present";
  auto a = ReadFile(older);
  auto b = ReadFile(current);
  ASSERT_TRUE(a.ok() && b.ok());
  auto old_catalog = ParseKev(*a, older);
  auto new_catalog = ParseKev(*b, current);
  ASSERT_TRUE(old_catalog.ok() && new_catalog.ok());
  EXPECT_LT(old_catalog->source.version, new_catalog->source.version);  // YYYY.MM.DD sorts as text
  EXPECT_LT(old_catalog->source.released, new_catalog->source.released);
  EXPECT_LT(old_catalog->entries.size(), new_catalog->entries.size());
}

// ---------------------------------------------------------------------------
// KEV, inline documents

std::string KevDoc(const std::string& entries) {
  return R"({"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2030.01.02",
             "dateReleased": "2030-01-02T15:00:00.000Z", "count": 1, "vulnerabilities": [)" +
         entries + "]}";
}

TEST(IntelKev, MinimalCatalog) {
  const std::string text = KevDoc(R"({"cveID": "cve-2030-12345", "vendorProject": "Acme", "product": "Widget",
      "vulnerabilityName": "Acme Widget RCE", "dateAdded": "2030-01-02", "dueDate": "",
      "knownRansomwareCampaignUse": "Unknown"})");
  EXPECT_EQ(DetectIntel(text), IntelKind::kKev);
  auto catalog = ParseKev(Padded(text), "kev.json");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ(catalog->source.version, "2030.01.02");
  EXPECT_EQ(catalog->source.released, Time("2030-01-02T15:00:00Z"));
  ASSERT_EQ(catalog->entries.size(), 1u);
  const KevEntry& e = catalog->entries[0];
  EXPECT_EQ(e.cve, "CVE-2030-12345");  // upper-cased
  EXPECT_EQ(e.vendor, "Acme");
  EXPECT_EQ(e.date_added, Time("2030-01-02"));
  EXPECT_EQ(e.due_date, 0);  // empty dueDate is allowed
  EXPECT_FALSE(e.ransomware);
}

TEST(IntelKev, ErrorsNameThePointer) {
  struct Case {
    std::string entries;
    std::string pointer;
  };
  const std::vector<Case> cases = {
      {R"({"cveID": "CVE-2030-0001", "dateAdded": "2030-01-01"}, {"cveID": "not-a-cve", "dateAdded": "2030-01-01"})",
       "/vulnerabilities/1/cveID"},
      {R"({"dateAdded": "2030-01-01"})", "/vulnerabilities/0/cveID"},
      {R"({"cveID": "CVE-2030-1", "dateAdded": "2030-01-01"})", "/vulnerabilities/0/cveID"},
      {R"({"cveID": "CVE-2030-0001", "dateAdded": "2030-13-45"})", "/vulnerabilities/0/dateAdded"},
      {R"({"cveID": "CVE-2030-0001", "dateAdded": "soon"})", "/vulnerabilities/0/dateAdded"},
      {R"({"cveID": "CVE-2030-0001"})", "/vulnerabilities/0/dateAdded"},
      {R"("CVE-2030-0001")", "/vulnerabilities/0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.entries);
    auto catalog = ParseKev(Padded(KevDoc(c.entries)), "kev.json");
    ASSERT_FALSE(catalog.ok());
    EXPECT_EQ(catalog.status().code(), StatusCode::kSchemaError);
    EXPECT_EQ(catalog.status().location().pointer, c.pointer);
    EXPECT_EQ(catalog.status().location().file, "kev.json");
  }
}

TEST(IntelKev, StructuralErrors) {
  auto missing = ParseKev(Padded(R"({"catalogVersion": "x"})"), "kev.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kSchemaError);
  EXPECT_EQ(missing.status().location().pointer, "/vulnerabilities");

  auto not_object = ParseKev(Padded(R"([1, 2])"), "kev.json");
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.status().code(), StatusCode::kSchemaError);
  EXPECT_EQ(not_object.status().location().pointer, "/");

  auto broken = ParseKev(Padded(R"({"catalogVersion": "x", "vulnerabilities": [)"), "kev.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kParseError);
  EXPECT_EQ(broken.status().location().file, "kev.json");
}

TEST(IntelKev, CveIds) {
  EXPECT_TRUE(IsCveId("CVE-2021-44228"));
  EXPECT_TRUE(IsCveId("CVE-1999-0001"));
  EXPECT_TRUE(IsCveId("CVE-2024-1234567"));
  EXPECT_FALSE(IsCveId("CVE-2021-123"));
  EXPECT_FALSE(IsCveId("CVE-21-44228"));
  EXPECT_FALSE(IsCveId("CVE-2021-4422a"));
  EXPECT_FALSE(IsCveId("CVE-2021_44228"));
  EXPECT_FALSE(IsCveId("GHSA-jfh8-c2jp-5v3q"));
  EXPECT_FALSE(IsCveId(""));
}

// ---------------------------------------------------------------------------
// EPSS, the real score file

TEST(IntelEpssFile, CompressedScores) {
  SB_REQUIRE_SHARED_DATA();
  const std::string path = IntelPath("epss_scores-2026-08-16.csv.gz");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  ReadLimits limits;
  limits.max_bytes = kMaxIntelBytes;
  auto bytes = ReadFile(path, limits);  // gunzipped by ReadFile
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(DetectIntel(*bytes), IntelKind::kEpss);

  // Count the data lines: not blank, not a comment, not the header.
  std::size_t data_lines = 0;
  std::string_view first_data, last_data;
  bool header = false;
  for (std::string_view rest = *bytes; !rest.empty();) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (Trim(line).empty() || line.front() == '#') continue;
    if (!header) {
      EXPECT_TRUE(StartsWith(line, "cve,epss")) << line;
      header = true;
      continue;
    }
    if (first_data.empty()) first_data = line;
    last_data = line;
    ++data_lines;
  }
  EXPECT_EQ(data_lines, 360142u);

  auto scores = ParseEpss(*bytes, path);
  ASSERT_TRUE(scores.ok()) << scores.status().ToString();
  EXPECT_EQ(scores->entries.size(), data_lines);
  EXPECT_EQ(scores->source.entries, static_cast<std::int64_t>(data_lines));
  EXPECT_EQ(scores->source.name, "epss");
  EXPECT_EQ(scores->source.version, "");  // this mirror has no "#model_version" line
  EXPECT_EQ(scores->source.released, 0);

  // First and last rows against the text.
  for (const auto& [line, entry] :
       {std::pair{first_data, scores->entries.front()}, std::pair{last_data, scores->entries.back()}}) {
    SCOPED_TRACE(std::string(line));
    const auto cols = Split(line, ',');
    ASSERT_EQ(cols.size(), 3u);
    EXPECT_EQ(entry.cve, cols[0]);
    EXPECT_DOUBLE_EQ(entry.epss, std::stod(std::string(cols[1])));
    EXPECT_DOUBLE_EQ(entry.percentile, std::stod(std::string(cols[2])));
  }
  for (const EpssEntry& e : scores->entries) {
    ASSERT_TRUE(IsCveId(e.cve)) << e.cve;
    ASSERT_GE(e.epss, 0.0);
    ASSERT_LE(e.epss, 1.0);
  }
}

// ---------------------------------------------------------------------------
// EPSS, inline files

TEST(IntelEpss, WithModelVersionComment) {
  const std::string text =
      "#model_version:v2023.03.01,score_date:2023-05-10T00:00:00+0000\n"
      "cve,epss,percentile\n"
      "CVE-2021-44228,0.97565,0.99996\n"
      "cve-2020-0001,0.00042,0.05\n";
  EXPECT_EQ(DetectIntel(text), IntelKind::kEpss);
  auto scores = ParseEpss(text, "epss.csv");
  ASSERT_TRUE(scores.ok()) << scores.status().ToString();
  EXPECT_EQ(scores->source.version, "v2023.03.01");
  EXPECT_EQ(scores->source.released, Time("2023-05-10T00:00:00Z"));
  ASSERT_EQ(scores->entries.size(), 2u);
  EXPECT_EQ(scores->entries[0].cve, "CVE-2021-44228");
  EXPECT_DOUBLE_EQ(scores->entries[0].epss, 0.97565);
  EXPECT_DOUBLE_EQ(scores->entries[0].percentile, 0.99996);
  EXPECT_EQ(scores->entries[1].cve, "CVE-2020-0001");  // upper-cased
}

TEST(IntelEpss, WithoutComment) {
  const std::string text = "cve,epss,percentile\nCVE-2024-3094,0.853,0.99\n";
  EXPECT_EQ(DetectIntel(text), IntelKind::kEpss);
  auto scores = ParseEpss(text, "epss.csv");
  ASSERT_TRUE(scores.ok()) << scores.status().ToString();
  EXPECT_EQ(scores->source.version, "");
  EXPECT_EQ(scores->source.released, 0);
  ASSERT_EQ(scores->entries.size(), 1u);
  EXPECT_DOUBLE_EQ(scores->entries[0].epss, 0.853);
}

TEST(IntelEpss, CrlfLineEndingsAndBlankLines) {
  const std::string text =
      "#model_version:v2025.03.14,score_date:2026-01-01T00:00:00Z\r\n"
      "cve,epss,percentile\r\n"
      "CVE-2024-0001,0.5,0.9\r\n"
      "\r\n"
      "CVE-2024-0002,0,1\r\n";
  auto scores = ParseEpss(text, "epss.csv");
  ASSERT_TRUE(scores.ok()) << scores.status().ToString();
  EXPECT_EQ(scores->source.version, "v2025.03.14");
  EXPECT_EQ(scores->source.released, Time("2026-01-01T00:00:00Z"));
  ASSERT_EQ(scores->entries.size(), 2u);
  EXPECT_EQ(scores->entries[0].cve, "CVE-2024-0001");
  EXPECT_DOUBLE_EQ(scores->entries[0].percentile, 0.9);
  EXPECT_DOUBLE_EQ(scores->entries[1].epss, 0.0);
  EXPECT_DOUBLE_EQ(scores->entries[1].percentile, 1.0);
}

TEST(IntelEpss, BadValuesNameTheLine) {
  // Line 1 comment, 2 header, 3 good, 4 blank, 5 the bad one.
  for (const char* bad :
       {"CVE-2024-0002,1.5,0.5", "CVE-2024-0002,abc,0.5", "CVE-2024-0002,-0.1,0.5", "CVE-2024-0002,,0.5",
        "CVE-2024-0002,0.5,2", "CVE-2024-0002", "not-a-cve,0.5,0.5", "CVE-2024-0002,0.5x,0.5"}) {
    SCOPED_TRACE(bad);
    const std::string text = "#model_version:v1,score_date:2024-01-01\ncve,epss,percentile\nCVE-2024-0001,0.1,0.2\n\n" +
                             std::string(bad) + "\nCVE-2024-0003,0.1,0.2\n";
    auto scores = ParseEpss(text, "epss.csv");
    ASSERT_FALSE(scores.ok());
    EXPECT_EQ(scores.status().code(), StatusCode::kSchemaError) << scores.status().ToString();
    EXPECT_EQ(scores.status().location().file, "epss.csv");
    EXPECT_EQ(scores.status().location().line, 5u);
  }
}

TEST(IntelEpss, BadScoreNamesTheColumn) {
  auto scores = ParseEpss("cve,epss,percentile\nCVE-2024-0001,1.5,0.2\n", "epss.csv");
  ASSERT_FALSE(scores.ok());
  EXPECT_EQ(scores.status().location().line, 2u);
  EXPECT_EQ(scores.status().location().column, std::string("CVE-2024-0001,").size() + 1);  // where "1.5" starts
  EXPECT_NE(scores.status().message().find("1.5"), std::string::npos) << scores.status().message();
}

TEST(IntelEpss, MissingHeader) {
  auto data_only = ParseEpss("CVE-2024-0001,0.5,0.9\n", "epss.csv");
  ASSERT_FALSE(data_only.ok());
  EXPECT_EQ(data_only.status().code(), StatusCode::kSchemaError);
  EXPECT_EQ(data_only.status().location().line, 1u);

  auto comment_only = ParseEpss("#model_version:v1\n", "epss.csv");
  ASSERT_FALSE(comment_only.ok());
  EXPECT_EQ(comment_only.status().location().file, "epss.csv");

  auto empty = ParseEpss("", "epss.csv");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kSchemaError);
}

TEST(IntelDetect, ContentNotName) {
  EXPECT_EQ(DetectIntel("cve,epss,percentile\n"), IntelKind::kEpss);
  EXPECT_EQ(DetectIntel("  \n#model_version:v2023.03.01,score_date:2023-05-10\ncve,epss,percentile\n"),
            IntelKind::kEpss);
  EXPECT_EQ(DetectIntel(KevDoc("")), IntelKind::kKev);
  // A catalog without catalogVersion still has vulnerabilities with cveIDs.
  EXPECT_EQ(DetectIntel(R"({"vulnerabilities": [{"cveID": "CVE-2030-0001"}]})"), IntelKind::kKev);
  EXPECT_EQ(DetectIntel(R"({"SchemaVersion": 2, "Results": []})"), IntelKind::kUnknown);
  EXPECT_EQ(DetectIntel(R"({"vulnerabilities": [{"id": "GHSA-x"}]})"), IntelKind::kUnknown);
  EXPECT_EQ(DetectIntel("id,score\n1,2\n"), IntelKind::kUnknown);
  EXPECT_EQ(DetectIntel(""), IntelKind::kUnknown);
  EXPECT_EQ(DetectIntel(std::string("\x1f\x8b\x08\x00", 4)), IntelKind::kUnknown);  // still compressed
}

}  // namespace
}  // namespace secbudget
