// The detection pipeline: reads logs (JSON lines, gzip, CloudTrail
// {"Records": [...]} files, JSON arrays, Kubernetes EventList), recognises
// each event's log type, runs the Sigma rules, correlations and anomaly
// detectors, and hands every hit to a sink in input order.
//
// Streaming with bounded memory: JSON lines are read in chunks of
// `chunk_bytes` and at most 2 x threads chunks are in flight; whole-document
// inputs (a CloudTrail delivery file, a JSON array) are read whole, up to
// kMaxDocumentBytes. A malformed line is counted, reported with its line
// number (the first kMaxMalformedSamples of them) and skipped; it never
// stops the stream. Lines longer than `max_line_bytes` count as malformed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "detect/anomaly/anomaly.h"
#include "detect/sigma/correlation.h"
#include "detect/sigma/ruleset.h"

namespace secbudget::detect {

inline constexpr std::size_t kMaxDocumentBytes = std::size_t{1} << 30;
inline constexpr std::size_t kMaxMalformedSamples = 100;

struct DetectOptions {
  int threads = 1;
  std::string log_type;  // force every event to this type ("" = recognise)
  std::size_t chunk_bytes = std::size_t{4} << 20;
  std::size_t max_line_bytes = std::size_t{1} << 20;
  std::size_t event_bytes = 16384;  // raw event text kept per hit
  TimePoint default_time = 0;       // for events without a readable time
};

struct Hit {
  enum class Kind : std::uint8_t { kSigma, kCorrelation, kAnomaly };
  Kind kind = Kind::kSigma;
  int rule = -1;      // kSigma / kCorrelation: index into RuleSet::rules()
  int detector = -1;  // kAnomaly: index into AnomalyEngine::specs()
  TimePoint time = 0;
  std::string input;
  std::uint64_t line = 0;  // line (JSON lines) or record number (documents)
  std::string log_type;
  // The matched event's JSON (capped at event_bytes). A view into the
  // engine's buffers, valid only while the sink runs: a sink that keeps the
  // hit past its call copies the text (ToAlert does).
  std::string_view event;
  std::vector<std::pair<std::string, std::string>> entities;
  // kCorrelation: the tested value, matches in the window and its start.
  double value = 0;
  std::size_t matches = 0;
  TimePoint first = 0;
  // kAnomaly
  std::string expected;
  std::string seen;
};

struct Malformed {
  std::string input;
  std::uint64_t line = 0;
  std::string error;
};

struct DetectStats {
  std::uint64_t inputs = 0;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  std::uint64_t malformed = 0;
  std::uint64_t unrecognised = 0;
  std::uint64_t matches = 0;  // rule matches, before correlation consumption
  std::uint64_t hits = 0;     // what reached the sink
  std::vector<Malformed> malformed_samples;
  std::map<std::string, std::uint64_t> per_type;
  std::map<int, std::uint64_t> per_rule;  // hits per rule index (not anomalies)
  double seconds = 0;
};

using HitSink = std::function<void(const Hit&)>;

class Detector {
 public:
  // `anomalies` may be null. Both must outlive the detector.
  Detector(const sigma::RuleSet& rules, anomaly::AnomalyEngine* anomalies, DetectOptions options);

  // Runs over every input ("-" = standard input), in order. Only I/O
  // errors (an unreadable file) stop the run.
  Status Run(const std::vector<std::string>& inputs, const HitSink& sink, DetectStats* stats);

 private:
  struct Chunk;
  struct ChunkResult;
  class Pool;

  Status RunInput(const std::string& input, Pool* pool, const HitSink& sink, DetectStats* stats);
  void ProcessChunk(const Chunk& chunk, ChunkResult* out) const;
  void Consume(ChunkResult& result, const HitSink& sink, DetectStats* stats);

  const sigma::RuleSet& rules_;
  anomaly::AnomalyEngine* anomalies_;
  DetectOptions options_;
  int forced_type_ = -1;
  struct TypePaths {
    std::vector<FieldPath> time;  // empty: the type has no time field
    std::vector<FieldPath> entities;
    // Per rule, per RuleSet::NeededFields(rule): the raw paths to read.
    std::vector<std::vector<std::vector<FieldPath>>> needed;
  };
  std::vector<TypePaths> type_paths_;  // per log type, compiled once
  sigma::Correlator correlator_;
  bool upper_only_ = false;
  TimePoint max_time_ = 0;
  std::uint64_t line_base_ = 0;  // lines of the current input consumed so far
  Hit hit_;                      // reused by Consume
};

}  // namespace secbudget::detect
