// SQLite store: the embedded default. One database file, WAL journal,
// synchronous=NORMAL, versioned migrations (schema_migrations table).
//
// Limits: one writer at a time (SQLite's rule); readers proceed during
// writes thanks to WAL. busy_timeout is 10 s.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "store/store.h"

namespace secbudget {

// Opens (creating if needed) and migrates the database at `path`.
// ":memory:" gives a private in-memory database.
Result<std::unique_ptr<Database>> OpenSqliteStore(const std::string& path);

// The schema version this build writes. A database with a newer version is
// refused (kConflict): an older binary must not write a newer schema.
int SqliteSchemaVersion();

// The statements every connection runs first (journal, synchronous, cache
// size, checkpoint interval), so that a benchmark measuring SQLite beside the
// store (bench/ingest's store floor) runs with the store's settings.
std::span<const char* const> SqliteConnectionSettings();

}  // namespace secbudget
