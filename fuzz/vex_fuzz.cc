// libFuzzer target: VEX documents (OpenVEX, CycloneDX), as
// `secbudget suppressions import-vex` reads them, then the YAML they become.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alert/vex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  secbudget::VexImportOptions options;
  options.owner = "team-fuzz";
  options.approver = "ciso@example.com";
  options.created = 1'790'000'000;
  options.expires = options.created + 30 * secbudget::kDay;
  auto imported = secbudget::ImportVex(bytes, "fuzz.json", options);
  if (imported.ok()) {
    const std::string yaml = secbudget::SuppressionsToYaml(imported->suppressions, "fuzz");
    (void)yaml;
  }
  return 0;
}
