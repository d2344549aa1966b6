// The port through which anomaly detectors persist what they learned: one
// JSON text per (detector, entity), tagged with the detector's fingerprint
// so that a detector whose definition changed starts learning afresh.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace secbudget::detect::anomaly {

class AnomalyStore {
 public:
  virtual ~AnomalyStore() = default;
  // Rows of `detector` saved with `fingerprint` (others are ignored).
  virtual Result<std::vector<std::pair<std::string, std::string>>> LoadAnomalyState(const std::string& detector,
                                                                                    const std::string& fingerprint) = 0;
  // Replaces every row of `detector`, atomically.
  virtual Status SaveAnomalyState(const std::string& detector, const std::string& fingerprint,
                                  const std::vector<std::pair<std::string, std::string>>& rows) = 0;
};

}  // namespace secbudget::detect::anomaly
