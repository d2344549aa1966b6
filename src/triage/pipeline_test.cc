// The findings lifecycle across sequences of scans, on a real SQLite file.
#include "triage/pipeline.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <functional>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/hash.h"
#include "ingest/item_arrays.h"
#include "report_builder.h"
#include "store/store.h"
#include "test_util.h"

namespace secbudget {
namespace {

using testing::AsffControl;
using testing::GrypeImage;
using testing::Padded;
using testing::TempDir;
using testing::TrivyImage;
using testing::Vuln;

constexpr const char* kImage = "ghcr.io/acme/api:1.0";

TimePoint T(const char* text) { return ParseTime(text).value(); }

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_dir_ = dir_.Write("policy/assets.yaml", testing::kApiAssetInventory);
    policy_ = std::make_unique<PolicySet>(LoadPolicy(dir_.File("policy")).value());
    db_path_ = dir_.File("findings.db");
    db_ = OpenDatabase(db_path_).value();
    triage_ = std::make_unique<Triage>(*db_, *policy_, clock_);
  }

  IngestSummary Ingest(const std::string& bytes, const IngestOptions& options = {}) {
    auto r = triage_->IngestBytes(Padded(bytes), "report.json", options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : IngestSummary{};
  }

  std::vector<FindingRecord> Findings(std::optional<FindingStatus> status = std::nullopt) {
    std::vector<FindingRecord> out;
    FindingFilter filter;
    filter.status = status;
    EXPECT_TRUE(db_->ScanFindings(filter,
                                  [&](const FindingRecord& f) {
                                    out.push_back(f);
                                    return true;
                                  })
                    .ok());
    return out;
  }

  FindingRecord Only(const std::string& vuln_id) {
    for (const auto& f : Findings()) {
      if (f.vuln_id == vuln_id) return f;
    }
    ADD_FAILURE() << "no finding " << vuln_id;
    return {};
  }

  std::vector<EventRecord> Events(std::uint64_t id = 0) {
    std::vector<EventRecord> out;
    EXPECT_TRUE(db_->ScanEvents(id,
                                [&](const EventRecord& e) {
                                  out.push_back(e);
                                  return true;
                                })
                    .ok());
    return out;
  }

  // The findings are those of `before`, none updated since.
  void ExpectFindingsUntouched(const std::vector<FindingRecord>& before) {
    const auto after = Findings();
    ASSERT_EQ(after.size(), before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
      EXPECT_EQ(after[i].id, before[i].id);
      EXPECT_EQ(after[i].due_at, before[i].due_at);
      EXPECT_EQ(after[i].updated_at, before[i].updated_at);
    }
  }

  void ExpectReplayMatches() {
    auto v = triage_->Verify();
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->mismatches.empty()) << v->mismatches.front();
    ExpectPackedSourcesMatchRows();
  }

  // Every scope's sources as the store returns them (from the copy packed
  // after its last report) equal its rows in `sources`, read directly.
  void ExpectPackedSourcesMatchRows() {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &raw), SQLITE_OK);
    const auto rows = [&](const char* sql) {
      std::vector<std::vector<std::int64_t>> out;
      sqlite3_stmt* st = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(raw, sql, -1, &st, nullptr), SQLITE_OK) << sql;
      while (sqlite3_step(st) == SQLITE_ROW) {
        std::vector<std::int64_t> row;
        row.reserve(static_cast<std::size_t>(sqlite3_column_count(st)));
        for (int i = 0; i < sqlite3_column_count(st); ++i) row.push_back(sqlite3_column_int64(st, i));
        out.push_back(std::move(row));
      }
      sqlite3_finalize(st);
      return out;
    };
    const auto packed_in_use =
        rows("SELECT count(*) FROM scope_states p JOIN scopes s ON s.id = p.scope_id AND s.last_report = p.report_id");
    const auto scopes = rows("SELECT id FROM scopes ORDER BY id");
    EXPECT_EQ(packed_in_use.at(0).at(0), static_cast<std::int64_t>(scopes.size()));
    for (const auto& scope : scopes) {
      const auto id = static_cast<std::uint64_t>(scope[0]);
      std::vector<SourceState> loaded;
      ASSERT_TRUE(db_->LoadScopeSources(id, &loaded, nullptr).ok());
      std::vector<std::vector<std::int64_t>> got;
      got.reserve(loaded.size());
      for (const auto& s : loaded) {
        got.push_back({static_cast<std::int64_t>(s.finding_id), s.present ? 1 : 0,
                       static_cast<std::int64_t>(s.content_hash), static_cast<std::int64_t>(s.digest)});
      }
      std::sort(got.begin(), got.end());
      const auto want = rows(fmt::format("SELECT finding_id, present, content_hash, digest FROM sources WHERE "
                                         "scope_id = {} ORDER BY finding_id, present, content_hash, digest",
                                         scope[0])
                                 .c_str());
      EXPECT_EQ(got, want) << "scope " << id;
    }
    sqlite3_close(raw);
  }

  TempDir dir_;
  std::string policy_dir_;
  std::string db_path_;
  FixedClock clock_{T("2026-11-10T00:00:00Z")};
  std::unique_ptr<PolicySet> policy_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Triage> triage_;
};

Vuln MakeVuln(std::string id, std::string package, std::string installed, std::string fixed, std::string severity) {
  Vuln v;
  v.id = std::move(id);
  v.package = std::move(package);
  v.installed = std::move(installed);
  v.fixed = std::move(fixed);
  v.severity = std::move(severity);
  return v;
}

const Vuln kSsl = MakeVuln("CVE-2024-0727", "libssl3", "3.0.11", "3.0.13", "MEDIUM");
const Vuln kCurl = MakeVuln("CVE-2023-38545", "curl", "7.88.1", "7.88.1-10+deb12u4", "CRITICAL");
const Vuln kZlib = MakeVuln("CVE-2023-45853", "zlib1g", "1.2.13", "", "CRITICAL");

