// libFuzzer target: YAML policy documents (ranking policy, asset inventory,
// SLO policy and gate exceptions, alert routing, suppressions), as
// `secbudget lint` reads them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "alert/alert_policy.h"
#include "alert/engine.h"
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
    // Every document as each alerting kind; a valid policy routes an alert.
    secbudget::AlertPolicyLoader alert;
    ok = true;
    for (const auto& doc : *docs) {
      for (const char* kind : {"AlertRouting", "Suppression", "SuppressionPolicy"}) {
        ok = alert.AddDocument(kind, doc, "fuzz.yaml").ok() && ok;
      }
    }
    secbudget::PolicySet set;
    if (ok && alert.Finish(set).ok()) {
      const secbudget::AlertPolicy policy = alert.TakePolicy();
      secbudget::AlertEngine engine(policy);
      secbudget::Alert a;
      a.dedup_key = "k";
      a.name = "FindingPriority";
      a.source = "triage";
      a.owner = "payments";
      a.labels["vulnerability"] = "CVE-2024-1";
      engine.BeginEvaluation(1'800'000'000);
      engine.Fire(a, 1'800'000'000);
      engine.Flush(1'800'000'000 + 86400);
    }
  }
  return 0;
}
