// bench/detect: Sigma detection over a large CloudTrail JSON-lines file,
// beside two baselines measured in the same run on the same file.
//
//   bench_detect [--mb M] [--repeat R] [--threads T] [--shared DIR] [--rules DIR]
//                [--out FILE] [--keep] [--no-jq]
//
// The file (M MiB, default 1024) is generated from the real CloudTrail events
// of the shared data set (stratus-red-team and panther-analysis test events,
// 492 lines, every shape as recorded: nested userIdentity, request and
// response objects, error events, a few lower-case-key variants). Each output
// line is one of them, drawn at random, with its varying values replaced:
// eventID and requestID (random UUIDs), eventTime (increasing, 20 events a
// second), and per event a principal drawn from 500 (its account among 40,
// the account in userIdentity.arn, userIdentity.principalId's unique id, its
// usual region and source IP, with 10-15% of events elsewhere). Values that
// are not of the varied kind stay as recorded (sourceIPAddress
// "ec2.amazonaws.com", a root principalId already equal to the account).
// The file is written to --out (default under /tmp) with a .meta sidecar;
// a later run with the same size and templates reuses it. It is deleted at
// the end unless --keep.
//
// Rules: every rule under DIR/sigma/rules/cloud (aws, azure, gcp, m365; only
// the rules of the cloudtrail log type run on these events), with the
// built-in log types.
//
// Phases (each repetition runs all of them, medians of R are reported):
//   simdjson   read the file in 4 MiB chunks, dom::parser::parse every line
//              and walk every value (the practical limit of a DOM parser)
//   jq         jq -c 'select(.eventName=="ConsoleLogin")' FILE > /dev/null
//   engine x1  Detector::Run, every cloud rule, 1 thread
//   engine xT  the same with T threads (default 2)
//
// Memory: every phase runs in a child forked for it, and its peak resident
// set is the child's ru_maxrss from wait4(). Measuring getrusage(RUSAGE_SELF)
// in one process would report the largest peak of every phase so far, so the
// engine's figure would hide behind the baseline's (or the reverse). A forked
// child starts with the parent's resident pages mapped, so each figure
// includes that floor (printed: the rule set, the templates, the libraries);
// the parent never holds the file. The engine children also record their
// peak when the first hit from beyond a quarter of the file arrives. Bounded
// memory looks like a peak reached early that the other three quarters do
// not move beyond a few MiB of scheduling noise, and the same figures from a
// smaller and a larger --mb. Peaks are the largest over the repetitions.
#include <fcntl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "common/allocator.h"
#include "common/time.h"
#include "detect/detector.h"
#include "detect/logsource.h"
#include "detect/sigma/ruleset.h"

#ifndef SB_SHARED_DATA_DIR
#define SB_SHARED_DATA_DIR "../shared/data"
#endif

using namespace secbudget;         // NOLINT
using namespace secbudget::bench;  // NOLINT
namespace fs = std::filesystem;

