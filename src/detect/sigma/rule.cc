#include "detect/sigma/rule.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "common/file.h"
#include "common/strings.h"
#include "common/yaml.h"

namespace secbudget::detect::sigma {

namespace {

namespace fs = std::filesystem;

struct RuleError {
  std::uint64_t line = 0;
  std::string message;
};

class Failure : public std::exception {};

// The scalar under `key` ("" when absent or not a scalar). yaml-cpp 0.7
// throws on type queries of a missing key, so every lookup checks first.
std::string ScalarAt(const YAML::Node& n, const char* key) {
  if (!n.IsMap()) return "";
  YAML::Node v = n[key];
  return v.IsDefined() && v.IsScalar() ? v.Scalar() : "";
}

bool IsSeqAt(const YAML::Node& n, const char* key) {
  YAML::Node v = n[key];
  return v.IsDefined() && v.IsSequence();
}

std::uint64_t LineOf(const YAML::Node& n) {
  if (!n.IsDefined()) return 0;
  return static_cast<std::uint64_t>(n.Mark().line + 1);
}

bool IsPlainNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  bool digits = false;
  bool dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digits) {
      break;
    } else {
      return false;
    }
  }
  if (!digits) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

RawValue ToRaw(const YAML::Node& n) {
  RawValue v;
  if (!n.IsDefined() || n.IsNull()) {
    v.kind = RawValue::Kind::kNull;
    return v;
  }
  v.text = n.Scalar();
  if (n.Tag() == "!") return v;  // quoted: always a string
  const std::string& t = v.text;
  if (t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL") {
    v.kind = RawValue::Kind::kNull;
  } else if (t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" || t == "FALSE") {
    v.kind = RawValue::Kind::kBool;
    v.boolean = t[0] == 't' || t[0] == 'T';
  } else if (IsPlainNumber(t, &v.number)) {
    v.kind = RawValue::Kind::kNumber;
  }
  return v;
}

// Merges `overlay` into a copy of `base` (maps key by key, recursively).
YAML::Node Merge(const YAML::Node& base, const YAML::Node& overlay) {
  if (!base.IsDefined() || !base.IsMap() || !overlay.IsMap()) return YAML::Clone(overlay);
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : overlay) {
    const std::string key = kv.first.Scalar();
    if (key == "action") continue;
    YAML::Node existing = out[key];
    out[key] = existing.IsDefined() ? Merge(existing, kv.second) : YAML::Clone(kv.second);
  }
  out.remove("action");
  return out;
}

class DocReader {
 public:
  DocReader(const std::string& file, const Placeholders& placeholders) : file_(file), placeholders_(placeholders) {}

  [[noreturn]] void Fail(const YAML::Node& at, std::string message) {
    error_.line = LineOf(at);
    error_.message = std::move(message);
    throw Failure();
  }
  const RuleError& error() const { return error_; }

