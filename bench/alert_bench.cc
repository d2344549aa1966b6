// bench/alert: raw alerts through suppression (10,000 rules), routing,
// inhibition, grouping and capacity, and as the baseline, merely reading the
// same alerts (parsing the JSON lines into Alert records).
//
//   bench_alert [--alerts N] [--suppressions S] [--repeat R] [--phase all|read|pipeline]
//
// --phase runs one phase only (for profilers: `--phase pipeline` under
// valgrind counts the pipeline and the stream's generation, not the read).
//
// The stream is generated once, deterministically, as JSON lines shaped
// like what the sources emit: 20 teams, 400 services, finding alerts over a
// pool of 60,000 CVEs with a finding's labels, SLO and detection alerts;
// 4% page, 46% ticket, 50% digest urgency. Simulated time advances 0.6 s
// per alert (1,000,000 alerts span about a week, so shifts and page budgets
// turn over); each alert resolves 2,000 alerts after it fired, so the
// engine holds a realistic working set; groups are flushed every 1,000
// alerts. 10,000 suppressions: 9,900 keyed by vulnerability (with a package
// or service scope), 100 scanned (regex and glob scopes only).
//
// Phases (medians of R, single thread: simdjson's iterate_many, like
// parse_many, runs its first stage on a worker thread unless told not to,
// which on the one core the goal allows only competes with the main thread;
// without it the pipeline took 0.91x the time in three rounds under
// taskset -c 1):
//   read       parse every line with simdjson (On-Demand) into an Alert (the baseline)
//   pipeline   read + Fire + Resolve + Flush through AlertEngine
#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <cstring>
#include <iostream>

#include "alert/engine.h"
#include "bench_util.h"
#include "common/allocator.h"

using namespace secbudget;         // NOLINT
using namespace secbudget::bench;  // NOLINT

namespace {

using Clock_ = std::chrono::steady_clock;
double Seconds(Clock_::time_point a, Clock_::time_point b) { return std::chrono::duration<double>(b - a).count(); }

constexpr std::size_t kTeams = 20, kServices = 400, kCvePool = 60000;
constexpr std::size_t kResolveLag = 2000;    // each alert resolves this many alerts after it fired
constexpr TimePoint kStart = 1'795'000'000;  // 2026-11-18

std::string Team(std::size_t i) { return fmt::format("team-{:02}", i % kTeams); }
std::string Service(std::size_t i) { return fmt::format("svc-{:03}", i % kServices); }

std::string Stream(std::size_t n) {
  Rng rng(7);
  std::string out;
  out.reserve(n * 600);
  const char* names[] = {"FindingPriority", "FindingOverdue", "FindingDueSoon", "SLOBurnRate", "DetectionSigma"};
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t svc = rng.Below(kServices);
    const std::size_t kind = rng.Below(100);
    const char* name = kind < 40   ? names[0]
                       : kind < 65 ? names[1]
                       : kind < 85 ? names[2]
                       : kind < 92 ? names[3]
                                   : names[4];
    const std::size_t u = rng.Below(100);
    const char* urgency = u < 4 ? "page" : u < 50 ? "ticket" : "digest";
    const std::size_t cve = rng.Below(kCvePool);
    const std::string env = rng.Below(10) < 7 ? "prod" : "staging";
    out += fmt::format(
        R"({{"dedup_key":"a/{}","source":"{}","name":"{}","urgency":"{}","owner":"{}","summary":"{} {} in pkg-{} on {}",)"
        R"("rank":{:.2f},"labels":{{"service":"{}","environment":"{}","vulnerability":"{}","package":"pkg-{}",)"
        R"("priority":"P{}","severity":"high","finding":"{:016x}","asset":"asset-{}","kind":"vulnerability"}},)"
        R"("annotations":{{"due_at":"2026-11-25T00:00:00Z","score":"{:.1f}"}}}})"
        "\n",
        i,
        kind < 85   ? "triage"
        : kind < 92 ? "slo"
                    : "detect",
        name, urgency, Team(svc), name, CveId(cve), cve % 5000, Service(svc), rng.Unit() * 100, Service(svc), env,
        CveId(cve), cve % 5000, 1 + rng.Below(4), rng.Next(), svc, rng.Unit() * 10);
  }
  return out;
}