namespace {

using Clock_ = std::chrono::steady_clock;
double Seconds(Clock_::time_point a, Clock_::time_point b) { return std::chrono::duration<double>(b - a).count(); }

constexpr std::uint64_t kSeed = 2026;
constexpr std::size_t kPrincipals = 500;
constexpr std::size_t kAccounts = 40;
constexpr std::uint64_t kEventsPerSecond = 20;
constexpr std::size_t kReadChunk = std::size_t{4} << 20;
constexpr const char* kRegions[] = {"us-east-1",      "us-east-1", "us-east-1",    "us-west-2",
                                    "us-east-2",      "eu-west-1", "eu-central-1", "ap-south-1",
                                    "ap-northeast-1", "sa-east-1", "ca-central-1", "ap-southeast-2"};

std::uint64_t Mix(std::uint64_t x) { return Rng(x).Next(); }

// ---------------------------------------------------------------- generator

enum class HoleKind : std::uint8_t {
  kEventId,
  kRequestId,
  kEventTime,
  kSourceIp,
  kArn,
  kPrincipalId,
  kAccountId,
  kRegion
};

struct Hole {
  HoleKind kind;
  std::string before;      // kArn: text before the account; kPrincipalId: the id's prefix ("AROA")
  std::string after;       // kArn: after the account; kPrincipalId: ":session" or ""
  std::size_t id_len = 0;  // kPrincipalId: random characters after the prefix (0 = the account)
};

// A recorded event as text segments with holes between them:
// text[0] hole[0] text[1] ... hole[n-1] text[n].
struct Template {
  std::vector<std::string> text{std::string()};
  std::vector<Hole> holes;
};

void AppendEscaped(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  out += '"';
}

bool IsIpv4(std::string_view s) {
  int dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3 && !s.empty() && s.front() != '.';
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The hole for a string value at `field` (compared case-insensitively: a few
// recorded events spell every key in lower case), if it is a varied field.
bool MakeHole(const std::string& field, std::string_view v, Hole* h) {
  std::string path = field;
  std::transform(path.begin(), path.end(), path.begin(), [](unsigned char c) { return std::tolower(c); });
  if (path == "eventid") {
    h->kind = HoleKind::kEventId;
  } else if (path == "requestid") {
    h->kind = HoleKind::kRequestId;
  } else if (path == "eventtime") {
    h->kind = HoleKind::kEventTime;
  } else if (path == "awsregion") {
    h->kind = HoleKind::kRegion;
  } else if (path == "sourceipaddress") {
    if (!IsIpv4(v)) return false;  // "ec2.amazonaws.com", "AWS Internal": kept
    h->kind = HoleKind::kSourceIp;
  } else if (path == "useridentity.accountid" || path == "recipientaccountid") {
    if (!AllDigits(v)) return false;
    h->kind = HoleKind::kAccountId;
  } else if (path == "useridentity.arn") {
    // arn:partition:service:region:ACCOUNT:resource
    std::size_t start = 0;
    for (int i = 0; i < 4 && start != std::string_view::npos; ++i) {
      start = v.find(':', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start == std::string_view::npos) return false;
    const std::size_t end = v.find(':', start);
    if (end == std::string_view::npos || !AllDigits(v.substr(start, end - start))) return false;
    h->kind = HoleKind::kArn;
    h->before = std::string(v.substr(0, start));
    h->after = std::string(v.substr(end));
  } else if (path == "useridentity.principalid") {
    h->kind = HoleKind::kPrincipalId;
    if (AllDigits(v)) return true;  // the root principal: the account itself
    const std::size_t colon = v.find(':');
    const std::string_view id = v.substr(0, colon);
    if (id.size() < 12 ||
        !std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); })) {
      return false;
    }
    h->before = std::string(id.substr(0, 4));
    h->id_len = id.size() - 4;
    h->after = colon == std::string_view::npos ? std::string() : std::string(v.substr(colon));
  } else {
    return false;
  }
  return true;
}

void Emit(simdjson::dom::element e, const std::string& path, Template& t) {
  std::string& out = t.text.back();
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      out += '{';
      bool first = true;
      for (auto field : simdjson::dom::object(e)) {
        if (!first) t.text.back() += ',';
        first = false;
        AppendEscaped(t.text.back(), field.key);
        t.text.back() += ':';
        Emit(field.value, path.empty() ? std::string(field.key) : path + "." + std::string(field.key), t);
      }
      t.text.back() += '}';
      return;
    }
    case simdjson::dom::element_type::ARRAY: {
      out += '[';
      bool first = true;
      for (auto item : simdjson::dom::array(e)) {
        if (!first) t.text.back() += ',';
        first = false;
        Emit(item, path, t);
      }
      t.text.back() += ']';
      return;
    }
    case simdjson::dom::element_type::STRING: {
      const std::string_view v(e.get_string().value_unsafe());
      Hole h{};
      if (MakeHole(path, v, &h)) {
        t.holes.push_back(std::move(h));
        t.text.emplace_back();
      } else {
        AppendEscaped(out, v);
      }
      return;
    }
    default: out += simdjson::minify(e); return;
  }
}

struct Corpus {
  std::vector<Template> templates;
  std::vector<std::string> files;
  std::uint64_t digest = 1469598103934665603ULL;  // FNV-1a over the files' bytes
};

