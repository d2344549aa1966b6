// The engine against the real logs in ../shared/data/logs, with SigmaHQ's
// rules unmodified. What each file should trigger is read from the data's
// own README (its "Sigma (computed)" column), not written here; the test
// skips when ../shared is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "detect/detector.h"
#include "detect/logsource.h"
#include "detect/sigma/ruleset.h"

namespace secbudget::detect {
namespace {

namespace fs = std::filesystem;

const fs::path kShared = SB_SHARED_DATA_DIR;

struct Expectation {
  std::string file;                        // relative to shared/data
  std::map<std::string, int> rule_events;  // rule file stem -> events matched
};

// Rows "| `logs/...` | ... | <sigma computed> |" of the README.
std::vector<Expectation> ReadmeExpectations() {
  std::ifstream in(kShared / "README.md");
  std::vector<Expectation> out;
  std::string line;
  const std::regex entry(R"(([a-z0-9_]+) \((\d+) ev(, rule not in this folder)?\))");
  while (std::getline(in, line)) {
    if (!line.starts_with("| `logs/")) continue;
    Expectation e;
    e.file = line.substr(3, line.find('`', 3) - 3);
    std::string trimmed(Trim(line));
    trimmed.pop_back();  // the closing '|'
    std::string last(Trim(trimmed.substr(trimmed.rfind('|') + 1)));
    for (std::sregex_iterator it(last.begin(), last.end(), entry), end; it != end; ++it) {
      if ((*it)[3].matched) continue;  // the rule is not among the shared rules
      e.rule_events[(*it)[1]] = std::stoi((*it)[2]);
    }
    out.push_back(std::move(e));
  }
  return out;
}

class DetectData : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kShared / "README.md")) GTEST_SKIP() << "../shared/data is absent: real-data tests skipped";
    config_ = LogSourceConfig::Defaults();
    auto loaded = sigma::LoadRules(
        {(kShared / "sigma/rules/cloud/aws").string(), (kShared / "sigma/rules/application/kubernetes").string()}, {});
    set_ = std::make_unique<sigma::RuleSet>(std::move(loaded), config_);
  }

  // Events matched per rule file stem, and the lines that matched anything.
  std::map<std::string, int> Run(const std::string& file, std::set<std::uint64_t>* lines = nullptr) {
    // Panther's samples are partial events (only the fields its rule reads,
    // sometimes lower-cased): name the log type, as `--log-type` does.
    DetectOptions opts;
    opts.log_type = file.find("/k8s_audit/") != std::string::npos ? "k8s_audit" : "cloudtrail";
    Detector d(*set_, nullptr, opts);
    std::map<std::string, int> out;
    DetectStats stats;
    Status st = d.Run(
        {file},
        [&](const Hit& h) {
          const auto& r = set_->rules()[static_cast<std::size_t>(h.rule)];
          ++out[fs::path(r.file).stem().string()];
          if (lines != nullptr) lines->insert(h.line);
        },
        &stats);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(stats.malformed, 0u) << file;
    EXPECT_EQ(stats.unrecognised, 0u) << file;
    return out;
  }

  LogSourceConfig config_;
  std::unique_ptr<sigma::RuleSet> set_;
};

TEST_F(DetectData, EveryRuleLoads) {
  EXPECT_TRUE(set_->rejected().empty());
  EXPECT_GE(set_->rules().size(), 70u);
  for (std::size_t i = 0; i < set_->rules().size(); ++i) {
    EXPECT_FALSE(set_->Routes(static_cast<int>(i)).empty()) << set_->rules()[i].Origin();
  }
}

// Rules whose fields the built-in Kubernetes mapping adds (the README notes
// they match nothing without one), so they may fire beyond the README.
bool UsesMappedField(const sigma::Rule& r) {
  for (const auto& si : r.detection.identifiers) {
    for (const auto& alt : si.alternatives) {
      for (const auto& fc : alt) {
        if (fc.field == "capabilities" || fc.field == "hostPath" || fc.field == "apiGroup") return true;
      }
    }
  }
  return false;
}

TEST_F(DetectData, AttackDatasetsTriggerWhatTheirReadmeSays) {
  std::map<std::string, const sigma::Rule*> by_stem;
  for (const auto& r : set_->rules()) by_stem[fs::path(r.file).stem().string()] = &r;
  int files = 0;
  int expected_total = 0;
  for (const Expectation& e : ReadmeExpectations()) {
    SCOPED_TRACE(e.file);
    ++files;
    const auto got = Run((kShared / e.file).string());
    for (const auto& [rule, n] : e.rule_events) {
      expected_total += n;
      auto it = got.find(rule);
      EXPECT_EQ(it == got.end() ? 0 : it->second, n) << rule;
    }
    for (const auto& [rule, n] : got) {
      if (e.rule_events.count(rule) != 0) continue;
      ASSERT_TRUE(by_stem.count(rule) != 0) << rule;
      EXPECT_TRUE(UsesMappedField(*by_stem[rule])) << "unexpected " << rule << " x" << n;
    }
  }
  EXPECT_GE(files, 100);
  EXPECT_GE(expected_total, 100);
}

TEST_F(DetectData, MappedKubernetesFieldsReachTheRequestObject) {
  // Panther's dangerous-capabilities sample creates a pod adding
  // capabilities; SigmaHQ's privileged-pod rule reads `capabilities`.
  const auto got = Run((kShared / "logs/k8s_audit/panther-analysis/k8s_pod_dangerous_capabilities.jsonl").string());
  EXPECT_GE(got.count("kubernetes_audit_privileged_pod_creation"), 1u);
}

TEST_F(DetectData, AlertsOnEventsThatAreNotAttacksAreCounted) {
  // Panther marks each sample event as expected to alert or not (for its
  // own rule). Count Sigma hits on the events it says are benign.
  int benign = 0;
  int benign_hit = 0;
  int malicious = 0;
  int malicious_hit = 0;
  for (const char* dir : {"logs/cloudtrail/panther-analysis", "logs/k8s_audit/panther-analysis"}) {
    for (const auto& entry : fs::directory_iterator(kShared / dir)) {
      const std::string path = entry.path().string();
      if (!path.ends_with(".jsonl")) continue;
      std::set<std::uint64_t> lines;
      Run(path, &lines);
      std::ifstream in(path.substr(0, path.size() - 6) + ".expected.json");
      auto j = nlohmann::json::parse(in, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << path;
      for (const auto& t : j["tests"]) {
        const bool hit = lines.count(t["line"].get<std::uint64_t>()) != 0;
        if (t["expected_alert"].get<bool>()) {
          ++malicious;
          malicious_hit += hit ? 1 : 0;
        } else {
          ++benign;
          benign_hit += hit ? 1 : 0;
        }
      }
    }
  }
  std::printf("panther samples: %d of %d attack events hit by a Sigma rule; %d of %d benign events hit\n",
              malicious_hit, malicious, benign_hit, benign);
  EXPECT_GT(malicious, 0);
  EXPECT_GT(benign, 0);
  EXPECT_GT(malicious_hit, 0);
}

}  // namespace
}  // namespace secbudget::detect
