#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "test_util.h"

namespace secbudget {
namespace {

using testing::TempDir;

// Takes a file back to before schema 10: findings, events and sources hold
// their own texts, and neither `texts` nor the numbers exist.
constexpr const char* kUndoSchema10 =
    "UPDATE findings SET locator = (SELECT body FROM texts WHERE id = locator_id) WHERE locator_id != 0; "
    "UPDATE findings SET cvss_vector = (SELECT body FROM texts WHERE id = cvss_vector_id) WHERE cvss_vector_id != 0; "
    "UPDATE findings SET location = (SELECT body FROM texts WHERE id = location_id) WHERE location_id != 0; "
    "ALTER TABLE findings DROP COLUMN locator_id; ALTER TABLE findings DROP COLUMN cvss_vector_id; "
    "ALTER TABLE findings DROP COLUMN location_id; "
    "UPDATE events SET report_id = (SELECT body FROM texts WHERE id = report_text_id) WHERE report_text_id != 0; "
    "UPDATE events SET detail = (SELECT body FROM texts WHERE id = detail_id) WHERE detail_id != 0; "
    "UPDATE sources SET report_id = (SELECT body FROM texts WHERE id = report_text_id) WHERE report_text_id != 0; "
    "ALTER TABLE events DROP COLUMN report_text_id; ALTER TABLE events DROP COLUMN detail_id; "
    "ALTER TABLE sources DROP COLUMN report_text_id; DROP TABLE texts; ";

std::int64_t QueryInt(const std::string& path, const char* sql) {
  sqlite3* raw = nullptr;
  std::int64_t v = -1;
  if (sqlite3_open(path.c_str(), &raw) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(raw, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(raw);
  return v;
}

// Every finding, as a scan reads it.
std::vector<FindingRecord> ScanAll(Database& db) {
  std::vector<FindingRecord> out;
  EXPECT_TRUE(db.ScanFindings({}, [&](const FindingRecord& f) {
                  out.push_back(f);
                  return true;
                }).ok());
  return out;
}

// Trivy's scope of image:a, stored (its id is 0 when that failed).
ScopeRecord AddScope(Database& s, const std::string& last_report) {
  ScopeRecord scope;
  scope.scanner = "trivy";
  scope.target = "image:a";
  scope.last_report = last_report;
  if (!s.UpsertScope(&scope).ok()) scope.id = 0;
  return scope;
}

FindingRecord MakeFinding(std::uint64_t id) {
  FindingRecord f;
  f.id = id;
  f.identity = "vuln|x|" + std::to_string(id);
  f.title = "t";
  f.aliases = {"GHSA-1", "a \"quoted\"\nalias"};
  f.locator.image = "ghcr.io/acme/api";
  f.locator.k8s_namespace = "payments";
  f.cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  f.location = "debian 12.5 packages";
  f.priority = Priority::kP2;
  f.score = 42.5;
  return f;
}

TEST(SqliteStoreTest, MigratesPersistsAndRoundTrips) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  {
    auto db = OpenSqliteStore(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Begin().ok());
    ASSERT_TRUE((*db)->InsertFinding(MakeFinding(0xfedcba9876543210ULL)).ok());  // above INT64_MAX
    ASSERT_TRUE((*db)->Commit().ok());
    EXPECT_NE((*db)->Describe().find(fmt::format("schema {}", SqliteSchemaVersion())), std::string::npos);
  }
  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok());
  auto f = (*db)->GetFinding(0xfedcba9876543210ULL);
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->aliases, (std::vector<std::string>{"GHSA-1", "a \"quoted\"\nalias"}));
  EXPECT_EQ((*f)->locator.image, "ghcr.io/acme/api");
  EXPECT_EQ((*f)->locator.k8s_namespace, "payments");
  EXPECT_EQ((*f)->priority, Priority::kP2);
  EXPECT_DOUBLE_EQ((*f)->score, 42.5);
  std::vector<std::uint64_t> ids;
  ASSERT_TRUE((*db)->FindIdsByPrefix("fedcba98", 5, &ids).ok());
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{0xfedcba9876543210ULL}));
  ids.clear();
  ASSERT_TRUE((*db)->FindIdsByPrefix("0123", 5, &ids).ok());
  EXPECT_TRUE(ids.empty());
  // The same id twice is a conflict, not a silent overwrite.
  EXPECT_EQ((*db)->InsertFinding(MakeFinding(0xfedcba9876543210ULL)).code(), StatusCode::kConflict);
}

