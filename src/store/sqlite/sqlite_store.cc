#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cassert>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "alert/notification.h"
#include "common/endian.h"
#include "common/hash.h"
#include "common/strings.h"
#include "common/u64_map.h"

namespace secbudget {

namespace {

// Each migration runs once, in order, in its own transaction. Never edit a
// released migration: add a new one.
constexpr const char* kMigrations[] = {
    // 1: findings, their sources and events; reports; scopes; intel.
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE reports(
  id TEXT PRIMARY KEY, file TEXT NOT NULL, format TEXT NOT NULL, scanner_version TEXT NOT NULL,
  scan_time INTEGER NOT NULL, ingested_at INTEGER NOT NULL, occurrences INTEGER NOT NULL,
  opened INTEGER NOT NULL, reopened INTEGER NOT NULL, fixed INTEGER NOT NULL, changed INTEGER NOT NULL,
  unchanged INTEGER NOT NULL, skipped INTEGER NOT NULL, warnings TEXT NOT NULL) STRICT;
CREATE TABLE scopes(
  id INTEGER PRIMARY KEY, scanner TEXT NOT NULL, target TEXT NOT NULL, complete INTEGER NOT NULL,
  last_scan_at INTEGER NOT NULL, last_report TEXT NOT NULL, UNIQUE(scanner, target)) STRICT;
CREATE TABLE findings(
  id INTEGER PRIMARY KEY, identity TEXT NOT NULL, kind TEXT NOT NULL, vuln_id TEXT NOT NULL,
  aliases TEXT NOT NULL, artifact TEXT NOT NULL, package TEXT NOT NULL, ecosystem TEXT NOT NULL,
  installed_version TEXT NOT NULL, fixed_version TEXT NOT NULL, rule_id TEXT NOT NULL, title TEXT NOT NULL,
  location TEXT NOT NULL, severity TEXT NOT NULL, cvss_score REAL NOT NULL, cvss_vector TEXT NOT NULL,
  fix_available TEXT NOT NULL, exploit_available TEXT NOT NULL, known_exploited TEXT NOT NULL,
  report_epss REAL NOT NULL, exploit_refs TEXT NOT NULL, layer TEXT NOT NULL, locator TEXT NOT NULL,
  status TEXT NOT NULL, first_seen INTEGER NOT NULL, period_start INTEGER NOT NULL,
  status_since INTEGER NOT NULL, updated_at INTEGER NOT NULL, priority INTEGER NOT NULL, score REAL NOT NULL,
  due_at INTEGER NOT NULL, asset_id TEXT NOT NULL, service TEXT NOT NULL, team TEXT NOT NULL,
  environment TEXT NOT NULL, content_hash INTEGER NOT NULL) STRICT;
CREATE INDEX findings_queue ON findings(status, priority);
CREATE TABLE sources(
  scope_id INTEGER NOT NULL, finding_id INTEGER NOT NULL, present INTEGER NOT NULL,
  first_seen INTEGER NOT NULL, changed_at INTEGER NOT NULL, content_hash INTEGER NOT NULL,
  report_id TEXT NOT NULL, pointer TEXT NOT NULL, PRIMARY KEY(scope_id, finding_id)) STRICT, WITHOUT ROWID;
CREATE INDEX sources_by_finding ON sources(finding_id, present);
CREATE TABLE events(
  seq INTEGER PRIMARY KEY, finding_id INTEGER NOT NULL, at INTEGER NOT NULL, type TEXT NOT NULL,
  report_id TEXT NOT NULL, priority INTEGER, previous_priority INTEGER, due_at INTEGER NOT NULL,
  detail TEXT NOT NULL) STRICT;
CREATE INDEX events_by_finding ON events(finding_id, seq);
CREATE TABLE advisories(
  key TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, refs TEXT NOT NULL) STRICT;
CREATE TABLE kev(
  cve TEXT PRIMARY KEY, vendor TEXT NOT NULL, product TEXT NOT NULL, name TEXT NOT NULL,
  date_added INTEGER NOT NULL, due_date INTEGER NOT NULL, ransomware INTEGER NOT NULL) STRICT;
CREATE TABLE epss(cve TEXT PRIMARY KEY, epss REAL NOT NULL, percentile REAL NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE intel_sources(
  name TEXT PRIMARY KEY, version TEXT NOT NULL, released INTEGER NOT NULL, loaded_at INTEGER NOT NULL,
  entries INTEGER NOT NULL, file TEXT NOT NULL) STRICT;
)sql",
    // 2: budget events (breaches); findings by unit for SLO reads and gates.
    R"sql(
CREATE TABLE budget_events(
  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, type TEXT NOT NULL, breach_id TEXT NOT NULL,
  team TEXT NOT NULL, service TEXT NOT NULL, environment TEXT NOT NULL, summary TEXT NOT NULL,
  actor TEXT NOT NULL) STRICT;
CREATE INDEX findings_by_unit ON findings(service, team, environment);
)sql",
    // 3: alerting: engine state, the decision log, the outbox, the audit trail.
    R"sql(
CREATE TABLE alert_state(kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(kind, key))
  STRICT, WITHOUT ROWID;
CREATE TABLE alert_decisions(
  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, dedup_key TEXT NOT NULL, episode INTEGER NOT NULL,
  team TEXT NOT NULL, source TEXT NOT NULL, name TEXT NOT NULL, urgency TEXT NOT NULL, outcome TEXT NOT NULL,
  reason TEXT NOT NULL, ref TEXT NOT NULL) STRICT;
CREATE INDEX alert_decisions_by_time ON alert_decisions(at);
CREATE TABLE outbox(
  id INTEGER PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, receiver TEXT NOT NULL, kind TEXT NOT NULL,
  target TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, delivered_at INTEGER NOT NULL,
  last_error TEXT NOT NULL) STRICT;
CREATE INDEX outbox_pending ON outbox(state, next_attempt_at, id);
CREATE TABLE audit_events(
  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, object TEXT NOT NULL, action TEXT NOT NULL, actor TEXT NOT NULL,
  detail TEXT NOT NULL) STRICT;
CREATE INDEX audit_by_object ON audit_events(object, seq);
)sql",
    // 4: detection: what anomaly detectors learned, per detector and entity.
    R"sql(
CREATE TABLE anomaly_state(detector TEXT NOT NULL, entity TEXT NOT NULL, fingerprint TEXT NOT NULL,
  body TEXT NOT NULL, PRIMARY KEY(detector, entity)) STRICT, WITHOUT ROWID;
)sql",
    // 5: incidents: every incident's append-only timeline.
    R"sql(
CREATE TABLE incident_events(
  seq INTEGER PRIMARY KEY, incident TEXT NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL, type TEXT NOT NULL,
  text TEXT NOT NULL, data TEXT NOT NULL) STRICT;
CREATE INDEX incident_events_by_incident ON incident_events(incident, seq);
CREATE INDEX incident_events_by_type ON incident_events(type, seq);
)sql",
    // 6: findings stored in the order they were first written (`pos`), found
    // by id through a unique index. Ids are hashes, so a table keyed by id
    // takes every new finding at a random place and splits a full page every
    // few rows; appending instead fills pages in order, and only the small
    // index entries land at random. A report's findings end up together.
    R"sql(
CREATE TABLE findings_v6(
  pos INTEGER PRIMARY KEY, id INTEGER NOT NULL, identity TEXT NOT NULL, kind TEXT NOT NULL, vuln_id TEXT NOT NULL,
  aliases TEXT NOT NULL, artifact TEXT NOT NULL, package TEXT NOT NULL, ecosystem TEXT NOT NULL,
  installed_version TEXT NOT NULL, fixed_version TEXT NOT NULL, rule_id TEXT NOT NULL, title TEXT NOT NULL,
  location TEXT NOT NULL, severity TEXT NOT NULL, cvss_score REAL NOT NULL, cvss_vector TEXT NOT NULL,
  fix_available TEXT NOT NULL, exploit_available TEXT NOT NULL, known_exploited TEXT NOT NULL,
  report_epss REAL NOT NULL, exploit_refs TEXT NOT NULL, layer TEXT NOT NULL, locator TEXT NOT NULL,
  status TEXT NOT NULL, first_seen INTEGER NOT NULL, period_start INTEGER NOT NULL,
  status_since INTEGER NOT NULL, updated_at INTEGER NOT NULL, priority INTEGER NOT NULL, score REAL NOT NULL,
  due_at INTEGER NOT NULL, asset_id TEXT NOT NULL, service TEXT NOT NULL, team TEXT NOT NULL,
  environment TEXT NOT NULL, content_hash INTEGER NOT NULL) STRICT;
INSERT INTO findings_v6(id, identity, kind, vuln_id, aliases, artifact, package, ecosystem, installed_version,
  fixed_version, rule_id, title, location, severity, cvss_score, cvss_vector, fix_available, exploit_available,
  known_exploited, report_epss, exploit_refs, layer, locator, status, first_seen, period_start, status_since,
  updated_at, priority, score, due_at, asset_id, service, team, environment, content_hash)
  SELECT id, identity, kind, vuln_id, aliases, artifact, package, ecosystem, installed_version,
  fixed_version, rule_id, title, location, severity, cvss_score, cvss_vector, fix_available, exploit_available,
  known_exploited, report_epss, exploit_refs, layer, locator, status, first_seen, period_start, status_since,
  updated_at, priority, score, due_at, asset_id, service, team, environment, content_hash FROM findings ORDER BY id;
