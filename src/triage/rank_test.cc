// Ranking decisions: inputs, tables, priority, score and reasons.
#include "triage/rank.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "triage/policy.h"

namespace secbudget {
namespace {

class RankTest : public ::testing::Test {
 protected:
  RankTest() : policy_(LoadPolicy("").value().ranking) {}

  static FindingRecord Vuln(const std::string& vector, Layer layer) {
    FindingRecord f;
    f.kind = FindingKind::kVulnerability;
    f.vuln_id = "CVE-2024-0001";
    f.cvss_vector = vector;
    f.cvss_score = 9.8;
    f.severity = Severity::kCritical;
    f.layer = layer;
    f.fix_available = Tri::kYes;
    f.fixed_version = "1.2.3";
    return f;
  }

  static Asset ProdAsset(Tri exposed) {
    Asset a;
    a.id = "api";
    a.service = "api";
    a.team = "payments";
    a.environment = Environment::kProd;
    a.layer = Layer::kApp;
    a.internet_exposed = exposed;
    a.criticality = Criticality::kHigh;
    return a;
  }

  static IntelFacts Loaded() {
    IntelFacts i;
    i.kev_loaded = true;
    i.kev_version = "2026.11.01";
    i.epss_loaded = true;
    i.epss_version = "v2025.03.14";
    return i;
  }

  static bool Mentions(const Decision& d, const std::string& text) {
    for (const auto& r : d.reasons) {
      if (r.find(text) != std::string::npos) return true;
    }
    return false;
  }