TEST(SqliteStoreTest, UsesWalAndRefusesANewerSchema) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  ASSERT_TRUE(OpenSqliteStore(path).ok());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_exec(raw, "INSERT INTO schema_migrations VALUES(99, 'future')", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto db = OpenSqliteStore(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kConflict);
  EXPECT_NE(db.status().message().find("newer"), std::string::npos);
}

TEST(SqliteStoreTest, UpgradesASchema1DatabaseInPlace) {
  TempDir dir;
  const std::string path = dir.File("old.db");
  {
    auto db = OpenSqliteStore(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Begin().ok());
    ASSERT_TRUE((*db)->InsertFinding(MakeFinding(7)).ok());
    ASSERT_TRUE((*db)->Commit().ok());
  }
  // Take the file back to what a schema-1 binary wrote.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         (std::string(kUndoSchema10) +
                          "DROP TABLE budget_events; DROP INDEX findings_by_unit; "
                          "DROP TABLE alert_state; DROP TABLE alert_decisions; DROP TABLE outbox; "
                          "DROP TABLE audit_events; DROP TABLE anomaly_state; DROP TABLE incident_events; "
                          "ALTER TABLE sources DROP COLUMN digest; DROP TABLE scope_states; "
                          "DELETE FROM schema_migrations WHERE version >= 2")
                             .c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(raw);
  sqlite3_close(raw);
  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_NE((*db)->Describe().find(fmt::format("schema {}", SqliteSchemaVersion())), std::string::npos);
  auto f = (*db)->GetFinding(7);
  ASSERT_TRUE(f.ok() && f->has_value());             // the old data survives
  EXPECT_EQ((*f)->locator, MakeFinding(7).locator);  // its own texts, read as before
  EXPECT_EQ((*f)->cvss_vector, MakeFinding(7).cvss_vector);
  EXPECT_EQ((*f)->location, MakeFinding(7).location);
  BudgetEventRecord e;
  e.at = 100;
  e.breach_id = "breach-1";
  e.summary = "x";
  ASSERT_TRUE((*db)->AppendBudgetEvent(&e).ok());  // the new table exists
  std::vector<BudgetEventRecord> events;
  ASSERT_TRUE((*db)->ListBudgetEvents(&events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].breach_id, "breach-1");
}

