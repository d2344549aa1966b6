#include "detect/detector.h"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "common/strings.h"

namespace secbudget::detect {

struct Detector::Chunk {
  // Bytes plus SIMDJSON_PADDING readable bytes after size(). Always heap
  // storage (its capacity is reserved past the small-string size), so that
  // moving the string into the ChunkResult keeps the views into it valid.
  std::string data;
  std::string input;
  bool document = false;
};

// What a worker found in one chunk. Flat and reused from chunk to chunk:
// the events, their matches and entities live in vectors and one string
// whose capacity survives Reset, so that a worker allocates nothing per
// event once warmed up, and nothing it allocated is freed by another thread
// (glibc frees across threads slowly, and gives the pages back and faults
// them in again).
struct Detector::ChunkResult {
  struct MatchOut {
    int rule = -1;
    std::vector<std::pair<std::string, std::string>> values;  // needed fields (correlations only)
  };
  struct Span {
    std::uint32_t offset = 0, size = 0;  // into `text`
  };
  struct Entity {
    std::uint32_t field = 0;  // index into the log type's entity fields
    Span value;
  };
  struct EventOut {
    std::uint64_t line = 0;  // within the chunk (1 = its first line); the record number in a document
    TimePoint time = 0;
    int log_type = -1;
    // Set when a match alerts: a view of the chunk's bytes (valid while the
    // chunk's buffer is), or the event rewritten (minified or cut) in `text`.
    std::string_view raw;
    bool rewritten = false;
    Span rewritten_text;
    std::uint32_t entities_begin = 0, entities_end = 0;  // into `entities`
    std::uint32_t matches_begin = 0, matches_end = 0;    // into `matches`
    std::vector<anomaly::Observation> observations;
  };
  std::string_view View(Span s) const { return std::string_view(text).substr(s.offset, s.size); }
  std::string_view Raw(const EventOut& e) const { return e.rewritten ? View(e.rewritten_text) : e.raw; }
  Span Append(std::string_view v) {
    Span s{static_cast<std::uint32_t>(text.size()), static_cast<std::uint32_t>(v.size())};
    text.append(v);
    return s;
  }
  void Reset() {
    input.clear();
    events.clear();
    matches.clear();
    entities.clear();
    text.clear();
    lines = count = bytes = malformed = unrecognised = 0;
    samples.clear();
    per_type.clear();
  }

  std::string input;
  std::vector<EventOut> events;
  std::vector<MatchOut> matches;
  std::vector<Entity> entities;
  std::string text;
  std::uint64_t lines = 0;  // lines the chunk held
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::uint64_t malformed = 0;
  std::uint64_t unrecognised = 0;
  std::vector<Malformed> samples;
  std::vector<std::uint64_t> per_type;
  std::string buffer;  // the chunk's bytes, handed back for the next read to reuse
};

// A fixed pool of workers running ProcessChunk; results are taken in
// submission order by the caller.
class Detector::Pool {
 public:
  Pool(const Detector& d, int threads) : detector_(d) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  // `reuse`: a consumed result whose capacity the worker fills again.
  std::future<ChunkResult> Submit(Chunk chunk, ChunkResult reuse) {
    std::packaged_task<ChunkResult()> task([this, c = std::move(chunk), r = std::move(reuse)]() mutable {
      r.Reset();
      detector_.ProcessChunk(c, &r);
      r.buffer = std::move(c.data);
      return std::move(r);  // a capture, not a local: without the move it is copied, buffer and all
    });
    std::future<ChunkResult> f = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return f;
  }
  std::size_t size() const { return workers_.size(); }