// Forwards to a real store, counting source reads and running a hook when
// a transaction begins (to let another writer in between parse and apply).
class ObservedStore : public TriageStore {
 public:
  explicit ObservedStore(TriageStore& inner) : inner_(inner) {}
  std::function<void()> on_begin;
  int source_reads = 0;
  int scope_reads = 0;
  Status fail_scope_reads;  // returned by GetScope when not OK

  Status Begin() override {
    if (auto hook = std::exchange(on_begin, nullptr)) hook();
    return inner_.Begin();
  }
  Status LoadScopeSources(std::uint64_t scope_id, std::vector<SourceState>* out, std::string* item_arrays) override {
    ++source_reads;
    return inner_.LoadScopeSources(scope_id, out, item_arrays);
  }
  Status Commit() override { return inner_.Commit(); }
  Status Rollback() override { return inner_.Rollback(); }
  Result<bool> HasReport(const std::string& id) override { return inner_.HasReport(id); }
  Status InsertReport(const ReportRecord& report) override { return inner_.InsertReport(report); }
  Status ListReports(std::vector<ReportRecord>* out) override { return inner_.ListReports(out); }
  Result<std::optional<ScopeRecord>> GetScope(const std::string& scanner, const std::string& target) override {
    ++scope_reads;
    if (!fail_scope_reads.ok()) return fail_scope_reads;
    return inner_.GetScope(scanner, target);
  }
  Status UpsertScope(ScopeRecord* scope) override { return inner_.UpsertScope(scope); }
  Status UpsertSource(const SourceRecord& source) override { return inner_.UpsertSource(source); }
  Status SaveScopeSources(std::uint64_t scope_id, const std::string& report_id, const std::vector<SourceState>& sources,
                          std::string_view item_arrays) override {
    return inner_.SaveScopeSources(scope_id, report_id, sources, item_arrays);
  }
  Status SetSourceDigest(std::uint64_t scope_id, std::uint64_t finding_id, std::uint64_t digest) override {
    return inner_.SetSourceDigest(scope_id, finding_id, digest);
  }
  Result<std::int64_t> CountPresentSources(std::uint64_t finding_id) override {
    return inner_.CountPresentSources(finding_id);
  }
  Status ListSources(std::uint64_t finding_id, std::vector<SourceRecord>* out) override {
    return inner_.ListSources(finding_id, out);
  }
  Result<std::optional<FindingRecord>> GetFinding(std::uint64_t id) override { return inner_.GetFinding(id); }
  Status ListIdentities(std::uint64_t lo, std::uint64_t hi,
                        std::vector<std::pair<std::uint64_t, std::string>>* out) override {
    return inner_.ListIdentities(lo, hi, out);
  }
  Status InsertFinding(const FindingRecord& finding) override { return inner_.InsertFinding(finding); }
  Status UpdateFinding(const FindingRecord& finding) override { return inner_.UpdateFinding(finding); }
  Status ScanFindings(const FindingFilter& filter, const std::function<bool(const FindingRecord&)>& fn) override {
    return inner_.ScanFindings(filter, fn);
  }
  Status FindIdsByPrefix(const std::string& hex_prefix, std::size_t limit, std::vector<std::uint64_t>* out) override {
    return inner_.FindIdsByPrefix(hex_prefix, limit, out);
  }
  Result<std::int64_t> CountFindings(const FindingFilter& filter) override { return inner_.CountFindings(filter); }
  Status AppendEvent(EventRecord* event) override { return inner_.AppendEvent(event); }
  Status ScanEvents(std::uint64_t finding_id, const std::function<bool(const EventRecord&)>& fn) override {
    return inner_.ScanEvents(finding_id, fn);
  }
  Status UpsertAdvisory(const AdvisoryRecord& advisory) override { return inner_.UpsertAdvisory(advisory); }
  Result<std::optional<AdvisoryRecord>> GetAdvisory(const std::string& key) override { return inner_.GetAdvisory(key); }
  Status ReplaceKev(const std::vector<KevEntry>& entries, const IntelSource& source) override {
    return inner_.ReplaceKev(entries, source);
  }
  Status ReplaceEpss(const std::vector<EpssEntry>& entries, const IntelSource& source) override {
    return inner_.ReplaceEpss(entries, source);
  }
  Status LoadKev(std::vector<KevEntry>* out) override { return inner_.LoadKev(out); }
  Result<std::optional<EpssEntry>> LookupEpss(const std::string& cve) override { return inner_.LookupEpss(cve); }
  Result<std::optional<IntelSource>> GetIntelSource(const std::string& name) override {
    return inner_.GetIntelSource(name);
  }
  Result<std::optional<std::string>> GetMeta(const std::string& key) override { return inner_.GetMeta(key); }
  Status SetMeta(const std::string& key, const std::string& value) override { return inner_.SetMeta(key, value); }

 private:
  TriageStore& inner_;
};

TEST_F(PipelineTest, FirstScanOpensFindingsDueFromTheScanTime) {
  const auto s = Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl, kCurl}));
  EXPECT_EQ(s.opened, 2u);
  EXPECT_EQ(s.scan_time, T("2026-11-02T06:00:00Z"));
  EXPECT_TRUE(s.scan_time_from_report);
  for (const auto& f : Findings()) {
    EXPECT_EQ(f.status, FindingStatus::kOpen);
    EXPECT_EQ(f.first_seen, T("2026-11-02T06:00:00Z"));
    EXPECT_EQ(f.due_at, f.first_seen + policy_->ranking.Deadline(f.priority)) << f.vuln_id;
    EXPECT_EQ(f.asset_id, "api");
    EXPECT_EQ(f.team, "payments");
    const auto events = Events(f.id);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, EventType::kOpened);
    EXPECT_EQ(events[0].at, f.first_seen);
    EXPECT_EQ(events[0].due_at, f.due_at);
    EXPECT_EQ(events[0].priority, f.priority);
  }
}