  std::string Str(const YAML::Node& doc, const char* key, bool required = false) {
    YAML::Node n = doc[key];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) Fail(doc, std::string("missing required attribute '") + key + "'");
      return "";
    }
    if (!n.IsScalar()) Fail(n, std::string("attribute '") + key + "' must be a string");
    return n.Scalar();
  }

  std::vector<std::string> StrList(const YAML::Node& doc, const char* key) {
    YAML::Node n = doc[key];
    std::vector<std::string> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
      return out;
    }
    if (!n.IsSequence()) Fail(n, std::string("attribute '") + key + "' must be a list of strings");
    for (const YAML::Node& item : n) {
      if (!item.IsScalar()) Fail(item, std::string("attribute '") + key + "' must be a list of strings");
      out.push_back(item.Scalar());
    }
    return out;
  }

  void Common(const YAML::Node& doc, Rule* r) {
    if (!doc.IsMap()) Fail(doc, "a rule must be a YAML mapping");
    r->title = Str(doc, "title", true);
    if (r->title.empty()) Fail(doc["title"], "attribute 'title' must not be empty");
    if (r->title.size() > 256) Fail(doc["title"], "attribute 'title' is longer than 256 characters");
    r->id = Str(doc, "id");
    r->name = Str(doc, "name");
    r->status = Str(doc, "status");
    r->description = Str(doc, "description");
    r->date = Str(doc, "date");
    r->modified = Str(doc, "modified");
    r->level = ToLower(Str(doc, "level"));
    r->license = Str(doc, "license");
    r->scope = ScalarAt(doc, "scope");
    // `author` is a string in the spec; some rules list several.
    if (IsSeqAt(doc, "author")) {
      r->author = Join(StrList(doc, "author"), ", ");
    } else {
      r->author = Str(doc, "author");
    }
    r->tags = StrList(doc, "tags");
    r->references = StrList(doc, "references");
    r->falsepositives = StrList(doc, "falsepositives");
    r->fields = StrList(doc, "fields");
    if (YAML::Node rel = doc["related"]; rel.IsDefined() && !rel.IsNull()) {
      if (!rel.IsSequence()) Fail(rel, "attribute 'related' must be a list of {id, type}");
      for (const YAML::Node& item : rel) {
        if (!item.IsMap()) Fail(item, "attribute 'related' must be a list of {id, type}");
        r->related.emplace_back(Str(item, "id", true), Str(item, "type", true));
      }
    }
    static const std::vector<std::string> kStatus = {"stable", "test", "experimental", "deprecated", "unsupported"};
    if (!r->status.empty() && std::find(kStatus.begin(), kStatus.end(), r->status) == kStatus.end()) {
      Fail(doc["status"], "unknown status '" + r->status + "' (stable, test, experimental, deprecated, unsupported)");
    }
    if (r->status == "unsupported") {
      Fail(doc["status"], "status 'unsupported': the specification marks the rule as not usable as it is");
    }
    static const std::vector<std::string> kLevels = {"informational", "low", "medium", "high", "critical"};
    if (!r->level.empty() && std::find(kLevels.begin(), kLevels.end(), r->level) == kLevels.end()) {
      Fail(doc["level"], "unknown level '" + r->level + "' (informational, low, medium, high, critical)");
    }
  }

  void ReadLogSource(const YAML::Node& doc, Rule* r) {
    YAML::Node ls = doc["logsource"];
    if (!ls.IsDefined() || ls.IsNull()) Fail(doc, "missing required attribute 'logsource'");
    if (!ls.IsMap()) Fail(ls, "attribute 'logsource' must be a mapping");
    r->logsource.category = ToLower(Str(ls, "category"));
    r->logsource.product = ToLower(Str(ls, "product"));
    r->logsource.service = ToLower(Str(ls, "service"));
    r->logsource.definition = Str(ls, "definition");
  }

  std::vector<RawValue> Values(const YAML::Node& v, const std::string& key) {
    std::vector<RawValue> out;
    if (v.IsSequence()) {
      if (v.size() == 0) Fail(v, "'" + key + "' has an empty list of values");
      for (const YAML::Node& item : v) {
        if (item.IsMap() || item.IsSequence()) Fail(item, "'" + key + "' values must be scalars");
        out.push_back(ToRaw(item));
      }
    } else if (v.IsMap()) {
      Fail(v, "'" + key + "' holds a mapping; Sigma values are scalars or lists of scalars");
    } else {
      out.push_back(ToRaw(v));
    }
    return out;
  }

  FieldCondition Item(const std::string& key, const YAML::Node& value) {
    auto fc = CompileFieldCondition(key, Values(value, key), placeholders_);
    if (!fc.ok()) Fail(value, "'" + key + "': " + fc.status().message());
    return std::move(fc).value();
  }

  std::vector<FieldCondition> MapAlternative(const YAML::Node& m) {
    std::vector<FieldCondition> out;
    if (m.size() == 0) Fail(m, "a selection mapping is empty");
    for (const auto& kv : m) out.push_back(Item(kv.first.Scalar(), kv.second));
    return out;
  }

  SearchIdentifier Identifier(const std::string& name, const YAML::Node& v) {
    SearchIdentifier si;
    si.name = name;
    if (v.IsMap()) {
      si.alternatives.push_back(MapAlternative(v));
    } else if (v.IsSequence()) {
      if (v.size() == 0) Fail(v, "search identifier '" + name + "' is an empty list");
      bool maps = v[0].IsMap();
      std::vector<RawValue> keywords;
      for (const YAML::Node& item : v) {
        if (item.IsMap() != maps || item.IsSequence()) {
          Fail(item, "search identifier '" + name + "' mixes mappings and plain values");
        }
        if (maps) {
          si.alternatives.push_back(MapAlternative(item));
        } else {
          keywords.push_back(ToRaw(item));
        }
      }
      if (!maps) {
        auto fc = CompileFieldCondition("", keywords, placeholders_);
        if (!fc.ok()) Fail(v, "'" + name + "': " + fc.status().message());
        si.alternatives.push_back({std::move(fc).value()});
      }
    } else if (v.IsScalar()) {
      auto fc = CompileFieldCondition("", {ToRaw(v)}, placeholders_);
      if (!fc.ok()) Fail(v, "'" + name + "': " + fc.status().message());
      si.alternatives.push_back({std::move(fc).value()});
    } else {
      Fail(v, "search identifier '" + name + "' has no value");
    }
    return si;
  }

  // Reads search identifiers and the condition of `det` (skipping `skip`).
  Detection ReadDetection(const YAML::Node& det, const std::vector<std::string>& skip) {
    if (!det.IsMap()) Fail(det, "'detection' must be a mapping");
    Detection d;
    YAML::Node cond;
    for (const auto& kv : det) {
      const std::string key = kv.first.Scalar();
      if (key == "condition") {
        cond = kv.second;
        continue;
      }
      if (key == "timeframe") continue;  // Sigma 1 aggregation window; only meaningful with one
      if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
      d.identifiers.push_back(Identifier(key, kv.second));
    }
    if (!cond.IsDefined() || cond.IsNull()) Fail(det, "missing 'condition'");
    std::vector<std::string> names;
    for (const SearchIdentifier& si : d.identifiers) names.push_back(si.name);
    std::vector<YAML::Node> texts;
    if (cond.IsSequence()) {
      for (const YAML::Node& c : cond) texts.push_back(c);
    } else {
      texts.push_back(cond);
    }
    if (texts.empty()) Fail(cond, "'condition' is an empty list");
    for (const YAML::Node& c : texts) {
      if (!c.IsScalar()) Fail(c, "'condition' must be a string or a list of strings");
      auto parsed = ParseCondition(c.Scalar(), names);
      if (!parsed.ok()) Fail(c, parsed.status().message());
      d.conditions.push_back(std::move(parsed).value());
    }
    return d;
  }

  void ReadCorrelation(const YAML::Node& doc, Rule* r) {
    YAML::Node c = doc["correlation"];
    if (!c.IsMap()) Fail(c, "'correlation' must be a mapping");
    CorrelationSpec& s = r->correlation;
    const std::string type = Str(c, "type", true);
    static const std::vector<std::pair<std::string, CorrelationType>> kTypes = {
        {"event_count", CorrelationType::kEventCount},   {"value_count", CorrelationType::kValueCount},
        {"temporal", CorrelationType::kTemporal},        {"temporal_ordered", CorrelationType::kTemporalOrdered},
        {"value_sum", CorrelationType::kValueSum},       {"value_avg", CorrelationType::kValueAvg},
        {"value_min", CorrelationType::kValueMin},       {"value_max", CorrelationType::kValueMax},
        {"value_median", CorrelationType::kValueMedian}, {"value_percentile", CorrelationType::kValuePercentile},
    };
    bool known = false;
    for (const auto& [n, t] : kTypes) {
      if (n == type) {
        s.type = t;
        known = true;
      }
    }
    if (!known) Fail(c["type"], "unknown correlation type '" + type + "'");
    s.rules = StrList(c, "rules");
    if (s.rules.empty()) Fail(c, "correlation needs 'rules'");
    s.group_by = StrList(c, "group-by");
    const std::string timespan = Str(c, "timespan", true);
    auto ts = ParseDuration(timespan);
    if (!ts.ok() || *ts <= 0 || timespan.empty() || !std::isalpha(static_cast<unsigned char>(timespan.back()))) {
      Fail(c["timespan"], "invalid timespan '" + timespan + "' (a number and s, m, h, d or w)");
    }
    s.timespan = *ts;
    if (YAML::Node al = c["aliases"]; al.IsDefined() && !al.IsNull()) {
      if (!al.IsMap()) Fail(al, "'aliases' must map alias -> rule name -> field");
      for (const auto& kv : al) {
        if (!kv.second.IsMap()) Fail(kv.second, "alias '" + kv.first.Scalar() + "' must map rule name -> field");
        for (const auto& rf : kv.second) s.aliases[kv.first.Scalar()][rf.first.Scalar()] = rf.second.Scalar();
      }
    }
    YAML::Node cond = c["condition"];
    if (cond.IsDefined() && !cond.IsNull()) {
      if (!cond.IsMap()) Fail(cond, "correlation 'condition' must be a mapping (gt, gte, lt, lte, eq, field)");
      for (const auto& kv : cond) {
        const std::string k = kv.first.Scalar();
        if (k == "field") {
          if (kv.second.IsSequence()) {
            std::vector<std::string> fields;
            for (const YAML::Node& f : kv.second) fields.push_back(f.Scalar());
            if (fields.size() != 1) Fail(kv.second, "correlation 'field' lists more than one field");
            s.field = fields[0];
          } else {
            s.field = kv.second.Scalar();
          }
          continue;
        }
        double v = 0;
        if (!kv.second.IsScalar() || !IsPlainNumber(kv.second.Scalar(), &v)) {
          Fail(kv.second, "correlation condition '" + k + "' needs a number");
        }
        if (k == "gt") {
          s.condition.gt = v;
        } else if (k == "gte") {
          s.condition.gte = v;
        } else if (k == "lt") {
          s.condition.lt = v;
        } else if (k == "lte") {
          s.condition.lte = v;
        } else if (k == "eq") {
          s.condition.eq = v;
        } else if (k == "percentile") {
          if (v < 0 || v > 100) Fail(kv.second, "'percentile' must be between 0 and 100");
          s.percentile = v;
        } else {
          Fail(kv.first, "unknown correlation condition '" + k + "' (gt, gte, lt, lte, eq, field)");
        }
      }
    }
    const bool temporal = s.type == CorrelationType::kTemporal || s.type == CorrelationType::kTemporalOrdered;
    if (!temporal && s.condition.empty()) Fail(c, "correlation type '" + type + "' needs a condition");
    if (s.type != CorrelationType::kEventCount && !temporal && s.field.empty()) {
      Fail(c, "correlation type '" + type + "' needs 'field' in its condition");
    }
    YAML::Node gen = doc["generate"].IsDefined() ? doc["generate"] : c["generate"];
    if (gen.IsDefined() && !gen.IsNull()) {
      RawValue g = ToRaw(gen);
      if (g.kind != RawValue::Kind::kBool) Fail(gen, "'generate' must be true or false");
      s.generate = g.boolean;
    }
  }

  Rule Read(const YAML::Node& doc) {
    Rule r;
    r.file = file_;
    r.line = LineOf(doc);
    Common(doc, &r);
    if (doc["correlation"].IsDefined()) {
      r.kind = Rule::Kind::kCorrelation;
      ReadCorrelation(doc, &r);
    } else if (doc["filter"].IsDefined()) {
      r.kind = Rule::Kind::kFilter;
      ReadLogSource(doc, &r);
      YAML::Node f = doc["filter"];
      if (!f.IsMap()) Fail(f, "'filter' must be a mapping");
      r.filter_rules = StrList(f, "rules");
      r.detection = ReadDetection(f, {"rules"});
    } else {
      r.kind = Rule::Kind::kDetection;
      ReadLogSource(doc, &r);
      YAML::Node det = doc["detection"];
      if (!det.IsDefined() || det.IsNull()) Fail(doc, "missing required attribute 'detection'");
      r.detection = ReadDetection(det, {});
    }
    return r;
  }

 private:
  const std::string& file_;
  const Placeholders& placeholders_;
  RuleError error_;
};

}  // namespace

