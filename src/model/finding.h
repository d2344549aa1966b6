// Findings as parsers report them (Occurrence, ParsedReport) and as the store
// keeps them (FindingRecord, SourceRecord, EventRecord).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "model/types.h"

namespace secbudget {

// Where a finding lives. Parsers fill what their format knows; the asset
// inventory matches on these fields. All values are normalised by the
// parsers (image names without tag or digest, lower-case registry, ...).
struct Locator {
  std::string image;         // e.g. "ghcr.io/acme/payments-api" (no tag/digest)
  std::string image_tag;     // "1.4.2"
  std::string image_digest;  // "sha256:..."
  std::string repository;    // source repository, e.g. "github.com/acme/payments-api"
  std::string provider;      // "aws", "azure", "gcp", "kubernetes"
  std::string account;       // cloud account / subscription id
  std::string region;
  std::string arn;  // cloud resource id (ARN for AWS)
  std::string cluster;
  std::string k8s_namespace;
  std::string resource;  // "Deployment/payments-api", "AwsS3Bucket/acme-logs"
  std::string path;      // file path inside the artifact or repository

  bool operator==(const Locator&) const = default;
};

// The lifecycle scope of a report: what one scanner fully examined. A finding
// that a scope's previous scan reported and its new scan does not is fixed
// (when `complete`); explicit "passed" results close findings in any scope.
struct Scope {
  std::string scanner;   // "trivy", "grype", "sarif:CodeQL", "prowler", ...
  std::string target;    // "image:docker.io/library/nginx", "k8s:prod-eks", ...
  bool complete = true;  // absence from a new scan means fixed
};

// One finding as one report states it. Parsers emit these; triage turns them
// into findings with stable identities.
struct Occurrence {
  FindingKind kind = FindingKind::kVulnerability;
  std::size_t scope_index = 0;  // into ParsedReport::scopes

  // Identity inputs (see triage/identity.h for how each kind uses them).
  std::string artifact;  // what the finding is in: image, repository, resource
  std::string vuln_id;   // as reported: CVE-..., GHSA-..., ALAS-...
  std::vector<std::string> aliases;
  std::string package;
  std::string ecosystem;    // canonical: deb, rpm, apk, npm, pypi, go, maven, ...
  std::string rule_id;      // check / rule id for non-vulnerability kinds
  std::string fingerprint;  // a stable id the tool provides (SARIF, ASFF, OCSF)

  // Attributes.
  std::string installed_version;
  std::string fixed_version;
  std::string purl;
  std::string title;
  // A view, not a copy: into the parser's buffer or ParsedReport::arena; valid
  // until the ReportParser parses its next report (see ParsedReport).
  std::string_view description;
  std::string location;  // human-readable "path:line" or resource
  Severity severity = Severity::kUnknown;
  double cvss_score = -1;   // best available base score, -1 when unknown
  std::string cvss_vector;  // CVSS v3.x/v4 vector when known
  Tri fix_available = Tri::kUnknown;
  Tri exploit_available = Tri::kUnknown;  // the report says a public exploit exists
  Tri known_exploited = Tri::kUnknown;    // the report says it is exploited in the wild
  double epss = -1;                       // EPSS probability carried by the report, -1 if none
  std::vector<std::string> exploit_refs;  // URLs of public exploits found in the report
  std::vector<std::string> references;
  Layer layer = Layer::kUnknown;
  Locator locator;