TEST_F(PipelineTest, ReingestingTheSameReportChangesNothing) {
  const std::string report = TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl, kCurl});
  Ingest(report);
  const auto before = Findings();
  const auto events_before = Events().size();
  const auto again = Ingest(report);
  EXPECT_TRUE(again.duplicate);
  // The same findings in a new scan: recognised as unchanged, nothing written.
  const auto rescan = Ingest(TrivyImage(kImage, "2026-11-03T06:00:00Z", {kSsl, kCurl}));
  EXPECT_FALSE(rescan.duplicate);
  EXPECT_EQ(rescan.unchanged, 2u);
  EXPECT_EQ(rescan.opened + rescan.changed + rescan.fixed, 0u);
  EXPECT_EQ(Events().size(), events_before);
  ExpectFindingsUntouched(before);
}

// Recognising items reads the scope's sources before the transaction; the
// transaction reuses them instead of reading them again.
TEST_F(PipelineTest, ARescanReadsItsScopesSourcesOnce) {
  ObservedStore observed(*db_);
  Triage triage(observed, *policy_, clock_);
  const auto ingest = [&](const std::string& bytes) {
    auto r = triage.IngestBytes(Padded(bytes), "report.json", {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : IngestSummary{};
  };
  EXPECT_EQ(ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl, kCurl})).opened, 2u);
  EXPECT_EQ(observed.source_reads, 0);  // a new scope has none to read
  EXPECT_EQ(ingest(TrivyImage(kImage, "2026-11-03T06:00:00Z", {kSsl, kCurl})).recognised, 2u);
  EXPECT_EQ(observed.source_reads, 1);
  const auto next = ingest(TrivyImage(kImage, "2026-11-04T06:00:00Z", {kSsl, kZlib}));
  EXPECT_EQ(next.recognised, 1u);
  EXPECT_EQ(next.opened, 1u);
  EXPECT_EQ(next.fixed, 1u);
  EXPECT_EQ(observed.source_reads, 2);
  ExpectReplayMatches();
}

// A store error while looking up a scope's sources fails the report with
// that error, after one look-up, not one per item, and writes nothing.
TEST_F(PipelineTest, AStoreErrorWhileRecognisingItemsFailsTheReportOnce) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl, kCurl, kZlib}));
  const auto events_before = Events().size();
  ObservedStore observed(*db_);
  observed.fail_scope_reads = Status::StoreError("disk on fire");
  Triage triage(observed, *policy_, clock_);
  auto r = triage.IngestBytes(Padded(TrivyImage(kImage, "2026-11-03T06:00:00Z", {kSsl, kCurl, kZlib})), "r.json", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kStoreError);
  EXPECT_EQ(observed.scope_reads, 1);
  EXPECT_EQ(Events().size(), events_before);
}

// Another ingest changes the scope after this report's items were recognised
// and before its transaction: the sources read early are stale, so they are
// read again, the recognition is not trusted, and the report is parsed in
// full. Its outcome is the one it would have had without recognition.
TEST_F(PipelineTest, AScopeMovedBetweenParseAndTransactionIsReadAgain) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl, kCurl, kZlib}));
  ObservedStore observed(*db_);
  Triage late(observed, *policy_, clock_);
  observed.on_begin = [&] {
    // Scan of 11-03 lands first: curl and zlib are gone.
    const auto between = Ingest(TrivyImage(kImage, "2026-11-03T06:00:00Z", {kSsl}));
    EXPECT_EQ(between.fixed, 2u);
  };
  auto r = late.IngestBytes(Padded(TrivyImage(kImage, "2026-11-04T06:00:00Z", {kSsl, kCurl, kZlib})), "late.json", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->recognised, 0u);
  EXPECT_EQ(r->unchanged, 1u);
  EXPECT_EQ(r->reopened, 2u);
  EXPECT_EQ(observed.source_reads, 3);  // before parsing; in the failed transaction; in the full one
  EXPECT_EQ(Only("CVE-2023-38545").status, FindingStatus::kOpen);
  EXPECT_EQ(Only("CVE-2023-45853").status, FindingStatus::kOpen);
  // The full parse kept every item's digest: the next scan recognises them.
  EXPECT_EQ(Ingest(TrivyImage(kImage, "2026-11-05T06:00:00Z", {kSsl, kCurl, kZlib})).recognised, 3u);
  ExpectReplayMatches();
}