AlertPolicy Policy(std::size_t suppressions) {
  AlertPolicy p;
  p.configured = true;
  Receiver r;
  r.name = "hook";
  p.receivers[r.name] = r;
  p.root.receiver = "hook";
  p.root.path = "0";
  p.root.group_by = {"team", "alertname"};
  p.root.group_wait = 30;
  Route page;
  page.path = "0.0";
  page.matchers.push_back(*Matcher::Parse(R"(urgency="page")"));
  page.group_by = {"team", "service", "alertname"};
  page.group_wait = 0;
  p.root.routes.push_back(page);
  Route staging;
  staging.path = "0.1";
  staging.matchers.push_back(*Matcher::Parse(R"(environment="staging")"));
  staging.matchers.push_back(*Matcher::Parse(R"(source="triage")"));
  staging.urgency = Urgency::kDigest;
  p.root.routes.push_back(staging);
  InhibitRule rule;
  rule.source.push_back(*Matcher::Parse(R"(alertname="FindingOverdue")"));
  rule.target.push_back(*Matcher::Parse(R"(alertname="FindingDueSoon")"));
  rule.equal = {"finding"};
  p.inhibit_rules.push_back(rule);
  p.capacity.default_pages = 5;
  Rng rng(11);
  for (std::size_t i = 0; i < suppressions; ++i) {
    Suppression s;
    s.id = fmt::format("s-{}", i);
    s.reason = "bench";
    s.owner = Team(i);
    s.approver = "ciso";
    s.created = kStart - kDay;
    s.expires = kStart + (rng.Below(10) + 1) * kDay;
    if (i % 100 == 99) {
      s.matchers.push_back(*Matcher::Parse(fmt::format(R"(summary=~".*pkg-{}9.*")", i % 500)));
      s.services.push_back(fmt::format("svc-{}*", i % 40));
    } else {
      s.matchers.push_back(*Matcher::Parse(fmt::format(R"(vulnerability="{}")", CveId(rng.Below(kCvePool)))));
      if (i % 2 == 0) {
        s.matchers.push_back(*Matcher::Parse(fmt::format(R"(package="pkg-{}")", rng.Below(5000))));
      } else {
        s.services.push_back(Service(rng.Below(kServices)));
      }
    }
    p.suppressions.push_back(std::move(s));
  }
  return p;
}

