// The persistence port of triage: what the findings pipeline needs from a
// database. Triage owns this interface; the store module implements it
// (SQLite today, PostgreSQL later), so triage never depends on a backend.
//
// Contract for every implementation:
//   - Begin/Commit/Rollback bracket a transaction; triage ingests one report
//     per transaction, so a report is written whole or not at all.
//   - Finding ids are 64-bit values; backends store them bit-for-bit.
//   - Events are append-only: AppendEvent assigns a strictly increasing seq.
//   - Every method returns a Status; none throws.
// Thread-safety: an implementation is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/asset.h"
#include "model/finding.h"

namespace secbudget {

struct ReportRecord {
  std::string id;  // content id of the report's bytes
  std::string file;
  std::string format;
  std::string scanner_version;
  TimePoint scan_time = 0;
  TimePoint ingested_at = 0;
  std::int64_t occurrences = 0;
  std::int64_t opened = 0;
  std::int64_t reopened = 0;
  std::int64_t fixed = 0;
  std::int64_t changed = 0;
  std::int64_t unchanged = 0;
  std::int64_t skipped = 0;
  std::vector<std::string> warnings;
};

struct ScopeRecord {
  std::uint64_t id = 0;
  std::string scanner;
  std::string target;
  bool complete = true;
  TimePoint last_scan_at = 0;
  std::string last_report;
};

// The per-scope state triage needs to diff a new scan against the last one.
struct SourceState {
  std::uint64_t finding_id = 0;
  bool present = false;
  std::uint64_t content_hash = 0;
  std::uint64_t digest = 0;  // SourceRecord::digest
};

struct FindingFilter {
  std::optional<FindingStatus> status;
  std::vector<Priority> priorities;  // empty = any
  std::string team;
  std::string service;
  std::optional<FindingKind> kind;
  bool unmatched_only = false;  // findings that matched no asset
  std::size_t limit = 0;        // 0 = no limit
};

struct AdvisoryRecord {
  std::string key;  // canonical vulnerability id, or "<scanner>|<rule id>"
  std::string title;
  std::string description;
  std::vector<std::string> references;
};

class TriageStore {
 public:
  virtual ~TriageStore() = default;

  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // Reports.
  virtual Result<bool> HasReport(const std::string& id) = 0;
  virtual Status InsertReport(const ReportRecord& report) = 0;
  virtual Status ListReports(std::vector<ReportRecord>* out) = 0;

  // Scopes. UpsertScope fills scope->id.
  virtual Result<std::optional<ScopeRecord>> GetScope(const std::string& scanner, const std::string& target) = 0;
  virtual Status UpsertScope(ScopeRecord* scope) = 0;

  // Sources.
  // `item_arrays` (may be null) gets what SaveScopeSources kept of the last
  // report's item arrays, or "" when the sources come from the rows.
  virtual Status LoadScopeSources(std::uint64_t scope_id, std::vector<SourceState>* out, std::string* item_arrays) = 0;
  virtual Status UpsertSource(const SourceRecord& source) = 0;
  // Records the scope's sources as they stand after `report_id`, its last
  // report, for LoadScopeSources to read in one piece, with the encoded item
  // arrays of that report (ingest/item_arrays.h; may be empty). A backend may
  // ignore it; LoadScopeSources must return the same sources either way.
  virtual Status SaveScopeSources(std::uint64_t scope_id, const std::string& report_id,
                                  const std::vector<SourceState>& sources, std::string_view item_arrays) = 0;
  // Sets only the digest (the item changed in ways the finding does not see).
  virtual Status SetSourceDigest(std::uint64_t scope_id, std::uint64_t finding_id, std::uint64_t digest) = 0;
  virtual Result<std::int64_t> CountPresentSources(std::uint64_t finding_id) = 0;
  virtual Status ListSources(std::uint64_t finding_id, std::vector<SourceRecord>* out) = 0;

  // Findings.
  virtual Result<std::optional<FindingRecord>> GetFinding(std::uint64_t id) = 0;
  // (id, identity) of every finding with lo <= id <= hi (unsigned order).
  virtual Status ListIdentities(std::uint64_t lo, std::uint64_t hi,
                                std::vector<std::pair<std::uint64_t, std::string>>* out) = 0;
  virtual Status InsertFinding(const FindingRecord& finding) = 0;
  virtual Status UpdateFinding(const FindingRecord& finding) = 0;
  // Calls `fn` for each finding matching `filter`, highest priority first,
  // then by score descending; stops early when fn returns false.
  virtual Status ScanFindings(const FindingFilter& filter, const std::function<bool(const FindingRecord&)>& fn) = 0;
  // Ids whose hex form starts with `hex_prefix` (at most `limit`).
  virtual Status FindIdsByPrefix(const std::string& hex_prefix, std::size_t limit, std::vector<std::uint64_t>* out) = 0;
  virtual Result<std::int64_t> CountFindings(const FindingFilter& filter) = 0;

  // Events.
  virtual Status AppendEvent(EventRecord* event) = 0;
  // All events of one finding (finding_id != 0) or of all findings, by seq.
  virtual Status ScanEvents(std::uint64_t finding_id, const std::function<bool(const EventRecord&)>& fn) = 0;

  // Advisory texts, shared by every finding of one vulnerability or rule.
  virtual Status UpsertAdvisory(const AdvisoryRecord& advisory) = 0;
  virtual Result<std::optional<AdvisoryRecord>> GetAdvisory(const std::string& key) = 0;

  // Threat intelligence. Replace* swap a whole feed atomically.
  virtual Status ReplaceKev(const std::vector<KevEntry>& entries, const IntelSource& source) = 0;
  virtual Status ReplaceEpss(const std::vector<EpssEntry>& entries, const IntelSource& source) = 0;
  virtual Status LoadKev(std::vector<KevEntry>* out) = 0;
  virtual Result<std::optional<EpssEntry>> LookupEpss(const std::string& cve) = 0;
  virtual Result<std::optional<IntelSource>> GetIntelSource(const std::string& name) = 0;

  // Small key/value settings (schema version lives in the backend).
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status SetMeta(const std::string& key, const std::string& value) = 0;
};

// Runs `fn` inside a transaction: commits when it returns OK, rolls back
// otherwise (and returns fn's error).
Status WithTransaction(TriageStore& store, const std::function<Status()>& fn);

}  // namespace secbudget
