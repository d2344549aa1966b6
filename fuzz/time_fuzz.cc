// libFuzzer target: the small parsers of values found in reports and
// policies: timestamps, durations, CVSS vectors, versions.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/strings.h"
#include "common/time.h"
#include "model/cvss.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = secbudget::ParseTime(text); t.ok()) {
    // Formatting and parsing back must agree.
    auto again = secbudget::ParseTime(secbudget::FormatTime(*t));
    if (!again.ok() || *again != *t) __builtin_trap();
  }
  (void)secbudget::ParseDuration(text);
  (void)secbudget::ParseCvssVector(text);
  if (auto score = secbudget::CvssV3BaseScore(text)) {
    if (*score < 0.0 || *score > 10.0) __builtin_trap();
  }
  const size_t half = size / 2;
  const int ab = secbudget::CompareVersions(text.substr(0, half), text.substr(half));
  const int ba = secbudget::CompareVersions(text.substr(half), text.substr(0, half));
  if (ab != -ba) __builtin_trap();
  (void)secbudget::GlobMatch(text.substr(0, half), text.substr(half));
  return 0;
}
