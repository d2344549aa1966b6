#include "detect/anomaly/anomaly.h"

#include <gtest/gtest.h>

#include "common/yaml.h"
#include "detect/detector.h"
#include "store/store.h"
#include "test_util.h"

namespace secbudget::detect::anomaly {
namespace {

std::vector<DetectorSpec> Load(const std::string& yaml) {
  AnomalyLoader loader;
  auto docs = ParseYamlDocuments(yaml, "detectors.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  for (const auto& d : *docs) {
    Status st = loader.AddDocument("AnomalyDetectors", d, "detectors.yaml");
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return loader.specs();
}

// Runs `lines` (CloudTrail JSON lines) through the detector pipeline with
// no Sigma rules; returns the anomaly hits.
std::vector<Hit> RunLines(AnomalyEngine& engine, const std::vector<std::string>& lines,
                          const secbudget::testing::TempDir& dir) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  const std::string file = dir.Write("events.jsonl", text);
  sigma::RuleSet rules(sigma::LoadResult{}, LogSourceConfig::Defaults());
  Detector d(rules, &engine, DetectOptions{});
  std::vector<Hit> hits;
  DetectStats stats;
  EXPECT_TRUE(d.Run(
                   {file}, [&](const Hit& h) { hits.push_back(h); }, &stats)
                  .ok());
  return hits;
}

std::string Event(const std::string& user, const std::string& region, const std::string& time,
                  const std::string& name = "ConsoleLogin") {
  return R"({"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":")" + name +
         R"(","userIdentity":{"arn":"arn:aws:iam::1:user/)" + user + R"("},"awsRegion":")" + region +
         R"(","eventTime":")" + time + R"("})";
}

const char* kFirstSeen = R"(
apiVersion: secbudget.dev/v1
kind: AnomalyDetectors
spec:
  detectors:
    - name: new-region
      type: first_seen
      log_type: cloudtrail
      where: {eventSource: signin.amazonaws.com}
      entity: userIdentity.arn
      value: awsRegion
      learn: 1d
)";

TEST(Anomaly, FirstSeenWaitsForWarmUpThenNamesWhatWasExpected) {
  secbudget::testing::TempDir dir;
  AnomalyEngine engine(Load(kFirstSeen));
  auto hits = RunLines(engine,
                       {Event("alice", "eu-west-1", "2024-01-01T00:00:00Z"),
                        Event("alice", "us-east-1", "2024-01-01T05:00:00Z"),  // learning: no alert
                        Event("alice", "eu-west-1", "2024-01-02T01:00:00Z"),
                        Event("alice", "ap-south-1", "2024-01-02T02:00:00Z"),  // new after warm-up
                        Event("bob", "ap-south-1", "2024-01-02T03:00:00Z")},   // new entity: learned, no alert
                       dir);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].kind, Hit::Kind::kAnomaly);
  EXPECT_EQ(hits[0].seen, "first ap-south-1");
  EXPECT_EQ(hits[0].expected, "values seen before: eu-west-1, us-east-1");
  EXPECT_EQ(hits[0].entities[0].second, "arn:aws:iam::1:user/alice");
}

