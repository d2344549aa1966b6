// bench/incident: incident timelines at scale, and the on-call roster.
//
//   bench_incident [--incidents N] [--entries M] [--repeat R]
//
// A SQLite file in a temporary directory gets N incidents through the
// service, as responders would write them: each declared, then M timeline
// entries (observations, decisions, a severity change that passes command,
// status changes, an action item) and resolved, one command (one
// transaction) at a time. Every tenth is a drill.
//
// Phases (medians of R, except the one-off write):
//   write          every command through IncidentService (commands/s)
//   read rows      IncidentStore::ListIncidentEvents for all: the floor
//   list           IncidentService::List: read + replay every timeline
//   metrics        IncidentService::ComputeMetrics over everything
//   show one       IncidentService::Get of one incident (median of 200 ids)
//   roster: yaml   parsing a 10-year roster's YAML alone: the floor
//   roster: load   ParseRoster of the same roster (validation + every slot)
//   roster: who    Roster::Who lookups over the 10 years
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "bench_util.h"
#include "common/allocator.h"
#include "common/yaml.h"
#include "incident/roster.h"
#include "incident/service.h"
#include "store/store.h"

using namespace secbudget;            // NOLINT
using namespace secbudget::incident;  // NOLINT
using namespace secbudget::bench;     // NOLINT

namespace {

using Clock_ = std::chrono::steady_clock;
double Seconds(Clock_::time_point a, Clock_::time_point b) { return std::chrono::duration<double>(b - a).count(); }

void Die(const Status& st) {
  std::cerr << "bench_incident: " << st.ToString() << "\n";
  std::exit(1);
}
template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) Die(r.status());
  return std::move(*r);
}

struct Args {
  std::size_t incidents = 2000;
  std::size_t entries = 20;
  int repeat = 3;
};

const TimePoint kStart = ParseTime("2026-01-05T00:00:00Z").value();

