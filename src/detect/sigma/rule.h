// Sigma rules as loaded: detection rules, correlation rules and filters
// (Sigma specification v2), with every field the specification defines.
//
// Loading never throws and never stops at a bad rule: each YAML document
// becomes a Rule or a Rejected entry with its file:line and the reason, so
// `secbudget rules check` can list both. Rule collections are supported:
// `action: global` documents merge into the documents that follow,
// `action: reset` clears them and `action: repeat` repeats the previous
// document with the given changes.
//
// Where the specification leaves a choice (docs/sigma.md):
// - unknown top-level attributes are kept out of the way (the specification
//   allows custom attributes);
// - `status: unsupported` is rejected (the specification: "can not be used
//   in its current state"); deprecated rules load;
// - a filter's condition is ANDed with the rules it names (pySigma), so a
//   filter that removes events says `condition: not selection`; a filter
//   without `rules` applies to every rule of its log source;
// - correlations also accept value_sum, value_avg, value_min, value_max,
//   value_median and value_percentile (condition key `percentile`, default 95).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "detect/sigma/condition.h"
#include "detect/sigma/value.h"

namespace YAML {
class Node;
}

namespace secbudget::detect::sigma {

// Compiles one `field|modifiers: value(s)` item written in YAML (used by
// anomaly detectors' `where`).
Result<FieldCondition> CompileYamlItem(const std::string& key, const YAML::Node& value,
                                       const Placeholders& placeholders);

struct LogSource {
  std::string category;
  std::string product;
  std::string service;
  std::string definition;
};

struct SearchIdentifier {
  std::string name;
  // OR of alternatives; each alternative is an AND of field conditions.
  std::vector<std::vector<FieldCondition>> alternatives;
};

struct Detection {
  std::vector<SearchIdentifier> identifiers;
  std::vector<Condition> conditions;  // a condition list is OR

  bool Evaluate(const EventView& ev) const;
};

enum class CorrelationType : std::uint8_t {
  kEventCount,
  kValueCount,
  kTemporal,
  kTemporalOrdered,
  kValueSum,
  kValueAvg,
  kValueMin,
  kValueMax,
  kValueMedian,
  kValuePercentile,
};
std::string_view Name(CorrelationType t);

struct CountCondition {
  std::optional<double> gt, gte, lt, lte, eq;
  bool Test(double v) const;
  bool HasLowerBound() const { return gt || gte || eq; }
  bool empty() const { return !gt && !gte && !lt && !lte && !eq; }
  std::string ToString() const;
};

struct CorrelationSpec {
  CorrelationType type = CorrelationType::kEventCount;
  std::vector<std::string> rules;     // ids or names, as written
  std::vector<std::string> group_by;  // field or alias names
  // alias -> (rule name -> field)
  std::map<std::string, std::map<std::string, std::string>> aliases;
  Duration timespan = 0;
  CountCondition condition;
  std::string field;  // value_count and value_* types
  double percentile = 95;
  bool generate = false;
};

struct Rule {
  enum class Kind : std::uint8_t { kDetection, kCorrelation, kFilter };
  Kind kind = Kind::kDetection;
  std::string file;
  std::uint64_t line = 0;

  std::string title, id, name, status, description, author, date, modified, level, license, scope;
  std::vector<std::string> tags, references, falsepositives, fields;
  std::vector<std::pair<std::string, std::string>> related;  // (id, type)
  LogSource logsource;
  Detection detection;                    // kDetection, kFilter (the filter's selections)
  CorrelationSpec correlation;            // kCorrelation
  std::vector<std::string> filter_rules;  // kFilter: ids or names ("" list = every rule)

  // "file:line".
  std::string Origin() const;
  // id, else name, else title.
  const std::string& Key() const;
};

struct Rejected {
  std::string file;
  std::uint64_t line = 0;
  std::string title;
  std::string id;
  std::string reason;
  std::string Origin() const;
};

struct LoadResult {
  std::vector<Rule> rules;
  std::vector<Rejected> rejected;
  std::vector<std::string> files;
};

// Loads every .yml / .yaml file under each path (files or directories,
// recursively, in sorted order). Unreadable files become rejections.
LoadResult LoadRules(const std::vector<std::string>& paths, const Placeholders& placeholders);
// Parses one file's text (a rule or a rule collection).
void ParseRuleText(const std::string& text, const std::string& file, const Placeholders& placeholders, LoadResult* out);

}  // namespace secbudget::detect::sigma
