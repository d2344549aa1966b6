// A loaded set of Sigma rules ready to run: references resolved (filters to
// their rules, correlations to the rules and correlations they chain),
// detections compiled per log type with that type's field mapping, and a
// prefilter index per log type.
//
// The prefilter: for each rule, the condition is analysed for a field whose
// value the rule requires to be one of a set of plain strings (for example
// eventName in {StopLogging, DeleteTrail}); the rule is then indexed under
// those values and only evaluated on events that carry one of them. Rules
// with no such field are evaluated on every event of their log type.
// Matching is const and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "detect/event.h"
#include "detect/logsource.h"
#include "detect/sigma/rule.h"

namespace secbudget::detect::sigma {

class RuleSet {
 public:
  // Takes the loaded rules; rules whose references cannot be resolved move
  // to rejected().
  RuleSet(LoadResult loaded, const LogSourceConfig& config);

  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<Rejected>& rejected() const { return rejected_; }
  const std::vector<std::string>& files() const { return files_; }

  // Detection rules (indices into rules()) that match `ev`, appended to
  // `out` in rule order. Thread-safe.
  void Match(const EventView& ev, std::vector<int>* out) const;

  // Whether a matched detection rule alerts on its own (false when only a
  // correlation consumes it and that correlation does not `generate`).
  bool Alerts(int rule) const { return alerts_[static_cast<std::size_t>(rule)]; }
  // Log types each rule serves (names), for `rules check`.
  std::vector<std::string> Routes(int rule) const;
  // Correlation rules consuming rule i (indices into rules()).
  const std::vector<int>& Consumers(int rule) const { return consumers_[static_cast<std::size_t>(rule)]; }
  // Resolved references of correlation rule i (indices into rules()).
  const std::vector<int>& References(int rule) const { return references_[static_cast<std::size_t>(rule)]; }
  // Fields a matched event of rule i must carry for its correlations.
  const std::vector<std::string>& NeededFields(int rule) const { return needed_[static_cast<std::size_t>(rule)]; }
  const LogSourceConfig& config() const { return config_; }

  // The prefilter in figures: rules indexed / evaluated on every event.
  struct IndexStats {
    std::size_t indexed = 0;
    std::size_t unindexed = 0;
  };
  IndexStats Stats() const;

 private:
  struct Compiled {
    int rule = -1;
    Detection detection;
    std::vector<Detection> filters;
  };
  struct TypeIndex {
    std::vector<Compiled> compiled;
    std::vector<int> always;  // indices into compiled
    // Hash and equality that ignore ASCII case, so that an event's value is
    // looked up as it is, without lowering a copy of it first.
    struct Caseless {
      using is_transparent = void;
      std::size_t operator()(std::string_view s) const;
      bool operator()(std::string_view a, std::string_view b) const;
    };
    struct FieldIndex {
      FieldPath path;
      std::unordered_map<std::string, std::vector<int>, Caseless, Caseless> by_value;  // value -> compiled
    };
    std::vector<FieldIndex> fields;
  };

  void Resolve();
  void BuildIndex();

  LogSourceConfig config_;
  std::vector<Rule> rules_;
  std::vector<Rejected> rejected_;
  std::vector<std::string> files_;
  std::vector<bool> alerts_;
  std::vector<std::vector<int>> consumers_;
  std::vector<std::vector<int>> references_;
  std::vector<std::vector<int>> filters_;  // per detection rule: filter rule indices
  std::vector<std::vector<std::string>> needed_;
  std::vector<TypeIndex> types_;
};

}  // namespace secbudget::detect::sigma