// A rescan that repeats items byte for byte is recognised by digest and not
// extracted again; the rest goes the full way, with the same results.
TEST_F(PipelineTest, UnchangedItemsAreRecognisedByDigest) {
  const auto first = Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl, kCurl, kZlib}));
  EXPECT_EQ(first.opened, 3u);
  EXPECT_EQ(first.recognised, 0u);
  const auto before = Findings();
  const auto events_before = Events().size();
  // A new build (new tag) with the same findings: every item recognised.
  const auto rescan = Ingest(TrivyImage("ghcr.io/acme/api:1.1", "2026-11-03T06:00:00Z", {kSsl, kCurl, kZlib}));
  EXPECT_EQ(rescan.occurrences, 3u);
  EXPECT_EQ(rescan.findings, 3u);
  EXPECT_EQ(rescan.unchanged, 3u);
  EXPECT_EQ(rescan.recognised, 3u);
  EXPECT_EQ(Events().size(), events_before);
  EXPECT_EQ(Findings().size(), before.size());
  // One fix released, one finding gone: the other item is still recognised.
  Vuln zlib = kZlib;
  zlib.fixed = "1.2.13.dfsg-1";
  const auto next = Ingest(TrivyImage(kImage, "2026-11-04T06:00:00Z", {kSsl, zlib}));
  EXPECT_EQ(next.recognised, 1u);
  EXPECT_EQ(next.unchanged, 1u);
  EXPECT_EQ(next.changed, 1u);
  EXPECT_EQ(next.fixed, 1u);
  EXPECT_EQ(Only("CVE-2023-45853").fixed_version, "1.2.13.dfsg-1");
  EXPECT_EQ(Only("CVE-2023-38545").status, FindingStatus::kFixed);
  // The changed item's new digest is kept: the next scan recognises both.
  const auto again = Ingest(TrivyImage(kImage, "2026-11-05T06:00:00Z", {kSsl, zlib}));
  EXPECT_EQ(again.recognised, 2u);
  // A different scope (another image) never recognises this one's items.
  const auto other = Ingest(TrivyImage("ghcr.io/acme/web:1.0", "2026-11-05T06:00:00Z", {kSsl}));
  EXPECT_EQ(other.opened, 1u);
  EXPECT_EQ(other.recognised, 0u);
  ExpectReplayMatches();
}

// A finding reported by two items (one package at two paths) is one group:
// when one item is recognised and the other is not, the report is parsed
// again in full, and the outcome is the one without recognition.
TEST_F(PipelineTest, AFindingWithOneRecognisedItemAndOneNewIsParsedInFull) {
  const auto two_paths = [](const std::string& created, bool second) {
    auto doc = nlohmann::json::parse(TrivyImage(kImage, created, {kSsl}, /*lang=*/true));
    auto& vulns = doc["Results"][0]["Vulnerabilities"];
    vulns[0]["PkgPath"] = "app/lib/a.jar";
    if (second) {
      auto copy = vulns[0];
      copy["PkgPath"] = "app/lib/b.jar";
      vulns.push_back(copy);
    }
    return doc.dump();
  };
  EXPECT_EQ(Ingest(two_paths("2026-11-02T06:00:00Z", false)).opened, 1u);
  const auto both = Ingest(two_paths("2026-11-03T06:00:00Z", true));
  EXPECT_EQ(both.recognised, 0u);  // parsed again in full
  EXPECT_EQ(both.occurrences, 2u);
  EXPECT_EQ(both.findings, 1u);
  EXPECT_EQ(both.changed, 1u);  // now at two paths
  EXPECT_EQ(Only("CVE-2024-0727").location, "app/lib/a.jar (+1 more)");
  // Two items of one finding keep no digest: never recognised, always right.
  const auto again = Ingest(two_paths("2026-11-04T06:00:00Z", false));
  EXPECT_EQ(again.recognised, 0u);
  EXPECT_EQ(again.changed, 1u);  // back at one path
  const auto both_again = Ingest(two_paths("2026-11-05T06:00:00Z", true));
  EXPECT_EQ(both_again.recognised, 0u);
  EXPECT_EQ(both_again.changed, 1u);
  // Their array as a whole is recognised, though: the same two items, one
  // finding, unchanged.
  const auto whole = Ingest(two_paths("2026-11-06T06:00:00Z", true));
  EXPECT_EQ(whole.arrays_recognised, 1u);
  EXPECT_EQ(whole.occurrences, 2u);
  EXPECT_EQ(whole.recognised, 2u);
  EXPECT_EQ(whole.findings, 1u);
  EXPECT_EQ(whole.unchanged, 1u);
  EXPECT_EQ(Only("CVE-2024-0727").location, "app/lib/a.jar (+1 more)");
  ExpectReplayMatches();
}

// A rescan whose item arrays are byte for byte the last scan's is read
// without parsing them: only the rest (a new scan time, a new tag in the
// result's target) is parsed, and every item counts as recognised.
TEST_F(PipelineTest, UnchangedItemArraysAreRecognisedWithoutParsingThem) {
  const std::vector<Vuln> vulns = {kSsl, kCurl, kZlib};
  const auto first = Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", vulns));
  EXPECT_EQ(first.opened, 3u);
  EXPECT_EQ(first.arrays_recognised, 0u);
  const auto before = Findings();
  const auto events_before = Events().size();
  const auto rescan = Ingest(TrivyImage("ghcr.io/acme/api:1.1", "2026-11-03T06:00:00Z", vulns));
  EXPECT_EQ(rescan.arrays_recognised, 1u);
  EXPECT_EQ(rescan.occurrences, 3u);
  EXPECT_EQ(rescan.findings, 3u);
  EXPECT_EQ(rescan.unchanged, 3u);
  EXPECT_EQ(rescan.recognised, 3u);
  EXPECT_EQ(rescan.opened + rescan.changed + rescan.fixed + rescan.skipped, 0u);
  EXPECT_EQ(rescan.scan_time, T("2026-11-03T06:00:00Z"));
  EXPECT_EQ(Events().size(), events_before);
  ExpectFindingsUntouched(before);
  // A recognised report keeps its arrays for the next scan in turn.
  EXPECT_EQ(Ingest(TrivyImage(kImage, "2026-11-04T06:00:00Z", vulns)).arrays_recognised, 1u);
  // One item changes: its array is parsed, the other items recognised one by one.
  Vuln zlib = kZlib;
  zlib.fixed = "1.2.13.dfsg-1";
  const auto next = Ingest(TrivyImage(kImage, "2026-11-05T06:00:00Z", {kSsl, kCurl, zlib}));
  EXPECT_EQ(next.arrays_recognised, 0u);
  EXPECT_EQ(next.recognised, 2u);
  EXPECT_EQ(next.changed, 1u);
  EXPECT_EQ(Only("CVE-2023-45853").fixed_version, "1.2.13.dfsg-1");
  EXPECT_EQ(Ingest(TrivyImage(kImage, "2026-11-06T06:00:00Z", {kSsl, kCurl, zlib})).arrays_recognised, 1u);
  ExpectReplayMatches();
}

