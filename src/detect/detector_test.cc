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

// Workers number lines within their chunk and the consumer adds the lines
// of the chunks before: every hit and every malformed line must still carry
// its line in the file, whatever the chunk size and thread count, and a
// hit's event text must be its line (a view into the chunk until consumed).
TEST(Detector, LineNumbersAndEventTextSurviveChunking) {
  TempDir dir;
  const auto rules = Rules(R"(title: login
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: ConsoleLogin}
  condition: sel
level: low
)");
  std::string text;
  std::vector<std::uint64_t> want_hits, want_bad;
  std::vector<std::string> want_events;
  for (std::uint64_t line = 1; line <= 3000; ++line) {
    std::string l;
    if (line % 97 == 0) {
      l = "{not json";
      want_bad.push_back(line);
    } else if (line % 7 == 0) {
      l = R"({"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","n":)" +
          std::to_string(line) + "}";
      want_hits.push_back(line);
      want_events.push_back(l);
    } else if (line == 1500) {
      l = "";  // blank lines count as lines
    } else {
      l = R"({"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","pad":")" +
          std::string(line % 50, 'x') + "\"}";
    }
    text += l + "\n";
  }
  // A line longer than max_line_bytes + chunk_bytes, skipped as one malformed line.
  text += R"({"eventName":"ConsoleLogin","eventSource":"x","big":")" + std::string(20000, 'y') + "\"}\n";
  want_bad.push_back(3001);
  text += R"({"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","n":3002})";
  want_hits.push_back(3002);
  want_events.push_back(
      R"({"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","n":3002})");
  const std::string file = dir.Write("lines.jsonl", text);
  for (int threads : {1, 2}) {
    for (std::size_t chunk : {std::size_t{512}, std::size_t{4096}, std::size_t{1} << 20}) {
      DetectOptions opts;
      opts.threads = threads;
      opts.chunk_bytes = chunk;
      opts.max_line_bytes = 10000;
      Detector d(rules, nullptr, opts);
      std::vector<Hit> hits;
      std::vector<std::string> events;  // Hit::event is valid only during the call
      DetectStats stats;
      ASSERT_TRUE(d.Run(
                       {file},
                       [&](const Hit& h) {
                         hits.push_back(h);
                         events.emplace_back(h.event);
                       },
                       &stats)
                      .ok());
      ASSERT_EQ(hits.size(), want_hits.size()) << threads << " " << chunk;
      for (std::size_t i = 0; i < hits.size(); ++i) {
        EXPECT_EQ(hits[i].line, want_hits[i]) << threads << " " << chunk << " " << i;
        EXPECT_EQ(events[i], want_events[i]) << threads << " " << chunk << " " << i;
      }
      std::vector<std::uint64_t> bad;
      for (const Malformed& m : stats.malformed_samples) bad.push_back(m.line);
      EXPECT_EQ(stats.malformed, want_bad.size());
      EXPECT_EQ(bad,
                std::vector<std::uint64_t>(
                    want_bad.begin(), want_bad.begin() + std::min<std::size_t>(want_bad.size(), kMaxMalformedSamples)))
          << threads << " " << chunk;
    }
  }
}

// The per-event key index answers exactly as simdjson's at_key would.
TEST(KeyIndex, FindsWhatAtKeyFinds) {
  simdjson::dom::parser parser;
  std::string keys;
  for (int i = 0; i < 40; ++i) keys += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const std::string json =
      "{" + keys + R"("a.b":"literal","a":{"b":"nested"},"dup":1,"dup":2,"":"empty","x":"1234567","EventName":"E"})";
  simdjson::dom::element root = parser.parse(json);
  KeyIndex index;
  ASSERT_TRUE(index.Build(simdjson::dom::object(root)));
  for (const char* k : {"k0", "k39", "a.b", "a", "dup", "", "x", "EventName", "eventName", "k40", "a.c", "1234567"}) {
    simdjson::dom::element want, got;
    const bool has = simdjson::dom::object(root).at_key(k).get(want) == simdjson::SUCCESS;
    EXPECT_EQ(index.Find(k, KeyHash(k), &got), has) << k;
    if (has) {
      EXPECT_EQ(simdjson::minify(got), simdjson::minify(want)) << k;  // the first "dup" wins
    }
  }
  // Fields read through the index: a literal dotted key first, then the path.
  EventView ev;
  ev.root = root;
  ev.keys = &index;
  EXPECT_EQ(FieldVisitor::FirstText(ev, FieldPath("a.b")), "literal");
  EXPECT_EQ(FieldVisitor::FirstText(ev, FieldPath("a")), "");  // an object has no text
  EXPECT_EQ(FieldVisitor::FirstText(ev, FieldPath("dup")), "1");
  EXPECT_EQ(FieldVisitor::FirstText(ev, FieldPath("k7")), "7");
  // An object with more keys than the index holds is refused (callers then use at_key).
  std::string many = "{";
  for (std::size_t i = 0; i <= KeyIndex::kMaxKeys; ++i) many += (i ? "," : "") + ("\"m" + std::to_string(i) + "\":0");
  many += "}";
  simdjson::dom::parser p2;
  EXPECT_FALSE(index.Build(simdjson::dom::object(p2.parse(many).value())));
}

TEST(KeyHash, CaselessHashAgreesWithIEquals) {
  for (const char* a : {"", "a", "ab", "abc", "abcd", "ConsoleLogin", "GetObject", "assumerolewithsaml", "Ünïcode"}) {
    const std::string upper = [&] {
      std::string s(a);
      for (char& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
      return s;
    }();
    EXPECT_EQ(CaselessKeyHash(a), CaselessKeyHash(upper)) << a;
  }
  EXPECT_NE(CaselessKeyHash("ConsoleLogin"), CaselessKeyHash("ConsoleLogim"));
  EXPECT_NE(KeyHash("ConsoleLogin"), KeyHash("consolelogin"));
  // '@' and '[' sit just outside 'A'..'Z' and must not be folded.
  EXPECT_NE(CaselessKeyHash("@[@[@[@["), CaselessKeyHash("`{`{`{`{"));
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