DROP TABLE findings;
ALTER TABLE findings_v6 RENAME TO findings;
CREATE UNIQUE INDEX findings_by_id ON findings(id);
CREATE INDEX findings_queue ON findings(status, priority);
CREATE INDEX findings_by_unit ON findings(service, team, environment);
-- The digest of a source's item as last reported (0: none), by which the
-- next scan recognises an unchanged item without extracting it.
ALTER TABLE sources ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
)sql",
    // 7: each scope's sources packed into one row as of the scope's last
    // report, so that the next scan of a scope reads one row rather than one
    // per source. The rows of `sources` remain the record: the packed copy
    // is read only while its report is still the scope's last one.
    R"sql(
CREATE TABLE scope_states(
  scope_id INTEGER PRIMARY KEY, report_id TEXT NOT NULL, sources BLOB NOT NULL) STRICT;
)sql",
    // 8: with the packed sources, where the last report's item arrays were
    // and what they hashed to, so that the next scan can recognise them whole.
    R"sql(
ALTER TABLE scope_states ADD COLUMN item_arrays BLOB NOT NULL DEFAULT x'';
)sql",
    // 9: the unit index carries the finding id again. Since schema 6 the
    // table's key is `pos`, so the index stopped covering the SLO read
    // (id, team, service, environment in unit order) and every one of its
    // rows was looked up in the table: a full status over 1M findings took
    // 2.5-2.8x the raw read instead of 1.2x (bench/slo).
    R"sql(
DROP INDEX findings_by_unit;
CREATE INDEX findings_by_unit ON findings(service, team, environment, id);
)sql",
    // 10: texts that many rows repeat are stored once, in `texts`, and a row
    // refers to them by number. A finding: its locator's shared part (an
    // image with its tag and digest, a repository, an account:
    // `locator_id`), its CVSS vector and its location (the scanned target's
    // part, such as "debian 12.5 packages"). An event: its report's id and
    // its detail ("first reported by trivy image:..."). A source: its
    // report's id. A number 0 means the row's own column holds the text, as
    // in every row written before schema 10. And a vulnerability's identity
    // that its own columns spell ("vuln|artifact|ecosystem|package|id") is
    // stored as '' and spelled on reading. Each new finding used to repeat
    // about 120 bytes of locator JSON, 60 of vector and location, 70 of
    // identity, and 120 of report ids and detail in its event and source.
    R"sql(
CREATE TABLE texts(id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE) STRICT;
ALTER TABLE findings ADD COLUMN locator_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN cvss_vector_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN location_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN report_text_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN detail_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN report_text_id INTEGER NOT NULL DEFAULT 0;
)sql",
};

constexpr const char* kConnectionSettings[] = {
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    // 64 MiB. A larger cache made every commit slower (bench/ingest: with
    // 256 MiB an unchanged rescan took 0.43-0.50 s against 0.33-0.41 s, and
    // neither a first ingest nor a changed one gained), and held 306 MiB.
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
    // Checkpoint every 64 MiB of WAL rather than 4 MiB: fewer fsyncs.
    "PRAGMA wal_autocheckpoint=16384",
};

constexpr int kSchemaVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

std::int64_t ToDb(std::uint64_t id) { return static_cast<std::int64_t>(id); }
std::uint64_t FromDb(std::int64_t id) { return static_cast<std::uint64_t>(id); }

// scope_states.sources: a format byte, then per source its finding id,
// content hash and digest (64-bit little-endian each) and a present byte.
constexpr char kPackedSourcesFormat = 1;
constexpr std::size_t kPackedSourceBytes = 3 * sizeof(std::uint64_t) + 1;

void PackSources(const std::vector<SourceState>& sources, std::string* out) {
  out->resize(1 + sources.size() * kPackedSourceBytes);
  char* p = out->data();
  *p++ = kPackedSourcesFormat;
  for (const SourceState& s : sources) {
    StoreLE64(p, s.finding_id);
    StoreLE64(p + 8, s.content_hash);
    StoreLE64(p + 16, s.digest);
    p[24] = s.present ? 1 : 0;
    p += kPackedSourceBytes;
  }
}

// False when `packed` is not in the format above (the caller reads the rows).
bool UnpackSources(std::string_view packed, std::vector<SourceState>* out) {
  if (packed.empty() || packed[0] != kPackedSourcesFormat || (packed.size() - 1) % kPackedSourceBytes != 0) {
    return false;
  }
  const std::size_t n = (packed.size() - 1) / kPackedSourceBytes;
  out->reserve(out->size() + n);
  const char* p = packed.data() + 1;
  for (std::size_t i = 0; i < n; ++i, p += kPackedSourceBytes) {
    out->push_back(SourceState{LoadLE64(p), p[24] != 0, LoadLE64(p + 8), LoadLE64(p + 16)});
  }
  return true;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;  // start of the pending run of plain characters
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

std::string EncodeList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, items[i]);
  }
  out += ']';
  return out;
}

std::vector<std::string> DecodeList(std::string_view text) {
  std::vector<std::string> out;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& item : j) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

// clang-format 14 does not reach a fixed point on this macro.
// clang-format off
#define SB_LOCATOR_FIELDS(X)                                                                              \
  X(image) X(image_tag) X(image_digest) X(repository) X(provider) X(account) X(region) X(arn) X(cluster) \
  X(k8s_namespace) X(resource) X(path)
// clang-format on