  // True when the report states this check passed or the finding is resolved
  // (Trivy/Prowler PASS, ASFF PASSED/ARCHIVED/RESOLVED): an explicit fix.
  bool passed = false;
  // True when the report mentions it without a verdict: suppressed in source,
  // not affected (VEX), muted, a manual check, an exception. It neither opens
  // a finding nor closes one (a suppression is not a fix); counted as skipped.
  bool held = false;
  // JSON pointer of the item in its report, for provenance.
  std::string pointer;
  // Digest of the item exactly as reported, with the report-level context
  // it was read in (0 when the parser computes none). The next scan of the
  // scope recognises the same item by it without extracting it again.
  std::uint64_t digest = 0;
};

// An item the parser recognised by its digest as one the scope's last scan
// reported the same way (see ParseOptions::known); not extracted.
struct KnownItem {
  std::size_t scope_index = 0;
  std::uint64_t digest = 0;
  std::uint64_t finding_id = 0;
};

// One array of items in a report's bytes (Trivy's Results[].Vulnerabilities),
// as ingest/item_arrays.h locates it: recognised whole when a scope's next
// scan carries the same bytes in the same place (docs/lifecycle.md).
struct ItemArray {
  std::size_t begin = 0, end = 0;  // byte range, '[' to one past ']'
  std::uint64_t hash = 0;          // Hash64 of those bytes
  std::uint64_t context = 0;       // the parser's digest of what outside the array shapes its items
  std::uint32_t items = 0;         // elements, as the parser counted them
};

// A parsed report. Occurrence::description views point into the
// ReportParser's buffer or into `arena`: use a ParsedReport before the same
// ReportParser parses another report.
struct ParsedReport {
  std::string format;  // "trivy", "grype", "sarif", ...
  std::string scanner_version;
  std::optional<TimePoint> scan_time;
  std::vector<Scope> scopes;
  std::vector<Occurrence> occurrences;
  std::vector<KnownItem> known;  // recognised unchanged items, not in `occurrences`
  // The report's item arrays in document order, with their bytes located
  // (empty when they were not, or the format has none). When
  // `arrays_recognised`, the report was parsed without them: each is the
  // scope's last scan's array, byte for byte, and its items are that scan's.
  std::vector<ItemArray> item_arrays;
  bool arrays_recognised = false;
  std::vector<std::string> warnings;
  std::size_t skipped = 0;        // items not turned into findings (held ones included)
  std::string skipped_reason;     // e.g. "Trivy status not_affected"
  std::deque<std::string> arena;  // storage for texts composed by parsers

  // Stores `text` and returns a view of it that lives as long as the report.
  std::string_view Keep(std::string text) { return arena.emplace_back(std::move(text)); }
};

// A finding as stored: the current state, derived from its events, plus the
// latest attributes its sources reported and the latest ranking.
struct FindingRecord {
  std::uint64_t id = 0;
  std::string identity;  // canonical identity string (hashed into id)
  FindingKind kind = FindingKind::kVulnerability;
  std::string vuln_id;  // canonical id (CVE when known)
  std::vector<std::string> aliases;
  std::string artifact;
  std::string package;
  std::string ecosystem;
  std::string installed_version;
  std::string fixed_version;
  std::string rule_id;
  std::string title;
  std::string location;
  Severity severity = Severity::kUnknown;
  double cvss_score = -1;
  std::string cvss_vector;
  Tri fix_available = Tri::kUnknown;
  Tri exploit_available = Tri::kUnknown;
  Tri known_exploited = Tri::kUnknown;
  double report_epss = -1;
  std::vector<std::string> exploit_refs;
  Layer layer = Layer::kUnknown;
  Locator locator;

  // Lifecycle (derived from events).
  FindingStatus status = FindingStatus::kOpen;
  TimePoint first_seen = 0;
  TimePoint period_start = 0;  // start of the current (or last) open period
  TimePoint status_since = 0;  // time of the last status change
  TimePoint updated_at = 0;    // latest report that changed this record

  // Ranking (derived from the latest ranking event).
  Priority priority = Priority::kP4;
  double score = 0;
  TimePoint due_at = 0;
  std::string asset_id;  // empty when no asset matched
  std::string service;
  std::string team;
  Environment environment = Environment::kUnknown;

  std::uint64_t content_hash = 0;  // of the attributes above that come from reports
};

// One scope's view of one finding.
struct SourceRecord {
  std::uint64_t finding_id = 0;
  std::uint64_t scope_id = 0;
  std::string scanner;
  std::string target;
  bool present = true;
  TimePoint first_seen = 0;
  TimePoint changed_at = 0;  // when `present` last changed
  std::uint64_t content_hash = 0;
  std::string report_id;     // the report that last changed this source
  std::string pointer;       // where in that report
  std::uint64_t digest = 0;  // Occurrence::digest of its only item, 0 if none or several
};

enum class EventType : std::uint8_t {
  kOpened,
  kFixed,
  kReopened,
  kPriorityChanged,
  kSourceAdded,   // another scanner/scope also reports it
  kSourceAbsent,  // one scope no longer reports it; others still do
};
std::string_view Name(EventType t);
std::optional<EventType> ParseEventType(std::string_view s);

struct EventRecord {
  std::int64_t seq = 0;  // assigned by the store, strictly increasing
  std::uint64_t finding_id = 0;
  TimePoint at = 0;
  EventType type = EventType::kOpened;
  std::string report_id;  // empty when not caused by a report
  // Type-specific data. For kOpened/kReopened/kPriorityChanged: the priority
  // and due time that hold from `at` on.
  std::optional<Priority> priority;
  std::optional<Priority> previous_priority;
  TimePoint due_at = 0;
  std::string detail;  // words: scope, reason
};

}  // namespace secbudget
