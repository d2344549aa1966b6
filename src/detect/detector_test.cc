#include "detect/detector.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_util.h"

namespace secbudget::detect {
namespace {

using secbudget::testing::TempDir;

sigma::RuleSet Rules(const std::string& text) {
  sigma::LoadResult loaded;
  sigma::ParseRuleText(text, "rules.yml", {}, &loaded);
  EXPECT_TRUE(loaded.rejected.empty()) << loaded.rejected.front().reason;
  return sigma::RuleSet(std::move(loaded), LogSourceConfig::Defaults());
}

std::vector<Hit> RunDetector(const sigma::RuleSet& rules, const std::string& file, DetectOptions opts) {
  Detector d(rules, nullptr, opts);
  std::vector<Hit> hits;
  DetectStats stats;
  Status st = d.Run(
      {file}, [&](const Hit& h) { hits.push_back(h); }, &stats);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return hits;
}

TEST(Detector, TwoThreadsGiveTheSameHitsInTheSameOrder) {
  TempDir dir;
  std::ifstream in(std::string(SB_SOURCE_DIR) + "/examples/detect/cloudtrail.jsonl");
  std::stringstream example;
  example << in.rdbuf();
  std::string text;
  for (int i = 0; i < 300; ++i) text += example.str();  // ~3,900 lines, many chunks
  const std::string file = dir.Write("many.jsonl", text);
  sigma::LoadResult loaded = sigma::LoadRules({std::string(SB_SOURCE_DIR) + "/examples/detect/rules"}, {});
  sigma::RuleSet rules(std::move(loaded), LogSourceConfig::Defaults());
  DetectOptions one;
  one.chunk_bytes = 8192;  // lines split across chunk boundaries
  DetectOptions two = one;
  two.threads = 2;
  const auto a = RunDetector(rules, file, one);
  const auto b = RunDetector(rules, file, two);
  ASSERT_GT(a.size(), 600u);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kind, b[i].kind) << i;
    EXPECT_EQ(a[i].rule, b[i].rule) << i;
    EXPECT_EQ(a[i].line, b[i].line) << i;
  }
}

TEST(Detector, AnUpperBoundOnlyCorrelationFiresWhenItsWindowCloses) {
  TempDir dir;
  const auto rules = Rules(R"(title: login
name: login
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: ConsoleLogin}
  condition: sel
---
title: few logins
correlation: {type: event_count, rules: [login], group-by: [sourceIPAddress], timespan: 10m, condition: {lt: 3}}
level: low
)");
  auto event = [](const char* ip, const char* time) {
    return std::string(R"({"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",)") +
           R"("sourceIPAddress":")" + ip + R"(","eventTime":")" + time + "\"}\n";
  };
  const std::string file =
      dir.Write("ct.jsonl", event("10.0.0.1", "2024-01-01T00:00:00Z") + event("10.0.0.1", "2024-01-01T00:01:00Z") +
                                event("10.0.0.2", "2024-01-01T00:20:00Z"));
  const auto hits = RunDetector(rules, file, DetectOptions{});
  // Nothing fires while the window is open; the later event closes it.
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].kind, Hit::Kind::kCorrelation);
  EXPECT_EQ(hits[0].value, 2);
  EXPECT_EQ(FormatTime(hits[0].time), "2024-01-01T00:10:00Z");
  ASSERT_EQ(hits[0].entities.size(), 1u);
  EXPECT_EQ(hits[0].entities[0].second, "10.0.0.1");
}

}  // namespace
}  // namespace secbudget::detect
