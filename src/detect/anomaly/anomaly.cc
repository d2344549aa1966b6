#include "detect/anomaly/anomaly.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "common/yaml.h"
#include "detect/sigma/rule.h"

namespace secbudget::detect::anomaly {

std::string_view Name(DetectorType t) {
  switch (t) {
    case DetectorType::kFirstSeen: return "first_seen";
    case DetectorType::kRare: return "rare";
    case DetectorType::kSpike: return "spike";
  }
  return "?";
}

std::string DetectorSpec::Fingerprint() const {
  std::string s = std::string(Name(type)) + "|" + log_type + "|" + Join(entity, ",") + "|" + Join(value, ",") + "|" +
                  std::to_string(bucket);
  for (const auto& w : where) s += "|" + w.field + ":" + std::to_string(w.patterns.size());
  return s;
}

AnomalyEngine::AnomalyEngine(std::vector<DetectorSpec> specs)
    : specs_(std::move(specs)), type_of_(specs_.size(), -1), state_(specs_.size()) {}

void AnomalyEngine::Bind(const LogSourceConfig& config) {
  entity_paths_.assign(specs_.size(), {});
  value_paths_.assign(specs_.size(), {});
  for (std::size_t d = 0; d < specs_.size(); ++d) {
    DetectorSpec& s = specs_[d];
    type_of_[d] = s.log_type.empty() ? -1 : config.Find(s.log_type);
    LogType identity;  // no mapping
    const LogType& type = type_of_[d] >= 0 ? config.types[static_cast<std::size_t>(type_of_[d])] : identity;
    for (const std::string& f : s.entity) entity_paths_[d].push_back(type.Map(f));
    for (const std::string& f : s.value) value_paths_[d].push_back(type.Map(f));
    for (sigma::FieldCondition& w : s.where) w.paths = type.Map(w.field);
  }
}

namespace {

// The values of `fields` joined with " | "; `complete` is cleared when one is empty.
std::string JoinFields(const EventView& ev, const std::vector<std::vector<FieldPath>>& fields, bool* complete) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string v = FieldVisitor::FirstText(ev, fields[i]);
    if (v.empty()) *complete = false;
    if (i > 0) out += " | ";
    out += v;
  }
  return out;
}

std::string FormatNumber(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", d);
  return buf;
}

}  // namespace

