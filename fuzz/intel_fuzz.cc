// libFuzzer target: CISA KEV catalogs and FIRST EPSS files.
#include <cstddef>
#include <cstdint>
#include <string>

#include "intel/intel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes;
  bytes.reserve(size + 64);
  bytes.assign(reinterpret_cast<const char*>(data), size);
  (void)secbudget::DetectIntel(bytes);
  auto kev = secbudget::ParseKev(bytes, "fuzz.json");
  (void)kev;
  auto epss = secbudget::ParseEpss(bytes, "fuzz.csv");
  (void)epss;
  return 0;
}