std::string EncodeLocator(const Locator& loc) {
  std::string out;
  std::size_t size = 2;
#define X(field) size += loc.field.size() + sizeof(#field) + 4;
  SB_LOCATOR_FIELDS(X)
#undef X
  out.reserve(size + size / 8);  // room for a few escapes: one allocation
  out += '{';
  bool first = true;
#define X(field)                      \
  if (!loc.field.empty()) {           \
    if (!first) out += ',';           \
    first = false;                    \
    AppendJsonString(out, #field);    \
    out += ':';                       \
    AppendJsonString(out, loc.field); \
  }
  SB_LOCATOR_FIELDS(X)
#undef X
  out += '}';
  return out;
}

Locator DecodeLocator(std::string_view text) {
  Locator loc;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return loc;
#define X(field) \
  if (auto it = j.find(#field); it != j.end() && it->is_string()) loc.field = it->get<std::string>();
  SB_LOCATOR_FIELDS(X)
#undef X
  return loc;
}

// A prepared statement, reset after each use.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }

  Status Prepare(sqlite3* db, const char* sql) {
    db_ = db;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      return Status::StoreError(fmt::format("prepare failed: {} in: {}", sqlite3_errmsg(db), sql));
    }
    return Status::OK();
  }
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<std::int64_t>(v)); }
  Stmt& Bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Binds without a copy. REQUIRES: `v` outlives the next Run()/Step().
  Stmt& BindStatic(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  // Binds without a copy. REQUIRES: `v` outlives the next Run()/Step().
  Stmt& BindStaticBlob(int i, std::string_view v) {
    // A null pointer would bind NULL, not an empty blob.
    sqlite3_bind_blob(stmt_, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false.
  Result<bool> Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Status::StoreError(fmt::format("{} (while running {})", sqlite3_errmsg(db_), sqlite3_sql(stmt_)));
  }
  Status Run() {
    Status s = RunRebound();
    sqlite3_clear_bindings(stmt_);
    return s;
  }
  // Run() for a statement whose every parameter is bound again before each
  // run (the hot writes): its bindings are left as they are, not cleared.
  Status RunRebound() {
    auto r = Step();
    sqlite3_reset(stmt_);
    if (!r.ok()) return std::move(r).take_status();
    return Status::OK();
  }
  int ParameterCount() const { return sqlite3_bind_parameter_count(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Real(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // Valid until the next Step() or Reset().
  std::string_view View(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string_view()
                        : std::string_view(reinterpret_cast<const char*>(p),
                                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  // Valid until the next Step() or Reset().
  std::string_view Blob(int col) const {
    const auto* p = sqlite3_column_blob(stmt_, col);
    return p == nullptr ? std::string_view()
                        : std::string_view(static_cast<const char*>(p),
                                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string Text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Steps through every row of a cached statement, calling `fn` until it
// returns false; the statement is reset however the loop ends.
Status ForEachRow(Stmt& st, const std::function<bool()>& fn) {
  while (true) {
    auto row = st.Step();
    if (!row.ok()) {
      st.Reset();
      return std::move(row).take_status();
    }
    if (!*row || !fn()) break;
  }
  st.Reset();
  return Status::OK();
}

// The first row read by `read`, or nullopt when there is none.
template <typename T, typename Read>
Result<std::optional<T>> FirstRow(Stmt& st, Read read) {
  std::optional<T> out;
  SB_RETURN_IF_ERROR(ForEachRow(st, [&] {
    out = read();
    return false;
  }));
  return out;
}

// The columns a finding is written to, in BindFinding's order.
constexpr const char* kFindingColumns =
    "id, identity, kind, vuln_id, aliases, artifact, package, ecosystem, installed_version, fixed_version, rule_id, "
    "title, location, severity, cvss_score, cvss_vector, fix_available, exploit_available, known_exploited, "
    "report_epss, exploit_refs, layer, locator, status, first_seen, period_start, status_since, updated_at, priority, "
    "score, due_at, asset_id, service, team, environment, content_hash, locator_id, cvss_vector_id, location_id";

// A column whose text may be stored once in `texts` (schema 10): the text
// numbered `id_column`, or the row's own when the number is 0.
std::string SharedTextColumn(std::string_view column, std::string_view id_column) {
  return fmt::format("CASE {1} WHEN 0 THEN {0} ELSE (SELECT body FROM texts WHERE id = {1}) END", column, id_column);
}

// A finding's identity, spelled from its columns when stored as '' (see
// IdentityFromColumns).
constexpr const char* kIdentityColumn =
    "CASE WHEN identity = '' AND kind = 'vulnerability' THEN 'vuln|' || artifact || '|' || ecosystem || '|' || "
    "package || '|' || vuln_id ELSE identity END";

// Whether `f` is a vulnerability whose identity its own columns spell, as
// kIdentityColumn does (the form triage/identity.cc gives most of them):
// then the row stores it as ''.
bool IdentityFromColumns(const FindingRecord& f) {
  if (f.kind != FindingKind::kVulnerability) return false;
  std::string_view rest = f.identity;
  const auto take = [&rest](std::string_view part) {
    if (rest.substr(0, part.size()) != part) return false;
    rest.remove_prefix(part.size());
    return true;
  };
  return take("vuln|") && take(f.artifact) && take("|") && take(f.ecosystem) && take("|") && take(f.package) &&
         take("|") && take(f.vuln_id) && rest.empty();
}

// What ReadFinding reads, in its order: the written columns, with a shared
// vector's and location's text in place of their own, then the shared
// locator's text (NULL when the row refers to none).
const std::string& FindingSelectColumns() {
  static const std::string kColumns = [] {
    std::string c = kFindingColumns;
    const std::string_view identity = " identity,";
    c.replace(c.find(identity), identity.size(), fmt::format(" {},", kIdentityColumn));
    for (std::string_view column : {"location", "cvss_vector"}) {
      const std::string plain = fmt::format(" {},", column);
      c.replace(c.find(plain), plain.size(),
                fmt::format(" {},", SharedTextColumn(column, fmt::format("{}_id", column))));
    }
    return c + ", (SELECT body FROM texts WHERE id = locator_id)";
  }();
  return kColumns;
}

template <typename Enum>
Enum ParseOr(std::optional<Enum> v, Enum fallback) {
  return v.value_or(fallback);
}

Tri ParseTri(std::string_view s) {
  if (s == "yes") return Tri::kYes;
  if (s == "no") return Tri::kNo;
  return Tri::kUnknown;
}

// Binds consecutive parameters: Binder(st)(a)(b)(c) binds 1, 2, 3. Text is
// bound without a copy: every string must outlive the statement's step.
class Binder {
 public:
  explicit Binder(Stmt& st) : st_(st) {}
  Binder& operator()(std::string_view v) {
    st_.BindStatic(++index_, v);
    return *this;
  }
  Binder& operator()(const std::string& v) { return (*this)(std::string_view(v)); }
  int count() const { return index_; }
  Binder& operator()(std::int64_t v) {
    st_.Bind(++index_, v);
    return *this;
  }
  Binder& operator()(double v) {
    st_.Bind(++index_, v);
    return *this;
  }

 private:
  Stmt& st_;
  int index_ = 0;
};

// A locator's fields that name something of the finding's own (a file, a
// cloud resource, a Kubernetes object), and the rest, which the findings of
// an artifact share (its image, tag and digest; its repository, account or
// cluster). The shared part is stored once, in `texts`.
// Together the two lists name every field of SB_LOCATOR_FIELDS
// (SqliteStoreTest.SharedTextsAreStoredOnce sets them all).
#define SB_OWN_LOCATOR_FIELDS(X) X(arn) X(resource) X(path)
#define SB_SHARED_LOCATOR_FIELDS(X) \
  X(image) X(image_tag) X(image_digest) X(repository) X(provider) X(account) X(region) X(cluster) X(k8s_namespace)

Locator OwnPart(const Locator& loc) {
  Locator own;
#define X(field) own.field = loc.field;
  SB_OWN_LOCATOR_FIELDS(X)
#undef X
  return own;
}

bool HasOwnPart(const Locator& loc) {
#define X(field) !loc.field.empty() ||
  return SB_OWN_LOCATOR_FIELDS(X) false;
#undef X
}

Locator SharedPart(Locator loc) {
#define X(field) loc.field.clear();
  SB_OWN_LOCATOR_FIELDS(X)
#undef X
  return loc;
}

// Whether `a` and `b` have the same shared part.
bool SameSharedPart(const Locator& a, const Locator& b) {
#define X(field) (a.field == b.field)&&
  return SB_SHARED_LOCATOR_FIELDS(X) true;
#undef X
}

// The finding's locator: the shared part read from `texts` with the
// finding's own fields over it. `own` is the whole locator in a row that
// refers to no shared one (every row written before schema 10).
Locator JoinLocator(std::string_view own, std::optional<std::string_view> shared) {
  if (!shared) return DecodeLocator(own);
  Locator loc = DecodeLocator(*shared);
  if (own.empty()) return loc;
  Locator mine = DecodeLocator(own);
#define X(field) loc.field = std::move(mine.field);
  SB_OWN_LOCATOR_FIELDS(X)
#undef X
  return loc;
}

// A finding's texts stored once in `texts` (0: in the finding's own row).
struct SharedTextIds {
  std::int64_t locator = 0, cvss_vector = 0, location = 0;
};

// The JSON-encoded columns of a finding, kept alive while it is written.
// With a shared locator, `locator` holds only the finding's own fields (""
// when it has none).
struct EncodedFinding {
  std::string aliases, exploit_refs, locator;
  SharedTextIds ids;
  EncodedFinding(const FindingRecord& f, SharedTextIds shared)
      : aliases(EncodeList(f.aliases)), exploit_refs(EncodeList(f.exploit_refs)), ids(shared) {
    if (ids.locator == 0) {
      locator = EncodeLocator(f.locator);
    } else if (HasOwnPart(f.locator)) {
      locator = EncodeLocator(OwnPart(f.locator));
    }
  }
};

// REQUIRES: `f` and `e` outlive the statement's next step.
void BindFinding(Stmt& st, const FindingRecord& f, const EncodedFinding& e) {
  Binder b(st);
  b(ToDb(f.id))(IdentityFromColumns(f) ? std::string_view("") : f.identity)(Name(f.kind))(f.vuln_id)(e.aliases)(
      f.artifact)(f.package)(f.ecosystem);
  b(f.installed_version)(f.fixed_version)(f.rule_id)(f.title)(e.ids.location != 0 ? "" : f.location);
  b(Name(f.severity))(f.cvss_score)(e.ids.cvss_vector != 0 ? "" : f.cvss_vector)(Name(f.fix_available))(
      Name(f.exploit_available))(Name(f.known_exploited))(f.report_epss);
  b(e.exploit_refs)(Name(f.layer))(e.locator)(Name(f.status))(f.first_seen);
  b(f.period_start)(f.status_since)(f.updated_at)(static_cast<std::int64_t>(f.priority))(f.score)(f.due_at);
  b(f.asset_id)(f.service)(f.team)(Name(f.environment))(ToDb(f.content_hash));
  b(e.ids.locator)(e.ids.cvss_vector)(e.ids.location);
  // Every parameter, every time: InsertFinding leaves bindings in place.
  assert(b.count() == st.ParameterCount());
}

FindingRecord ReadFinding(const Stmt& st) {
  FindingRecord f;
  int i = 0;
  f.id = FromDb(st.Int(i++));
  f.identity = st.Text(i++);
  f.kind = ParseOr(ParseFindingKind(st.Text(i++)), FindingKind::kVulnerability);
  f.vuln_id = st.Text(i++);
  f.aliases = DecodeList(st.Text(i++));
  f.artifact = st.Text(i++);
  f.package = st.Text(i++);
  f.ecosystem = st.Text(i++);
  f.installed_version = st.Text(i++);
  f.fixed_version = st.Text(i++);
  f.rule_id = st.Text(i++);
  f.title = st.Text(i++);
  f.location = st.Text(i++);
  f.severity = ParseOr(ParseSeverity(st.Text(i++)), Severity::kUnknown);
  f.cvss_score = st.Real(i++);
  f.cvss_vector = st.Text(i++);
  f.fix_available = ParseTri(st.Text(i++));
  f.exploit_available = ParseTri(st.Text(i++));
  f.known_exploited = ParseTri(st.Text(i++));
  f.report_epss = st.Real(i++);
  f.exploit_refs = DecodeList(st.Text(i++));
  f.layer = ParseOr(ParseLayer(st.Text(i++)), Layer::kUnknown);
  const int locator = i++;  // read with the shared part, at the end
  f.status = ParseOr(ParseFindingStatus(st.Text(i++)), FindingStatus::kOpen);
  f.first_seen = st.Int(i++);
  f.period_start = st.Int(i++);
  f.status_since = st.Int(i++);
  f.updated_at = st.Int(i++);
  const std::int64_t p = st.Int(i++);
  f.priority = p >= 1 && p <= 4 ? static_cast<Priority>(p) : Priority::kP4;
  f.score = st.Real(i++);
  f.due_at = st.Int(i++);
  f.asset_id = st.Text(i++);
  f.service = st.Text(i++);
  f.team = st.Text(i++);
  f.environment = ParseOr(ParseEnvironment(st.Text(i++)), Environment::kUnknown);
  f.content_hash = FromDb(st.Int(i++));
  i += 3;  // the shared texts' numbers
  f.locator = JoinLocator(st.View(locator), st.IsNull(i) ? std::nullopt : std::optional(st.View(i)));
  return f;
}

constexpr std::string_view kOutboxColumns =
    "SELECT id, idempotency_key, receiver, kind, target, body, created_at, state, attempts, next_attempt_at, "
    "delivered_at, last_error FROM outbox";

OutboxEntry ReadOutbox(const Stmt& st) {
  OutboxEntry e;
  e.id = st.Int(0);
  e.idempotency_key = st.Text(1);
  e.receiver = st.Text(2);
  e.kind = st.Text(3);
  e.target = st.Text(4);
  e.body = st.Text(5);
  e.created_at = st.Int(6);
  e.state = ParseOutboxState(st.View(7)).value_or(OutboxState::kPending);
  e.attempts = static_cast<int>(st.Int(8));
  e.next_attempt_at = st.Int(9);
  e.delivered_at = st.Int(10);
  e.last_error = st.Text(11);
  return e;
}

class SqliteStore final : public Database {
 public:
  explicit SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override {
    stmts_.clear();
    sqlite3_close_v2(db_);
  }

  Status Init() {
    for (const char* setting : SqliteConnectionSettings()) SB_RETURN_IF_ERROR(Exec(setting));
    sqlite3_busy_timeout(db_, 10'000);
    return Migrate();
  }

  Status Begin() override { return Exec("BEGIN IMMEDIATE"); }
  Status Commit() override {
    Status s = Exec("COMMIT");
    if (!s.ok()) ForgetTexts();  // the transaction may be gone, and with it texts it added
    return s;
  }
  Status Rollback() override {
    ForgetTexts();  // the numbers of the texts this transaction added are undone
    return Exec("ROLLBACK");
  }

  Result<bool> HasReport(const std::string& id) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT 1 FROM reports WHERE id = ?"));
    st->Bind(1, id);
    bool found = false;
    SB_RETURN_IF_ERROR(ForEachRow(*st, [&] { return !(found = true); }));
    return found;
  }

  Status InsertReport(const ReportRecord& r) override {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("INSERT INTO reports(id, file, format, scanner_version, scan_time, ingested_at, "
                                 "occurrences, opened, reopened, fixed, changed, unchanged, skipped, warnings) "
                                 "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    st->Bind(1, r.id).Bind(2, r.file).Bind(3, r.format).Bind(4, r.scanner_version).Bind(5, r.scan_time);
    st->Bind(6, r.ingested_at).Bind(7, r.occurrences).Bind(8, r.opened).Bind(9, r.reopened).Bind(10, r.fixed);
    st->Bind(11, r.changed).Bind(12, r.unchanged).Bind(13, r.skipped).Bind(14, EncodeList(r.warnings));
    return st->Run();
  }

  Status ListReports(std::vector<ReportRecord>* out) override {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("SELECT id, file, format, scanner_version, scan_time, ingested_at, occurrences, "
                                 "opened, reopened, fixed, changed, unchanged, skipped, warnings FROM reports "
                                 "ORDER BY ingested_at, rowid"));
    return ForEachRow(*st, [&] {
      ReportRecord r;
      r.id = st->Text(0);
      r.file = st->Text(1);
      r.format = st->Text(2);
      r.scanner_version = st->Text(3);
      r.scan_time = st->Int(4);
      r.ingested_at = st->Int(5);
      r.occurrences = st->Int(6);
      r.opened = st->Int(7);
      r.reopened = st->Int(8);
      r.fixed = st->Int(9);
      r.changed = st->Int(10);
      r.unchanged = st->Int(11);
      r.skipped = st->Int(12);
      r.warnings = DecodeList(st->Text(13));
      out->push_back(std::move(r));
      return true;
    });
  }

  Result<std::optional<ScopeRecord>> GetScope(const std::string& scanner, const std::string& target) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT id, complete, last_scan_at, last_report FROM scopes "
                                            "WHERE scanner = ? AND target = ?"));
    st->Bind(1, scanner).Bind(2, target);
    return FirstRow<ScopeRecord>(*st, [&] {
      return ScopeRecord{FromDb(st->Int(0)), scanner, target, st->Int(1) != 0, st->Int(2), st->Text(3)};
    });
  }

  Status UpsertScope(ScopeRecord* s) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("INSERT INTO scopes(scanner, target, complete, last_scan_at, last_report) "
                                            "VALUES(?,?,?,?,?) ON CONFLICT(scanner, target) DO UPDATE SET "
                                            "complete = excluded.complete, last_scan_at = excluded.last_scan_at, "
                                            "last_report = excluded.last_report RETURNING id"));
    st->Bind(1, s->scanner)
        .Bind(2, s->target)
        .Bind(3, s->complete ? 1 : 0)
        .Bind(4, s->last_scan_at)
        .Bind(5, s->last_report);
    return ForEachRow(*st, [&] {
      s->id = FromDb(st->Int(0));
      return false;
    });
  }

  Status LoadScopeSources(std::uint64_t scope_id, std::vector<SourceState>* out, std::string* item_arrays) override {
    SB_ASSIGN_OR_RETURN(Stmt * packed,
                        Prepared("SELECT p.sources, p.item_arrays FROM scope_states p JOIN scopes s ON s.id = "
                                 "p.scope_id AND s.last_report = p.report_id WHERE p.scope_id = ?"));
    packed->Bind(1, ToDb(scope_id));
    bool unpacked = false;
    if (item_arrays != nullptr) item_arrays->clear();
    SB_RETURN_IF_ERROR(ForEachRow(*packed, [&] {
      unpacked = UnpackSources(packed->Blob(0), out);
      if (unpacked && item_arrays != nullptr) item_arrays->assign(packed->Blob(1));
      return false;
    }));
    if (unpacked) return Status::OK();
    // No packed copy, or not of the scope's last report, or damaged: read the rows.
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("SELECT finding_id, present, content_hash, digest FROM sources WHERE scope_id = ?"));
    st->Bind(1, ToDb(scope_id));
    return ForEachRow(*st, [&] {
      out->push_back(SourceState{FromDb(st->Int(0)), st->Int(1) != 0, FromDb(st->Int(2)), FromDb(st->Int(3))});
      return true;
    });
  }

  Status UpsertSource(const SourceRecord& s) override {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Cached(upsert_source_,
                               "INSERT INTO sources(scope_id, finding_id, present, first_seen, changed_at, "
                               "content_hash, report_id, pointer, digest, report_text_id) VALUES(?,?,?,?,?,?,?,?,?,?) "
                               "ON CONFLICT(scope_id, finding_id) DO UPDATE SET present = excluded.present, "
                               "changed_at = excluded.changed_at, content_hash = excluded.content_hash, "
                               "report_id = excluded.report_id, report_text_id = excluded.report_text_id, "
                               "digest = excluded.digest, "
                               "pointer = CASE WHEN excluded.pointer = '' THEN pointer ELSE excluded.pointer END"));
    SB_ASSIGN_OR_RETURN(const std::int64_t report, TextId(s.report_id, last_report_));
    st->Bind(1, ToDb(s.scope_id)).Bind(2, ToDb(s.finding_id)).Bind(3, s.present ? 1 : 0).Bind(4, s.first_seen);
    st->Bind(5, s.changed_at).Bind(6, ToDb(s.content_hash)).BindStatic(7, report != 0 ? "" : s.report_id);
    st->BindStatic(8, s.pointer).Bind(9, ToDb(s.digest)).Bind(10, report);
    return st->RunRebound();
  }

  Status SaveScopeSources(std::uint64_t scope_id, const std::string& report_id, const std::vector<SourceState>& sources,
                          std::string_view item_arrays) override {
    PackSources(sources, &pack_buffer_);
    // An update that leaves the record's size alone lets SQLite overwrite
    // it in place, writing only the pages whose bytes changed: after a scan
    // that changed no source, the page with the report id. (INSERT OR
    // REPLACE would delete the row and write every page again.)
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("INSERT INTO scope_states(scope_id, report_id, sources, item_arrays) VALUES(?,?,?,?) "
                                 "ON CONFLICT(scope_id) DO UPDATE SET report_id = excluded.report_id, "
                                 "sources = excluded.sources, item_arrays = excluded.item_arrays"));
    st->Bind(1, ToDb(scope_id)).BindStatic(2, report_id).BindStaticBlob(3, pack_buffer_);
    st->BindStaticBlob(4, item_arrays);
    return st->Run();
  }

  Status SetSourceDigest(std::uint64_t scope_id, std::uint64_t finding_id, std::uint64_t digest) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("UPDATE sources SET digest = ? WHERE scope_id = ? AND finding_id = ?"));
    st->Bind(1, ToDb(digest)).Bind(2, ToDb(scope_id)).Bind(3, ToDb(finding_id));
    return st->Run();
  }

  Result<std::int64_t> CountPresentSources(std::uint64_t finding_id) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT count(*) FROM sources WHERE finding_id = ? AND present = 1"));
    st->Bind(1, ToDb(finding_id));
    SB_ASSIGN_OR_RETURN(auto n, FirstRow<std::int64_t>(*st, [&] { return st->Int(0); }));
    return n.value_or(0);
  }

  Status ListSources(std::uint64_t finding_id, std::vector<SourceRecord>* out) override {
    static const std::string kSql =
        "SELECT s.scope_id, c.scanner, c.target, s.present, s.first_seen, s.changed_at, s.content_hash, " +
        SharedTextColumn("s.report_id", "s.report_text_id") +
        ", s.pointer, s.digest FROM sources s JOIN scopes c ON c.id = s.scope_id WHERE s.finding_id = ? "
        "ORDER BY s.first_seen, c.scanner";
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared(kSql));
    st->Bind(1, ToDb(finding_id));
    return ForEachRow(*st, [&] {
      SourceRecord s;
      s.finding_id = finding_id;
      s.scope_id = FromDb(st->Int(0));
      s.scanner = st->Text(1);
      s.target = st->Text(2);
      s.present = st->Int(3) != 0;
      s.first_seen = st->Int(4);
      s.changed_at = st->Int(5);
      s.content_hash = FromDb(st->Int(6));
      s.report_id = st->Text(7);
      s.pointer = st->Text(8);
      s.digest = FromDb(st->Int(9));
      out->push_back(std::move(s));
      return true;
    });
  }

  Status ListIdentities(std::uint64_t lo, std::uint64_t hi,
                        std::vector<std::pair<std::uint64_t, std::string>>* out) override {
    // Signed storage: an unsigned range may wrap into two signed ranges.
    const auto query = [&](std::int64_t a, std::int64_t b) -> Status {
      static const std::string kSql =
          fmt::format("SELECT id, {} FROM findings WHERE id BETWEEN ? AND ?", kIdentityColumn);
      SB_ASSIGN_OR_RETURN(Stmt * st, Prepared(kSql));
      st->Bind(1, a).Bind(2, b);
      return ForEachRow(*st, [&] {
        out->emplace_back(FromDb(st->Int(0)), st->Text(1));
        return true;
      });
    };
    const std::int64_t slo = ToDb(lo), shi = ToDb(hi);
    if (slo <= shi) return query(slo, shi);
    SB_RETURN_IF_ERROR(query(slo, INT64_MAX));
    return query(INT64_MIN, shi);
  }

  Result<std::optional<FindingRecord>> GetFinding(std::uint64_t id) override {
    static const std::string kSql = fmt::format("SELECT {} FROM findings WHERE id = ?", FindingSelectColumns());
    SB_ASSIGN_OR_RETURN(Stmt * st, Cached(get_finding_, kSql));
    st->Bind(1, ToDb(id));
    return FirstRow<FindingRecord>(*st, [&] { return ReadFinding(*st); });
  }

  Status InsertFinding(const FindingRecord& f) override {
    static const std::string kSql =
        fmt::format("INSERT INTO findings({}) VALUES({})", kFindingColumns,
                    "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?");
    SB_ASSIGN_OR_RETURN(Stmt * st, Cached(insert_finding_, kSql));
    SB_ASSIGN_OR_RETURN(SharedTextIds ids, TextIds(f));
    const EncodedFinding encoded(f, ids);
    BindFinding(*st, f, encoded);
    Status s = st->RunRebound();
    if (!s.ok() && s.message().find("UNIQUE") != std::string::npos) {
      return Status::Conflict(fmt::format("finding id {} already exists", HexId(f.id)));
    }
    return s;
  }

  // Rewrites every column but the id in place (the row keeps its position).
  Status UpdateFinding(const FindingRecord& f) override {
    static const std::string kSql = [] {
      // Parameters keep BindFinding's numbering: ?1 is the id.
      std::string set;
      int i = 0;
      for (std::string_view col : Split(kFindingColumns, ',')) {
        ++i;
        col = Trim(col);
        if (col == "id") continue;
        if (!set.empty()) set += ", ";
        set += fmt::format("{} = ?{}", col, i);
      }
      return fmt::format("UPDATE findings SET {} WHERE id = ?1", set);
    }();
    SB_ASSIGN_OR_RETURN(Stmt * st, Cached(update_finding_, kSql));
    SB_ASSIGN_OR_RETURN(SharedTextIds ids, TextIds(f));
    const EncodedFinding encoded(f, ids);
    BindFinding(*st, f, encoded);
    SB_RETURN_IF_ERROR(st->Run());
    if (sqlite3_changes(db_) == 0) return InsertFinding(f);
    return Status::OK();
  }

  Status ScanFindings(const FindingFilter& filter, const std::function<bool(const FindingRecord&)>& fn) override {
    std::string sql = fmt::format("SELECT {} FROM findings", FindingSelectColumns());
    std::vector<std::string> where;
    std::vector<std::string> args;
    AddFilter(filter, &where, &args);
    if (!where.empty()) sql += " WHERE " + Join(where, " AND ");
    sql += " ORDER BY status, priority, score DESC, id";
    if (filter.limit > 0) sql += fmt::format(" LIMIT {}", filter.limit);
    Stmt st;
    SB_RETURN_IF_ERROR(st.Prepare(db_, sql.c_str()));
    for (std::size_t i = 0; i < args.size(); ++i) st.Bind(static_cast<int>(i + 1), args[i]);
    while (true) {
      SB_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row || !fn(ReadFinding(st))) break;
    }
    return Status::OK();
  }

  Result<std::int64_t> CountFindings(const FindingFilter& filter) override {
    std::string sql = "SELECT count(*) FROM findings";
    std::vector<std::string> where;
    std::vector<std::string> args;
    AddFilter(filter, &where, &args);
    if (!where.empty()) sql += " WHERE " + Join(where, " AND ");
    Stmt st;
    SB_RETURN_IF_ERROR(st.Prepare(db_, sql.c_str()));
    for (std::size_t i = 0; i < args.size(); ++i) st.Bind(static_cast<int>(i + 1), args[i]);
    SB_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? st.Int(0) : 0;
  }

  Status FindIdsByPrefix(const std::string& hex_prefix, std::size_t limit, std::vector<std::uint64_t>* out) override {
    // Ids are random 64-bit values: turn the prefix into an id range.
    std::uint64_t lo = 0;
    if (!ParseHexId(hex_prefix, lo))
      return Status::InvalidArgument(fmt::format("\"{}\" is not a finding id", hex_prefix));
    const unsigned shift = static_cast<unsigned>(64 - 4 * hex_prefix.size());
    lo = shift >= 64 ? 0 : lo << shift;
    const std::uint64_t hi = shift >= 64 ? ~0ULL : lo | ((shift == 0 ? 0 : (~0ULL >> (64 - shift))));
    // Signed storage: an unsigned range may wrap into two signed ranges.
    const auto query = [&](std::int64_t a, std::int64_t b) -> Status {
      SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT id FROM findings WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?"));
      st->Bind(1, a).Bind(2, b).Bind(3, static_cast<std::int64_t>(limit));
      return ForEachRow(*st, [&] {
        out->push_back(FromDb(st->Int(0)));
        return true;
      });
    };
    const std::int64_t slo = ToDb(lo), shi = ToDb(hi);
    if (slo <= shi) return query(slo, shi);
    SB_RETURN_IF_ERROR(query(slo, INT64_MAX));
    return query(INT64_MIN, shi);
  }

  Status AppendEvent(EventRecord* e) override {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Cached(append_event_,
                               "INSERT INTO events(finding_id, at, type, report_id, priority, previous_priority, "
                               "due_at, detail, report_text_id, detail_id) VALUES(?,?,?,?,?,?,?,?,?,?)"));
    SB_ASSIGN_OR_RETURN(const std::int64_t report, TextId(e->report_id, last_report_));
    SB_ASSIGN_OR_RETURN(const std::int64_t detail, TextId(e->detail, last_detail_));
    // Every text outlives Run(): bound without a copy.
    st->Bind(1, ToDb(e->finding_id)).Bind(2, e->at).BindStatic(3, Name(e->type));
    st->BindStatic(4, report != 0 ? "" : e->report_id);
    if (e->priority)
      st->Bind(5, static_cast<std::int64_t>(*e->priority));
    else
      st->BindNull(5);
    if (e->previous_priority)
      st->Bind(6, static_cast<std::int64_t>(*e->previous_priority));
    else
      st->BindNull(6);
    st->Bind(7, e->due_at).BindStatic(8, detail != 0 ? "" : e->detail).Bind(9, report).Bind(10, detail);
    SB_RETURN_IF_ERROR(st->RunRebound());
    e->seq = sqlite3_last_insert_rowid(db_);
    return Status::OK();
  }

  Status ScanEvents(std::uint64_t finding_id, const std::function<bool(const EventRecord&)>& fn) override {
    static const std::string kColumns =
        "SELECT seq, finding_id, at, type, " + SharedTextColumn("report_id", "report_text_id") +
        ", priority, previous_priority, due_at, " + SharedTextColumn("detail", "detail_id") + " FROM events";
    static const std::string kOne = kColumns + " WHERE finding_id = ? ORDER BY seq", kAll = kColumns + " ORDER BY seq";
    Stmt st;
    SB_RETURN_IF_ERROR(st.Prepare(db_, finding_id != 0 ? kOne.c_str() : kAll.c_str()));
    if (finding_id != 0) st.Bind(1, ToDb(finding_id));
    while (true) {
      SB_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      EventRecord e;
      e.seq = st.Int(0);
      e.finding_id = FromDb(st.Int(1));
      e.at = st.Int(2);
      e.type = ParseEventType(st.Text(3)).value_or(EventType::kOpened);
      e.report_id = st.Text(4);
      if (!st.IsNull(5)) e.priority = static_cast<Priority>(st.Int(5));
      if (!st.IsNull(6)) e.previous_priority = static_cast<Priority>(st.Int(6));
      e.due_at = st.Int(7);
      e.detail = st.Text(8);
      if (!fn(e)) break;
    }
    return Status::OK();
  }

  Status UpsertAdvisory(const AdvisoryRecord& a) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Cached(upsert_advisory_,
                                          "INSERT INTO advisories(key, title, description, refs) VALUES(?,?,?,?) "
                                          "ON CONFLICT(key) DO UPDATE SET title = excluded.title, "
                                          "description = excluded.description, refs = excluded.refs "
                                          // Unchanged text is not rewritten: no page dirtied.
                                          "WHERE title != excluded.title OR description != excluded.description "
                                          "OR refs != excluded.refs"));
    const std::string refs = EncodeList(a.references);
    st->BindStatic(1, a.key).BindStatic(2, a.title).BindStatic(3, a.description).BindStatic(4, refs);
    return st->RunRebound();
  }

  Result<std::optional<AdvisoryRecord>> GetAdvisory(const std::string& key) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT title, description, refs FROM advisories WHERE key = ?"));
    st->Bind(1, key);
    return FirstRow<AdvisoryRecord>(*st, [&] {
      return AdvisoryRecord{key, st->Text(0), st->Text(1), DecodeList(st->Text(2))};
    });
  }

  Status ReplaceKev(const std::vector<KevEntry>& entries, const IntelSource& source) override {
    SB_RETURN_IF_ERROR(Exec("DELETE FROM kev"));
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("INSERT OR REPLACE INTO kev(cve, vendor, product, name, date_added, due_date, "
                                 "ransomware) VALUES(?,?,?,?,?,?,?)"));
    for (const auto& e : entries) {
      st->Bind(1, e.cve).Bind(2, e.vendor).Bind(3, e.product).Bind(4, e.name).Bind(5, e.date_added);
      st->Bind(6, e.due_date).Bind(7, e.ransomware ? 1 : 0);
      SB_RETURN_IF_ERROR(st->Run());
    }
    return PutIntelSource(source);
  }

  Status ReplaceEpss(const std::vector<EpssEntry>& entries, const IntelSource& source) override {
    SB_RETURN_IF_ERROR(Exec("DELETE FROM epss"));
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("INSERT OR REPLACE INTO epss(cve, epss, percentile) VALUES(?,?,?)"));
    for (const auto& e : entries) {
      st->Bind(1, e.cve).Bind(2, e.epss).Bind(3, e.percentile);
      SB_RETURN_IF_ERROR(st->Run());
    }
    return PutIntelSource(source);
  }

  Status LoadKev(std::vector<KevEntry>* out) override {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("SELECT cve, vendor, product, name, date_added, due_date, ransomware FROM kev"));
    return ForEachRow(*st, [&] {
      out->push_back(
          KevEntry{st->Text(0), st->Text(1), st->Text(2), st->Text(3), st->Int(4), st->Int(5), st->Int(6) != 0});
      return true;
    });
  }

  Result<std::optional<EpssEntry>> LookupEpss(const std::string& cve) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Cached(lookup_epss_, "SELECT epss, percentile FROM epss WHERE cve = ?"));
    st->Bind(1, cve);
    return FirstRow<EpssEntry>(*st, [&] { return EpssEntry{cve, st->Real(0), st->Real(1)}; });
  }

  Result<std::optional<IntelSource>> GetIntelSource(const std::string& name) override {
    SB_ASSIGN_OR_RETURN(
        Stmt * st, Prepared("SELECT version, released, loaded_at, entries, file FROM intel_sources WHERE name = ?"));
    st->Bind(1, name);
    return FirstRow<IntelSource>(
        *st, [&] { return IntelSource{name, st->Text(0), st->Int(1), st->Int(2), st->Int(3), st->Text(4)}; });
  }

  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT value FROM meta WHERE key = ?"));
    st->Bind(1, key);
    return FirstRow<std::string>(*st, [&] { return st->Text(0); });
  }

  Status SetMeta(const std::string& key, const std::string& value) override {
    SB_ASSIGN_OR_RETURN(
        Stmt * st,
        Prepared("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    st->Bind(1, key).Bind(2, value);
    return st->Run();
  }

  std::string Describe() const override {
    return fmt::format("sqlite {} (schema {}) at {}", sqlite3_libversion(), kSchemaVersion, path_);
  }

  Status Checkpoint() override {
    if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) != SQLITE_OK) {
      return Status::StoreError(fmt::format("checkpoint: {}", sqlite3_errmsg(db_)));
    }
    return Status::OK();
  }

  // --- SloStore -------------------------------------------------------------

  Status LoadLifecycle(const UnitFilter& filter, TimePoint until, LifecycleData* out) override {
    out->units.clear();
    out->findings.clear();
    out->events.clear();
    std::vector<std::string> where, args;
    for (const auto& [col, val] : {std::pair<const char*, const std::string&>{"service", filter.service},
                                   {"team", filter.team},
                                   {"environment", filter.environment}}) {
      if (val.empty()) continue;
      where.push_back(fmt::format("{} = ?", col));
      args.push_back(val);
    }
    const std::string cond = where.empty() ? "" : " WHERE " + Join(where, " AND ");
    // Findings come in unit order (the findings_by_unit index covers the
    // query), so a unit changes only when the triple does: no hashing of
    // strings for 1M rows.
    // Finding id -> position: a million lookups per SLO status, where
    // std::unordered_map's node allocations cost more than the SQLite reads.
    U64Map<std::uint32_t> finding_index;
    {
      SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT id, team, service, environment FROM findings" + cond +
                                              " ORDER BY service, team, environment"));
      for (std::size_t i = 0; i < args.size(); ++i) st->BindStatic(static_cast<int>(i + 1), args[i]);
      SB_RETURN_IF_ERROR(ForEachRow(*st, [&] {
        const std::string_view team = st->View(1), service = st->View(2), env = st->View(3);
        if (out->units.empty() || out->units.back().service != service || out->units.back().team != team ||
            Name(out->units.back().environment) != env) {
          out->units.push_back(
              UnitKey{std::string(team), std::string(service), ParseEnvironment(env).value_or(Environment::kUnknown)});
        }
        out->findings.push_back({FromDb(st->Int(0)), static_cast<std::uint32_t>(out->units.size() - 1), 0, 0});
        return true;
      }));
      finding_index.Reserve(out->findings.size());
      for (std::uint32_t i = 0; i < out->findings.size(); ++i) finding_index.Insert(out->findings[i].id, i);
    }
    // Events in append order, then grouped per finding (a counting sort
    // keeps each finding's order).
    struct Raw {
      std::uint32_t finding;
      LifecycleEvent e;
    };
    std::vector<Raw> raw;
    raw.reserve(out->findings.size() * 2);
    const std::string types = "type IN ('opened','reopened','priority_changed','fixed') AND at <= ?";
    const std::string sql =
        where.empty() ? "SELECT finding_id, at, type, due_at FROM events WHERE " + types + " ORDER BY seq"
                      : "SELECT finding_id, at, type, due_at FROM events WHERE " + types +
                            " AND finding_id IN (SELECT id FROM findings" + cond + ") ORDER BY finding_id, seq";
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared(sql));
    st->Bind(1, until);
    for (std::size_t i = 0; i < args.size(); ++i) st->BindStatic(static_cast<int>(i + 2), args[i]);
    SB_RETURN_IF_ERROR(ForEachRow(*st, [&] {
      const std::uint32_t* found = finding_index.Find(FromDb(st->Int(0)));
      if (found == nullptr) return true;
      const std::uint32_t index = *found;
      // The query admits four types; their first letters differ.
      const std::string_view type = st->View(2);
      LifecycleEvent e;
      e.at = st->Int(1);
      e.due_at = st->Int(3);
      e.type = type.empty()     ? LifecycleType::kPriorityChanged
               : type[0] == 'o' ? LifecycleType::kOpened
               : type[0] == 'f' ? LifecycleType::kFixed
               : type[0] == 'r' ? LifecycleType::kReopened
                                : LifecycleType::kPriorityChanged;
      raw.push_back({index, e});
      ++out->findings[index].event_count;
      return true;
    }));
    std::uint32_t offset = 0;
    for (auto& f : out->findings) {
      f.first_event = offset;
      offset += f.event_count;
    }
    out->events.resize(raw.size());
    std::vector<std::uint32_t> fill(out->findings.size(), 0);
    for (const auto& r : raw) {
      const auto& f = out->findings[r.finding];
      out->events[f.first_event + fill[r.finding]++] = r.e;
    }
    return Status::OK();
  }

  Status AppendBudgetEvent(BudgetEventRecord* e) override {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("INSERT INTO budget_events(at, type, breach_id, team, service, environment, summary, "
                                 "actor) VALUES(?,?,?,?,?,?,?,?)"));
    st->Bind(1, e->at)
        .Bind(2, Name(e->type))
        .Bind(3, e->breach_id)
        .Bind(4, e->team)
        .Bind(5, e->service)
        .Bind(6, e->environment)
        .Bind(7, e->summary)
        .Bind(8, e->actor);
    SB_RETURN_IF_ERROR(st->Run());
    e->seq = sqlite3_last_insert_rowid(db_);
    return Status::OK();
  }

  // ---- IncidentStore ----

  Status AppendIncidentEvent(incident::IncidentEventRecord* e) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("INSERT INTO incident_events(incident, at, actor, type, text, data) "
                                            "VALUES(?,?,?,?,?,?)"));
    st->Bind(1, e->incident).Bind(2, e->at).Bind(3, e->actor).Bind(4, e->type).Bind(5, e->text).Bind(6, e->data);
    SB_RETURN_IF_ERROR(st->Run());
    e->seq = sqlite3_last_insert_rowid(db_);
    return Status::OK();
  }

  Status ListIncidentEvents(const std::string& incident, std::vector<incident::IncidentEventRecord>* out) override {
    // Two statements: `?1 = '' OR incident = ?1` would keep SQLite off the index.
    SB_ASSIGN_OR_RETURN(Stmt * st, incident.empty() ? Prepared("SELECT seq, incident, at, actor, type, text, data FROM "
                                                               "incident_events ORDER BY seq")
                                                    : Prepared("SELECT seq, incident, at, actor, type, text, data FROM "
                                                               "incident_events WHERE incident = ?1 ORDER BY seq"));
    if (!incident.empty()) st->BindStatic(1, incident);
    return ForEachRow(*st, [&] {
      out->push_back({st->Int(0), st->Text(1), st->Int(2), st->Text(3), st->Text(4), st->Text(5), st->Text(6)});
      return true;
    });
  }

  Result<std::string> LastDeclaredIncident() override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT incident FROM incident_events WHERE type = 'declared' "
                                            "ORDER BY seq DESC LIMIT 1"));
    std::string id;
    SB_RETURN_IF_ERROR(ForEachRow(*st, [&] {
      id = st->Text(0);
      return false;
    }));
    return id;
  }

  // A transaction, or a savepoint inside one already open (so that the
  // incident service's steps nest).
  Status InIncidentTransaction(const std::function<Status()>& body) override {
    const bool outer = sqlite3_get_autocommit(db_) != 0;
    SB_RETURN_IF_ERROR(Exec(outer ? "BEGIN IMMEDIATE" : "SAVEPOINT incident"));
    Status st = body();
    if (st.ok()) {
      st = Exec(outer ? "COMMIT" : "RELEASE incident");
      if (st.ok()) return st;
    }
    ForgetTexts();  // as Rollback does: whatever the body wrote is undone
    if (outer) {
      (void)Exec("ROLLBACK");
    } else {
      (void)Exec("ROLLBACK TO incident");
      (void)Exec("RELEASE incident");
    }
    return st;
  }

  // ---- AnomalyStore ----

  Result<std::vector<std::pair<std::string, std::string>>> LoadAnomalyState(const std::string& detector,
                                                                            const std::string& fingerprint) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT entity, body FROM anomaly_state WHERE detector = ? AND "
                                            "fingerprint = ? ORDER BY entity"));
    st->BindStatic(1, detector).BindStatic(2, fingerprint);
    std::vector<std::pair<std::string, std::string>> out;
    SB_RETURN_IF_ERROR(ForEachRow(*st, [&] {
      out.emplace_back(st->Text(0), st->Text(1));
      return true;
    }));
    return out;
  }

  Status SaveAnomalyState(const std::string& detector, const std::string& fingerprint,
                          const std::vector<std::pair<std::string, std::string>>& rows) override {
    SB_RETURN_IF_ERROR(Exec("SAVEPOINT anomaly_save"));
    auto body = [&]() -> Status {
      SB_ASSIGN_OR_RETURN(Stmt * del, Prepared("DELETE FROM anomaly_state WHERE detector = ?"));
      del->BindStatic(1, detector);
      SB_RETURN_IF_ERROR(del->Run());
      SB_ASSIGN_OR_RETURN(Stmt * ins, Prepared("INSERT INTO anomaly_state(detector, entity, fingerprint, body) "
                                               "VALUES(?,?,?,?)"));
      for (const auto& [entity, text] : rows) {
        ins->BindStatic(1, detector).BindStatic(2, entity).BindStatic(3, fingerprint).BindStatic(4, text);
        SB_RETURN_IF_ERROR(ins->Run());
      }
      return Status::OK();
    };
    Status st = body();
    if (!st.ok()) {
      ForgetTexts();  // as Rollback does
      (void)Exec("ROLLBACK TO anomaly_save");
      (void)Exec("RELEASE anomaly_save");
      return st;
    }
    return Exec("RELEASE anomaly_save");
  }

  // ---- AlertStore ----

  Status LoadAlertState(std::vector<StateRow>* out) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT kind, key, body FROM alert_state ORDER BY kind, key"));
    return ForEachRow(*st, [&] {
      out->push_back(StateRow{st->Text(0), st->Text(1), st->Text(2)});
      return true;
    });
  }

  Status SaveAlertState(const std::vector<StateRow>& rows, const std::vector<StateRow>& removed) override {
    SB_ASSIGN_OR_RETURN(Stmt * up, Prepared("INSERT INTO alert_state(kind, key, body) VALUES(?,?,?) "
                                            "ON CONFLICT(kind, key) DO UPDATE SET body = excluded.body"));
    for (const StateRow& r : rows) {
      up->BindStatic(1, r.kind).BindStatic(2, r.key).BindStatic(3, r.body);
      SB_RETURN_IF_ERROR(up->Run());
    }
    SB_ASSIGN_OR_RETURN(Stmt * del, Prepared("DELETE FROM alert_state WHERE kind = ? AND key = ?"));
    for (const StateRow& r : removed) {
      del->BindStatic(1, r.kind).BindStatic(2, r.key);
      SB_RETURN_IF_ERROR(del->Run());
    }
    return Status::OK();
  }

  Status AppendAlertDecisions(std::vector<AlertDecision>* decisions) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("INSERT INTO alert_decisions(at, dedup_key, episode, team, source, name, "
                                            "urgency, outcome, reason, ref) VALUES(?,?,?,?,?,?,?,?,?,?)"));
    for (AlertDecision& d : *decisions) {
      st->Bind(1, d.at)
          .BindStatic(2, d.dedup_key)
          .Bind(3, d.episode)
          .BindStatic(4, d.team)
          .BindStatic(5, d.source)
          .BindStatic(6, d.name)
          .Bind(7, Name(d.urgency))
          .Bind(8, Name(d.outcome))
          .BindStatic(9, d.reason)
          .BindStatic(10, d.ref);
      SB_RETURN_IF_ERROR(st->Run());
      d.seq = sqlite3_last_insert_rowid(db_);
    }
    return Status::OK();
  }

  Status ScanAlertDecisions(TimePoint since, TimePoint until,
                            const std::function<bool(const AlertDecision&)>& fn) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT seq, at, dedup_key, episode, team, source, name, urgency, "
                                            "outcome, reason, ref FROM alert_decisions WHERE at >= ? AND at < ? "
                                            "ORDER BY seq"));
    st->Bind(1, since).Bind(2, until);
    return ForEachRow(*st, [&] {
      AlertDecision d;
      d.seq = st->Int(0);
      d.at = st->Int(1);
      d.dedup_key = st->Text(2);
      d.episode = st->Int(3);
      d.team = st->Text(4);
      d.source = st->Text(5);
      d.name = st->Text(6);
      d.urgency = ParseUrgency(st->View(7)).value_or(Urgency::kTicket);
      d.outcome = ParseAlertOutcome(st->View(8)).value_or(AlertOutcome::kPending);
      d.reason = SharedText(st->Text(9));
      d.ref = SharedText(st->Text(10));
      return fn(d);
    });
  }

  Status EnqueueOutbox(std::vector<OutboxEntry>* entries) override {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("INSERT INTO outbox(idempotency_key, receiver, kind, target, body, created_at, state, "
                                 "attempts, next_attempt_at, delivered_at, last_error) VALUES(?,?,?,?,?,?,?,?,?,?,?) "
                                 "ON CONFLICT(idempotency_key) DO NOTHING"));
    for (OutboxEntry& e : *entries) {
      st->BindStatic(1, e.idempotency_key)
          .BindStatic(2, e.receiver)
          .BindStatic(3, e.kind)
          .BindStatic(4, e.target)
          .BindStatic(5, e.body)
          .Bind(6, e.created_at)
          .Bind(7, Name(e.state))
          .Bind(8, e.attempts)
          .Bind(9, e.next_attempt_at)
          .Bind(10, e.delivered_at)
          .BindStatic(11, e.last_error);
      SB_RETURN_IF_ERROR(st->Run());
      e.id = sqlite3_changes(db_) == 1 ? sqlite3_last_insert_rowid(db_) : 0;
    }
    return Status::OK();
  }

  Status DueOutbox(TimePoint now, std::size_t limit, std::vector<OutboxEntry>* out) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared(std::string(kOutboxColumns) +
                                            " WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?"));
    st->Bind(1, now).Bind(2, static_cast<std::int64_t>(limit));
    return ForEachRow(*st, [&] {
      out->push_back(ReadOutbox(*st));
      return true;
    });
  }

  Status ListOutbox(std::optional<OutboxState> state, std::vector<OutboxEntry>* out) override {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared(std::string(kOutboxColumns) + " WHERE (?1 = '' OR state = ?1) ORDER BY id"));
    // A default string_view has no data: SQLite would bind NULL and match nothing.
    st->Bind(1, state ? Name(*state) : std::string_view(""));
    return ForEachRow(*st, [&] {
      out->push_back(ReadOutbox(*st));
      return true;
    });
  }

  Status UpdateOutbox(const OutboxEntry& e) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, "
                                            "delivered_at = ?, last_error = ? WHERE id = ?"));
    st->Bind(1, Name(e.state))
        .Bind(2, e.attempts)
        .Bind(3, e.next_attempt_at)
        .Bind(4, e.delivered_at)
        .BindStatic(5, e.last_error)
        .Bind(6, e.id);
    SB_RETURN_IF_ERROR(st->Run());
    if (sqlite3_changes(db_) != 1) return Status::NotFound(fmt::format("no outbox entry {}", e.id));
    return Status::OK();
  }

  Status AppendAudit(AuditEvent* e) override {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("INSERT INTO audit_events(at, object, action, actor, detail) VALUES(?,?,?,?,?)"));
    st->Bind(1, e->at)
        .BindStatic(2, e->object)
        .BindStatic(3, e->action)
        .BindStatic(4, e->actor)
        .BindStatic(5, e->detail);
    SB_RETURN_IF_ERROR(st->Run());
    e->seq = sqlite3_last_insert_rowid(db_);
    return Status::OK();
  }

  Status ListAudit(const std::string& object_prefix, std::vector<AuditEvent>* out) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT seq, at, object, action, actor, detail FROM audit_events "
                                            "WHERE substr(object, 1, length(?1)) = ?1 ORDER BY seq"));
    st->Bind(1, object_prefix);
    return ForEachRow(*st, [&] {
      out->push_back(AuditEvent{st->Int(0), st->Int(1), st->Text(2), st->Text(3), st->Text(4), st->Text(5)});
      return true;
    });
  }

  Status ListBudgetEvents(std::vector<BudgetEventRecord>* out) override {
    SB_ASSIGN_OR_RETURN(Stmt * st, Prepared("SELECT seq, at, type, breach_id, team, service, environment, summary, "
                                            "actor FROM budget_events ORDER BY seq"));
    return ForEachRow(*st, [&] {
      BudgetEventRecord e;
      e.seq = st->Int(0);
      e.at = st->Int(1);
      e.type = st->View(2) == "breach_resolved" ? BudgetEventType::kBreachResolved : BudgetEventType::kBreachDeclared;
      e.breach_id = st->Text(3);
      e.team = st->Text(4);
      e.service = st->Text(5);
      e.environment = st->Text(6);
      e.summary = st->Text(7);
      e.actor = st->Text(8);
      out->push_back(std::move(e));
      return true;
    });
  }

 private:
  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      Status s = Status::StoreError(fmt::format("{}", err != nullptr ? err : sqlite3_errmsg(db_)));
      sqlite3_free(err);
      return s;
    }
    return Status::OK();
  }

  // The numbers in `texts` of `f`'s shared texts (added when new; 0 for
  // an empty one). Consecutive findings mostly share them: each is compared
  // with the last one of its column first, and known texts are remembered
  // until a rollback.
  Result<SharedTextIds> TextIds(const FindingRecord& f) {
    SharedTextIds ids;
    if (last_locator_id_ == 0 || !SameSharedPart(f.locator, last_locator_)) {
      Locator shared = SharedPart(f.locator);
      if (shared == Locator{}) {
        last_locator_id_ = 0;
      } else {
        SB_ASSIGN_OR_RETURN(last_locator_id_, TextId(EncodeLocator(shared)));
        last_locator_ = std::move(shared);
      }
    }
    ids.locator = last_locator_id_;
    SB_ASSIGN_OR_RETURN(ids.cvss_vector, TextId(f.cvss_vector, last_vector_));
    SB_ASSIGN_OR_RETURN(ids.location, TextId(f.location, last_location_));
    return ids;
  }

  // A column's last text and its number (0: none remembered).
  struct LastText {
    std::string text;
    std::int64_t id = 0;
  };

  Result<std::int64_t> TextId(std::string_view body, LastText& last) {
    if (last.id != 0 && body == last.text) return last.id;
    SB_ASSIGN_OR_RETURN(const std::int64_t id, TextId(body));
    last.text.assign(body);
    last.id = id;
    return id;
  }

  // The number of `body` in `texts`, added when new; 0 for "".
  Result<std::int64_t> TextId(std::string_view body) {
    if (body.empty()) return 0;
    if (const std::int64_t* known = text_ids_.Find(body)) return *known;
    SB_ASSIGN_OR_RETURN(Stmt * find, Prepared("SELECT id FROM texts WHERE body = ?"));
    find->BindStatic(1, body);
    SB_ASSIGN_OR_RETURN(std::optional<std::int64_t> stored,
                        FirstRow<std::int64_t>(*find, [&] { return find->Int(0); }));
    std::int64_t id = 0;
    if (stored) {
      id = *stored;
    } else {
      SB_ASSIGN_OR_RETURN(Stmt * add, Prepared("INSERT INTO texts(body) VALUES(?)"));
      add->BindStatic(1, body);
      SB_RETURN_IF_ERROR(add->Run());
      id = sqlite3_last_insert_rowid(db_);
    }
    if (text_ids_.size() >= kTextsRemembered) text_ids_.Clear();  // memory follows a report, not the database
    text_ids_.Insert(body, id);
    return id;
  }

  void ForgetTexts() {
    text_ids_.Clear();
    last_locator_id_ = last_vector_.id = last_location_.id = last_report_.id = last_detail_.id = 0;
  }

  // The cached statement for `sql`, prepared on first use. Looked up without
  // building a std::string: hot paths call this once per row.
  // Prepared(sql), remembered in `slot`: for statements run once per row,
  // where even hashing the SQL text shows.
  Result<Stmt*> Cached(Stmt*& slot, std::string_view sql) {
    if (slot == nullptr) {
      SB_ASSIGN_OR_RETURN(slot, Prepared(sql));
    }
    return slot;
  }

  Result<Stmt*> Prepared(std::string_view sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second.get();
    auto st = std::make_unique<Stmt>();
    std::string text(sql);
    SB_RETURN_IF_ERROR(st->Prepare(db_, text.c_str()));
    Stmt* raw = st.get();
    stmts_.emplace(std::move(text), std::move(st));
    return raw;
  }

  static void AddFilter(const FindingFilter& f, std::vector<std::string>* where, std::vector<std::string>* args) {
    if (f.status) {
      where->push_back("status = ?");
      args->emplace_back(Name(*f.status));
    }
    if (!f.priorities.empty()) {
      std::vector<std::string> ps;
      for (Priority p : f.priorities) ps.push_back(std::to_string(static_cast<int>(p)));
      where->push_back("priority IN (" + Join(ps, ",") + ")");
    }
    if (!f.team.empty()) {
      where->push_back("team = ?");
      args->push_back(f.team);
    }
    if (!f.service.empty()) {
      where->push_back("service = ?");
      args->push_back(f.service);
    }
    if (f.kind) {
      where->push_back("kind = ?");
      args->emplace_back(Name(*f.kind));
    }
    if (f.unmatched_only) where->push_back("asset_id = ''");
  }

  Status PutIntelSource(const IntelSource& s) {
    SB_ASSIGN_OR_RETURN(Stmt * st,
                        Prepared("INSERT OR REPLACE INTO intel_sources(name, version, released, loaded_at, entries, "
                                 "file) VALUES(?,?,?,?,?,?)"));
    st->Bind(1, s.name).Bind(2, s.version).Bind(3, s.released).Bind(4, s.loaded_at).Bind(5, s.entries).Bind(6, s.file);
    return st->Run();
  }

  Status Migrate() {
    SB_RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"));
    Stmt st;
    SB_RETURN_IF_ERROR(st.Prepare(db_, "SELECT coalesce(max(version), 0) FROM schema_migrations"));
    SB_ASSIGN_OR_RETURN(bool row, st.Step());
    const int current = row ? static_cast<int>(st.Int(0)) : 0;
    st.Reset();
    if (current > kSchemaVersion) {
      return Status::Conflict(
          fmt::format("database schema {} is newer than this secbudget understands ({}); upgrade secbudget", current,
                      kSchemaVersion));
    }
    for (int v = current + 1; v <= kSchemaVersion; ++v) {
      SB_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
      Status s = Exec(kMigrations[v - 1]);
      if (s.ok()) {
        s = Exec(
            fmt::format("INSERT INTO schema_migrations(version, applied_at) VALUES({}, datetime('now'))", v).c_str());
      }
      if (!s.ok()) {
        Status rb = Exec("ROLLBACK");
        (void)rb;
        return std::move(s).Context(fmt::format("migration {}", v));
      }
      SB_RETURN_IF_ERROR(Exec("COMMIT"));
    }
    return Status::OK();
  }

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<Stmt>, StringViewHash, std::equal_to<>> stmts_;
  // Statements run once per finding (see Cached).
  Stmt* insert_finding_ = nullptr;
  Stmt* update_finding_ = nullptr;
  Stmt* get_finding_ = nullptr;
  Stmt* upsert_source_ = nullptr;
  std::string pack_buffer_;  // SaveScopeSources' encoding, reused
  Stmt* append_event_ = nullptr;
  Stmt* upsert_advisory_ = nullptr;
  Stmt* lookup_epss_ = nullptr;
  // Shared texts' numbers (see TextIds); forgotten on rollback.
  static constexpr std::size_t kTextsRemembered = 4096;
  StringMap<std::int64_t> text_ids_;
  Locator last_locator_;  // shared part
  std::int64_t last_locator_id_ = 0;
  LastText last_vector_, last_location_, last_report_, last_detail_;
};

}  // namespace

int SqliteSchemaVersion() { return kSchemaVersion; }

std::span<const char* const> SqliteConnectionSettings() { return kConnectionSettings; }

Result<std::unique_ptr<Database>> OpenSqliteStore(const std::string& path) {
  // No memory statistics: with them every SQLite allocation takes a global
  // mutex. Allowed only before SQLite initialises, so once, first.
  static const int kNoMemStatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kNoMemStatus;
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Status::StoreError(fmt::format("cannot open database: {}", msg)).WithFile(path);
  }
  auto store = std::make_unique<SqliteStore>(db, path);
  Status st = store->Init();
  if (!st.ok()) return std::move(st).WithFile(path);
  return std::unique_ptr<Database>(std::move(store));
}

}  // namespace secbudget