// A 10-year roster: 12 members, half-year terms of 6 (half carried over),
// a holiday a month, an override and a swap per term.
std::string RosterYaml() {
  std::string y =
      "apiVersion: secbudget.dev/v1\nkind: OnCallRoster\nmetadata: {name: bench}\nspec:\n  leader: lead\n"
      "  members: [";
  for (int m = 0; m < 12; ++m) y += fmt::format("{}m{:02}", m == 0 ? "" : ", ", m);
  y += "]\n  holidays: [";
  for (int year = 2026; year < 2036; ++year) {
    for (int month = 1; month <= 12; ++month) {
      y += fmt::format("{}{}-{:02}-15", year == 2026 && month == 1 ? "" : ", ", year, month);
    }
  }
  y += "]\n  terms:\n";
  for (int t = 0; t < 20; ++t) {
    const int year = 2026 + t / 2;
    y += fmt::format("    - name: {}-H{}\n      start: {}-{}-01\n      members: [", year, t % 2 + 1, year,
                     t % 2 == 0 ? "01" : "07");
    for (int k = 0; k < 6; ++k) y += fmt::format("{}m{:02}", k == 0 ? "" : ", ", (t * 3 + k) % 12);
    y += "]\n";
  }
  return y;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (std::strcmp(argv[i], "--incidents") == 0) {
      args.incidents = std::stoul(next());
    } else if (std::strcmp(argv[i], "--entries") == 0) {
      args.entries = std::stoul(next());
    } else if (std::strcmp(argv[i], "--repeat") == 0) {
      args.repeat = std::stoi(next());
    } else {
      std::cerr << "usage: bench_incident [--incidents N] [--entries M] [--repeat R]\n";
      return 2;
    }
  }
  const std::string roster_yaml = RosterYaml();
  const Roster roster = Must(ParseRoster(roster_yaml, "bench-roster.yaml"));

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("secbudget-bench-incident-{}", ::getpid());
  std::filesystem::create_directories(dir);
  auto db = Must(OpenDatabase((dir / "incidents.db").string()));
  SloPolicy slo_policy;
  SloService slo(*db, slo_policy);
  IncidentService service(*db, DefaultSeverityPolicy(), &roster, &slo);

  // Write: one command (transaction) at a time.
  Rng rng(11);
  std::size_t commands = 0;
  std::vector<std::string> ids;
  const auto w0 = Clock_::now();
  for (std::size_t i = 0; i < args.incidents; ++i) {
    const TimePoint t = kStart + static_cast<TimePoint>(i) * 4 * kHour + static_cast<TimePoint>(rng.Below(3600));
    DeclareRequest r;
    r.title = fmt::format("incident {}", i);
    r.severity = rng.Below(3) == 0 ? "SEV3" : "SEV4";
    r.by = "secbudget";  // raised by an alert: acknowledged later
    r.drill = i % 10 == 9;
    r.detected = t - static_cast<TimePoint>(rng.Below(1800));
    const std::string id = Must(service.Declare(r, t)).id;
    ids.push_back(id);
    ++commands;
    TimePoint at = t + 60 + static_cast<TimePoint>(rng.Below(900));
    Must(service.Acknowledge(id, "m01", at));
    ++commands;
    for (std::size_t e = 0; e < args.entries; ++e) {
      at += 60 + static_cast<TimePoint>(rng.Below(600));
      if (e == args.entries / 3) {
        Must(service.SetSeverity(id, "SEV2", "m01", "spreading", at));
      } else if (e == args.entries / 2) {
        Must(service.SetStatus(id, IncidentStatus::kMitigated, "m01", "contained", at));
      } else if (e == args.entries - 1) {
        Must(service.AddActionItem(id, "follow up", "m02", std::nullopt, "m01", at));
      } else {
        const EntryKind kind = e % 3 == 0 ? EntryKind::kDecision : EntryKind::kObservation;
        Must(service.Log(id, {kind, fmt::format("entry {} of {}", e, id), "m01", e % 7 == 0}, at));
      }
      ++commands;
    }
    Must(service.Resolve(id, "resolved", "m01", at + 600));
    ++commands;
  }
  const double write_s = Seconds(w0, Clock_::now());

  std::vector<double> read_s, list_s, metrics_s, show_s, yaml_s, load_s, who_s;
  std::size_t events = 0, replayed = 0;
  for (int r = 0; r < args.repeat; ++r) {
    auto t0 = Clock_::now();
    std::vector<IncidentEventRecord> rows;
    if (Status st = db->ListIncidentEvents("", &rows); !st.ok()) Die(st);
    read_s.push_back(Seconds(t0, Clock_::now()));
    events = rows.size();

    t0 = Clock_::now();
    replayed = Must(service.List()).size();
    list_s.push_back(Seconds(t0, Clock_::now()));

    t0 = Clock_::now();
    const Metrics m = Must(service.ComputeMetrics(0, kStart + 100 * 365 * kDay));
    metrics_s.push_back(Seconds(t0, Clock_::now()));
    if (m.total.incidents + m.drills_excluded != args.incidents) Die(Status::Internal("metrics miscounted"));

    std::vector<double> one;
    for (int k = 0; k < 200; ++k) {
      const auto g0 = Clock_::now();
      Must(service.Get(ids[rng.Below(ids.size())]));
      one.push_back(Seconds(g0, Clock_::now()));
    }
    show_s.push_back(Median(one));

    t0 = Clock_::now();
    Must(ParseYamlDocuments(roster_yaml, "bench-roster.yaml"));
    yaml_s.push_back(Seconds(t0, Clock_::now()));
    t0 = Clock_::now();
    Must(ParseRoster(roster_yaml, "bench-roster.yaml"));
    load_s.push_back(Seconds(t0, Clock_::now()));

    t0 = Clock_::now();
    std::size_t found = 0;
    const TimePoint span = 10 * 365 * kDay;
    for (int k = 0; k < 1'000'000; ++k) {
      found += roster.Who(kStart + static_cast<TimePoint>(rng.Below(static_cast<std::uint64_t>(span)))) ? 1 : 0;
    }
    who_s.push_back(Seconds(t0, Clock_::now()));
    if (found == 0) Die(Status::Internal("nobody ever on duty"));
  }
  std::filesystem::remove_all(dir);

  const double read = Median(read_s), list = Median(list_s);
  std::cout << fmt::format("bench_incident: {} incidents, {} timeline entries ({} commands), {} slots in the roster\n",
                           args.incidents, events, commands, roster.slots.size());
  std::cout << fmt::format("  write          {:>9.2f} s   {:>10.0f} commands/s (one transaction each)\n", write_s,
                           static_cast<double>(commands) / write_s);
  std::cout << fmt::format("  read rows      {:>9.1f} ms  {:>10.0f} entries/s   (baseline)\n", read * 1e3,
                           static_cast<double>(events) / read);
  std::cout << fmt::format(
      "  list           {:>9.1f} ms  {:>10.0f} entries/s   {:.2f}x the baseline's time, {} incidents\n", list * 1e3,
      static_cast<double>(events) / list, list / read, replayed);
  std::cout << fmt::format("  metrics        {:>9.1f} ms\n", Median(metrics_s) * 1e3);
  std::cout << fmt::format("  show one       {:>9.3f} ms\n", Median(show_s) * 1e3);
  std::cout << fmt::format("  roster: yaml   {:>9.2f} ms  (baseline)\n", Median(yaml_s) * 1e3);
  std::cout << fmt::format("  roster: load   {:>9.2f} ms  {:.2f}x the YAML parse\n", Median(load_s) * 1e3,
                           Median(load_s) / Median(yaml_s));
  std::cout << fmt::format("  roster: who    {:>9.0f} lookups/s\n", 1e6 / Median(who_s));
  std::cout << fmt::format("  peak RSS       {:>9.1f} MiB\n", PeakRssMiB());
  std::cout << fmt::format("  allocator      {}\n", AllocatorName());
  return 0;
}
