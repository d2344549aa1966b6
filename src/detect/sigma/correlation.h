// Sigma correlation rules over the stream of rule matches.
//
// Semantics (docs/sigma.md): matches are grouped by the correlation's
// group-by values (aliases resolve a group-by name to each rule's own field;
// no group-by = one group). The window holds the group's matches with time in
// [t - timespan, t], t the newest match. A condition with a lower bound (gt,
// gte, eq) is tested after each match; when it holds the correlation fires on
// that match and the group starts over. A condition with only an upper bound
// (lt, lte) is tested when the window that began with the group's first match
// closes (Advance). temporal fires once every referenced rule (or the
// condition's count of distinct rules) matched in the window;
// temporal_ordered also needs them in the order listed. A firing is itself
// a match of the correlation, so correlations chain.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/time.h"
#include "detect/sigma/ruleset.h"

namespace secbudget::detect::sigma {

struct MatchRecord {
  int rule = -1;
  TimePoint time = 0;
  // Values of the fields the consuming correlations need (RuleSet::NeededFields).
  std::vector<std::pair<std::string, std::string>> values;
};

struct Firing {
  int rule = -1;  // the correlation
  TimePoint time = 0;
  std::vector<std::pair<std::string, std::string>> group;  // group-by name -> value
  double value = 0;                                        // the count or aggregate the condition tested
  std::size_t matches = 0;                                 // matches in the window
  TimePoint first = 0;                                     // time of the window's first match
};

class Correlator {
 public:
  explicit Correlator(const RuleSet& rules);

  // Feeds one match (in time order); appends every firing it causes,
  // chained ones included.
  void Feed(const MatchRecord& m, std::vector<Firing>* out);
  // Tests upper-bound-only conditions of windows closed before `now`.
  void Advance(TimePoint now, std::vector<Firing>* out);

  std::size_t GroupCount() const;

 private:
  struct Entry {
    TimePoint time = 0;
    int ref = 0;  // position of the matched rule in the correlation's rules
    std::string value;
  };
  struct Group {
    std::vector<std::pair<std::string, std::string>> key;
    std::deque<Entry> entries;
  };
  struct State {
    std::unordered_map<std::string, Group> groups;
  };

  void FeedOne(int correlation, const MatchRecord& m, std::vector<Firing>* out);
  bool Evaluate(int correlation, const Group& g, double* value) const;
  Firing Fire(int correlation, const Group& g, double value, TimePoint at) const;
  void Chain(const Firing& f, std::vector<Firing>* out);

  const RuleSet& rules_;
  std::vector<State> state_;  // per rule index (correlations only)
};

}  // namespace secbudget::detect::sigma
