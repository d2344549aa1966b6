// The triage service: the one place where reports become findings. The CLI
// (and later the server) call this; no business logic lives in front ends.
//
// Ingest of one report, in one transaction:
//   parse -> identity -> lifecycle (diff against each scope's last scan) ->
//   enrich (asset inventory, KEV, EPSS) -> rank -> due time -> events -> commit.
// Re-ingesting the same bytes changes nothing; a report older than the last
// scan of a scope changes nothing in that scope.
//
// Due times (docs/lifecycle.md): opening or reopening at t with priority p
// sets due = t + deadline(p), where deadline(p) is the finding's scope's
// (PolicySet::Deadline: SLO policy rules over the ranking policy's table). A change to a more urgent priority at t sets
// due = min(due, t + deadline(new)); to a less urgent one,
// due = period_start + deadline(new).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/file.h"
#include "ingest/ingest.h"
#include "model/finding.h"
#include "triage/policy.h"
#include "triage/rank.h"
#include "triage/triage_store.h"

namespace secbudget {

struct IngestOptions {
  std::string format;  // force a format
  std::string target;  // override the scanned target
  ReadLimits limits;
};

struct IngestSummary {
  std::string file;
  std::string report_id;
  std::string format;
  bool duplicate = false;  // these exact bytes were ingested before
  TimePoint scan_time = 0;
  bool scan_time_from_report = false;
  std::size_t occurrences = 0;  // items the report states (including passes)
  std::size_t findings = 0;     // distinct findings it reports present
  std::size_t opened = 0, reopened = 0, fixed = 0, changed = 0, unchanged = 0;
  // Of the unchanged: items recognised by their digest as the scope's last
  // scan reported them, and so not extracted again (see docs/formats.md).
  std::size_t recognised = 0;
  // Item arrays recognised whole, byte for byte as the scope's last scan
  // sent them: their items were not even parsed (docs/lifecycle.md).
  std::size_t arrays_recognised = 0;
  std::size_t unmatched = 0;  // new findings that matched no asset
  std::size_t skipped = 0;
  std::size_t stale_scopes = 0;
  std::vector<std::string> warnings;
};

struct IntelSummary {
  std::string file;
  std::string feed;  // "kev" or "epss"
  std::string version;
  std::size_t entries = 0;
  std::size_t reranked = 0;  // findings whose priority changed
};

struct RerankSummary {
  std::size_t examined = 0;
  std::size_t priority_changed = 0;
  std::size_t updated = 0;
};

struct Explanation {
  FindingRecord finding;
  Decision decision;  // recomputed now with the current policy and intel
  IntelFacts intel;
  std::optional<Asset> asset;
  std::vector<SourceRecord> sources;
  std::vector<EventRecord> events;
  std::optional<AdvisoryRecord> advisory;
  TimePoint now = 0;
};

// Result of replaying the event log against the stored current state.
struct VerifySummary {
  std::size_t findings = 0;
  std::size_t events = 0;
  std::vector<std::string> mismatches;  // empty when state == replay(events)
};

class Triage {
 public:
  // REQUIRES: store, policy and clock outlive the Triage.
  Triage(TriageStore& store, const PolicySet& policy, const Clock& clock);
  ~Triage();

  Result<IngestSummary> IngestFile(const std::string& path, const IngestOptions& options);
  // REQUIRES: bytes has 64 bytes of spare capacity (ReadFile provides it).
  Result<IngestSummary> IngestBytes(const std::string& bytes, const std::string& file, const IngestOptions& options);

  // Loads a KEV catalog or an EPSS file (detected from content) and re-ranks
  // open findings.
  Result<IntelSummary> LoadIntelFile(const std::string& path);

  // Re-ranks every open finding with the current policy and intel, recording
  // priority changes as events at clock time.
  Result<RerankSummary> Rerank();
  // Re-ranks only when policy or intel changed since the last ranking.
  Result<RerankSummary> EnsureRanked();

  // Resolves a full id or a unique hex prefix (at least 4 digits).
  Result<std::uint64_t> ResolveId(const std::string& id_or_prefix);
  Result<Explanation> Explain(const std::string& id_or_prefix);

  // Replays every event and compares the result (status, priority, due time,
  // open period) with each stored finding: the proof that current state is
  // derived from the append-only history.
  Result<VerifySummary> Verify();

  // The full decision, with words, for a stored finding (current policy and
  // intel): what `findings` and `explain` show as reasons.
  Result<Decision> Decide(const FindingRecord& finding);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Due-time rules (exposed for tests).
TimePoint DueOnOpen(TimePoint period_start, Duration deadline);
TimePoint DueOnPriorityChange(Priority from, Priority to, TimePoint current_due, TimePoint period_start, TimePoint at,
                              Duration new_deadline);

}  // namespace secbudget
