// CVSS vectors: base-score computation for v3.0/v3.1 (FIRST specification,
// section 7.1) and the metric lookups the ranking uses. CVSS v2 and v4
// vectors are parsed for their metrics only (no score computation).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace secbudget {

struct CvssVector {
  int major_version = 0;  // 2, 3 or 4
  // Metric values by their abbreviations ("AV" -> "N"). v2 uses Au for
  // authentication and C/I/A values N/P/C.
  std::string Get(std::string_view metric) const;
  std::string text;
};

// Parses "CVSS:3.1/AV:N/AC:L/...", "CVSS:4.0/...", or a bare v2 vector
// "AV:N/AC:L/Au:N/C:P/I:P/A:P". nullopt when malformed.
std::optional<CvssVector> ParseCvssVector(std::string_view text);

// Calls fn(name, value) for each "name:value" part of a vector string, in
// order, without allocating (the value is what follows the first colon;
// parts without one are skipped) until fn returns false.
template <typename Fn>
void ForEachCvssMetric(std::string_view vector, Fn&& fn) {
  std::size_t start = 0;
  while (start <= vector.size()) {
    std::size_t end = vector.find('/', start);
    if (end == std::string_view::npos) end = vector.size();
    const std::string_view part = vector.substr(start, end - start);
    start = end + 1;
    const std::size_t colon = part.find(':');
    if (colon != std::string_view::npos && !fn(part.substr(0, colon), part.substr(colon + 1))) return;
  }
}

// The value of one metric in a vector string ("AV" in ".../AV:N/..." -> "N"),
// without allocating; empty when absent. The first occurrence counts.
std::string_view CvssMetric(std::string_view vector, std::string_view metric);

// Base score of a v3.x vector (0.0-10.0, rounded up to one decimal as the
// specification requires). nullopt for other versions or missing metrics.
std::optional<double> CvssV3BaseScore(std::string_view vector);

}  // namespace secbudget
