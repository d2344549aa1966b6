// libFuzzer target: Sigma rule files (rules, collections, filters,
// correlations) as `secbudget rules check` reads them, then every loaded
// rule evaluated against a few fixed events.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "detect/logsource.h"
#include "detect/sigma/correlation.h"
#include "detect/sigma/ruleset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace secbudget::detect;  // NOLINT(google-build-using-namespace)
  const std::string text(reinterpret_cast<const char*>(data), size);
  sigma::LoadResult loaded;
  sigma::ParseRuleText(text, "fuzz.yml", {{"admins", {"alice", "b*"}}}, &loaded);
  LogSourceConfig config = LogSourceConfig::Defaults();
  secbudget::detect::LogType any;
  any.name = "test";
  any.logsource.product = "test";
  any.time_field = "t";
  config.types.push_back(any);
  sigma::RuleSet set(std::move(loaded), config);
  sigma::Correlator correlator(set);
  static const char* events[] = {
      R"({"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","a":"x","n":5,"t":"2024-01-01T00:00:00Z"})",
      R"({"a":["x","y"],"b":{"c":"10.1.2.3"},"n":-1.5,"t":"2024-01-01T00:01:00Z","verb":"create"})",
      R"({"eventName":"X","a":null,"b":true,"t":"2024-01-01T01:00:00Z"})"};
  simdjson::dom::parser parser;
  for (const char* e : events) {
    simdjson::dom::element root;
    if (parser.parse(e, std::strlen(e)).get(root) != simdjson::SUCCESS) continue;
    for (int type = 0; type < static_cast<int>(config.types.size()); ++type) {
      EventView ev;
      ev.root = root;
      ev.raw = e;
      ev.log_type = type;
      ev.time = 1'704'067'200;
      std::vector<int> matched;
      set.Match(ev, &matched);
      for (int r : matched) {
        sigma::MatchRecord m;
        m.rule = r;
        m.time = ev.time;
        std::vector<sigma::Firing> firings;
        correlator.Feed(m, &firings);
      }
    }
  }
  return 0;
}