// Arrays are compared with the scope's last scan only: the same arrays as an
// earlier scan, after a scan that differed, are parsed and reopen findings.
TEST_F(PipelineTest, ItemArraysAreRecognisedOnlyAgainstTheScopesLastScan) {
  const std::vector<Vuln> vulns = {kSsl, kCurl, kZlib};
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", vulns));
  EXPECT_EQ(Ingest(TrivyImage(kImage, "2026-11-03T06:00:00Z", {kSsl})).fixed, 2u);
  const auto back = Ingest(TrivyImage(kImage, "2026-11-04T06:00:00Z", vulns));
  EXPECT_EQ(back.arrays_recognised, 0u);
  EXPECT_EQ(back.reopened, 2u);
  EXPECT_EQ(back.recognised, 1u);
  // The same array in a result with another target is another context:
  // neither it nor its items are recognised.
  const auto lang = [](const std::string& created, const std::string& target) {
    auto doc = nlohmann::json::parse(TrivyImage("ghcr.io/acme/web:1.0", created, {kSsl}, /*lang=*/true));
    doc["Results"][0]["Target"] = target;
    return doc.dump(1);
  };
  EXPECT_EQ(Ingest(lang("2026-11-02T06:00:00Z", "app/app.jar")).opened, 1u);
  EXPECT_EQ(Ingest(lang("2026-11-03T06:00:00Z", "app/app.jar")).arrays_recognised, 1u);
  const auto moved = Ingest(lang("2026-11-04T06:00:00Z", "lib/app.jar"));
  EXPECT_EQ(moved.arrays_recognised, 0u);
  EXPECT_EQ(moved.recognised, 0u);
  ExpectReplayMatches();
}

// A report whose artifact comes after its results has a head that names no
// artifact (another scope). That scope's sources are not lent to the full
// parse: its items are still recognised against their own scope.
TEST_F(PipelineTest, AHeadThatNamesAnotherScopeDoesNotLendItsSources) {
  const auto name_last = [](const std::string& created, const std::vector<Vuln>& vulns) {
    auto doc = nlohmann::ordered_json::parse(TrivyImage(kImage, created, vulns));
    const auto name = doc["ArtifactName"], type = doc["ArtifactType"];
    doc.erase("ArtifactName");
    doc.erase("ArtifactType");
    doc["ArtifactName"] = name;
    doc["ArtifactType"] = type;
    return doc.dump();
  };
  // The scope such a head names exists, with arrays of its own.
  auto unnamed = nlohmann::json::parse(TrivyImage(kImage, "2026-11-01T06:00:00Z", {kZlib}));
  unnamed.erase("ArtifactName");
  unnamed.erase("ArtifactType");
  EXPECT_EQ(Ingest(unnamed.dump()).opened, 1u);
  EXPECT_EQ(Ingest(name_last("2026-11-02T06:00:00Z", {kSsl, kCurl})).opened, 2u);
  const auto rescan = Ingest(name_last("2026-11-03T06:00:00Z", {kSsl, kCurl}));
  EXPECT_EQ(rescan.arrays_recognised, 0u);
  EXPECT_EQ(rescan.recognised, 2u);
  EXPECT_EQ(rescan.unchanged, 2u);
  EXPECT_EQ(rescan.opened + rescan.fixed, 0u);
  ExpectReplayMatches();
}