  RankingPolicy policy_;
};

constexpr const char* kNetwork = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

// Automatable and technical impact from the vector of each CVSS version,
// as the specifications define the metrics (v4 reads the vulnerable
// system's VC/VI and needs AT:N; v2 reads Au and complete C/I).
TEST_F(RankTest, VectorFactsFollowEachCvssVersion) {
  struct Case {
    const char* vector;
    const char* automatable;
    const char* impact;
  };
  const Case cases[] = {
      {kNetwork, "yes", "total"},
      {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N", "yes", "partial"},
      {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "no", "total"},
      {"CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "no", "total"},
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "no", "total"},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "no", "total"},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "yes", "total"},
      {"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "no", "total"},
      // v4's C/I are not VC/VI: subsequent-system impact does not count.
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:H/SC:H/SI:H/SA:N", "yes", "partial"},
      {"AV:N/AC:L/Au:N/C:C/I:C/A:C", "yes", "total"},
      {"AV:N/AC:L/Au:S/C:C/I:P/A:C", "no", "partial"},
      // The first of a repeated metric counts.
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L", "yes", "total"},
      {"CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:N", "no", "total"},
      // Malformed parts are skipped; an empty value matches nothing.
      {"CVSS:3.1/AV:/AV:N/AC:L/PR:N/UI:N/C:H/I:H//x", "no", "total"},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H:X", "yes", "partial"},
  };
  const Asset a = ProdAsset(Tri::kYes);
  for (const Case& c : cases) {
    const Decision d = Rank(policy_, Vuln(c.vector, Layer::kApp), &a, Loaded(), /*explain=*/true);
    EXPECT_EQ(d.Value(DecisionPoint::kAutomatable), c.automatable) << c.vector;
    EXPECT_EQ(d.Value(DecisionPoint::kTechnicalImpact), c.impact) << c.vector;
  }
}

TEST_F(RankTest, KevOnAnInternetExposedAppIsP1WithItsReasons) {
  FindingRecord f = Vuln(kNetwork, Layer::kApp);
  const Asset a = ProdAsset(Tri::kYes);
  IntelFacts intel = Loaded();
  intel.kev = KevEntry{"CVE-2024-0001", "v", "p", "n", ParseTime("2024-03-01").value(), 0, true};
  const Decision d = Rank(policy_, f, &a, intel);
  EXPECT_EQ(d.priority, Priority::kP1);
  EXPECT_EQ(d.deadline, 48 * kHour);
  EXPECT_EQ(d.Value(DecisionPoint::kExploitation), "active");
  EXPECT_EQ(d.Value(DecisionPoint::kExposure), "yes");
  EXPECT_EQ(d.Value(DecisionPoint::kAutomatable), "yes");
  EXPECT_EQ(d.Value(DecisionPoint::kTechnicalImpact), "total");
  EXPECT_EQ(d.Value(DecisionPoint::kMissionImpact), "high");
  EXPECT_EQ(d.reasons.front(), "in CISA KEV since 2024-03-01 (known ransomware use)");
  EXPECT_TRUE(Mentions(d, "internet-exposed app layer (asset api)"));
  EXPECT_TRUE(Mentions(d, "prod; criticality high"));
  EXPECT_TRUE(Mentions(d, "fix available: 1.2.3"));
  ASSERT_EQ(d.hits.size(), 2u);
  // Published rows (0-based, as in CERT/CC's CSVs): coordinator row 35 is
  // active/yes/total/high -> act; BOD 26-04 row 15 is yes/yes/yes/total.
  EXPECT_EQ(d.hits[0].table, "cisa-coordinator");
  EXPECT_EQ(d.hits[0].row, 35u);
  EXPECT_EQ(d.hits[0].outcome, "act");
  EXPECT_EQ(d.hits[1].row, 15u);
  EXPECT_EQ(d.hits[1].outcome, "3 days & forensic investigation");
  // Every component at its maximum but CVSS 9.8 of 10: 30+20+10+10+15+9.8+5.
  EXPECT_NEAR(d.score, 99.8, 1e-9);
}

TEST_F(RankTest, TheSameFlawOnAnInternalContainerLayerRanksBelowTheExposedApp) {
  const Asset a = ProdAsset(Tri::kYes);
  const Decision app = Rank(policy_, Vuln(kNetwork, Layer::kApp), &a, Loaded());
  const Decision container = Rank(policy_, Vuln(kNetwork, Layer::kContainer), &a, Loaded());
  const Decision cluster = Rank(policy_, Vuln(kNetwork, Layer::kCluster), &a, Loaded());
  // Not exploited: the coordinator says attend (P2) for all three; BOD 26-04
  // gives the exposed app 3 days (P1) and the internal layers 60 days (P3).
  EXPECT_EQ(app.priority, Priority::kP1);
  EXPECT_EQ(container.priority, Priority::kP2);
  EXPECT_EQ(cluster.priority, Priority::kP2);
  EXPECT_GT(app.score, container.score);
  EXPECT_EQ(container.Value(DecisionPoint::kExposure), "no");
  EXPECT_TRUE(Mentions(container, "container layer: internal"));
}

TEST_F(RankTest, NeverCheckedIsKeptApartFromNotListed) {
  const Asset a = ProdAsset(Tri::kYes);
  const FindingRecord f = Vuln(kNetwork, Layer::kApp);
  const Decision never = Rank(policy_, f, &a, IntelFacts{});
  const Decision listed_not = Rank(policy_, f, &a, Loaded());
  EXPECT_EQ(never.Value(DecisionPoint::kInKev), "no");
  EXPECT_EQ(never.Value(DecisionPoint::kExploitation), "none");
  EXPECT_TRUE(Mentions(never, "KEV never loaded"));
  EXPECT_FALSE(Mentions(listed_not, "never loaded"));
  bool said = false;
  for (const auto& in : listed_not.inputs) {
    said = said || (in.point == DecisionPoint::kInKev && in.evidence == "not in CISA KEV (catalog 2026.11.01)");
  }
  EXPECT_TRUE(said);
}

TEST_F(RankTest, EpssAboveTheThresholdCountsAsLikelyExploitation) {
  const Asset a = ProdAsset(Tri::kNo);
  FindingRecord f = Vuln("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Layer::kApp);
  IntelFacts intel = Loaded();
  intel.epss = EpssEntry{"CVE-2024-0001", 0.05, 0.9};
  EXPECT_EQ(Rank(policy_, f, &a, intel).Value(DecisionPoint::kExploitation), "none");
  intel.epss = EpssEntry{"CVE-2024-0001", 0.42, 0.99};
  const Decision d = Rank(policy_, f, &a, intel);
  EXPECT_EQ(d.Value(DecisionPoint::kExploitation), "public poc");
  EXPECT_EQ(d.reasons.front(), "EPSS 0.420, percentile 99.0 >= 0.10 threshold");
  // A public exploit referenced by the report counts the same.
  f.exploit_refs = {"https://www.exploit-db.com/exploits/50592"};
  EXPECT_EQ(Rank(policy_, f, &a, Loaded()).Value(DecisionPoint::kExploitation), "public poc");
}

TEST_F(RankTest, BusinessImpactIsCappedByEnvironmentAndUnknownAssetsAreSaidSo) {
  Asset dev = ProdAsset(Tri::kYes);
  dev.environment = Environment::kDev;
  dev.criticality = Criticality::kCritical;
  const Decision d = Rank(policy_, Vuln(kNetwork, Layer::kApp), &dev, Loaded());
  EXPECT_EQ(d.Value(DecisionPoint::kMissionImpact), "low");
  EXPECT_TRUE(Mentions(d, "capped to low in dev"));
  const Decision none = Rank(policy_, Vuln(kNetwork, Layer::kApp), nullptr, Loaded());
  EXPECT_TRUE(none.asset_id.empty());
  EXPECT_EQ(none.Value(DecisionPoint::kMissionImpact), "medium");
  EXPECT_EQ(none.Value(DecisionPoint::kExposure), "no");
  EXPECT_TRUE(Mentions(none, "no asset matched"));
}

TEST_F(RankTest, FindingsWithoutAVectorUseSeverityAndKind) {
  FindingRecord secret;
  secret.kind = FindingKind::kSecret;
  secret.severity = Severity::kCritical;
  secret.layer = Layer::kApp;
  const Asset a = ProdAsset(Tri::kYes);
  const Decision s = Rank(policy_, secret, &a, Loaded());
  EXPECT_EQ(s.Value(DecisionPoint::kExploitation), "public poc");
  EXPECT_EQ(s.Value(DecisionPoint::kAutomatable), "yes");
  EXPECT_EQ(s.Value(DecisionPoint::kTechnicalImpact), "total");
  FindingRecord misconfig;
  misconfig.kind = FindingKind::kMisconfiguration;
  misconfig.severity = Severity::kHigh;
  misconfig.layer = Layer::kCloud;
  const Decision m = Rank(policy_, misconfig, &a, Loaded());
  EXPECT_EQ(m.Value(DecisionPoint::kAutomatable), "no");
  EXPECT_EQ(m.Value(DecisionPoint::kTechnicalImpact), "partial");
  EXPECT_TRUE(Mentions(m, "no CVSS vector"));
  FindingRecord threat = misconfig;
  threat.kind = FindingKind::kThreat;
  EXPECT_EQ(Rank(policy_, threat, &a, Loaded()).Value(DecisionPoint::kExploitation), "active");
}

TEST_F(RankTest, TheHotPathSkipsWordsButDecidesTheSame) {
  const Asset a = ProdAsset(Tri::kYes);
  const FindingRecord f = Vuln(kNetwork, Layer::kContainer);
  const Decision quiet = Rank(policy_, f, &a, Loaded(), /*explain=*/false);
  const Decision full = Rank(policy_, f, &a, Loaded(), /*explain=*/true);
  EXPECT_EQ(quiet.priority, full.priority);
  EXPECT_DOUBLE_EQ(quiet.score, full.score);
  EXPECT_TRUE(quiet.reasons.empty());
  EXPECT_FALSE(full.reasons.empty());
}

TEST_F(RankTest, CvssV2AndV4VectorsAreRead) {
  const Asset a = ProdAsset(Tri::kYes);
  FindingRecord v2 = Vuln("AV:N/AC:L/Au:N/C:C/I:C/A:C", Layer::kApp);
  const Decision d2 = Rank(policy_, v2, &a, Loaded());
  EXPECT_EQ(d2.Value(DecisionPoint::kAutomatable), "yes");
  EXPECT_EQ(d2.Value(DecisionPoint::kTechnicalImpact), "total");
  FindingRecord v4 = Vuln("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", Layer::kApp);
  const Decision d4 = Rank(policy_, v4, &a, Loaded());
  EXPECT_EQ(d4.Value(DecisionPoint::kAutomatable), "no");  // attack requirements present
  EXPECT_EQ(d4.Value(DecisionPoint::kTechnicalImpact), "total");
}

TEST_F(RankTest, RankingWithoutWordsDecidesAsWithThem) {
  // The hot path (no words) remembers recent CVSS vectors; its decisions
  // must be the ones the worded ranking makes, vector by vector, whatever
  // came before. More vectors than it remembers, in a random order, so
  // that some are found and some were pushed out.
  const std::vector<std::string> vectors = {
      kNetwork,
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
      "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
      "CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N",
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
      "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
      "AV:N/AC:L/Au:N/C:C/I:C/A:C",
      "AV:N/AC:M/Au:S/C:P/I:P/A:P",
      "AV:L/AC:L/Au:N/C:C/I:C/A:C",
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N",
      "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
      "not a vector",
      "",
  };
  const Asset exposed = ProdAsset(Tri::kYes), internal = ProdAsset(Tri::kNo);
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    FindingRecord f = Vuln(vectors[rng() % vectors.size()], i % 3 == 0 ? Layer::kContainer : Layer::kApp);
    f.kind = i % 7 == 0 ? FindingKind::kSecret : FindingKind::kVulnerability;
    f.severity = static_cast<Severity>(rng() % 6);
    const Asset* asset = i % 4 == 0 ? nullptr : i % 4 == 1 ? &internal : &exposed;
    const Decision quiet = Rank(policy_, f, asset, Loaded(), /*explain=*/false);
    const Decision worded = Rank(policy_, f, asset, Loaded(), /*explain=*/true);
    ASSERT_EQ(quiet.priority, worded.priority) << f.cvss_vector;
    ASSERT_EQ(quiet.score, worded.score) << f.cvss_vector;
    for (DecisionPoint p : {DecisionPoint::kAutomatable, DecisionPoint::kTechnicalImpact, DecisionPoint::kExploitation,
                            DecisionPoint::kExposure, DecisionPoint::kMissionImpact}) {
      ASSERT_EQ(quiet.Value(p), worded.Value(p)) << f.cvss_vector << " " << static_cast<int>(p);
    }
    EXPECT_TRUE(quiet.reasons.empty());
    EXPECT_TRUE(quiet.hits.empty());
    EXPECT_FALSE(worded.hits.empty());
  }
}

}  // namespace
}  // namespace secbudget