// Reads every event line of the two CloudTrail sets under `shared`.
Corpus LoadTemplates(const std::string& shared) {
  Corpus c;
  std::vector<fs::path> paths;
  for (const char* set : {"stratus-red-team", "panther-analysis"}) {
    const fs::path dir = fs::path(shared) / "logs" / "cloudtrail" / set;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".jsonl") paths.push_back(entry.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  simdjson::dom::parser parser;
  for (const fs::path& p : paths) {
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
      for (char ch : line) c.digest = (c.digest ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
      simdjson::dom::element root;
      if (parser.parse(line).get(root) != simdjson::SUCCESS || root.type() != simdjson::dom::element_type::OBJECT) {
        continue;
      }
      Template t;
      Emit(root, "", t);
      c.templates.push_back(std::move(t));
    }
    c.files.push_back(p.string());
  }
  return c;
}

std::string Uuid(Rng& rng) {
  const std::uint64_t a = rng.Next(), b = rng.Next();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

std::string Ipv4(std::uint64_t h) {
  // Public-looking unicast: first octet 3..222, not 10, 127, 172 or 192.
  unsigned a = 3 + static_cast<unsigned>(h % 220);
  if (a == 10 || a == 127 || a == 172 || a == 192) ++a;
  return fmt::format("{}.{}.{}.{}", a, (h >> 8) & 0xff, (h >> 16) & 0xff, 1 + ((h >> 24) % 254));
}

struct Generated {
  std::uint64_t bytes = 0;
  std::uint64_t lines = 0;
};

// Writes events until at least `target` bytes; whole lines only.
bool Generate(const Corpus& corpus, std::uint64_t target, const std::string& out_path, Generated* g) {
  std::FILE* f = std::fopen(out_path.c_str(), "wb");
  if (f == nullptr) return false;
  std::vector<std::string> accounts;
  for (std::size_t i = 0; i < kAccounts; ++i)
    accounts.push_back(fmt::format("{:012}", Mix(kSeed + i) % 1000000000000ULL));
  static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const TimePoint start = DaysFromCivil(2026, 3, 1) * kDay;
  Rng rng(kSeed);
  std::string buf;
  buf.reserve(kReadChunk + 65536);
  std::string time_text;
  TimePoint time_cached = -1;
  std::uint64_t i = 0;
  while (g->bytes < target) {
    const Template& t = corpus.templates[rng.Below(corpus.templates.size())];
    const std::size_t principal = rng.Below(kPrincipals);
    const std::uint64_t ph = Mix(kSeed * 7919 + principal);
    const std::string& account = accounts[principal % kAccounts];
    const std::size_t roll = rng.Below(100);
    const TimePoint now = start + static_cast<TimePoint>(i / kEventsPerSecond);
    const std::size_t before = buf.size();
    for (std::size_t k = 0; k < t.holes.size(); ++k) {
      buf += t.text[k];
      const Hole& h = t.holes[k];
      buf += '"';
      switch (h.kind) {
        case HoleKind::kEventId:
        case HoleKind::kRequestId: buf += Uuid(rng); break;
        case HoleKind::kEventTime:
          if (now != time_cached) {
            time_cached = now;
            time_text = FormatTime(now);
          }
          buf += time_text;
          break;
        case HoleKind::kSourceIp: buf += Ipv4(roll < 85 ? ph : rng.Next()); break;
        case HoleKind::kArn:
          buf += h.before;
          buf += account;
          buf += h.after;
          break;
        case HoleKind::kPrincipalId:
          if (h.id_len == 0) {
            buf += account;
          } else {
            buf += h.before;
            std::uint64_t x = Mix(ph ^ h.id_len);
            for (std::size_t c = 0; c < h.id_len; ++c) {
              if (c % 12 == 11) x = Mix(x);
              buf += kBase32[(x >> (5 * (c % 12))) & 31];
            }
            buf += h.after;
          }
          break;
        case HoleKind::kAccountId: buf += account; break;
        case HoleKind::kRegion:
          buf += kRegions[roll < 90 ? (ph >> 40) % std::size(kRegions) : rng.Below(std::size(kRegions))];
          break;
      }
      buf += '"';
    }
    buf += t.text.back();
    buf += '\n';
    g->bytes += buf.size() - before;
    ++g->lines;
    ++i;
    if (buf.size() >= kReadChunk) {
      if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
        std::fclose(f);
        return false;
      }
      buf.clear();
    }
  }
  const bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  return std::fclose(f) == 0 && ok;
}

std::string MetaLine(std::uint64_t target, const Corpus& c) {
  return fmt::format("bench_detect v2 target={} seed={} templates={} digest={:016x}", target, kSeed, c.templates.size(),
                     c.digest);
}

// Whether the existing file was generated from the same inputs (its
// sidecar) and still has its size; fills in its size and line count.
bool Reusable(const std::string& path, const std::string& meta_line, Generated* g) {
  std::ifstream meta(path + ".meta");
  std::string head;
  if (!std::getline(meta, head) || head != meta_line) return false;
  if (!(meta >> g->bytes >> g->lines)) return false;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return !ec && size == g->bytes;
}

// ------------------------------------------------------------------ phases

// What a phase's child reports back through a pipe (plain data only).
struct PhaseResult {
  int ok = 0;
  double seconds = 0;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  std::uint64_t elements = 0;  // simdjson: values walked
  std::uint64_t hits = 0;
  std::uint64_t rules_hit = 0;
  std::uint64_t malformed = 0;
  std::uint64_t unrecognised = 0;
  double quarter_rss_mib = 0;  // engine: peak RSS when a quarter of the file was done
};

struct PhaseRun {
  PhaseResult r;
  double maxrss_mib = 0;
  double cpu_seconds = 0;
};

double RusageMiB(const rusage& ru) { return static_cast<double>(ru.ru_maxrss) / 1024.0; }
double Cpu(const rusage& ru) {
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Runs fn() in a forked child; the parent is single-threaded here.
bool InChild(const std::function<PhaseResult()>& fn, PhaseRun* run) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  std::cout.flush();
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    close(fds[0]);
    const PhaseResult r = fn();
    const char* p = reinterpret_cast<const char*>(&r);
    std::size_t left = sizeof r;
    while (left > 0) {
      const ssize_t n = write(fds[1], p, left);
      if (n <= 0) _exit(3);
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  PhaseResult r;
  char* p = reinterpret_cast<char*>(&r);
  std::size_t got = 0;
  while (got < sizeof r) {
    const ssize_t n = read(fds[0], p + got, sizeof r - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) != pid) return false;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != sizeof r || r.ok == 0) return false;
  run->r = r;
  run->maxrss_mib = RusageMiB(ru);
  run->cpu_seconds = Cpu(ru);
  return true;
}

std::uint64_t Walk(simdjson::dom::element e, std::uint64_t* text_bytes) {
  std::uint64_t n = 1;
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT:
      for (auto field : simdjson::dom::object(e)) {
        *text_bytes += field.key.size();
        n += Walk(field.value, text_bytes);
      }
      break;
    case simdjson::dom::element_type::ARRAY:
      for (auto item : simdjson::dom::array(e)) n += Walk(item, text_bytes);
      break;
    case simdjson::dom::element_type::STRING: *text_bytes += e.get_string().value_unsafe().size(); break;
    default: break;
  }
  return n;
}

