// libFuzzer target: YAML policy documents (ranking policy and asset
// inventory), as `secbudget lint` reads them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/yaml.h"
#include "inventory/inventory.h"
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
  }
  return 0;
}