// Schema 6 stores findings in write order (pos) and finds them by id through
// an index. A schema-5 file (findings keyed by id) upgrades with its rows.
TEST(SqliteStoreTest, UpgradesFindingsKeyedByIdToWriteOrder) {
  TempDir dir;
  const std::string path = dir.File("v5.db");
  {
    auto db = OpenSqliteStore(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Begin().ok());
    ASSERT_TRUE((*db)->InsertFinding(MakeFinding(0xfedcba9876543210ULL)).ok());
    ASSERT_TRUE((*db)->InsertFinding(MakeFinding(7)).ok());
    ASSERT_TRUE((*db)->Commit().ok());
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const auto exec = [&](const char* sql) { return sqlite3_exec(raw, sql, nullptr, nullptr, nullptr); };
  const auto query_int = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    std::int64_t v = -1;
    if (sqlite3_prepare_v2(raw, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  };
  // Rebuild the schema-5 layout: the same columns with id as the key.
  ASSERT_EQ(exec(kUndoSchema10), SQLITE_OK) << sqlite3_errmsg(raw);
  ASSERT_EQ(exec("CREATE TABLE f5 AS SELECT * FROM findings ORDER BY pos; ALTER TABLE f5 DROP COLUMN pos; "
                 "DROP TABLE findings; "
                 "ALTER TABLE f5 RENAME TO findings; CREATE INDEX findings_queue ON findings(status, priority); "
                 "CREATE INDEX findings_by_unit ON findings(service, team, environment); "
                 "ALTER TABLE sources DROP COLUMN digest; DROP TABLE scope_states; DELETE FROM schema_migrations WHERE "
                 "version >= 6"),
            SQLITE_OK)
      << sqlite3_errmsg(raw);
  ASSERT_EQ(query_int("SELECT count(*) FROM pragma_table_info('findings') WHERE name = 'pos'"), 0);
  sqlite3_close(raw);

  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (std::uint64_t id : {0xfedcba9876543210ULL, 7ULL}) {
    auto f = (*db)->GetFinding(id);
    ASSERT_TRUE(f.ok() && f->has_value()) << id;
    EXPECT_EQ((*f)->id, id);
  }
  // An update rewrites the row where it is; an update of an unknown id adds it.
  FindingRecord changed = MakeFinding(7);
  changed.title = "changed";
  ASSERT_TRUE((*db)->Begin().ok());
  ASSERT_TRUE((*db)->UpdateFinding(changed).ok());
  ASSERT_TRUE((*db)->UpdateFinding(MakeFinding(9)).ok());
  ASSERT_TRUE((*db)->Commit().ok());
  EXPECT_EQ((*(*db)->GetFinding(7))->title, "changed");
  EXPECT_TRUE((*db)->GetFinding(9)->has_value());
  db->reset();
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(query_int("SELECT count(*) FROM pragma_table_info('findings') WHERE name = 'pos'"), 1);
  // Rows were copied in id order (signed: 0xfedc... first), then 9 came.
  EXPECT_EQ(query_int("SELECT pos FROM findings WHERE id = 7"), 2);  // kept its place
  EXPECT_EQ(query_int("SELECT pos FROM findings WHERE id = 9"), 3);  // appended
  EXPECT_EQ(query_int("SELECT count(*) FROM findings"), 3);
  sqlite3_close(raw);
}

// The SLO status reads every finding's id and unit in unit order
// (SqliteStore::LoadLifecycle). The unit index must cover that read: when it
// did not (schemas 6-8, where the table's key became `pos`), SQLite looked up
// every row in the table and a status over 1M findings took 2.5x longer.
TEST(SqliteStoreTest, TheUnitIndexCoversTheSloReadAfterAnUpgrade) {
  TempDir dir;
  const std::string path = dir.File("slo.db");
  ASSERT_TRUE(OpenSqliteStore(path).ok());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const auto plan = [&] {
    sqlite3_stmt* st = nullptr;
    std::string out;
    const char* sql =
        "EXPLAIN QUERY PLAN SELECT id, team, service, environment FROM findings ORDER BY service, team, environment";
    if (sqlite3_prepare_v2(raw, sql, -1, &st, nullptr) != SQLITE_OK) return std::string(sqlite3_errmsg(raw));
    while (sqlite3_step(st) == SQLITE_ROW) out += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    return out;
  };
  EXPECT_NE(plan().find("COVERING INDEX findings_by_unit"), std::string::npos) << plan();
  // A schema-8 database, with the index as it was, is upgraded.
  ASSERT_EQ(sqlite3_exec(raw,
                         (std::string(kUndoSchema10) +
                          "DROP INDEX findings_by_unit; CREATE INDEX findings_by_unit ON findings(service, team, "
                          "environment); DELETE FROM schema_migrations WHERE version >= 9")
                             .c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(raw);
  EXPECT_EQ(plan().find("COVERING"), std::string::npos) << plan();
  sqlite3_close(raw);
  ASSERT_TRUE(OpenSqliteStore(path).ok());
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  EXPECT_NE(plan().find("COVERING INDEX findings_by_unit"), std::string::npos) << plan();
  sqlite3_close(raw);
}

// Schema 10: the findings of an image share its locator, stored once in
// `texts` with their CVSS vectors and locations; the fields naming a
// finding's own file, cloud resource or Kubernetes object stay in its row.
TEST(SqliteStoreTest, SharedTextsAreStoredOnce) {
  TempDir dir;
  const std::string path = dir.File("loc.db");
  FindingRecord other_image = MakeFinding(4);
  other_image.locator.image = "ghcr.io/acme/web";
  other_image.cvss_vector = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N";
  FindingRecord in_file = MakeFinding(5);
  in_file.locator.path = "deploy/api.yaml";
  in_file.location.clear();
  FindingRecord everything = MakeFinding(7);  // every field of a locator
  Locator& l = everything.locator;
  l = {"img",      "tag",      "sha256:d",       "github.com/acme/x", "aws", "123", "eu-west-1", "arn:aws:s3:::b",
       "prod-eks", "payments", "Deployment/api", "src/main.go"};
  {
    auto db = OpenSqliteStore(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Begin().ok());
    // 1, 2 and 3 share a locator; 4 (between them) does not.
    for (const FindingRecord& f : {MakeFinding(1), MakeFinding(2), other_image, MakeFinding(3), in_file, everything}) {
      ASSERT_TRUE((*db)->InsertFinding(f).ok());
    }
    FindingRecord moved = MakeFinding(2);
    moved.locator.image_tag = "1.4.2";  // rescanned under a new tag
    ASSERT_TRUE((*db)->UpdateFinding(moved).ok());
    ASSERT_TRUE((*db)->Commit().ok());
  }
  auto db = OpenSqliteStore(path);  // a new connection: nothing remembered
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Begin().ok());
  ASSERT_TRUE((*db)->InsertFinding(MakeFinding(6)).ok());
  ASSERT_TRUE((*db)->Commit().ok());
  for (std::uint64_t id : {1, 3, 6}) EXPECT_EQ((*(*db)->GetFinding(id))->locator, MakeFinding(1).locator) << id;
  EXPECT_EQ((*(*db)->GetFinding(2))->locator.image_tag, "1.4.2");
  EXPECT_EQ((*(*db)->GetFinding(4))->locator, other_image.locator);
  EXPECT_EQ((*(*db)->GetFinding(5))->locator, in_file.locator);
  EXPECT_EQ((*(*db)->GetFinding(7))->locator, everything.locator);
  for (const FindingRecord& f : {MakeFinding(1), other_image, in_file}) {
    EXPECT_EQ((*(*db)->GetFinding(f.id))->cvss_vector, f.cvss_vector) << f.id;
    EXPECT_EQ((*(*db)->GetFinding(f.id))->location, f.location) << f.id;
  }
  const std::vector<FindingRecord> scanned = ScanAll(**db);
  EXPECT_EQ(scanned.size(), 7u);
  for (const FindingRecord& f : scanned) {
    const FindingRecord one = **(*db)->GetFinding(f.id);
    EXPECT_EQ(f.locator, one.locator);
    EXPECT_EQ(f.cvss_vector, one.cvss_vector);
    EXPECT_EQ(f.location, one.location);
  }
  db->reset();
  // Each text once: four locators' shared parts (the image, the other
  // image, the new tag, the one with every field), two vectors, one
  // location. A finding keeps only its locator's own fields.
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM texts"), 7);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM findings WHERE locator_id != 0 AND locator = ''"), 5);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM findings WHERE locator = '{\"path\":\"deploy/api.yaml\"}'"), 1);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM texts WHERE body LIKE '%api.yaml%' OR body LIKE '%main.go%'"), 0);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM findings WHERE cvss_vector_id != 0 AND cvss_vector = ''"), 7);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM findings WHERE location_id = 0 AND location = ''"), 1);
}