// Baseline 1: every line parsed with simdjson's DOM, every value visited.
PhaseResult SimdjsonPhase(const std::string& path) {
  PhaseResult r;
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return r;
  simdjson::dom::parser parser;
  std::string buf;
  std::size_t have = 0;  // bytes carried over from the previous chunk
  std::uint64_t text_bytes = 0;
  const auto t0 = Clock_::now();
  while (true) {
    buf.resize(have + kReadChunk + simdjson::SIMDJSON_PADDING);
    const ssize_t n = read(fd, buf.data() + have, kReadChunk);
    if (n < 0) {
      close(fd);
      return r;
    }
    const std::size_t size = have + static_cast<std::size_t>(n);
    const bool eof = n == 0;
    const char* p = buf.data();
    const char* end = p + size;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (nl == nullptr && !eof) break;
      const char* stop = nl != nullptr ? nl : end;
      const auto len = static_cast<std::size_t>(stop - p);
      if (len > 0) {
        simdjson::dom::element root;
        if (parser.parse(p, len, false).get(root) != simdjson::SUCCESS) {
          ++r.malformed;
        } else {
          r.elements += Walk(root, &text_bytes);
          ++r.events;
        }
      }
      r.bytes += len + (nl != nullptr ? 1 : 0);
      p = nl != nullptr ? nl + 1 : end;
    }
    have = static_cast<std::size_t>(end - p);
    std::memmove(buf.data(), p, have);
    if (eof) break;
  }
  r.seconds = Seconds(t0, Clock_::now());
  close(fd);
  r.ok = text_bytes > 0 ? 1 : 0;
  return r;
}

double PeakRssNow() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return RusageMiB(ru);
}