 private:
  void Work() {
    while (true) {
      std::packaged_task<ChunkResult()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  const Detector& detector_;
  std::vector<std::thread> workers_;
  std::deque<std::packaged_task<ChunkResult()>> queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

Detector::Detector(const sigma::RuleSet& rules, anomaly::AnomalyEngine* anomalies, DetectOptions options)
    : rules_(rules), anomalies_(anomalies), options_(std::move(options)), correlator_(rules) {
  if (!options_.log_type.empty()) forced_type_ = rules_.config().Find(options_.log_type);
  if (anomalies_ != nullptr) anomalies_->Bind(rules_.config());
  for (const LogType& t : rules_.config().types) {
    TypePaths tp;
    if (!t.time_field.empty()) tp.time.emplace_back(t.time_field);
    for (const std::string& f : t.entity_fields) tp.entities.emplace_back(f);
    tp.needed.resize(rules_.rules().size());
    for (std::size_t r = 0; r < rules_.rules().size(); ++r) {
      for (const std::string& f : rules_.NeededFields(static_cast<int>(r))) tp.needed[r].push_back(t.Map(f));
    }
    type_paths_.push_back(std::move(tp));
  }
  for (const sigma::Rule& r : rules_.rules()) {
    if (r.kind == sigma::Rule::Kind::kCorrelation && !r.correlation.condition.empty() &&
        !r.correlation.condition.HasLowerBound()) {
      upper_only_ = true;
    }
  }
}

namespace {

// The first time field that holds a valid time, read in place.
TimePoint EventTime(const EventView& ev, const std::vector<FieldPath>& time, TimePoint fallback) {
  for (const FieldPath& path : time) {
    std::string_view text;
    FieldVisitor::Visit(ev, path, [&](const FieldValue& v) {
      if (v.kind == FieldValue::Kind::kObject || v.kind == FieldValue::Kind::kNull || v.text.empty()) return false;
      text = v.text;
      return true;
    });
    if (text.empty()) continue;
    auto t = ParseTime(text);
    return t.ok() ? *t : fallback;
  }
  return fallback;
}

}  // namespace

void Detector::ProcessChunk(const Chunk& chunk, ChunkResult* out) const {
  thread_local simdjson::dom::parser parser;
  thread_local std::vector<int> matched;
  thread_local KeyIndex keys;
  thread_local std::string minified;
  out->input = chunk.input;
  out->per_type.assign(rules_.config().types.size(), 0);
  auto malformed = [&](std::uint64_t line, std::string error) {
    ++out->malformed;
    if (out->samples.size() < kMaxMalformedSamples) out->samples.push_back({chunk.input, line, std::move(error)});
  };
  // `indexed`: `keys` already holds root's keys.
  auto event = [&](simdjson::dom::element root, std::string_view raw, std::uint64_t line, bool indexed = false) {
    ++out->count;
    EventView ev;
    ev.root = root;
    ev.raw = raw;
    ev.line = line;
    if (indexed || (root.type() == simdjson::dom::element_type::OBJECT && keys.Build(simdjson::dom::object(root)))) {
      ev.keys = &keys;
    }
    ev.log_type = forced_type_ >= 0 ? forced_type_ : rules_.config().Recognise(ev);
    if (ev.log_type < 0) {
      ++out->unrecognised;
      return;
    }
    ++out->per_type[static_cast<std::size_t>(ev.log_type)];
    matched.clear();
    rules_.Match(ev, &matched);
    const bool watched = anomalies_ != nullptr && !anomalies_->specs().empty();
    if (matched.empty() && !watched) return;
    const TypePaths& paths = type_paths_[static_cast<std::size_t>(ev.log_type)];
    ev.time = EventTime(ev, paths.time, options_.default_time);
    ChunkResult::EventOut& eo = out->events.emplace_back();
    eo.line = line;
    eo.time = ev.time;
    eo.log_type = ev.log_type;
    if (watched) anomalies_->Extract(ev, &eo.observations);
    if (matched.empty() && eo.observations.empty()) {
      out->events.pop_back();
      return;
    }
    bool alerts = !eo.observations.empty();
    eo.matches_begin = static_cast<std::uint32_t>(out->matches.size());
    for (int r : matched) {
      ChunkResult::MatchOut& mo = out->matches.emplace_back();
      mo.rule = r;
      const std::vector<std::string>& needed = rules_.NeededFields(r);
      mo.values.reserve(needed.size());
      for (std::size_t i = 0; i < needed.size(); ++i) {
        mo.values.emplace_back(needed[i], FieldVisitor::FirstText(ev, paths.needed[static_cast<std::size_t>(r)][i]));
      }
      alerts = alerts || rules_.Alerts(r) || !rules_.Consumers(r).empty();
    }
    eo.matches_end = static_cast<std::uint32_t>(out->matches.size());
    eo.entities_begin = eo.entities_end = static_cast<std::uint32_t>(out->entities.size());
    if (!alerts) return;
    if (raw.empty()) raw = minified.assign(simdjson::minify(root));
    if (raw.size() > options_.event_bytes) {
      eo.rewritten_text = out->Append(Ellipsize(raw, options_.event_bytes));
      eo.rewritten = true;
    } else if (raw.data() == minified.data()) {
      eo.rewritten_text = out->Append(raw);
      eo.rewritten = true;
    } else {
      eo.raw = raw;
    }
    for (std::size_t f = 0; f < paths.entities.size(); ++f) {
      const std::size_t before = out->text.size();
      FieldVisitor::Visit(ev, paths.entities[f], [&](const FieldValue& v) {
        if (v.kind == FieldValue::Kind::kObject || v.kind == FieldValue::Kind::kNull) return false;
        out->text.append(v.text);
        return true;
      });
      if (out->text.size() > before) {
        out->entities.push_back(
            {static_cast<std::uint32_t>(f),
             {static_cast<std::uint32_t>(before), static_cast<std::uint32_t>(out->text.size() - before)}});
      }
    }
    eo.entities_end = static_cast<std::uint32_t>(out->entities.size());
  };

  if (chunk.document) {
    out->bytes += chunk.data.size();
    simdjson::dom::element doc;
    auto err = parser.parse(chunk.data.data(), chunk.data.size(), false).get(doc);
    if (err != simdjson::SUCCESS) {
      malformed(0, std::string("not valid JSON: ") + simdjson::error_message(err));
      return;
    }
    simdjson::dom::array records;
    bool list = false;
    if (doc.type() == simdjson::dom::element_type::ARRAY) {
      records = simdjson::dom::array(doc);
      list = true;
    } else if (doc.type() == simdjson::dom::element_type::OBJECT) {
      simdjson::dom::object obj(doc);
      simdjson::dom::element inner;
      if ((obj.at_key("Records").get(inner) == simdjson::SUCCESS ||
           obj.at_key("items").get(inner) == simdjson::SUCCESS) &&
          inner.type() == simdjson::dom::element_type::ARRAY) {
        records = simdjson::dom::array(inner);
        list = true;
      }
    }
    if (!list) {
      event(doc, {}, 1);
      return;
    }
    std::uint64_t n = 0;
    for (simdjson::dom::element rec : records) {
      ++n;
      if (rec.type() != simdjson::dom::element_type::OBJECT) {
        malformed(n, "record is not a JSON object");
        continue;
      }
      event(rec, {}, n);
    }
    return;
  }

  const char* p = chunk.data.data();
  const char* end = p + chunk.data.size();
  std::uint64_t line = 1;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* stop = nl != nullptr ? nl : end;
    std::size_t len = static_cast<std::size_t>(stop - p);
    out->bytes += len + (nl != nullptr ? 1 : 0);
    while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t')) --len;
    std::size_t skip = 0;
    while (skip < len && (p[skip] == ' ' || p[skip] == '\t')) ++skip;
    if (len > skip) {
      if (len > options_.max_line_bytes) {
        malformed(line, "line longer than " + std::to_string(options_.max_line_bytes) + " bytes");
      } else {
        simdjson::dom::element root;
        auto err = parser.parse(p + skip, len - skip, false).get(root);
        if (err != simdjson::SUCCESS) {
          malformed(line, std::string("not valid JSON: ") + simdjson::error_message(err));
        } else if (root.type() != simdjson::dom::element_type::OBJECT) {
          malformed(line, "not a JSON object");
        } else {
          // A line may be a whole CloudTrail file: {"Records":[...]}.
          static const std::uint64_t kRecordsHash = KeyHash("Records");
          simdjson::dom::object obj(root);
          simdjson::dom::element records;
          const bool indexed = keys.Build(obj);
          const bool found = indexed ? keys.Find("Records", kRecordsHash, &records)
                                     : obj.at_key("Records").get(records) == simdjson::SUCCESS;
          if (found && records.type() == simdjson::dom::element_type::ARRAY) {
            for (simdjson::dom::element rec : simdjson::dom::array(records)) {
              if (rec.type() == simdjson::dom::element_type::OBJECT) event(rec, {}, line);
            }
          } else {
            event(root, std::string_view(p + skip, len - skip), line, indexed);
          }
        }
      }
    }
    ++line;
    p = nl != nullptr ? nl + 1 : end;
  }
  out->lines = line - 1;
}

void Detector::Consume(ChunkResult& r, const HitSink& sink, DetectStats* stats) {
  stats->events += r.count;
  stats->bytes += r.bytes;
  stats->malformed += r.malformed;
  stats->unrecognised += r.unrecognised;
  // Workers number lines within their chunk; chunks are consumed in order.
  const std::uint64_t line_base = line_base_;
  line_base_ += r.lines;
  for (Malformed& m : r.samples) {
    if (m.line != 0) m.line += line_base;
    if (stats->malformed_samples.size() < kMaxMalformedSamples) stats->malformed_samples.push_back(std::move(m));
  }
  for (std::size_t t = 0; t < r.per_type.size(); ++t) {
    if (r.per_type[t] > 0) stats->per_type[rules_.config().types[t].name] += r.per_type[t];
  }
  std::vector<sigma::Firing> firings;
  std::vector<anomaly::AnomalyHit> anomalies;
  auto emit = [&](Hit& h) {
    ++stats->hits;
    if (h.kind != Hit::Kind::kAnomaly) ++stats->per_rule[h.rule];
    sink(h);
  };
  // A correlation firing as a hit, on top of the event (or stream position) it fired at.
  auto correlation_hit = [&](Hit h, const sigma::Firing& f) {
    h.kind = Hit::Kind::kCorrelation;
    h.rule = f.rule;
    h.time = f.time;
    h.entities = f.group;
    h.value = f.value;
    h.matches = f.matches;
    h.first = f.first;
    emit(h);
  };
  // One hit, reused for every event and every rule it matched: its strings
  // keep their capacity, so a steady stream of hits allocates nothing here.
  Hit& base = hit_;
  base.input = r.input;
  for (ChunkResult::EventOut& e : r.events) {
    if (e.time > max_time_) max_time_ = e.time;
    const TypePaths& paths = type_paths_[static_cast<std::size_t>(e.log_type)];
    base.kind = Hit::Kind::kSigma;
    base.rule = -1;
    base.detector = -1;
    base.time = e.time;
    base.line = line_base + e.line;
    base.log_type = rules_.config().types[static_cast<std::size_t>(e.log_type)].name;
    base.event = r.Raw(e);
    base.entities.resize(e.entities_end - e.entities_begin);
    for (std::uint32_t i = e.entities_begin; i < e.entities_end; ++i) {
      auto& [name, value] = base.entities[i - e.entities_begin];
      name = paths.entities[r.entities[i].field].name;
      value = r.View(r.entities[i].value);
    }
    for (std::uint32_t mi = e.matches_begin; mi < e.matches_end; ++mi) {
      ChunkResult::MatchOut& m = r.matches[mi];
      ++stats->matches;
      if (rules_.Alerts(m.rule)) {
        base.rule = m.rule;
        emit(base);
      }
      if (rules_.Consumers(m.rule).empty()) continue;
      sigma::MatchRecord rec;
      rec.rule = m.rule;
      rec.time = e.time;
      rec.values = std::move(m.values);
      firings.clear();
      correlator_.Feed(rec, &firings);
      for (const sigma::Firing& f : firings) {
        if (rules_.Alerts(f.rule)) correlation_hit(base, f);
      }
    }
    if (anomalies_ != nullptr) {
      for (const anomaly::Observation& o : e.observations) {
        anomalies.clear();
        anomalies_->Update(o, &anomalies);
        for (anomaly::AnomalyHit& a : anomalies) {
          Hit h = base;
          h.kind = Hit::Kind::kAnomaly;
          h.rule = -1;
          h.detector = a.detector;
          h.expected = std::move(a.expected);
          h.seen = std::move(a.seen);
          h.entities.clear();
          h.entities.emplace_back("entity", a.entity);
          if (!a.value.empty()) h.entities.emplace_back("value", a.value);
          emit(h);
        }
      }
    }
  }
  if (upper_only_) {
    firings.clear();
    correlator_.Advance(max_time_, &firings);
    Hit at;
    at.input = r.input;
    for (const sigma::Firing& f : firings) {
      if (rules_.Alerts(f.rule)) correlation_hit(at, f);
    }
  }
}

Status Detector::RunInput(const std::string& input, Pool* pool, const HitSink& sink, DetectStats* stats) {
  gzFile gz = input == "-" ? gzdopen(dup(0), "rb") : gzopen(input.c_str(), "rb");
  if (gz == nullptr) return Status::IoError("cannot open " + input + ": " + std::strerror(errno));
  gzbuffer(gz, 1 << 17);
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{gz};
  ++stats->inputs;

  const std::size_t chunk = options_.chunk_bytes;
  std::string carry;
  line_base_ = 0;
  std::deque<std::future<ChunkResult>> inflight;
  // Chunk buffers come back once processed and are read into again: a fresh
  // 4 MiB allocation per chunk costs page faults and returns to the kernel.
  std::vector<std::string> spare;
  const auto recycle = [&](std::string b) {
    if (spare.size() < 4) spare.push_back(std::move(b));
  };
  // Results, like buffers, go back to the workers once consumed.
  std::vector<ChunkResult> spare_results;
  auto consume_front = [&] {
    ChunkResult r = inflight.front().get();
    inflight.pop_front();
    Consume(r, sink, stats);
    recycle(std::move(r.buffer));
    spare_results.push_back(std::move(r));
  };
  auto submit = [&](Chunk c) -> Status {
    if (pool == nullptr) {
      if (spare_results.empty()) spare_results.emplace_back();
      ChunkResult& r = spare_results.back();
      r.Reset();
      ProcessChunk(c, &r);
      Consume(r, sink, stats);
      recycle(std::move(c.data));
      return Status::OK();
    }
    while (inflight.size() >= 2 * pool->size()) consume_front();
    ChunkResult reuse;
    if (!spare_results.empty()) {
      reuse = std::move(spare_results.back());
      spare_results.pop_back();
    }
    inflight.push_back(pool->Submit(std::move(c), std::move(reuse)));
    return Status::OK();
  };
  auto drain = [&] {
    while (!inflight.empty()) consume_front();
  };

  bool first = true;
  bool document = false;
  std::string buf;
  while (true) {
    const std::size_t have = carry.size();
    if (spare.empty()) {
      buf = std::move(carry);
      buf.reserve(have + chunk + simdjson::SIMDJSON_PADDING);
      buf.resize(have + chunk);
    } else {
      // A recycled buffer keeps its size: growing a string zero-fills it,
      // and 4 MiB of zeros per chunk is measurable.
      buf = std::move(spare.back());
      spare.pop_back();
      buf.reserve(have + chunk + simdjson::SIMDJSON_PADDING);
      if (buf.size() < have + chunk) buf.resize(have + chunk);
      if (have > 0) std::memcpy(buf.data(), carry.data(), have);
    }
    carry.clear();
    int n = gzread(gz, buf.data() + have, static_cast<unsigned>(chunk));
    if (n < 0) {
      int errnum = 0;
      const char* msg = gzerror(gz, &errnum);
      drain();
      return Status::IoError("cannot read " + input + ": " + (msg != nullptr ? msg : "read error"));
    }
    buf.resize(have + static_cast<std::size_t>(n));
    const bool eof = n == 0 || static_cast<std::size_t>(n) < chunk;
    if (first) {
      first = false;
      // A JSON array, or an object spread over several lines (a pretty
      // printed CloudTrail file), is one document; anything else is JSON lines.
      std::size_t i = buf.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
      if (i != std::string::npos && buf[i] == '[') {
        document = true;
      } else if (i != std::string::npos && buf[i] == '{') {
        std::size_t nl = buf.find('\n', i);
        std::string firstline = buf.substr(i, nl == std::string::npos ? std::string::npos : nl - i);
        simdjson::dom::parser probe;
        simdjson::dom::element e;
        if (probe.parse(firstline).get(e) != simdjson::SUCCESS && nl != std::string::npos) document = true;
      }
    }
    if (document) {
      carry = std::move(buf);
      if (carry.size() > kMaxDocumentBytes) {
        drain();
        return Status::LimitExceeded(input + ": a JSON document larger than " +
                                     std::to_string(kMaxDocumentBytes >> 20) + " MiB; use JSON lines");
      }
      if (!eof) continue;
      Chunk c;
      c.data = std::move(carry);
      c.data.reserve(c.data.size() + simdjson::SIMDJSON_PADDING);
      c.input = input;
      c.document = true;
      SB_RETURN_IF_ERROR(submit(std::move(c)));
      break;
    }
    std::size_t cut = buf.size();
    if (!eof) {
      std::size_t nl = buf.rfind('\n');
      if (nl == std::string::npos) {
        if (buf.size() > options_.max_line_bytes + chunk) {
          // One enormous line: report it (its number is known once every
          // chunk before it is consumed) and skip to its end.
          drain();
          Malformed m{input, line_base_ + 1, "line longer than " + std::to_string(options_.max_line_bytes) + " bytes"};
          ++stats->malformed;
          if (stats->malformed_samples.size() < kMaxMalformedSamples) stats->malformed_samples.push_back(m);
          int c = 0;
          while ((c = gzgetc(gz)) != -1 && c != '\n') {
          }
          ++line_base_;
          continue;
        }
        carry = std::move(buf);
        continue;
      }
      cut = nl + 1;
      carry.assign(buf, cut, std::string::npos);
      buf.resize(cut);
    }
    Chunk c;
    c.data = std::move(buf);
    c.data.reserve(c.data.size() + simdjson::SIMDJSON_PADDING);
    c.input = input;
    SB_RETURN_IF_ERROR(submit(std::move(c)));
    if (eof) break;
  }
  drain();
  return Status::OK();
}

Status Detector::Run(const std::vector<std::string>& inputs, const HitSink& sink, DetectStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Pool> pool;
  if (options_.threads > 1) pool = std::make_unique<Pool>(*this, options_.threads);
  Status st;
  for (const std::string& in : inputs) {
    st = RunInput(in, pool.get(), sink, stats);
    if (!st.ok()) break;
  }
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return st;
}

}  // namespace secbudget::detect
