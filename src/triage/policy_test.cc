// The policy directory: the default ranking policy, and every lint error a
// user can make, each with file:line.
#include "triage/policy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/yaml.h"
#include "test_util.h"
#include "triage/lint.h"

namespace secbudget {
namespace {

using testing::TempDir;

std::string DefaultText() { return std::string(DefaultRankingPolicyText()); }

// The default policy with one textual change.
std::string Edited(const std::string& from, const std::string& to) {
  std::string text = DefaultText();
  const size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

std::uint64_t LineOf(const std::string& text, const std::string& needle) {
  const size_t pos = text.find(needle);
  return pos == std::string::npos
             ? 0
             : 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
}

TEST(PolicyTest, TheShippedDefaultIsTheFileInTheRepository) {
  std::ifstream f(testing::SourceDir() + "/policy/ranking.yaml");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), DefaultText());
}

TEST(PolicyTest, TheDefaultPolicyHoldsTheTwoPublishedTablesComplete) {
  auto set = LoadPolicy("");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  const RankingPolicy& p = set->ranking;
  EXPECT_EQ(p.Deadline(Priority::kP1), 48 * kHour);
  EXPECT_EQ(p.Deadline(Priority::kP2), 7 * kDay);
  EXPECT_EQ(p.Deadline(Priority::kP3), 30 * kDay);
  EXPECT_EQ(p.Deadline(Priority::kP4), 90 * kDay);
  EXPECT_DOUBLE_EQ(p.epss_threshold, 0.1);
  ASSERT_EQ(p.tables.size(), 2u);
  EXPECT_EQ(p.tables[0].rows.size(), 36u);
  EXPECT_EQ(p.tables[1].rows.size(), 16u);
  // Spot checks against CERT/CC SSVC data/csv/cisa/cisa_coordinator_2_0_3.csv.
  const auto outcome = [&](const DecisionTable& t, const std::string& key) {
    const auto it = t.index.find(key);
    return it == t.index.end() ? std::string("?") : t.rows[it->second].outcome;
  };
  EXPECT_EQ(outcome(p.tables[0], "none|no|partial|low"), "track");
  EXPECT_EQ(outcome(p.tables[0], "none|no|total|high"), "track*");
  EXPECT_EQ(outcome(p.tables[0], "none|yes|partial|high"), "attend");
  EXPECT_EQ(outcome(p.tables[0], "public poc|no|total|high"), "attend");
  EXPECT_EQ(outcome(p.tables[0], "active|no|total|high"), "act");
  EXPECT_EQ(outcome(p.tables[0], "active|yes|partial|low"), "attend");
  // ... and cisa_bod_26_04_1_0_0.csv.
  EXPECT_EQ(outcome(p.tables[1], "no|no|no|partial"), "fix on system upgrade");
  EXPECT_EQ(outcome(p.tables[1], "yes|no|no|partial"), "14 days");
  EXPECT_EQ(outcome(p.tables[1], "no|yes|yes|total"), "3 days");
  EXPECT_EQ(outcome(p.tables[1], "yes|no|yes|total"), "3 days & forensic investigation");
}

struct LintCase {
  const char* name;
  std::string text;
  std::string message;  // a piece of the expected error
  std::string at;       // text on the line the error must point at ("" = any)
};

void PrintTo(const LintCase& c, std::ostream* os) { *os << c.name; }

class PolicyLintTest : public ::testing::TestWithParam<LintCase> {};

TEST_P(PolicyLintTest, RejectsWithFileAndLine) {
  const LintCase& c = GetParam();
  auto r = ParseRankingPolicy(c.text, "ranking.yaml");
  ASSERT_FALSE(r.ok()) << c.name;
  EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().ToString();
  EXPECT_EQ(r.status().location().file, "ranking.yaml");
  if (!c.at.empty()) {
    EXPECT_EQ(r.status().location().line, LineOf(c.text, c.at)) << r.status().ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Errors, PolicyLintTest,
    ::testing::Values(LintCase{"MissingRow", Edited("        - [active, \"yes\", total, high, act]\n", ""),
                               "cover 35 of the 36 combinations of its inputs; missing [active, yes, total, high]", ""},
                      LintCase{"DuplicateRow",
                               Edited("        - [none, \"no\", partial, medium, track]\n",
                                      "        - [none, \"no\", partial, low, track]\n"),
                               "appears twice", ""},
                      LintCase{"UnknownValue",
                               Edited("[none, \"no\", partial, low, track]", "[nothing, \"no\", partial, low, track]"),
                               "\"nothing\" is not a value of exploitation", "[nothing,"},
                      LintCase{"UnknownOutcome",
                               Edited("[none, \"no\", partial, low, track]", "[none, \"no\", partial, low, ignore]"),
                               "outcome \"ignore\" is not listed under outcomes", "ignore]"},
                      LintCase{"UnknownKey", Edited("  combine: most_urgent", "  combin: most_urgent"),
                               "unknown key \"combin\"", "combin:"},
                      LintCase{"BadDuration", Edited("    P2: 7d", "    P2: soon"), "invalid duration", "P2: soon"},
                      LintCase{"DeadlinesOutOfOrder", Edited("    P3: 30d", "    P3: 1d"),
                               "P3 (1d) is shorter than P2 (7d)", ""},
                      LintCase{"ThresholdOutOfRange", Edited("epss_threshold: 0.1", "epss_threshold: 2"),
                               "epss_threshold must be in [0, 1]", "epss_threshold: 2"},
                      LintCase{"DuplicateKey", Edited("    P4: 90d\n", "    P4: 90d\n    P4: 80d\n"),
                               "duplicate key \"P4\"", "P4: 80d"},
                      LintCase{"WrongApiVersion", Edited("apiVersion: secbudget.dev/v1", "apiVersion: v2"),
                               "apiVersion must be", "apiVersion: v2"},
                      LintCase{"UnknownInput", Edited("inputs: [in_kev, exposure", "inputs: [in_kev, exposed"),
                               "unknown input \"exposed\"", "exposed,"},
                      LintCase{"NotYaml", std::string("spec: [unclosed\n"), "invalid YAML", ""}),
    [](const ::testing::TestParamInfo<LintCase>& param) { return std::string(param.param.name); });

TEST(PolicyDirectoryTest, CollectsEveryErrorAcrossFiles) {
  TempDir dir;
  dir.Write("assets.yaml", R"(apiVersion: secbudget.dev/v1
kind: AssetInventory
spec:
  assets:
    - id: api
      service: api
      team: payments
      environment: production-ish
      match:
        - image: ghcr.io/acme/api
)");
  dir.Write("more/assets2.yaml", R"(apiVersion: secbudget.dev/v1
kind: AssetInventory
spec:
  assets:
    - id: web
      service: web
      team: web
      match:
        - imag: ghcr.io/acme/web
)");
  dir.Write("other.yml", "apiVersion: secbudget.dev/v1\nkind: AlertRoutes\nspec: {}\n");
  dir.Write("notes.txt", "not a policy file: ignored\n");
  std::vector<Status> diagnostics;
  auto set = LoadPolicy(dir.path().string(), &diagnostics);
  EXPECT_FALSE(set.ok());
  ASSERT_EQ(diagnostics.size(), 3u);
  EXPECT_NE(diagnostics[0].message().find("environment \"production-ish\""), std::string::npos)
      << diagnostics[0].ToString();
  EXPECT_EQ(diagnostics[0].location().line, 8u);
  EXPECT_NE(diagnostics[1].message().find("unknown selector key \"imag\""), std::string::npos)
      << diagnostics[1].ToString();
  EXPECT_EQ(diagnostics[1].location().line, 9u);
  EXPECT_NE(diagnostics[1].location().file.find("more/assets2.yaml"), std::string::npos);
  EXPECT_NE(diagnostics[2].message().find("unknown kind \"AlertRoutes\""), std::string::npos);
}

TEST(PolicyDirectoryTest, DuplicateAssetIdsAndASecondRankingPolicyAreErrors) {
  TempDir dir;
  const std::string asset = R"(apiVersion: secbudget.dev/v1
kind: AssetInventory
spec:
  assets:
    - id: api
      service: api
      team: payments
      match:
        - image: ghcr.io/acme/api
)";
  dir.Write("a.yaml", asset);
  dir.Write("b.yaml", asset);
  auto dup = LoadPolicy(dir.path().string());
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("asset id \"api\" is also defined at"), std::string::npos);
  TempDir two;
  two.Write("r1.yaml", DefaultText());
  two.Write("r2.yaml", DefaultText());
  auto r = LoadPolicy(two.path().string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a second RankingPolicy"), std::string::npos);
}

TEST(PolicyDirectoryTest, ARankingPolicyInTheDirectoryReplacesTheDefault) {
  TempDir dir;
  dir.Write("ranking.yaml", Edited("    P1: 48h", "    P1: 24h"));
  auto set = LoadPolicy(dir.path().string());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->ranking.Deadline(Priority::kP1), 24 * kHour);
  EXPECT_NE(set->fingerprint, LoadPolicy("").value().fingerprint);
}

TEST(PolicyDirectoryTest, LintReportsWarningsThatAreNotErrors) {
  TempDir dir;
  dir.Write("assets.yaml", R"(apiVersion: secbudget.dev/v1
kind: AssetInventory
spec:
  assets:
    - id: api
      service: api
      team: payments
      match:
        - image: ghcr.io/acme/api
)");
  const LintReport r = LintPolicyDirectory(dir.path().string());
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.assets, 1u);
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_NE(r.warnings[0].message().find("internet_exposed not set"), std::string::npos);
  EXPECT_EQ(r.warnings[0].location().line, 5u);
  const LintReport missing = LintPolicyDirectory(dir.File("nope"));
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].code(), StatusCode::kNotFound);
}

TEST(PolicyDirectoryTest, AStrayCommaDoesNotHangTheYamlParser) {
  // yaml-cpp 0.7's LoadAll loops forever on this (jbeder/yaml-cpp#1040).
  auto r = ParseRankingPolicy(", a]\n", "x.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kParseError);
  auto docs = ParseYamlDocuments("a: 1\n---\n, b\n", "x.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().location().line, 3u);
}

}  // namespace
}  // namespace secbudget