PhaseResult EnginePhase(const detect::sigma::RuleSet& set, const std::string& path, int threads, std::uint64_t lines) {
  PhaseResult r;
  detect::DetectOptions opts;
  opts.threads = threads;
  detect::Detector detector(set, nullptr, opts);
  detect::DetectStats stats;
  std::uint64_t hits = 0;
  const std::uint64_t quarter = lines / 4;
  const auto t0 = Clock_::now();
  Status st = detector.Run(
      {path},
      [&](const detect::Hit& h) {
        ++hits;
        if (r.quarter_rss_mib == 0 && h.line >= quarter) r.quarter_rss_mib = PeakRssNow();
      },
      &stats);
  r.seconds = Seconds(t0, Clock_::now());
  if (!st.ok()) {
    std::cerr << "bench_detect: " << st.ToString() << "\n";
    return r;
  }
  r.events = stats.events;
  r.bytes = stats.bytes;
  r.hits = hits;
  r.rules_hit = stats.per_rule.size();
  r.malformed = stats.malformed;
  r.unrecognised = stats.unrecognised;
  r.ok = 1;
  return r;
}

bool OnPath(const char* program) {
  const char* env = std::getenv("PATH");
  std::stringstream ss(env != nullptr ? env : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Baseline 2: jq as a subprocess, stdout to /dev/null.
bool JqPhase(const std::string& path, PhaseRun* run) {
  std::cout.flush();
  std::fflush(stdout);
  const auto t0 = Clock_::now();
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, 1) < 0) _exit(126);
    execlp("jq", "jq", "-c", R"(select(.eventName=="ConsoleLogin"))", path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) != pid) return false;
  run->r.seconds = Seconds(t0, Clock_::now());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return false;
  run->r.ok = 1;
  run->maxrss_mib = RusageMiB(ru);
  run->cpu_seconds = Cpu(ru);
  return true;
}

struct Options {
  double mb = 1024;
  std::size_t repeat = 3;
  int threads = 2;
  std::string shared = SB_SHARED_DATA_DIR;
  std::string rules;  // "" = shared/sigma/rules/cloud
  std::string out;    // "" = /tmp/secbudget-bench-detect-<mb>mb.jsonl
  bool keep = false;
  bool jq = true;
};

int Usage() {
  std::cerr << "usage: bench_detect [--mb M] [--repeat R] [--threads T] [--shared DIR] [--rules DIR]\n"
               "                    [--out FILE] [--keep] [--no-jq]\n";
  return 2;
}