// Schema 10: a vulnerability's identity that its columns spell is stored as
// '' and spelled again on reading, by every read (one finding, a scan, the
// identities of an id range); any other identity is stored as it is.
TEST(SqliteStoreTest, AnIdentityItsColumnsSpellIsNotStored) {
  TempDir dir;
  const std::string path = dir.File("id.db");
  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok());
  FindingRecord spelled = MakeFinding(1);
  spelled.artifact = "image:ghcr.io/acme/api";
  spelled.ecosystem = "deb";
  spelled.package = "openssl";
  spelled.vuln_id = "CVE-2024-0001";
  spelled.identity = "vuln|image:ghcr.io/acme/api|deb|openssl|CVE-2024-0001";
  FindingRecord canonical = spelled;  // a GHSA id whose identity names its CVE
  canonical.id = 2;
  canonical.vuln_id = "GHSA-xxxx-yyyy-zzzz";
  FindingRecord rule = spelled;  // not a vulnerability: kept whatever it spells
  rule.id = 3;
  rule.kind = FindingKind::kMisconfiguration;
  ASSERT_TRUE(WithTransaction(**db, [&]() -> Status {
                for (const FindingRecord& f : {spelled, canonical, rule}) SB_RETURN_IF_ERROR((*db)->InsertFinding(f));
                return Status::OK();
              }).ok());
  for (const FindingRecord& f : {spelled, canonical, rule}) {
    EXPECT_EQ((*(*db)->GetFinding(f.id))->identity, f.identity) << f.id;
  }
  const std::vector<FindingRecord> scanned = ScanAll(**db);
  EXPECT_EQ(scanned.size(), 3u);
  for (const FindingRecord& f : scanned) EXPECT_EQ(f.identity, spelled.identity) << f.id;
  std::vector<std::pair<std::uint64_t, std::string>> ids;
  ASSERT_TRUE((*db)->ListIdentities(0, 10, &ids).ok());
  ASSERT_EQ(ids.size(), 3u);
  for (const auto& [id, identity] : ids) EXPECT_EQ(identity, spelled.identity) << id;
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM findings WHERE identity = ''"), 1);
  EXPECT_EQ(QueryInt(path, "SELECT id FROM findings WHERE identity = ''"), 1);
  // A later report spells the package another way (the newest report's
  // words win): the identity no longer follows from the columns and is
  // stored, unchanged.
  FindingRecord respelled = spelled;
  respelled.package = "OpenSSL";
  ASSERT_TRUE(WithTransaction(**db, [&] { return (*db)->UpdateFinding(respelled); }).ok());
  EXPECT_EQ((*(*db)->GetFinding(1))->identity, spelled.identity);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM findings WHERE identity = ''"), 0);
}