void AnomalyEngine::Extract(const EventView& ev, std::vector<Observation>* out) const {
  for (std::size_t d = 0; d < specs_.size(); ++d) {
    if (type_of_[d] >= 0 && type_of_[d] != ev.log_type) continue;
    bool ok = true;
    for (const sigma::FieldCondition& w : specs_[d].where) {
      if (!sigma::EvaluateCondition(w, ev)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    bool complete = true;
    Observation o;
    o.detector = static_cast<int>(d);
    o.time = ev.time;
    o.entity = JoinFields(ev, entity_paths_[d], &complete);
    if (specs_[d].type != DetectorType::kSpike) o.value = JoinFields(ev, value_paths_[d], &complete);
    if (complete) out->push_back(std::move(o));
  }
}

void AnomalyEngine::Update(const Observation& o, std::vector<AnomalyHit>* out) {
  const DetectorSpec& s = specs_[static_cast<std::size_t>(o.detector)];
  DetectorState& ds = state_[static_cast<std::size_t>(o.detector)];
  if (ds.started == 0 || o.time < ds.started) ds.started = o.time;
  const bool learning = o.time < ds.started + s.learn;
  auto it = ds.entities.find(o.entity);
  const bool known = it != ds.entities.end();
  if (!known) {
    if (ds.entities.size() >= s.max_entities) return;  // bounded memory: new entities are not learned
    it = ds.entities.emplace(o.entity, EntityState{}).first;
    it->second.first = o.time;
  }
  EntityState& es = it->second;
  auto hit = [&](std::string expected, std::string seen) {
    AnomalyHit h;
    h.detector = o.detector;
    h.time = o.time;
    h.entity = o.entity;
    h.value = o.value;
    h.expected = std::move(expected);
    h.seen = std::move(seen);
    out->push_back(std::move(h));
  };
  switch (s.type) {
    case DetectorType::kFirstSeen: {
      auto [vit, inserted] = es.values.try_emplace(o.value, 0);
      ++vit->second;
      ++es.total;
      if (inserted && known && !learning) {
        std::vector<std::string> usual;
        for (const auto& [v, n] : es.values) {
          if (v != o.value) usual.push_back(v);
        }
        std::sort(usual.begin(), usual.end());
        if (usual.size() > 5) usual.resize(5);
        hit("values seen before: " + Join(usual, ", "), "first " + o.value);
      }
      break;
    }
    case DetectorType::kRare: {
      std::uint64_t before = es.values.count(o.value) ? es.values[o.value] : 0;
      const double share = es.total == 0 ? 0 : static_cast<double>(before) / static_cast<double>(es.total);
      if (!learning && es.total >= s.min_events && share <= s.max_share) {
        hit("share above " + FormatNumber(s.max_share * 100) + "% of " + std::to_string(es.total) + " events",
            o.value + " in " + std::to_string(before) + " of " + std::to_string(es.total) + " events (" +
                FormatNumber(share * 100) + "%)");
      }
      ++es.values[o.value];
      ++es.total;
      break;
    }
    case DetectorType::kSpike: {
      const TimePoint bucket = o.time - (((o.time % s.bucket) + s.bucket) % s.bucket);
      if (es.bucket_start == 0) es.bucket_start = bucket;
      if (bucket > es.bucket_start) {
        // Close the finished bucket and the empty ones after it.
        std::int64_t gaps = (bucket - es.bucket_start) / s.bucket;
        double c = es.count;
        for (std::int64_t k = 0; k < std::min<std::int64_t>(gaps, 1000); ++k) {
          if (es.buckets == 0) {
            es.mean = c;
            es.var = 0;
          } else {
            const double diff = c - es.mean;
            const double incr = s.alpha * diff;
            es.mean += incr;
            es.var = (1 - s.alpha) * (es.var + diff * incr);
          }
          ++es.buckets;
          c = 0;
        }
        es.bucket_start = bucket;
        es.count = 0;
        es.alerted = false;
      }
      es.count += 1;
      const double sd = std::max(1.0, std::sqrt(es.var));
      const double limit = std::max(s.min_count, es.mean + s.threshold * sd);
      if (!learning && es.buckets >= s.warmup_buckets && !es.alerted && es.count > limit) {
        es.alerted = true;
        hit("about " + FormatNumber(es.mean) + " per " + FormatDuration(s.bucket) + " (alert above " +
                FormatNumber(limit) + ")",
            FormatNumber(es.count) + " in the bucket starting " + FormatTime(es.bucket_start));
      }
      break;
    }
  }
}

std::string AnomalyEngine::Serialize(const EntityState& s) {
  nlohmann::json j;
  j["total"] = s.total;
  j["first"] = s.first;
  if (!s.values.empty()) {
    nlohmann::json v = nlohmann::json::object();
    for (const auto& [k, n] : s.values) v[k] = n;
    j["values"] = std::move(v);
  }
  if (s.bucket_start != 0) {
    j["bucket_start"] = s.bucket_start;
    j["count"] = s.count;
    j["mean"] = s.mean;
    j["var"] = s.var;
    j["buckets"] = s.buckets;
    j["alerted"] = s.alerted;
  }
  return j.dump();
}

bool AnomalyEngine::Deserialize(const std::string& text, EntityState* s) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  try {
    s->total = j.value("total", std::uint64_t{0});
    s->first = j.value("first", TimePoint{0});
    if (j.contains("values")) {
      for (const auto& [k, n] : j["values"].items()) s->values[k] = n.get<std::uint64_t>();
    }
    s->bucket_start = j.value("bucket_start", TimePoint{0});
    s->count = j.value("count", 0.0);
    s->mean = j.value("mean", 0.0);
    s->var = j.value("var", 0.0);
    s->buckets = j.value("buckets", std::uint64_t{0});
    s->alerted = j.value("alerted", false);
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return true;
}

Status AnomalyEngine::Load(AnomalyStore& store) {
  for (std::size_t d = 0; d < specs_.size(); ++d) {
    SB_ASSIGN_OR_RETURN(auto rows, store.LoadAnomalyState(specs_[d].name, specs_[d].Fingerprint()));
    DetectorState& ds = state_[d];
    for (const auto& [entity, text] : rows) {
      if (entity.empty()) {  // the detector row: when learning started
        ds.started = std::strtoll(text.c_str(), nullptr, 10);
        continue;
      }
      EntityState es;
      if (!Deserialize(text, &es)) {
        return Status::StoreError("anomaly state of detector '" + specs_[d].name + "' is corrupt");
      }
      ds.entities.emplace(entity, std::move(es));
    }
  }
  return Status::OK();
}

Status AnomalyEngine::Save(AnomalyStore& store) const {
  for (std::size_t d = 0; d < specs_.size(); ++d) {
    std::vector<std::pair<std::string, std::string>> rows;
    rows.emplace_back("", std::to_string(state_[d].started));
    for (const auto& [entity, es] : state_[d].entities) rows.emplace_back(entity, Serialize(es));
    SB_RETURN_IF_ERROR(store.SaveAnomalyState(specs_[d].name, specs_[d].Fingerprint(), rows));
  }
  return Status::OK();
}

std::size_t AnomalyEngine::EntityCount() const {
  std::size_t n = 0;
  for (const DetectorState& d : state_) n += d.entities.size();
  return n;
}

// ---- policy ----

Status AnomalyLoader::AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) {
  SB_ASSIGN_OR_RETURN(PolicyEnvelope env, ReadPolicyEnvelope(doc, file, kind));
  MapReader spec(env.spec, file, "AnomalyDetectors spec");
  YAML::Node detectors = spec.Require("detectors");
  SB_RETURN_IF_ERROR(spec.Finish());
  if (!detectors.IsSequence()) {
    return Status::SchemaError("'detectors' must be a list").At(NodeLocation(file, detectors));
  }
  for (const YAML::Node& d : detectors) {
    MapReader r(d, file, "anomaly detector");
    DetectorSpec s;
    s.origin = NodeOrigin(file, d);
    s.name = r.String("name", true).value_or("");
    const std::string type = r.String("type", true).value_or("");
    if (type == "first_seen") {
      s.type = DetectorType::kFirstSeen;
    } else if (type == "rare") {
      s.type = DetectorType::kRare;
    } else if (type == "spike") {
      s.type = DetectorType::kSpike;
    } else if (r.ok()) {
      r.Fail(d["type"], "unknown detector type '" + type + "' (first_seen, rare, spike)");
    }
    s.log_type = r.String("log_type").value_or("");
    auto list = [&](const char* key, std::vector<std::string>* out, bool required) {
      YAML::Node n = required ? r.Require(key) : r.Get(key);
      if (!n.IsDefined()) return;
      if (n.IsScalar()) {
        out->push_back(n.Scalar());
      } else if (n.IsSequence()) {
        for (const YAML::Node& item : n) out->push_back(YamlScalar(item));
      } else {
        r.Fail(n, std::string("'") + key + "' must be a field or a list of fields");
      }
    };
    list("entity", &s.entity, true);
    list("value", &s.value, s.type != DetectorType::kSpike);
    if (YAML::Node w = r.Get("where"); w.IsDefined()) {
      if (!w.IsMap()) {
        r.Fail(w, "'where' must be a Sigma selection (field|modifiers: values)");
      } else {
        for (const auto& kv : w) {
          auto fc = sigma::CompileYamlItem(YamlScalar(kv.first), kv.second, {});
          if (!fc.ok()) {
            r.Fail(kv.second, fc.status().message());
          } else {
            s.where.push_back(std::move(fc).value());
          }
        }
      }
    }
    if (auto learn = ReadDurationKey(r, "learn", true)) s.learn = *learn;
    s.level = r.String("level").value_or("medium");
    if (auto v = r.Number("max_share")) s.max_share = *v;
    if (auto v = r.Number("min_events")) s.min_events = static_cast<std::uint64_t>(*v);
    if (auto b = ReadDurationKey(r, "bucket")) s.bucket = *b;
    if (auto v = r.Number("alpha")) s.alpha = *v;
    if (auto v = r.Number("threshold")) s.threshold = *v;
    if (auto v = r.Number("min_count")) s.min_count = *v;
    if (auto v = r.Number("warmup_buckets")) s.warmup_buckets = static_cast<std::uint64_t>(*v);
    if (auto v = r.Number("max_entities")) s.max_entities = static_cast<std::size_t>(*v);
    if (r.ok() && (s.alpha <= 0 || s.alpha > 1)) r.Fail(d["alpha"], "'alpha' must be in (0, 1]");
    if (r.ok() && (s.max_share < 0 || s.max_share > 1)) r.Fail(d["max_share"], "'max_share' must be in [0, 1]");
    SB_RETURN_IF_ERROR(r.Finish());
    for (const DetectorSpec& other : specs_) {
      if (other.name == s.name) {
        return Status::SchemaError("duplicate detector name '" + s.name + "' (first at " + other.origin + ")")
            .At(NodeLocation(file, d));
      }
    }
    specs_.push_back(std::move(s));
  }
  return Status::OK();
}

Status AnomalyLoader::Finish(PolicySet& /*set*/) { return Status::OK(); }

}  // namespace secbudget::detect::anomaly