Result<FieldCondition> CompileYamlItem(const std::string& key, const YAML::Node& value,
                                       const Placeholders& placeholders) {
  std::vector<RawValue> values;
  if (value.IsSequence()) {
    for (const YAML::Node& item : value) {
      if (!item.IsScalar() && !item.IsNull()) return Status::SchemaError("'" + key + "' values must be scalars");
      values.push_back(ToRaw(item));
    }
  } else if (value.IsMap()) {
    return Status::SchemaError("'" + key + "' holds a mapping; values are scalars or lists of scalars");
  } else {
    values.push_back(ToRaw(value));
  }
  return CompileFieldCondition(key, values, placeholders);
}

bool Detection::Evaluate(const EventView& ev) const {
  // Identifier results, computed at most once per event.
  std::uint8_t cache_small[64];
  std::vector<std::uint8_t> cache_big;
  std::uint8_t* cache = cache_small;
  if (identifiers.size() > sizeof cache_small) {
    cache_big.assign(identifiers.size(), 0);
    cache = cache_big.data();
  } else {
    std::fill(cache_small, cache_small + identifiers.size(), 0);
  }
  auto ident = [&](int i) {
    if (cache[i] == 0) {
      bool any = false;
      for (const auto& alternative : identifiers[i].alternatives) {
        bool all = true;
        for (const FieldCondition& fc : alternative) {
          if (!EvaluateCondition(fc, ev)) {
            all = false;
            break;
          }
        }
        if (all) {
          any = true;
          break;
        }
      }
      cache[i] = any ? 2 : 1;
    }
    return cache[i] == 2;
  };
  for (const Condition& c : conditions) {
    if (EvaluateNode(c, c.root, ident)) return true;
  }
  return false;
}

