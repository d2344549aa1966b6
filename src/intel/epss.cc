#include <fmt/format.h>

#include <charconv>

#include "common/strings.h"
#include "intel/intel.h"

namespace secbudget {

namespace {

bool ParseScore(std::string_view s, double& out) {
  s = Trim(s);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0.0 && out <= 1.0;
}

}  // namespace

Result<EpssScores> ParseEpss(const std::string& bytes, const std::string& file) {
  EpssScores out;
  out.source.name = "epss";
  out.source.file = file;
  std::string_view rest(bytes);
  std::uint64_t line_no = 0;
  bool header_seen = false;
  out.entries.reserve(bytes.size() / 30);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;
    if (line.front() == '#') {
      // "#model_version:v2023.03.01,score_date:2023-05-10T00:00:00+0000"
      for (std::string_view part : Split(line.substr(1), ',')) {
        const size_t colon = part.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view key = part.substr(0, colon), value = part.substr(colon + 1);
        if (key == "model_version") out.source.version = std::string(value);
        if (key == "score_date") {
          if (auto t = ParseTime(value); t.ok()) out.source.released = *t;
        }
      }
      continue;
    }
    if (!header_seen) {
      if (!IStartsWith(line, "cve,epss")) {
        return Status::SchemaError("expected the header \"cve,epss,percentile\"").At(Location::File(file, line_no));
      }
      header_seen = true;
      continue;
    }
    const auto cols = Split(line, ',');
    if (cols.size() < 2) {
      return Status::SchemaError("expected \"cve,epss,percentile\"").At(Location::File(file, line_no));
    }
    EpssEntry e;
    e.cve = ToUpper(Trim(cols[0]));
    if (!IsCveId(e.cve)) {
      return Status::SchemaError(fmt::format("\"{}\" is not a CVE id", Ellipsize(cols[0], 40)))
          .At(Location::File(file, line_no));
    }
    if (!ParseScore(cols[1], e.epss)) {
      return Status::SchemaError(fmt::format("epss \"{}\" is not a probability in [0, 1]", Ellipsize(cols[1], 40)))
          .At(Location::File(file, line_no, cols[0].size() + 2));
    }
    if (cols.size() >= 3 && !ParseScore(cols[2], e.percentile)) {
      return Status::SchemaError(fmt::format("percentile \"{}\" is not in [0, 1]", Ellipsize(cols[2], 40)))
          .At(Location::File(file, line_no));
    }
    out.entries.push_back(std::move(e));
  }
  if (!header_seen) return Status::SchemaError("no \"cve,epss,percentile\" header: not an EPSS file").WithFile(file);
  out.source.entries = static_cast<std::int64_t>(out.entries.size());
  return out;
}

}  // namespace secbudget
