// The data-driven Sigma conformance suite: every file under
// tests/data/sigma/conformance holds cases (rules + events + the exact set of
// rules expected to fire on each event, or the expected rejection reason).
// Adding a case needs no C++.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "common/time.h"
#include "common/yaml.h"
#include "detect/sigma/correlation.h"
#include "detect/sigma/rule.h"
#include "detect/sigma/ruleset.h"

namespace secbudget::detect::sigma {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json ToJson(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return nullptr;
  if (n.IsMap()) {
    json o = json::object();
    for (const auto& kv : n) o[kv.first.Scalar()] = ToJson(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    json a = json::array();
    for (const YAML::Node& item : n) a.push_back(ToJson(item));
    return a;
  }
  const std::string& t = n.Scalar();
  if (n.Tag() == "!") return t;
  if (t == "~" || t == "null") return nullptr;
  if (t == "true" || t == "True") return true;
  if (t == "false" || t == "False") return false;
  if (!t.empty() && t.find_first_not_of("-0123456789") == std::string::npos && t != "-") {
    try {
      return std::stoll(t);
    } catch (...) {
      return t;
    }
  }
  if (!t.empty() && t.find_first_not_of("-0123456789.eE+") == std::string::npos) {
    try {
      std::size_t used = 0;
      double d = std::stod(t, &used);
      if (used == t.size()) return d;
    } catch (...) {
    }
  }
  return t;
}

LogSourceConfig TestConfig() {
  LogSourceConfig c;
  LogType t;
  t.name = "test";
  t.logsource.product = "test";
  t.time_field = "timestamp";
  c.types.push_back(t);
  return c;
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> out;
  const fs::path dir = fs::path(SB_SOURCE_DIR) / "tests/data/sigma/conformance";
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Counts {
  int cases = 0;
  int events = 0;
};

void RunFile(const std::string& file, Counts* counts) {
  YAML::Node root = YAML::LoadFile(file);
  ASSERT_TRUE(root["cases"].IsDefined() && root["cases"].IsSequence()) << file;
  for (const YAML::Node& c : root["cases"]) {
    const std::string name = c["name"].Scalar();
    SCOPED_TRACE(file + ": " + name);
    ++counts->cases;
    Placeholders placeholders;
    if (c["placeholders"].IsDefined()) {
      for (const auto& kv : c["placeholders"]) {
        for (const YAML::Node& v : kv.second) placeholders[kv.first.Scalar()].push_back(v.Scalar());
      }
    }
    LoadResult loaded;
    ParseRuleText(c["rules"].Scalar(), file + "#" + name, placeholders, &loaded);
    LogSourceConfig config = TestConfig();
    config.placeholders = placeholders;
    if (c["rejected"].IsDefined()) {
      RuleSet set(std::move(loaded), config);
      ASSERT_FALSE(set.rejected().empty()) << "expected a rejection containing '" << c["rejected"].Scalar() << "'";
      std::string reasons;
      for (const Rejected& r : set.rejected()) reasons += ToLower(r.reason) + " | ";
      EXPECT_NE(reasons.find(ToLower(c["rejected"].Scalar())), std::string::npos) << reasons;
      continue;
    }
    for (const Rejected& r : loaded.rejected) ADD_FAILURE() << "rule rejected: " << r.Origin() << ": " << r.reason;
    RuleSet set(std::move(loaded), config);
    for (const Rejected& r : set.rejected()) ADD_FAILURE() << "rule rejected: " << r.Origin() << ": " << r.reason;
    Correlator correlator(set);
    simdjson::dom::parser parser;
    int index = 0;
    for (const YAML::Node& e : c["events"]) {
      ++counts->events;
      const std::string text = ToJson(e["event"]).dump();
      SCOPED_TRACE("event " + std::to_string(index++) + ": " + text);
      simdjson::dom::element root_el;
      ASSERT_EQ(parser.parse(text).get(root_el), simdjson::SUCCESS);
      EventView ev;
      ev.root = root_el;
      ev.raw = text;
      ev.log_type = 0;
      std::string ts = FieldVisitor::FirstText(root_el, FieldPath("timestamp"));
      if (!ts.empty()) {
        auto t = ParseTime(ts);
        ASSERT_TRUE(t.ok()) << ts;
        ev.time = *t;
      }
      std::vector<int> matched;
      set.Match(ev, &matched);
      std::set<std::string> fired;
      for (int r : matched) {
        if (set.Alerts(r)) fired.insert(set.rules()[static_cast<std::size_t>(r)].title);
        if (set.Consumers(r).empty()) continue;
        MatchRecord m;
        m.rule = r;
        m.time = ev.time;
        for (const std::string& f : set.NeededFields(r)) {
          m.values.emplace_back(f, FieldVisitor::FirstText(root_el, FieldPath(f)));
        }
        std::vector<Firing> firings;
        correlator.Feed(m, &firings);
        for (const Firing& f : firings) {
          if (set.Alerts(f.rule)) fired.insert(set.rules()[static_cast<std::size_t>(f.rule)].title);
        }
      }
      std::set<std::string> expected;
      for (const YAML::Node& t : e["fires"]) expected.insert(t.Scalar());
      EXPECT_EQ(fired, expected);
    }
  }
}

TEST(SigmaConformance, EveryCaseHolds) {
  Counts counts;
  const auto files = CaseFiles();
  ASSERT_GE(files.size(), 10u);
  for (const std::string& f : files) RunFile(f, &counts);
  // The suite covers every modifier and grammar production; keep it large.
  EXPECT_GE(counts.cases, 100);
  EXPECT_GE(counts.events, 300);
  std::printf("conformance: %d cases, %d events in %zu files\n", counts.cases, counts.events, files.size());
}

}  // namespace
}  // namespace secbudget::detect::sigma
