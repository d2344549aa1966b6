// The persistence port of the incident capability: the append-only
// timeline of every incident. incident owns this interface; the store
// module implements it.
//
// Contract: events are never changed or deleted; ListIncidentEvents returns
// them in the order they were appended (seq). InIncidentTransaction runs
// `body` so that everything it appends (including budget events through
// the SLO port of the same database) lands together or not at all.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace secbudget::incident {

struct IncidentEventRecord {
  std::int64_t seq = 0;  // assigned by the store
  std::string incident;  // "INC-0001"
  TimePoint at = 0;
  std::string actor;
  std::string type;  // an EntryKind name
  std::string text;
  std::string data;  // a JSON object: the entry's fields
};

class IncidentStore {
 public:
  virtual ~IncidentStore() = default;
  virtual Status AppendIncidentEvent(IncidentEventRecord* event) = 0;
  // Every event of `incident` ("" = of every incident), by seq.
  virtual Status ListIncidentEvents(const std::string& incident, std::vector<IncidentEventRecord>* out) = 0;
  // The incident of the latest `declared` event ("" when there is none).
  virtual Result<std::string> LastDeclaredIncident() = 0;
  virtual Status InIncidentTransaction(const std::function<Status()>& body) = 0;
};

}  // namespace secbudget::incident