// Texts added by a transaction that rolled back are gone, and the store must
// not refer to them by their old numbers afterwards.
TEST(SqliteStoreTest, TextsAddedByARolledBackTransactionAreAddedAgain) {
  TempDir dir;
  const std::string path = dir.File("loc.db");
  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Begin().ok());
  ASSERT_TRUE((*db)->InsertFinding(MakeFinding(1)).ok());
  ASSERT_TRUE((*db)->Rollback().ok());
  ASSERT_TRUE((*db)->Begin().ok());
  ASSERT_TRUE((*db)->InsertFinding(MakeFinding(2)).ok());
  ASSERT_TRUE((*db)->Commit().ok());
  EXPECT_FALSE((*db)->GetFinding(1)->has_value());
  const FindingRecord two = **(*db)->GetFinding(2);
  EXPECT_EQ(two.locator, MakeFinding(2).locator);
  EXPECT_EQ(two.cvss_vector, MakeFinding(2).cvss_vector);
  EXPECT_EQ(two.location, MakeFinding(2).location);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM texts"), 3);  // the locator, the vector, the location
}

// Schema 10: a report's id, repeated by each event and source it writes, and
// an event's detail (the same sentence for every finding a scan opens) are
// stored once in `texts`; rows written before keep their own and read them.
TEST(SqliteStoreTest, EventAndSourceTextsAreStoredOnce) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok());
  Database& s = **db;
  const ScopeRecord scope = AddScope(s, "");
  ASSERT_NE(scope.id, 0u);
  const std::string report = "8d51fda5ada4ca9ab07120a6eaffc88a", other = "0123456789abcdef0123456789abcdef";
  ASSERT_TRUE(WithTransaction(s, [&]() -> Status {
                for (std::uint64_t id = 1; id <= 4; ++id) {
                  EventRecord e;
                  e.finding_id = id;
                  e.report_id = id == 3 ? other : report;
                  e.detail = id == 4 ? "" : "first reported by trivy image:a";
                  SB_RETURN_IF_ERROR(s.AppendEvent(&e));
                  SourceRecord src;
                  src.scope_id = scope.id;
                  src.finding_id = id;
                  src.report_id = e.report_id;
                  src.pointer = fmt::format("/Results/0/Vulnerabilities/{}", id);
                  SB_RETURN_IF_ERROR(s.UpsertSource(src));
                }
                return Status::OK();
              }).ok());
  std::vector<EventRecord> all;
  ASSERT_TRUE(s.ScanEvents(0, [&](const EventRecord& e) {
                 all.push_back(e);
                 return true;
               }).ok());
  ASSERT_EQ(all.size(), 4u);
  for (const EventRecord& e : all) {
    EXPECT_EQ(e.report_id, e.finding_id == 3 ? other : report) << e.finding_id;
    EXPECT_EQ(e.detail, e.finding_id == 4 ? "" : "first reported by trivy image:a") << e.finding_id;
    std::vector<SourceRecord> sources;
    ASSERT_TRUE(s.ListSources(e.finding_id, &sources).ok());
    ASSERT_EQ(sources.size(), 1u);
    EXPECT_EQ(sources[0].report_id, e.report_id);
    EXPECT_EQ(sources[0].pointer, fmt::format("/Results/0/Vulnerabilities/{}", e.finding_id));
  }
  // Two report ids and one detail, each once; no row holds them itself.
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM texts"), 3);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM events WHERE report_id != '' OR detail != ''"), 0);
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM sources WHERE report_id != ''"), 0);
  // A row from before schema 10 holds its own texts.
  EXPECT_EQ(QueryInt(path,
                     "UPDATE events SET report_id = 'old', report_text_id = 0, detail = 'own', detail_id = 0 "
                     "WHERE finding_id = 1 RETURNING 1"),
            1);
  EXPECT_EQ(QueryInt(path, "UPDATE sources SET report_id = 'old', report_text_id = 0 WHERE finding_id = 1 RETURNING 1"),
            1);
  ASSERT_TRUE(s.ScanEvents(1, [&](const EventRecord& e) {
                 EXPECT_EQ(e.report_id, "old");
                 EXPECT_EQ(e.detail, "own");
                 return true;
               }).ok());
  std::vector<SourceRecord> sources;
  ASSERT_TRUE(s.ListSources(1, &sources).ok());
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0].report_id, "old");
}