std::string_view Name(CorrelationType t) {
  switch (t) {
    case CorrelationType::kEventCount: return "event_count";
    case CorrelationType::kValueCount: return "value_count";
    case CorrelationType::kTemporal: return "temporal";
    case CorrelationType::kTemporalOrdered: return "temporal_ordered";
    case CorrelationType::kValueSum: return "value_sum";
    case CorrelationType::kValueAvg: return "value_avg";
    case CorrelationType::kValueMin: return "value_min";
    case CorrelationType::kValueMax: return "value_max";
    case CorrelationType::kValueMedian: return "value_median";
    case CorrelationType::kValuePercentile: return "value_percentile";
  }
  return "?";
}

bool CountCondition::Test(double v) const {
  if (gt && !(v > *gt)) return false;
  if (gte && !(v >= *gte)) return false;
  if (lt && !(v < *lt)) return false;
  if (lte && !(v <= *lte)) return false;
  if (eq && !(v == *eq)) return false;
  return true;
}

std::string CountCondition::ToString() const {
  std::ostringstream os;
  auto add = [&](const char* op, const std::optional<double>& v) {
    if (!v) return;
    if (os.tellp() > 0) os << " and ";
    os << op << " " << *v;
  };
  add(">", gt);
  add(">=", gte);
  add("<", lt);
  add("<=", lte);
  add("=", eq);
  return os.str();
}

