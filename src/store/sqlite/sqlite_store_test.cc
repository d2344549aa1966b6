#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "test_util.h"

namespace secbudget {
namespace {

using testing::TempDir;

FindingRecord MakeFinding(std::uint64_t id) {
  FindingRecord f;
  f.id = id;
  f.identity = "vuln|x|" + std::to_string(id);
  f.title = "t";
  f.aliases = {"GHSA-1", "a \"quoted\"\nalias"};
  f.locator.image = "ghcr.io/acme/api";
  f.locator.k8s_namespace = "payments";
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
                         "DROP TABLE budget_events; DROP INDEX findings_by_unit; "
                         "DROP TABLE alert_state; DROP TABLE alert_decisions; DROP TABLE outbox; "
                         "DROP TABLE audit_events; DROP TABLE anomaly_state; DROP TABLE incident_events; "
                         "DELETE FROM schema_migrations WHERE version >= 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto db = OpenSqliteStore(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_NE((*db)->Describe().find(fmt::format("schema {}", SqliteSchemaVersion())), std::string::npos);
  auto f = (*db)->GetFinding(7);
  ASSERT_TRUE(f.ok() && f->has_value());  // the old data survives
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

TEST(SqliteStoreTest, AnUnopenablePathIsAClearError) {
  auto db = OpenSqliteStore("/nonexistent-dir/x/y.db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kStoreError);
  EXPECT_EQ(db.status().location().file, "/nonexistent-dir/x/y.db");
}

}  // namespace
}  // namespace secbudget
