// libFuzzer target: YAML policy documents (ranking policy, asset inventory,
// SLO policy and gate exceptions), as `secbudget lint` reads them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/yaml.h"
#include "inventory/inventory.h"
#include "slo/slo_policy.h"
#include "triage/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto ranking = secbudget::ParseRankingPolicy(text, "fuzz.yaml");
  (void)ranking;
  auto docs = secbudget::ParseYamlDocuments(text, "fuzz.yaml");
  if (docs.ok()) {
    secbudget::Inventory inventory;
    for (const auto& doc : *docs) {
      secbudget::Status st = inventory.AddDocument(doc, "fuzz.yaml");
      (void)st;
    }
    secbudget::Status st = inventory.Validate();
    (void)st;
    secbudget::Locator loc;
    loc.image = "docker.io/library/nginx";
    loc.cluster = "prod";
    (void)inventory.Match(loc);
    // Every document as an SLO policy and as a gate exception, then the
    // cross-document checks and a resolution.
    secbudget::SloPolicyLoader slo;
    bool ok = true;
    for (const auto& doc : *docs) {
      for (const char* kind : {"SLOPolicy", "GateException"}) ok = slo.AddDocument(kind, doc, "fuzz.yaml").ok() && ok;
    }
    if (ok) {
      secbudget::PolicySet set;
      if (slo.Finish(set).ok()) {
        secbudget::FindingRecord f;
        f.team = "payments";
        (void)set.Deadline(secbudget::Priority::kP1, f);
        (void)slo.policy().Resolve("payments", "api", "prod");
      }
    }
  }
  return 0;
}
