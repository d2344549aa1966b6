// The store module: database backends implementing the persistence ports
// that the capabilities define (triage/triage_store.h, slo/slo_store.h,
// alert/alert_store.h, detect/anomaly/anomaly_store.h, incident/incident_store.h).
#pragma once

#include <memory>
#include <string>

#include "alert/alert_store.h"
#include "common/status.h"
#include "detect/anomaly/anomaly_store.h"
#include "incident/incident_store.h"
#include "slo/slo_store.h"
#include "triage/triage_store.h"

namespace secbudget {

// A database: every port, plus a description.
class Database : public TriageStore,
                 public SloStore,
                 public AlertStore,
                 public detect::anomaly::AnomalyStore,
                 public incident::IncidentStore {
 public:
  // Backend name, version and schema, for `secbudget version`.
  virtual std::string Describe() const = 0;
  // Moves what the write-ahead log holds into the database file without
  // waiting for readers (SQLite: a passive checkpoint). SQLite does the same
  // when the last connection closes, as at the end of every command; this is
  // for long-lived processes, and for bench/ingest, whose phases share one
  // connection but should each pay for their own writes.
  virtual Status Checkpoint() = 0;
};

// Opens a database from a location: a file path (SQLite) or "sqlite:<path>".
// "postgres://..." is reserved for the PostgreSQL backend (not built yet).
Result<std::unique_ptr<Database>> OpenDatabase(const std::string& location);

}  // namespace secbudget