TEST(SqliteStoreTest, RollbackDiscardsAndEventsAreOrdered) {
  TempDir dir;
  auto db = OpenSqliteStore(dir.File("s.db"));
  ASSERT_TRUE(db.ok());
  Database& s = **db;
  Status st = WithTransaction(s, [&]() -> Status {
    SB_RETURN_IF_ERROR(s.InsertFinding(MakeFinding(7)));
    return Status::Internal("changed my mind");
  });
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  auto gone = s.GetFinding(7);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  std::int64_t last = 0;
  ASSERT_TRUE(WithTransaction(s, [&]() -> Status {
                for (int i = 0; i < 3; ++i) {
                  EventRecord e;
                  e.finding_id = 7;
                  e.at = 100 - i;  // times may go backwards; seq never does
                  SB_RETURN_IF_ERROR(s.AppendEvent(&e));
                  EXPECT_GT(e.seq, last);
                  last = e.seq;
                }
                return Status::OK();
              }).ok());
  std::vector<std::int64_t> seqs;
  ASSERT_TRUE(s.ScanEvents(7, [&](const EventRecord& e) {
                 seqs.push_back(e.seq);
                 return true;
               }).ok());
  EXPECT_EQ(seqs.size(), 3u);
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
}

// The packed copy of a scope's sources is read only while the report it was
// saved for is still the scope's last; otherwise, or when it is damaged, the
// rows are read. (The copy here differs from the rows on purpose, to tell
// which one was read.)
TEST(SqliteStoreTest, PackedScopeSourcesAreReadOnlyWhileTheirReportIsTheScopesLast) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok());
  Database& s = **db;
  ScopeRecord scope = AddScope(s, "r1");
  ASSERT_NE(scope.id, 0u);
  SourceRecord row;
  row.scope_id = scope.id;
  row.finding_id = 0xfedcba9876543210ULL;  // above INT64_MAX
  row.present = true;
  row.content_hash = 11;
  row.digest = 12;
  ASSERT_TRUE(s.UpsertSource(row).ok());
  const auto load = [&] {
    std::vector<SourceState> out;
    EXPECT_TRUE(s.LoadScopeSources(scope.id, &out, nullptr).ok());
    return out;
  };
  const std::vector<SourceState> rows = {{0xfedcba9876543210ULL, true, 11, 12}};
  const std::vector<SourceState> packed = {{1, false, ~0ULL, 3}, {0xfedcba9876543210ULL, true, 21, 22}};
  const auto same = [](const std::vector<SourceState>& a, const std::vector<SourceState>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].finding_id != b[i].finding_id || a[i].present != b[i].present ||
          a[i].content_hash != b[i].content_hash || a[i].digest != b[i].digest) {
        return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(same(load(), rows));  // nothing packed yet
  ASSERT_TRUE(s.SaveScopeSources(scope.id, "r1", packed, "").ok());
  EXPECT_TRUE(same(load(), packed));
  ASSERT_TRUE(s.SaveScopeSources(scope.id, "r0", packed, "").ok());  // not the last report
  EXPECT_TRUE(same(load(), rows));
  ASSERT_TRUE(s.SaveScopeSources(scope.id, "r1", packed, "").ok());
  scope.last_report = "r2";  // another report moved the scope
  ASSERT_TRUE(s.UpsertScope(&scope).ok());
  EXPECT_TRUE(same(load(), rows));
  // A damaged copy is not trusted.
  ASSERT_TRUE(s.SaveScopeSources(scope.id, "r2", packed, "").ok());
  EXPECT_TRUE(same(load(), packed));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE scope_states SET sources = substr(sources, 1, length(sources) - 1)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  EXPECT_TRUE(same(load(), rows));
  // The item arrays kept with the packed copy come back with it, and only
  // with it.
  ASSERT_TRUE(s.SaveScopeSources(scope.id, "r2", packed, std::string("arr\0ays", 7)).ok());
  std::vector<SourceState> out;
  std::string arrays = "stale";
  ASSERT_TRUE(s.LoadScopeSources(scope.id, &out, &arrays).ok());
  EXPECT_EQ(arrays, std::string("arr\0ays", 7));
  EXPECT_TRUE(same(out, packed));
  ASSERT_TRUE(s.SaveScopeSources(scope.id, "r1", packed, "arrays").ok());  // not the last report
  out.clear();
  ASSERT_TRUE(s.LoadScopeSources(scope.id, &out, &arrays).ok());
  EXPECT_EQ(arrays, "");
  EXPECT_TRUE(same(out, rows));
}

