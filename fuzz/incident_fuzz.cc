// libFuzzer target: what the incident capability reads from users — the
// OnCallRoster and SeverityPolicy documents, holiday calendars (iCalendar)
// and status-update templates (Mustache) — then uses what parsed.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/yaml.h"
#include "incident/render.h"
#include "incident/roster.h"
#include "incident/severity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace secbudget;            // NOLINT(google-build-using-namespace)
  using namespace secbudget::incident;  // NOLINT(google-build-using-namespace)
  const std::string text(reinterpret_cast<const char*>(data), size);
  const TimePoint t0 = 1'790'000'000;  // 2026-09

  if (auto roster = ParseRoster(text, "fuzz.yaml"); roster.ok()) {
    (void)roster->Who(t0);
    const auto slots = roster->Schedule(t0, t0 + 40 * kDay);
    (void)roster->Fairness();
    (void)ToICalendar(*roster, slots);
  }
  std::set<std::int64_t> holidays;
  (void)ParseHolidayCalendar(text, "fuzz.ics", 20'400, 20'800, &holidays);

  if (auto docs = ParseYamlDocuments(text, "fuzz.yaml"); docs.ok()) {
    for (const auto& doc : *docs) {
      auto policy = ParseSeverityPolicy(doc, "fuzz.yaml");
      if (!policy.ok()) continue;
      for (const auto& level : policy->levels) (void)policy->ExecutivesFor(level);
      (void)policy->TriggerFor(Labels{{"source", "detect"}, {"level", "critical"}});
    }
  }

  const nlohmann::json context = {
      {"id", "INC-0001"},
      {"title", "t"},
      {"drill", false},
      {"timeline", nlohmann::json::array({{{"at", "2026-01-01T00:00:00Z"}, {"kind", "note"}, {"text", "x"}}})},
      {"roles", nlohmann::json::array({{{"role", "scribe"}, {"members", "bob"}}})},
      {"impact", nullptr}};
  if (CheckTemplate(text, "fuzz.md").ok()) {
    auto rendered = RenderTemplate(text, context, "fuzz.md");
    (void)rendered;
  }
  return 0;
}