// A scope keeps its last report's arrays only when they state exactly its
// present sources: not with held items, nor with findings from outside the
// arrays (misconfigurations); and when the kept count of findings does not
// match the sources, the report is parsed in full.
TEST_F(PipelineTest, ItemArraysAreKeptOnlyWhenTheyStateEverySource) {
  Vuln held = kCurl;
  held.status = "not_affected";
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl, held}));
  const auto with_held = Ingest(TrivyImage(kImage, "2026-11-03T06:00:00Z", {kSsl, held}));
  EXPECT_EQ(with_held.arrays_recognised, 0u);
  EXPECT_EQ(with_held.skipped, 1u);
  EXPECT_EQ(with_held.recognised, 1u);

  const auto misconfigured = [](const std::string& created) {
    auto doc = nlohmann::json::parse(TrivyImage("ghcr.io/acme/web:1.0", created, {kSsl}));
    doc["Results"][0]["Misconfigurations"] = nlohmann::json::array({{{"ID", "DS002"},
                                                                     {"AVDID", "AVD-DS-0002"},
                                                                     {"Title", "root user"},
                                                                     {"Severity", "HIGH"},
                                                                     {"Status", "FAIL"}}});
    return doc.dump();
  };
  EXPECT_EQ(Ingest(misconfigured("2026-11-02T06:00:00Z")).opened, 2u);
  const auto again = Ingest(misconfigured("2026-11-03T06:00:00Z"));
  EXPECT_EQ(again.arrays_recognised, 0u);
  EXPECT_EQ(again.unchanged, 2u);
  EXPECT_EQ(again.fixed, 0u);

  // Damage the kept item count: the arrays match, the sources do not add
  // up, and the report is parsed in full with the same outcome.
  const std::string image = "ghcr.io/acme/batch:1.0";
  Ingest(TrivyImage(image, "2026-11-02T06:00:00Z", {kSsl, kCurl}));
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw,
                                 "SELECT p.scope_id, p.item_arrays FROM scope_states p JOIN scopes s ON s.id = "
                                 "p.scope_id WHERE s.target = 'image:ghcr.io/acme/batch'",
                                 -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    const std::int64_t scope_id = sqlite3_column_int64(st, 0);
    std::vector<ItemArray> arrays;
    std::uint64_t findings = 0;
    ASSERT_TRUE(ingest::DecodeItemArrays(
        std::string(static_cast<const char*>(sqlite3_column_blob(st, 1)), sqlite3_column_bytes(st, 1)), &arrays,
        &findings));
    sqlite3_finalize(st);
    ASSERT_EQ(arrays.size(), 1u);
    EXPECT_EQ(arrays[0].items, 2u);
    EXPECT_EQ(findings, 2u);
    const std::string damaged = ingest::EncodeItemArrays(arrays, 3);
    ASSERT_EQ(sqlite3_prepare_v2(raw, "UPDATE scope_states SET item_arrays = ? WHERE scope_id = ?", -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(st, 1, damaged.data(), static_cast<int>(damaged.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, scope_id);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(raw);
  }
  const auto full = Ingest(TrivyImage(image, "2026-11-03T06:00:00Z", {kSsl, kCurl}));
  EXPECT_EQ(full.arrays_recognised, 0u);
  EXPECT_EQ(full.recognised, 2u);
  EXPECT_EQ(full.unchanged, 2u);
  EXPECT_EQ(Ingest(TrivyImage(image, "2026-11-04T06:00:00Z", {kSsl, kCurl})).arrays_recognised, 1u);
  ExpectReplayMatches();
}

TEST_F(PipelineTest, TheSameBytesUnderAnotherTargetAreAnotherReport) {
  const std::string report = GrypeImage(kImage, "2026-11-02T06:00:00Z", {kSsl});
  IngestOptions target;
  target.target = "ghcr.io/acme/other";
  const auto first = Ingest(report);
  const auto other = Ingest(report, target);
  EXPECT_FALSE(other.duplicate);
  EXPECT_NE(other.report_id, first.report_id);
  EXPECT_EQ(other.opened, 1u);  // the same vulnerability in another image
  EXPECT_TRUE(Ingest(report, target).duplicate);
  EXPECT_EQ(first.report_id, ContentId(Padded(report)));  // no options: the bytes alone
}

TEST_F(PipelineTest, AbsentFromARescanFixesAndReturningReopens) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl, kCurl}));
  const auto fixed = Ingest(TrivyImage(kImage, "2026-11-04T06:00:00Z", {kCurl}));
  EXPECT_EQ(fixed.fixed, 1u);
  EXPECT_EQ(fixed.unchanged, 1u);
  FindingRecord ssl = Only("CVE-2024-0727");
  EXPECT_EQ(ssl.status, FindingStatus::kFixed);
  EXPECT_EQ(ssl.status_since, T("2026-11-04T06:00:00Z"));
  const auto reopened = Ingest(TrivyImage(kImage, "2026-11-06T06:00:00Z", {kSsl, kCurl}));
  EXPECT_EQ(reopened.reopened, 1u);
  ssl = Only("CVE-2024-0727");
  EXPECT_EQ(ssl.status, FindingStatus::kOpen);
  EXPECT_EQ(ssl.period_start, T("2026-11-06T06:00:00Z"));
  EXPECT_EQ(ssl.first_seen, T("2026-11-02T06:00:00Z"));
  // A regression gets a fresh deadline from when it came back.
  EXPECT_EQ(ssl.due_at, T("2026-11-06T06:00:00Z") + policy_->ranking.Deadline(ssl.priority));
  const auto events = Events(ssl.id);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, EventType::kOpened);
  EXPECT_EQ(events[1].type, EventType::kFixed);
  EXPECT_EQ(events[2].type, EventType::kReopened);
  ExpectReplayMatches();
}

TEST_F(PipelineTest, OnlyTheSameScannerOnTheSameTargetCloses) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl}));
  // Another image scanned by the same scanner: not a rescan of this one.
  const auto other = Ingest(TrivyImage("ghcr.io/acme/web:2.0", "2026-11-03T06:00:00Z", {kCurl}));
  EXPECT_EQ(other.fixed, 0u);
  // The same image scanned by another scanner that does not see it.
  const auto grype = Ingest(GrypeImage(kImage, "2026-11-03T07:00:00Z", {kCurl}));
  EXPECT_EQ(grype.fixed, 0u);
  EXPECT_EQ(Only("CVE-2024-0727").status, FindingStatus::kOpen);
}

TEST_F(PipelineTest, TwoScannersAndAliasesMakeOneFindingWithTwoSources) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kCurl}));
  Vuln ghsa = kCurl;
  ghsa.id = "GHSA-wj5h-5q5x-vxqf";  // an alias of the CVE, as Grype reports it
  ghsa.related = {"CVE-2023-38545"};
  const auto grype = Ingest(GrypeImage(kImage, "2026-11-02T06:05:00Z", {ghsa}));
  EXPECT_EQ(grype.opened, 0u);
  EXPECT_EQ(grype.changed, 1u);
  const auto all = Findings();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].vuln_id, "CVE-2023-38545");
  EXPECT_NE(std::find(all[0].aliases.begin(), all[0].aliases.end(), "GHSA-wj5h-5q5x-vxqf"), all[0].aliases.end());
  std::vector<SourceRecord> sources;
  ASSERT_TRUE(db_->ListSources(all[0].id, &sources).ok());
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0].scanner, "trivy");
  EXPECT_EQ(sources[1].scanner, "grype");
  // Fixed only when every source no longer reports it.
  const auto trivy_rescan = Ingest(TrivyImage(kImage, "2026-11-05T06:00:00Z", {}));
  EXPECT_EQ(trivy_rescan.fixed, 0u);
  EXPECT_EQ(Only("CVE-2023-38545").status, FindingStatus::kOpen);
  const auto grype_rescan = Ingest(GrypeImage(kImage, "2026-11-05T06:05:00Z", {}));
  EXPECT_EQ(grype_rescan.fixed, 1u);
  EXPECT_EQ(Only("CVE-2023-38545").status, FindingStatus::kFixed);
  const auto events = Events(all[0].id);
  std::vector<EventType> types;
  for (const auto& e : events) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<EventType>{EventType::kOpened, EventType::kSourceAdded, EventType::kSourceAbsent,
                                           EventType::kFixed}));
  ExpectReplayMatches();
}