TEST(Anomaly, StateSurvivesARestartThroughTheStore) {
  secbudget::testing::TempDir dir;
  auto db = OpenDatabase(dir.File("state.db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  {
    AnomalyEngine engine(Load(kFirstSeen));
    ASSERT_TRUE(engine.Load(**db).ok());
    EXPECT_TRUE(RunLines(engine, {Event("alice", "eu-west-1", "2024-01-01T00:00:00Z")}, dir).empty());
    ASSERT_TRUE(engine.Save(**db).ok());
  }
  AnomalyEngine restarted(Load(kFirstSeen));
  ASSERT_TRUE(restarted.Load(**db).ok());
  EXPECT_EQ(restarted.EntityCount(), 1u);
  // Learned before the restart: eu-west-1 is known, us-east-1 is new.
  auto hits = RunLines(
      restarted,
      {Event("alice", "eu-west-1", "2024-01-03T00:00:00Z"), Event("alice", "us-east-1", "2024-01-03T01:00:00Z")}, dir);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].seen, "first us-east-1");
  // A changed definition starts learning afresh.
  AnomalyEngine changed(Load(std::string(kFirstSeen) + "      max_entities: 10\n"));
  ASSERT_TRUE(changed.Load(**db).ok());
  EXPECT_EQ(changed.EntityCount(), 1u);  // max_entities is not part of what is learned
  auto other = Load(kFirstSeen);
  other[0].value = {"sourceIPAddress"};
  AnomalyEngine relearn(other);
  ASSERT_TRUE(relearn.Load(**db).ok());
  EXPECT_EQ(relearn.EntityCount(), 0u);
}

TEST(Anomaly, RareValueBelowItsShare) {
  secbudget::testing::TempDir dir;
  AnomalyEngine engine(Load(R"(
apiVersion: secbudget.dev/v1
kind: AnomalyDetectors
spec:
  detectors:
    - {name: rare-api, type: rare, entity: userIdentity.arn, value: eventName, min_events: 20, max_share: 0.1}
)"));
  std::vector<std::string> lines;
  for (int i = 0; i < 30; ++i) lines.push_back(Event("alice", "eu", "2024-01-01T00:00:00Z", "GetObject"));
  lines.push_back(Event("alice", "eu", "2024-01-01T00:01:00Z", "DeleteTrail"));
  lines.push_back(Event("alice", "eu", "2024-01-01T00:02:00Z", "GetObject"));
  auto hits = RunLines(engine, lines, dir);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].seen, "DeleteTrail in 0 of 30 events (0.0%)");
}

TEST(Anomaly, VolumeSpikeAgainstTheEwmaBaseline) {
  secbudget::testing::TempDir dir;
  AnomalyEngine engine(Load(R"(
apiVersion: secbudget.dev/v1
kind: AnomalyDetectors
spec:
  detectors:
    - {name: spike, type: spike, entity: userIdentity.arn, bucket: 1h, alpha: 0.3, threshold: 4, min_count: 10,
       warmup_buckets: 5}
)"));
  std::vector<std::string> lines;
  char t[32];
  // Six hours of 3 calls per hour, then 40 calls in one hour.
  for (int h = 0; h < 6; ++h) {
    for (int i = 0; i < 3; ++i) {
      std::snprintf(t, sizeof t, "2024-01-01T%02d:%02d:00Z", h, i * 10);
      lines.push_back(Event("alice", "eu", t));
    }
  }
  for (int i = 0; i < 40; ++i) {
    std::snprintf(t, sizeof t, "2024-01-01T06:%02d:00Z", i);
    lines.push_back(Event("alice", "eu", t));
  }
  auto hits = RunLines(engine, lines, dir);
  ASSERT_EQ(hits.size(), 1u);  // once per bucket
  EXPECT_EQ(hits[0].expected, "about 3.0 per 1h (alert above 10.0)");
  EXPECT_EQ(hits[0].seen, "11.0 in the bucket starting 2024-01-01T06:00:00Z");
}

TEST(Anomaly, PolicyErrorsNameTheFileAndLine) {
  AnomalyLoader loader;
  auto docs = ParseYamlDocuments(R"(apiVersion: secbudget.dev/v1
kind: AnomalyDetectors
spec:
  detectors:
    - {name: x, type: sometimes, entity: a}
)",
                                 "bad.yaml");
  ASSERT_TRUE(docs.ok());
  Status st = loader.AddDocument("AnomalyDetectors", (*docs)[0], "bad.yaml");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("bad.yaml:5"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("unknown detector type"), std::string::npos);
}

}  // namespace
}  // namespace secbudget::detect::anomaly
