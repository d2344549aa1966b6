// Anomaly detectors: they learn each entity's normal from the stream and
// say when an event departs from it. Configured in policy documents of kind
// AnomalyDetectors; their learned state is persisted (AnomalyStore) so a
// restart continues where the last run stopped.
//
//   apiVersion: secbudget.dev/v1
//   kind: AnomalyDetectors
//   spec:
//     detectors:
//       - name: new-region-for-principal
//         type: first_seen          # first_seen | rare | spike
//         log_type: cloudtrail      # optional: only events of this type
//         where: {eventSource: signin.amazonaws.com}   # optional Sigma selection (AND)
//         entity: [userIdentity.arn]
//         value: [awsRegion]        # first_seen and rare
//         learn: 7d                 # warm-up: no alert until the detector has learned this long
//         level: medium
//       - name: api-call-spike
//         type: spike
//         entity: [userIdentity.arn]
//         bucket: 1h                # counting interval
//         alpha: 0.3                # EWMA weight of the newest bucket
//         threshold: 4              # alert above mean + threshold * stddev
//         min_count: 20             # and never below this count
//         warmup_buckets: 24
//
// first_seen: a known entity (seen before) shows a value it never showed.
// rare: the value's share of the entity's events is at most max_share
//   (default 0.01) once the entity has min_events (default 50) events.
// spike: the count in the current bucket exceeds the EWMA baseline by
//   threshold standard deviations (and min_count); alerts once per bucket.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "detect/anomaly/anomaly_store.h"
#include "detect/event.h"
#include "detect/logsource.h"
#include "detect/sigma/value.h"
#include "triage/policy.h"

namespace secbudget::detect::anomaly {

enum class DetectorType : std::uint8_t { kFirstSeen, kRare, kSpike };

struct DetectorSpec {
  std::string name;
  DetectorType type = DetectorType::kFirstSeen;
  std::string log_type;  // "" = every type
  std::vector<sigma::FieldCondition> where;
  std::vector<std::string> entity;
  std::vector<std::string> value;
  Duration learn = 0;
  std::string level = "medium";
  double max_share = 0.01;
  std::uint64_t min_events = 50;
  Duration bucket = 3600;
  double alpha = 0.3;
  double threshold = 4;
  double min_count = 20;
  std::uint64_t warmup_buckets = 24;
  std::size_t max_entities = 100000;
  std::string origin;  // file:line

  // Identifies the learned state: changing what is learned starts over.
  std::string Fingerprint() const;
};

// One event's contribution to a detector (extracted on worker threads).
struct Observation {
  int detector = -1;
  TimePoint time = 0;
  std::string entity;
  std::string value;
};

struct AnomalyHit {
  int detector = -1;
  TimePoint time = 0;
  std::string entity;
  std::string value;
  std::string expected;  // what the baseline said, in words
  std::string seen;
};

class AnomalyEngine {
 public:
  explicit AnomalyEngine(std::vector<DetectorSpec> specs);

  const std::vector<DetectorSpec>& specs() const { return specs_; }
  // Field mapping and log type resolution; call once before Extract.
  void Bind(const LogSourceConfig& config);

  // Thread-safe: the observations `ev` makes.
  void Extract(const EventView& ev, std::vector<Observation>* out) const;
  // In stream order: updates the baseline, appends hits.
  void Update(const Observation& o, std::vector<AnomalyHit>* out);

  Status Load(AnomalyStore& store);
  Status Save(AnomalyStore& store) const;

  std::size_t EntityCount() const;

 private:
  struct EntityState {
    std::unordered_map<std::string, std::uint64_t> values;  // first_seen / rare: counts
    std::uint64_t total = 0;
    TimePoint first = 0;
    // spike
    TimePoint bucket_start = 0;
    double count = 0;
    double mean = 0;
    double var = 0;
    std::uint64_t buckets = 0;
    bool alerted = false;
  };
  struct DetectorState {
    std::unordered_map<std::string, EntityState> entities;
    TimePoint started = 0;  // first observation ever
  };

  static std::string Serialize(const EntityState& s);
  static bool Deserialize(const std::string& text, EntityState* s);

  std::vector<DetectorSpec> specs_;
  std::vector<int> type_of_;  // resolved log type per detector (-1 = any)
  std::vector<std::vector<std::vector<FieldPath>>> entity_paths_, value_paths_;
  std::vector<DetectorState> state_;
};

// PolicyExtension for kind AnomalyDetectors.
class AnomalyLoader : public PolicyExtension {
 public:
  std::vector<std::string> Kinds() const override { return {"AnomalyDetectors"}; }
  Status AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) override;
  Status Finish(PolicySet& set) override;

  const std::vector<DetectorSpec>& specs() const { return specs_; }

 private:
  std::vector<DetectorSpec> specs_;
};

std::string_view Name(DetectorType t);

}  // namespace secbudget::detect::anomaly