struct Summary {
  std::string name;
  std::vector<double> seconds, cpu;
  double rss = 0;  // the largest peak over the repetitions
  double Mid() const { return Median(seconds); }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--keep") {
      o.keep = true;
      continue;
    }
    if (flag == "--no-jq") {
      o.jq = false;
      continue;
    }
    if (i + 1 >= argc) return Usage();
    const std::string v = argv[++i];
    if (flag == "--mb") {
      o.mb = std::strtod(v.c_str(), nullptr);
    } else if (flag == "--repeat") {
      o.repeat = std::strtoull(v.c_str(), nullptr, 10);
    } else if (flag == "--threads") {
      o.threads = std::atoi(v.c_str());
    } else if (flag == "--shared") {
      o.shared = v;
    } else if (flag == "--rules") {
      o.rules = v;
    } else if (flag == "--out") {
      o.out = v;
    } else {
      return Usage();
    }
  }
  if (o.mb <= 0 || o.repeat == 0 || o.threads < 1) return Usage();
  if (o.rules.empty()) o.rules = o.shared + "/sigma/rules/cloud";
  const auto target = static_cast<std::uint64_t>(o.mb * 1024 * 1024);
  if (o.out.empty()) o.out = fmt::format("/tmp/secbudget-bench-detect-{}mb.jsonl", target >> 20);

  std::error_code ec;
  if (!fs::is_directory(fs::path(o.shared) / "logs" / "cloudtrail", ec) || !fs::is_directory(o.rules, ec)) {
    std::cout << fmt::format(
        "bench_detect: skipped: no shared data (need {}/logs/cloudtrail and {}); "
        "set --shared\n",
        o.shared, o.rules);
    return 0;
  }

  // Rules first: the parent holds them, so every child's RSS floor includes them.
  const detect::LogSourceConfig cfg = detect::LogSourceConfig::Defaults();
  detect::sigma::RuleSet set(detect::sigma::LoadRules({o.rules}, cfg.placeholders), cfg);
  std::size_t serving = 0;
  for (std::size_t i = 0; i < set.rules().size(); ++i) {
    const auto routes = set.Routes(static_cast<int>(i));
    if (std::find(routes.begin(), routes.end(), "cloudtrail") != routes.end()) ++serving;
  }
  const auto index = set.Stats();
  std::cout << fmt::format(
      "rules: {} file(s) under {}, {} rule(s) loaded, {} rejected; {} serve cloudtrail "
      "(prefilter: {} indexed, {} on every event)\n",
      set.files().size(), o.rules, set.rules().size(), set.rejected().size(), serving, index.indexed, index.unindexed);
  std::cout << fmt::format("allocator: {}\n", AllocatorName());

  const Corpus corpus = LoadTemplates(o.shared);
  if (corpus.templates.empty()) {
    std::cout << "bench_detect: skipped: no CloudTrail events under " << o.shared << "/logs/cloudtrail\n";
    return 0;
  }
  std::size_t holes = 0;
  for (const Template& t : corpus.templates) holes += t.holes.size();
  std::cout << fmt::format("templates: {} real events from {} file(s), {:.1f} varied values per event\n",
                           corpus.templates.size(), corpus.files.size(),
                           static_cast<double>(holes) / static_cast<double>(corpus.templates.size()));

  // The file: reused when its sidecar matches, removed at the end unless --keep.
  const std::string meta_line = MetaLine(target, corpus);
  Generated gen;
  if (Reusable(o.out, meta_line, &gen)) {
    std::cout << fmt::format("reusing {} ({} bytes, {} events)\n", o.out, gen.bytes, gen.lines);
  } else {
    std::cout << fmt::format("generating {} ({:.0f} MiB)...\n", o.out, o.mb);
    std::cout.flush();
    const auto t0 = Clock_::now();
    if (!Generate(corpus, target, o.out, &gen)) {
      std::cerr << "bench_detect: cannot write " << o.out << "\n";
      return 1;
    }
    std::ofstream(o.out + ".meta") << meta_line << "\n" << gen.bytes << " " << gen.lines << "\n";
    std::cout << fmt::format("generated {} bytes, {} events in {:.2f} s (not timed below)\n", gen.bytes, gen.lines,
                             Seconds(t0, Clock_::now()));
  }
  struct Cleanup {
    const Options& opts;
    ~Cleanup() {
      if (opts.keep) return;
      std::error_code e;
      fs::remove(opts.out, e);
      fs::remove(opts.out + ".meta", e);
    }
  } cleanup{o};

  const bool jq = o.jq && OnPath("jq");
  if (o.jq && !jq) std::cout << "jq: not found, that baseline is skipped (scripts/deps.sh --test installs it)\n";
  const double floor_mib = CurrentRssMiB();

  Summary simd{"simdjson DOM: parse every line, walk every value (baseline)", {}, {}, 0};
  Summary jqs{"jq -c 'select(.eventName==\"ConsoleLogin\")' > /dev/null", {}, {}, 0};
  Summary e1{"secbudget detect: every cloud rule, 1 thread", {}, {}, 0};
  Summary en{fmt::format("secbudget detect: every cloud rule, {} threads", o.threads), {}, {}, 0};
  PhaseResult simd_last, e1_last, en_last;
  double e1_quarter = 0, en_quarter = 0;  // the largest over the repetitions, as Summary::rss
  auto record = [](Summary& s, const PhaseRun& run) {
    s.seconds.push_back(run.r.seconds);
    s.cpu.push_back(run.cpu_seconds);
    s.rss = std::max(s.rss, run.maxrss_mib);
  };
  for (std::size_t rep = 0; rep < o.repeat; ++rep) {
    std::cout << fmt::format("repetition {}/{}: simdjson", rep + 1, o.repeat);
    std::cout.flush();
    PhaseRun run;
    if (!InChild([&] { return SimdjsonPhase(o.out); }, &run)) {
      std::cerr << "\nbench_detect: the simdjson phase failed\n";
      return 1;
    }
    record(simd, run);
    simd_last = run.r;
    if (jq) {
      std::cout << ", jq";
      std::cout.flush();
      PhaseRun jrun;
      if (!JqPhase(o.out, &jrun)) {
        std::cerr << "\nbench_detect: jq failed\n";
        return 1;
      }
      record(jqs, jrun);
    }
    std::cout << ", engine x1";
    std::cout.flush();
    if (!InChild([&] { return EnginePhase(set, o.out, 1, gen.lines); }, &run)) {
      std::cerr << "\nbench_detect: the engine phase failed\n";
      return 1;
    }
    record(e1, run);
    e1_last = run.r;
    e1_quarter = std::max(e1_quarter, run.r.quarter_rss_mib);
    if (o.threads > 1) {
      std::cout << fmt::format(", engine x{}", o.threads);
      std::cout.flush();
      if (!InChild([&] { return EnginePhase(set, o.out, o.threads, gen.lines); }, &run)) {
        std::cerr << "\nbench_detect: the engine phase failed\n";
        return 1;
      }
      record(en, run);
      en_last = run.r;
      en_quarter = std::max(en_quarter, run.r.quarter_rss_mib);
    }
    std::cout << "\n";
  }

  const double mb = static_cast<double>(gen.bytes) / 1e6;
  const auto events = static_cast<double>(gen.lines);
  std::cout << fmt::format("\n{} events, {:.0f} MB ({:.0f} MiB) of CloudTrail JSON lines, medians of {}\n\n", gen.lines,
                           mb, static_cast<double>(gen.bytes) / (1024.0 * 1024.0), o.repeat);
  std::cout << fmt::format("{:<62} {:>8} {:>8} {:>11} {:>9} {:>7} {:>9}\n", "phase", "seconds", "MB/s", "events/s",
                           "vs simd", "CPU s", "peak RSS");
  const double simd_s = simd.Mid();
  auto row = [&](const Summary& s) {
    const double t = s.Mid();
    std::cout << fmt::format("{:<62} {:>8.3f} {:>8.0f} {:>11.0f} {:>8.2f}x {:>7.2f} {:>5.0f} MiB\n", s.name, t, mb / t,
                             events / t, simd_s / t, Median(s.cpu), s.rss);
  };
  row(simd);
  if (jq) row(jqs);
  row(e1);
  if (o.threads > 1) row(en);

  std::cout << fmt::format("\nsimdjson walked {} values; every line parsed: {}\n", simd_last.elements,
                           simd_last.events == gen.lines && simd_last.malformed == 0 ? "yes" : "NO");
  std::cout << fmt::format(
      "engine: {} events, {} hits from {} rule(s), {} unrecognised (not CloudTrail-shaped), {} malformed\n",
      e1_last.events, e1_last.hits, e1_last.rules_hit, e1_last.unrecognised, e1_last.malformed);
  if (o.threads > 1 && (en_last.hits != e1_last.hits || en_last.events != e1_last.events)) {
    std::cerr << fmt::format("bench_detect: {} threads found {} hits in {} events, 1 thread {} in {}\n", o.threads,
                             en_last.hits, en_last.events, e1_last.hits, e1_last.events);
    return 1;
  }
  if (e1_last.hits == 0 || e1_last.events != gen.lines) {
    std::cerr << "bench_detect: the rules found nothing, or the engine did not read every event\n";
    return 1;
  }

  std::cout << fmt::format(
      "\nmemory, the largest of the repetitions (each phase in its own forked child; the parent's {:.0f} MiB "
      "resident at fork is every child's floor):\n",
      floor_mib);
  std::cout << fmt::format("  engine x1: peak {:.0f} MiB by a quarter of the file, {:.0f} MiB at the end\n", e1_quarter,
                           e1.rss);
  if (o.threads > 1) {
    std::cout << fmt::format("  engine x{}: peak {:.0f} MiB by a quarter of the file, {:.0f} MiB at the end\n",
                             o.threads, en_quarter, en.rss);
  }

  const double ratio = simd_s / e1.Mid();
  // A few chunks time start-up and a cold simdjson, not throughput.
  const bool judged = target >= (std::uint64_t{200} << 20);
  std::cout << fmt::format("\ngoal: engine (1 thread) >= 50% of the simdjson DOM rate: {:.0f}%, {}\n", ratio * 100,
                           !judged        ? "not judged below --mb 200"
                           : ratio >= 0.5 ? "met"
                                          : "NOT met");
  if (o.threads > 1) {
    std::cout << fmt::format("speed-up with {} threads: {:.2f}x ({:.0f}% of the simdjson rate)\n", o.threads,
                             e1.Mid() / en.Mid(), simd_s / en.Mid() * 100);
  }
  if (jq) std::cout << fmt::format("engine (1 thread) vs jq: {:.1f}x faster\n", jqs.Mid() / e1.Mid());
  return 0;
}
