// libFuzzer target: log input as `secbudget detect` reads it (JSON lines,
// gzip, CloudTrail Records files, arrays), through a memory file, against a
// small rule set with a correlation.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "detect/detector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace secbudget::detect;  // NOLINT(google-build-using-namespace)
  static const sigma::RuleSet* rules = [] {
    sigma::LoadResult loaded;
    sigma::ParseRuleText(R"(title: stop
name: stop
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName|contains: Stop
  condition: sel
---
title: many stops
correlation: {type: event_count, rules: [stop], group-by: [sourceIPAddress], timespan: 5m, condition: {gte: 2}}
)",
                         "rules.yml", {}, &loaded);
    return new sigma::RuleSet(std::move(loaded), LogSourceConfig::Defaults());
  }();
  int fd = memfd_create("fuzz-log", 0);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  DetectOptions opts;
  opts.chunk_bytes = 4096;  // exercise lines split across chunks
  opts.max_line_bytes = 1024;
  anomaly::AnomalyEngine anomalies({});
  Detector d(*rules, &anomalies, opts);
  DetectStats stats;
  (void)d.Run(
      {"/proc/self/fd/" + std::to_string(fd)}, [](const Hit&) {}, &stats);
  close(fd);
  return 0;
}