// A checkpoint moves what the write-ahead log holds into the database file
// itself (read here with the log ignored).
TEST(SqliteStoreTest, CheckpointMovesTheLogIntoTheDatabaseFile) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(WithTransaction(**db, [&] { return (*db)->InsertFinding(MakeFinding(7)); }).ok());
  const auto in_file = [&] {
    sqlite3* raw = nullptr;
    std::int64_t n = -1;
    const std::string uri = "file:" + path + "?immutable=1";
    if (sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(raw, "SELECT count(*) FROM findings", -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(raw);
    return n;
  };
  EXPECT_NE(in_file(), 1);  // in the log only
  ASSERT_TRUE((*db)->Checkpoint().ok());
  EXPECT_EQ(in_file(), 1);
}

// Saving a scope's packed sources again with the same bytes (a scan that
// changed no source) rewrites the row in place: only the page holding the
// report id goes to the WAL, not the row's overflow pages.
TEST(SqliteStoreTest, RepackingUnchangedScopeSourcesWritesOnePage) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok());
  Database& s = **db;
  std::vector<SourceState> sources;
  for (std::uint64_t i = 0; i < 2000; ++i) sources.push_back({i * 7919, true, i, i + 1});  // 50 KB packed
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  int page_size = 0;
  ASSERT_EQ(sqlite3_exec(
                raw, "PRAGMA page_size",
                [](void* out, int, char** values, char**) {
                  *static_cast<int*>(out) = std::atoi(values[0]);
                  return 0;
                },
                &page_size, nullptr),
            SQLITE_OK);
  // Frames the next commit appends to an emptied WAL.
  const auto frames_of = [&](const std::string& report, const std::vector<SourceState>& packed) {
    EXPECT_EQ(sqlite3_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_TRUE(WithTransaction(s, [&] { return s.SaveScopeSources(1, report, packed, ""); }).ok());
    const auto bytes = std::filesystem::file_size(path + "-wal");
    return (bytes - 32) / (static_cast<std::uintmax_t>(page_size) + 24);
  };
  const auto first = frames_of("r1", sources);
  EXPECT_GE(first, 50'000u / static_cast<std::uintmax_t>(page_size));
  EXPECT_EQ(frames_of("r2", sources), 1u);  // same sources, new report id
  sources[1000].present = false;
  EXPECT_LE(frames_of("r3", sources), 2u);  // one source changed: its page and the report id's
  sqlite3_close(raw);
}

TEST(SqliteStoreTest, AnUnopenablePathIsAClearError) {
  auto db = OpenSqliteStore("/nonexistent-dir/x/y.db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kStoreError);
  EXPECT_EQ(db.status().location().file, "/nonexistent-dir/x/y.db");
}

}  // namespace
}  // namespace secbudget