// Parses one line into `a` (the baseline's work, and the pipeline's first
// step) with simdjson's On-Demand API, which reads the values where they
// stand instead of building a tape of the whole line first: one walk over
// the members, each set built in one block with room for what the pipeline
// adds (alertname, source, urgency and team labels; the summary
// annotation). Returns false on a malformed line.
bool ReadAlert(simdjson::ondemand::document_reference doc, Alert& a) {
  using simdjson::SUCCESS;
  thread_local std::vector<std::pair<std::string_view, std::string_view>> members;
  a.labels.clear();
  a.annotations.clear();
  a.rank = 0;
  simdjson::ondemand::object top;
  if (doc.get_object().get(top) != SUCCESS) return false;
  for (auto field : top) {
    // The top-level names compared as they stand in the line (On-Demand's
    // own field look-up does the same): no copy of each into the string buffer.
    simdjson::ondemand::raw_json_string k;
    std::string_view v;
    if (field.key().get(k) != SUCCESS) return false;
    simdjson::ondemand::value value;
    if (field.value().get(value) != SUCCESS) return false;
    if (k == "labels" || k == "annotations") {
      const bool labels = k == "labels";
      members.clear();
      simdjson::ondemand::object obj;
      if (value.get_object().get(obj) != SUCCESS) return false;
      for (auto member : obj) {
        std::string_view name;
        if (member.unescaped_key().get(name) != SUCCESS) return false;
        if (member.value().get_string().get(v) == SUCCESS) members.emplace_back(name, v);
      }
      if (labels) {
        a.labels.Assign(members.data(), members.size(), 4);
      } else {
        a.annotations.Assign(members.data(), members.size(), 1);
      }
    } else if (k == "rank") {
      double rank = 0;
      if (value.get_double().get(rank) == SUCCESS) a.rank = rank;
    } else if (value.get_string().get(v) == SUCCESS) {
      if (k == "dedup_key") {
        a.dedup_key = v;
      } else if (k == "source") {
        a.source = v;
      } else if (k == "name") {
        a.name = v;
      } else if (k == "urgency") {
        a.urgency = ParseUrgency(v).value_or(Urgency::kTicket);
      } else if (k == "owner") {
        a.owner = v;
      } else if (k == "summary") {
        a.summary = v;
      }
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 1'000'000, suppressions = 10'000, repeat = 3;
  std::string phase = "all";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--alerts")
      n = v;
    else if (flag == "--suppressions")
      suppressions = v;
    else if (flag == "--repeat")
      repeat = v;
    else if (flag == "--phase" && (std::string_view(argv[i + 1]) == "all" || std::string_view(argv[i + 1]) == "read" ||
                                   std::string_view(argv[i + 1]) == "pipeline"))
      phase = argv[i + 1];
    else {
      std::cerr << "usage: bench_alert [--alerts N] [--suppressions S] [--repeat R] [--phase all|read|pipeline]\n";
      return 2;
    }
  }
  std::cout << fmt::format("generating {} alerts and {} suppressions...\n", n, suppressions);
  const std::string stream = Stream(n);
  const AlertPolicy policy = Policy(suppressions);
  const simdjson::padded_string padded(stream);

  std::vector<double> read_s, pipe_s;
  std::size_t suppressed = 0, paged = 0, shed = 0, grouped = 0, notifications = 0, decisions = 0;
  double rss_after = 0;
  for (std::size_t r = 0; r < repeat; ++r) {
    if (phase != "pipeline") {
      simdjson::ondemand::parser parser;
      parser.threaded = false;  // one thread (see the top)
      simdjson::ondemand::document_stream docs;
      if (parser.iterate_many(padded).get(docs) != simdjson::SUCCESS) return 1;
      Alert a;
      std::size_t count = 0, bytes = 0;
      const auto t0 = Clock_::now();
      for (auto doc : docs) {
        if (doc.error() != simdjson::SUCCESS || !ReadAlert(doc.value_unsafe(), a)) return 1;
        bytes += a.labels.size() + a.dedup_key.size();
        ++count;
      }
      read_s.push_back(Seconds(t0, Clock_::now()));
      if (count != n || bytes == 0) return 1;
    }
    if (phase != "read") {
      simdjson::ondemand::parser parser;
      parser.threaded = false;  // one thread (see the top)
      simdjson::ondemand::document_stream docs;
      if (parser.iterate_many(padded).get(docs) != simdjson::SUCCESS) return 1;
      AlertEngine engine(policy);
      // The keys of the last kResolveLag alerts, to resolve each one kResolveLag
      // alerts after it fired. A ring whose strings keep their buffers: the
      // harness allocates nothing per alert and touches no fresh memory.
      std::vector<std::string> keys(kResolveLag);
      std::string fired;
      std::size_t i = 0;
      std::size_t local_decisions = 0, local_notifications = 0;
      std::size_t counts[16] = {};
      const auto t0 = Clock_::now();
      engine.BeginEvaluation(kStart);
      for (auto doc : docs) {
        if (doc.error() != simdjson::SUCCESS) return 1;
        const TimePoint now = kStart + static_cast<TimePoint>(i * 6 / 10);
        Alert a;
        if (!ReadAlert(doc.value_unsafe(), a)) return 1;
        fired = a.dedup_key;
        engine.Fire(std::move(a), now);
        std::string& slot = keys[i % kResolveLag];
        if (i >= kResolveLag) engine.Resolve(slot, now);  // the alert fired kResolveLag alerts ago
        slot.swap(fired);
        if (i % 1000 == 999) {
          engine.Flush(now);
          for (const AlertDecision& d : engine.TakeDecisions()) {
            ++counts[static_cast<int>(d.outcome)];
            ++local_decisions;
          }
          local_notifications += engine.TakeNotifications().size();
        }
        ++i;
      }
      pipe_s.push_back(Seconds(t0, Clock_::now()));
      rss_after = CurrentRssMiB();
      suppressed = counts[static_cast<int>(AlertOutcome::kSuppressed)];
      paged = counts[static_cast<int>(AlertOutcome::kPaged)];
      shed = counts[static_cast<int>(AlertOutcome::kShed)];
      grouped = counts[static_cast<int>(AlertOutcome::kGrouped)];
      decisions = local_decisions;
      notifications = local_notifications;
    }
  }
  const double read = Median(read_s), pipe = Median(pipe_s);
  const double mb = static_cast<double>(stream.size()) / 1e6;
  std::cout << fmt::format("{} alerts ({:.0f} MB of JSON lines), {} suppressions, median of {}\n\n", n, mb,
                           suppressions, repeat);
  std::cout << fmt::format("{:<58} {:>9} {:>13} {:>9}\n", "phase", "seconds", "alerts/s", "vs read");
  if (!read_s.empty()) {
    std::cout << fmt::format("{:<58} {:>9.3f} {:>13.0f} {:>8.2f}x\n", "read: parse each line into an Alert (baseline)",
                             read, n / read, 1.0);
  }
  if (pipe_s.empty()) return 0;
  std::cout << fmt::format("{:<58} {:>9.3f} {:>13.0f} {:>8.2f}x\n",
                           "pipeline: read + suppress, route, inhibit, group, capacity", pipe, n / pipe,
                           read_s.empty() ? 0.0 : read / pipe);
  std::cout << fmt::format("\ndecisions {} (suppressed {}, paged {}, shed {}, grouped {}), notifications {}\n",
                           decisions, suppressed, paged, shed, grouped, notifications);
  std::cout << fmt::format("resident set after the pipeline {:.0f} MiB, peak {:.0f} MiB; allocator {}\n", rss_after,
                           PeakRssMiB(), AllocatorName());
  std::cout << fmt::format("goal: >= 500,000 alerts/s on one core: {}\n", n / pipe >= 500000 ? "met" : "NOT met");
  return 0;
}
