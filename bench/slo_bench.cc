// bench/slo: full SLO status over a large event history, one service's gate,
// and as the baseline, merely reading the same rows from the store.
//
//   bench_slo [--findings N] [--services S] [--repeat R] [--dir DIR]
//
// The history is generated once per database (kept in --dir between runs
// when given) through the store's own ports: per finding an `opened` event,
// and, drawn deterministically, fixes (most in time, some late), priority
// changes and reopenings. Generation is excluded from every timing.
//
// Phases (medians of R):
//   read rows      SELECT the findings' unit columns and every lifecycle event
//                  with SQLite, touching each column: the floor for any status
//   full status    SloService::Statuses for every unit (read + arithmetic)
//   one gate       SloService::Gate for one service (median over services)
#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "bench_util.h"
#include "common/allocator.h"
#include "slo/service.h"
#include "store/store.h"

using namespace secbudget;         // NOLINT
using namespace secbudget::bench;  // NOLINT

namespace {

namespace fs = std::filesystem;
using Clock_ = std::chrono::steady_clock;

double Seconds(Clock_::time_point a, Clock_::time_point b) { return std::chrono::duration<double>(b - a).count(); }

void Die(const Status& st) {
  std::cerr << "bench_slo: " << st.ToString() << "\n";
  std::exit(1);
}

struct Args {
  std::size_t findings = 1'000'000;
  std::size_t services = 1000;
  int repeat = 3;
  std::string dir;
};

const TimePoint kStart = ParseTime("2026-08-01T00:00:00Z").value();
const TimePoint kNow = ParseTime("2026-11-01T00:00:00Z").value();

std::string ServiceName(std::size_t i) { return fmt::format("svc-{:04}", i); }

// Writes the history; returns the number of events.
std::size_t Generate(Database& db, const Args& args) {
  Rng rng(7);
  std::size_t events = 0;
  const Duration span = kNow - kStart;
  constexpr std::array<Duration, 4> kDeadlines{2 * kDay, 7 * kDay, 30 * kDay, 90 * kDay};
  const auto check = [](const Status& st) {
    if (!st.ok()) Die(st);
  };
  check(db.Begin());
  for (std::size_t i = 0; i < args.findings; ++i) {
    const std::size_t svc = rng.Below(args.services);
    FindingRecord f;
    f.id = (static_cast<std::uint64_t>(svc + 1) << 40) | (i + 1);
    f.identity = fmt::format("bench|{}", i);
    f.kind = FindingKind::kVulnerability;
    f.service = ServiceName(svc);
    f.team = fmt::format("team-{:03}", svc / 10);
    f.environment = svc % 5 == 0 ? Environment::kStaging : Environment::kProd;
    const auto p = static_cast<Priority>(1 + rng.Below(4));
    const TimePoint open = kStart + static_cast<Duration>(rng.Below(static_cast<std::uint64_t>(span)));
    f.priority = p;
    f.first_seen = f.period_start = f.status_since = f.updated_at = open;
    f.due_at = open + kDeadlines[static_cast<std::size_t>(p) - 1];
    std::vector<EventRecord> ev;
    const auto push = [&](EventType type, TimePoint at, TimePoint due) {
      EventRecord e;
      e.finding_id = f.id;
      e.at = at;
      e.type = type;
      e.due_at = due;
      if (type != EventType::kFixed) e.priority = p;
      ev.push_back(e);
    };
    push(EventType::kOpened, open, f.due_at);
    TimePoint t = open;
    if (rng.Below(10) == 0) {  // 10%: escalated halfway to the deadline
      t += (f.due_at - open) / 2;
      f.due_at = std::min(f.due_at, t + kDeadlines[0]);
      push(EventType::kPriorityChanged, t, f.due_at);
    }
    const std::uint64_t roll = rng.Below(100);
    if (roll < 70) {  // 70% fixed: most in time, some late
      const Duration d = f.due_at - t;
      const TimePoint fix = t + static_cast<Duration>(rng.Unit() * static_cast<double>(d) * (roll < 60 ? 1.0 : 2.0));
      if (fix < kNow) {
        push(EventType::kFixed, fix, 0);
        f.status = FindingStatus::kFixed;
        if (roll < 5 && fix + kDay < kNow) {  // 5%: reopened a day later
          f.period_start = fix + kDay;
          f.due_at = f.period_start + kDeadlines[static_cast<std::size_t>(p) - 1];
          push(EventType::kReopened, f.period_start, f.due_at);
          f.status = FindingStatus::kOpen;
        }
      }
    }
    check(db.InsertFinding(f));
    for (auto& e : ev) check(db.AppendEvent(&e));
    events += ev.size();
    if ((i + 1) % 100000 == 0) {
      check(db.Commit());
      check(db.Begin());
      std::cerr << fmt::format("\rgenerating: {} / {} findings", i + 1, args.findings) << std::flush;
    }
  }
  check(db.Commit());
  check(db.SetMeta("bench_slo", fmt::format("{} {} {}", args.findings, args.services, events)));
  std::cerr << "\n";
  return events;
}

// The baseline: every row the status needs, read and touched, nothing computed.
double ReadRows(const std::string& path, std::size_t* rows) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Die(Status::StoreError("cannot open the database"));
  }
  sqlite3_exec(db, "PRAGMA cache_size=-262144", nullptr, nullptr, nullptr);
  const auto t0 = Clock_::now();
  std::uint64_t sink = 0;
  *rows = 0;
  for (const char* sql : {"SELECT id, team, service, environment FROM findings",
                          "SELECT finding_id, at, type, due_at FROM events WHERE type IN "
                          "('opened','reopened','priority_changed','fixed') AND at <= ?1 ORDER BY seq"}) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    sqlite3_bind_int64(st, 1, kNow);
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < 4; ++c) {
        if (sqlite3_column_type(st, c) == SQLITE_TEXT) {
          sink += static_cast<std::uint64_t>(sqlite3_column_bytes(st, c));
        } else {
          sink += static_cast<std::uint64_t>(sqlite3_column_int64(st, c));
        }
      }
      ++*rows;
    }
    sqlite3_finalize(st);
  }
  const auto t1 = Clock_::now();
  sqlite3_close(db);
  if (sink == 42) std::cerr << "";  // keep the reads
  return Seconds(t0, t1);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "bench_slo: " << argv[i] << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--findings"))
      args.findings = std::stoul(next());
    else if (!std::strcmp(argv[i], "--services"))
      args.services = std::stoul(next());
    else if (!std::strcmp(argv[i], "--repeat"))
      args.repeat = std::stoi(next());
    else if (!std::strcmp(argv[i], "--dir"))
      args.dir = next();
    else {
      std::cerr << "usage: bench_slo [--findings N] [--services S] [--repeat R] [--dir DIR]\n";
      return 2;
    }
  }
  if (args.services == 0 || args.findings == 0 || args.repeat < 1) {
    std::cerr << "bench_slo: counts must be positive\n";
    return 2;
  }
  const fs::path dir =
      args.dir.empty() ? fs::temp_directory_path() / fmt::format("bench-slo-{}", ::getpid()) : fs::path(args.dir);
  fs::create_directories(dir);
  const std::string path = (dir / fmt::format("slo-{}-{}.db", args.findings, args.services)).string();
  auto db = OpenDatabase(path);
  if (!db.ok()) Die(db.status());
  auto meta = (*db)->GetMeta("bench_slo");
  if (!meta.ok()) Die(meta.status());
  std::size_t events = 0;
  if (meta->has_value()) {
    std::size_t f = 0, s = 0;
    if (std::sscanf((*meta)->c_str(), "%zu %zu %zu", &f, &s, &events) != 3) Die(Status::Internal("bad bench meta"));
    std::cerr << "reusing " << path << "\n";
  } else {
    const auto g0 = Clock_::now();
    events = Generate(**db, args);
    std::cerr << fmt::format("generated {} findings, {} events in {:.1f} s (not timed)\n", args.findings, events,
                             Seconds(g0, Clock_::now()));
  }

  SloPolicy policy;  // built-in defaults
  SloService service(**db, policy);

  std::vector<double> read_s, status_s, gate_s;
  std::size_t rows = 0, units = 0;
  std::int64_t bad = 0;
  for (int r = 0; r < args.repeat; ++r) {
    read_s.push_back(ReadRows(path, &rows));
    const auto t0 = Clock_::now();
    auto st = service.Statuses({}, kNow);
    const auto t1 = Clock_::now();
    if (!st.ok()) Die(st.status());
    status_s.push_back(Seconds(t0, t1));
    units = st->size();
    bad = 0;
    for (const auto& u : *st) bad += u.figures.bad;
    for (int k = 0; k < 5; ++k) {
      const std::size_t svc = (static_cast<std::size_t>(r) * 5 + static_cast<std::size_t>(k)) * 37 % args.services;
      const auto g0 = Clock_::now();
      auto d = service.Gate({ServiceName(svc), "", false}, kNow);
      const auto g1 = Clock_::now();
      if (!d.ok()) Die(d.status());
      gate_s.push_back(Seconds(g0, g1));
    }
  }
  const double read = Median(read_s), status = Median(status_s), gate = Median(gate_s);
  std::cout << fmt::format(
      "history: {} findings, {} lifecycle events, {} services, {} units; {} bad deadlines in "
      "the 28-day windows\n",
      args.findings, events, args.services, units, bad);
  std::cout << fmt::format("{:<34} {:>9.3f} s  {:>10.0f} rows/s   1.00x\n", "read rows (baseline)", read,
                           static_cast<double>(rows) / read);
  std::cout << fmt::format("{:<34} {:>9.3f} s  {:>10.0f} rows/s   {:.2f}x the read time   goal < 1 s\n",
                           "full status, every unit", status, static_cast<double>(rows) / status, status / read);
  std::cout << fmt::format("{:<34} {:>9.1f} ms (median of {} gates)                goal < 50 ms\n",
                           "one service's gate", gate * 1000, gate_s.size());
  std::cout << fmt::format("memory: peak RSS {:.0f} MiB; allocator {}\n", PeakRssMiB(), AllocatorName());
  if (args.dir.empty()) fs::remove_all(dir);
  return 0;
}