TEST_F(PipelineTest, ALaterScannerReportingEarlierMovesFirstSeenBack) {
  Ingest(GrypeImage(kImage, "2026-11-02T06:05:00Z", {kCurl}));
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kCurl}));
  EXPECT_EQ(Only("CVE-2023-38545").first_seen, T("2026-11-02T06:00:00Z"));
}

TEST_F(PipelineTest, AReportOlderThanTheLastScanChangesNothing) {
  Ingest(TrivyImage(kImage, "2026-11-05T06:00:00Z", {kCurl}));
  const auto old = Ingest(TrivyImage(kImage, "2026-11-01T06:00:00Z", {kSsl}));
  EXPECT_EQ(old.stale_scopes, 1u);
  EXPECT_EQ(old.opened + old.fixed, 0u);
  ASSERT_FALSE(old.warnings.empty());
  EXPECT_NE(old.warnings.back().find("older than the last scan"), std::string::npos);
  EXPECT_EQ(Findings().size(), 1u);
  EXPECT_EQ(Only("CVE-2023-38545").status, FindingStatus::kOpen);
}

TEST_F(PipelineTest, HeldItemsNeitherOpenNorClose) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl}));
  Vuln not_affected = kSsl;
  not_affected.status = "not_affected";
  Vuln other = kCurl;
  other.status = "not_affected";
  const auto s = Ingest(TrivyImage(kImage, "2026-11-03T06:00:00Z", {not_affected, other}));
  EXPECT_EQ(s.fixed, 0u);
  EXPECT_EQ(s.opened, 0u);
  EXPECT_EQ(s.skipped, 2u);
  EXPECT_EQ(Only("CVE-2024-0727").status, FindingStatus::kOpen);
  EXPECT_EQ(Findings().size(), 1u);
}

TEST_F(PipelineTest, ExplicitPassesCloseFindingsOfFeedsThatAreNotRescans) {
  const std::string id = "arn:aws:securityhub:eu-west-1:111122223333:control/S3.8/finding/1";
  Ingest(AsffControl(id, "S3.8", "FAILED", "2026-11-02T06:00:00Z"));
  ASSERT_EQ(Findings(FindingStatus::kOpen).size(), 1u);
  // A Security Hub export without the finding closes nothing (not a rescan).
  Ingest(AsffControl(id + "-other", "S3.1", "FAILED", "2026-11-03T06:00:00Z"));
  EXPECT_EQ(Findings(FindingStatus::kOpen).size(), 2u);
  // Suppressed in Security Hub: held, still open.
  Ingest(AsffControl(id, "S3.8", "FAILED", "2026-11-04T06:00:00Z", "SUPPRESSED"));
  EXPECT_EQ(Findings(FindingStatus::kOpen).size(), 2u);
  // PASSED is an explicit fix.
  const auto passed = Ingest(AsffControl(id, "S3.8", "PASSED", "2026-11-05T06:00:00Z"));
  EXPECT_EQ(passed.fixed, 1u);
  EXPECT_EQ(Findings(FindingStatus::kFixed).size(), 1u);
  ExpectReplayMatches();
}

TEST_F(PipelineTest, ARejectedReportWritesNothing) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl}));
  const auto events_before = Events().size();
  std::string truncated = TrivyImage(kImage, "2026-11-03T06:00:00Z", {kCurl});
  truncated.resize(truncated.size() / 2);
  auto r = triage_->IngestBytes(Padded(truncated), "bad.json", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kParseError);
  EXPECT_EQ(r.status().location().file, "bad.json");
  EXPECT_GT(r.status().location().line, 1u);
  EXPECT_EQ(Events().size(), events_before);
  std::vector<ReportRecord> reports;
  ASSERT_TRUE(db_->ListReports(&reports).ok());
  EXPECT_EQ(reports.size(), 1u);
}

TEST_F(PipelineTest, AFailureInsideTheTransactionRollsTheWholeReportBack) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kSsl}));
  // Make SQLite itself refuse the second new finding's event (a real
  // constraint failure, no fake store): the whole report must roll back.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TRIGGER refuse AFTER INSERT ON events WHEN (SELECT count(*) FROM events) > 2 "
                         "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  const auto events_before = Events().size();
  auto r = triage_->IngestBytes(Padded(TrivyImage(kImage, "2026-11-03T06:00:00Z", {kCurl, kZlib})), "r2.json", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kStoreError);
  EXPECT_NE(r.status().message().find("refused by test trigger"), std::string::npos);
  EXPECT_EQ(Findings().size(), 1u);
  EXPECT_EQ(Events().size(), events_before);
  std::vector<ReportRecord> reports;
  ASSERT_TRUE(db_->ListReports(&reports).ok());
  EXPECT_EQ(reports.size(), 1u);
  auto scope = db_->GetScope("trivy", "image:ghcr.io/acme/api");
  ASSERT_TRUE(scope.ok() && scope->has_value());
  EXPECT_EQ((*scope)->last_scan_at, T("2026-11-02T06:00:00Z"));
}