std::string Rule::Origin() const { return file + ":" + std::to_string(line); }
const std::string& Rule::Key() const { return !id.empty() ? id : (!name.empty() ? name : title); }
std::string Rejected::Origin() const { return line > 0 ? file + ":" + std::to_string(line) : file; }

void ParseRuleText(const std::string& text, const std::string& file, const Placeholders& placeholders,
                   LoadResult* out) {
  auto docs = ParseYamlDocuments(text, file);
  if (!docs.ok()) {
    Rejected rj;
    rj.file = file;
    rj.line = docs.status().location().line;
    rj.reason = docs.status().message();
    out->rejected.push_back(std::move(rj));
    return;
  }
  YAML::Node global;  // merging clones nodes (losing their line numbers): only when a global exists
  bool has_global = false;
  YAML::Node previous;
  for (const YAML::Node& raw : *docs) {
    if (!raw.IsDefined() || raw.IsNull()) continue;
    std::string action = ScalarAt(raw, "action");
    if (action == "global") {
      global = Merge(global, raw);
      has_global = true;
      continue;
    }
    if (action == "reset") {
      global = YAML::Node();
      has_global = false;
      continue;
    }
    YAML::Node doc;
    try {
      if (action == "repeat") {
        doc = Merge(previous, raw);
      } else if (!action.empty()) {
        Rejected rj{file, LineOf(raw), "", "", "unknown collection action '" + action + "'"};
        out->rejected.push_back(std::move(rj));
        continue;
      } else {
        doc = has_global ? Merge(global, raw) : raw;
      }
    } catch (const YAML::Exception& e) {
      out->rejected.push_back({file, LineOf(raw), "", "", std::string("cannot merge rule collection: ") + e.what()});
      continue;
    }
    previous = doc;
    DocReader reader(file, placeholders);
    try {
      out->rules.push_back(reader.Read(doc));
      if (out->rules.back().line == 0) out->rules.back().line = LineOf(raw);
    } catch (const Failure&) {
      Rejected rj;
      rj.file = file;
      rj.line = reader.error().line != 0 ? reader.error().line : LineOf(raw);
      rj.title = ScalarAt(doc, "title");
      rj.id = ScalarAt(doc, "id");
      rj.reason = reader.error().message;
      out->rejected.push_back(std::move(rj));
    } catch (const YAML::Exception& e) {
      Rejected rj{file, LineOf(raw), "", "", std::string("malformed rule: ") + e.what()};
      out->rejected.push_back(std::move(rj));
    }
  }
}

LoadResult LoadRules(const std::vector<std::string>& paths, const Placeholders& placeholders) {
  LoadResult out;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const std::string ext = it->path().extension().string();
        if (ext == ".yml" || ext == ".yaml") files.push_back(it->path().string());
      }
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    auto text = ReadFile(f, ReadLimits{kMaxPolicyBytes, 0});
    out.files.push_back(f);
    if (!text.ok()) {
      out.rejected.push_back({f, 0, "", "", text.status().message()});
      continue;
    }
    ParseRuleText(*text, f, placeholders, &out);
  }
  return out;
}

}  // namespace secbudget::detect::sigma