TEST_F(PipelineTest, IntelChangesMovePrioritiesAndDeadlines) {
  // Internal-layer-free case: an OS package on an exposed app asset.
  Vuln v = kZlib;
  v.vector = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N";  // local, partial
  v.severity = "MEDIUM";
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {v}, /*lang=*/true));
  FindingRecord f = Only("CVE-2023-45853");
  const Priority before = f.priority;
  const TimePoint due_before = f.due_at;
  ASSERT_NE(before, Priority::kP1);
  // CISA adds it to KEV: the finding escalates now, due = min(old, now + 48h).
  clock_.Set(T("2026-11-04T12:00:00Z"));
  const std::string kev =
      dir_.Write("kev.json", R"({"catalogVersion": "2026.11.04", "dateReleased": "2026-11-04T00:00:00Z",
    "count": 1, "vulnerabilities": [{"cveID": "CVE-2023-45853", "vendorProject": "zlib", "product": "zlib",
    "vulnerabilityName": "zlib overflow", "dateAdded": "2026-11-04", "dueDate": "2026-11-25",
    "knownRansomwareCampaignUse": "Unknown"}]})");
  auto loaded = triage_->LoadIntelFile(kev);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->reranked, 1u);
  f = Only("CVE-2023-45853");
  EXPECT_LT(static_cast<int>(f.priority), static_cast<int>(before));
  EXPECT_EQ(f.due_at, std::min(due_before, T("2026-11-04T12:00:00Z") + policy_->ranking.Deadline(f.priority)));
  auto events = Events(f.id);
  ASSERT_EQ(events.back().type, EventType::kPriorityChanged);
  EXPECT_EQ(events.back().at, T("2026-11-04T12:00:00Z"));
  EXPECT_EQ(events.back().previous_priority, before);
  EXPECT_NE(events.back().detail.find("KEV"), std::string::npos);
  // Removed from the catalog again: back to the old priority, due from the
  // start of the open period.
  clock_.Set(T("2026-11-05T12:00:00Z"));
  const std::string empty =
      dir_.Write("kev2.json", R"({"catalogVersion": "2026.11.05", "count": 0, "vulnerabilities": []})");
  ASSERT_TRUE(triage_->LoadIntelFile(empty).ok());
  f = Only("CVE-2023-45853");
  EXPECT_EQ(f.priority, before);
  EXPECT_EQ(f.due_at, f.period_start + policy_->ranking.Deadline(before));
  ExpectReplayMatches();
}

TEST_F(PipelineTest, FindingsThatMatchNoAssetAreCountedNotGuessed) {
  const auto s = Ingest(TrivyImage("docker.io/library/nginx:1.25", "2026-11-02T06:00:00Z", {kSsl}));
  EXPECT_EQ(s.unmatched, 1u);
  FindingFilter filter;
  filter.unmatched_only = true;
  auto n = db_->CountFindings(filter);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  auto decision = triage_->Decide(Findings().front());
  ASSERT_TRUE(decision.ok());
  EXPECT_TRUE(decision->asset_id.empty());
  bool mentions = false;
  for (const auto& r : decision->reasons) mentions = mentions || r.find("no asset matched") != std::string::npos;
  EXPECT_TRUE(mentions);
}

TEST_F(PipelineTest, ExplainNamesSourcesHistoryAndDecision) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kCurl}));
  const FindingRecord f = Only("CVE-2023-38545");
  auto ex = triage_->Explain(HexId(f.id).substr(0, 8));
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  EXPECT_EQ(ex->finding.id, f.id);
  EXPECT_EQ(ex->sources.size(), 1u);
  EXPECT_EQ(ex->sources[0].pointer, "/Results/0/Vulnerabilities/0");
  EXPECT_EQ(ex->events.size(), 1u);
  EXPECT_EQ(ex->decision.priority, f.priority);
  EXPECT_EQ(ex->decision.hits.size(), 2u);
  ASSERT_TRUE(ex->advisory.has_value());
  EXPECT_EQ(ex->advisory->description, "A flaw in curl.");
  EXPECT_EQ(triage_->Explain("zz").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(triage_->Explain("0000000000000000").status().code(), StatusCode::kNotFound);
}

TEST_F(PipelineTest, VerifyDetectsATamperedState) {
  Ingest(TrivyImage(kImage, "2026-11-02T06:00:00Z", {kCurl}));
  ExpectReplayMatches();
  FindingRecord f = Only("CVE-2023-38545");
  f.status = FindingStatus::kFixed;
  ASSERT_TRUE(db_->UpdateFinding(f).ok());
  auto v = triage_->Verify();
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->mismatches.size(), 1u);
  EXPECT_NE(v->mismatches[0].find("status fixed but events say open"), std::string::npos);
}

TEST_F(PipelineTest, DueTimeRules) {
  const RankingPolicy& p = policy_->ranking;
  const TimePoint start = T("2026-11-01T00:00:00Z");
  EXPECT_EQ(DueOnOpen(start, p.Deadline(Priority::kP3)), start + 30 * kDay);
  // Escalation at day 10 from P3 (due day 30) to P1: day 10 + 48h.
  EXPECT_EQ(DueOnPriorityChange(Priority::kP3, Priority::kP1, start + 30 * kDay, start, start + 10 * kDay,
                                p.Deadline(Priority::kP1)),
            start + 10 * kDay + 48 * kHour);
  // Escalation that would push the deadline out keeps the earlier one.
  EXPECT_EQ(DueOnPriorityChange(Priority::kP3, Priority::kP2, start + 30 * kDay, start, start + 29 * kDay,
                                p.Deadline(Priority::kP2)),
            start + 30 * kDay);
  // De-escalation: from the start of the open period.
  EXPECT_EQ(DueOnPriorityChange(Priority::kP1, Priority::kP4, start + 2 * kDay, start, start + kDay,
                                p.Deadline(Priority::kP4)),
            start + 90 * kDay);
}

}  // namespace
}  // namespace secbudget
