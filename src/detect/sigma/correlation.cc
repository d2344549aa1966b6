#include "detect/sigma/correlation.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

namespace secbudget::detect::sigma {

namespace {

const std::string* FindValue(const MatchRecord& m, const std::string& field) {
  for (const auto& [k, v] : m.values) {
    if (k == field) return &v;
  }
  return nullptr;
}

bool ToNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.size() == 1) return v[0];
  // Linear interpolation between closest ranks.
  double rank = p / 100.0 * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(rank));
  auto hi = static_cast<std::size_t>(std::ceil(rank));
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

}  // namespace

Correlator::Correlator(const RuleSet& rules) : rules_(rules), state_(rules.rules().size()) {}

void Correlator::Feed(const MatchRecord& m, std::vector<Firing>* out) {
  for (int c : rules_.Consumers(m.rule)) FeedOne(c, m, out);
}

void Correlator::FeedOne(int correlation, const MatchRecord& m, std::vector<Firing>* out) {
  const Rule& rule = rules_.rules()[static_cast<std::size_t>(correlation)];
  const CorrelationSpec& spec = rule.correlation;
  const Rule& matched = rules_.rules()[static_cast<std::size_t>(m.rule)];
  const auto& refs = rules_.References(correlation);
  const int ref = static_cast<int>(std::find(refs.begin(), refs.end(), m.rule) - refs.begin());

  std::vector<std::pair<std::string, std::string>> key;
  std::string key_text;
  for (const std::string& g : spec.group_by) {
    std::string field = g;
    if (auto alias = spec.aliases.find(g); alias != spec.aliases.end()) {
      for (const std::string* k : {&matched.name, &matched.id}) {
        auto it = alias->second.find(*k);
        if (!k->empty() && it != alias->second.end()) field = it->second;
      }
    }
    const std::string* v = FindValue(m, field);
    key.emplace_back(g, v != nullptr ? *v : "");
    key_text += key.back().second;
    key_text += '\x1f';
  }
  Group& group = state_[static_cast<std::size_t>(correlation)].groups[key_text];
  if (group.key.empty()) group.key = key;
  Entry e;
  e.time = m.time;
  e.ref = ref;
  if (!spec.field.empty()) {
    if (const std::string* v = FindValue(m, spec.field)) e.value = *v;
  }
  group.entries.push_back(std::move(e));

  const bool upper_only = !spec.condition.empty() && !spec.condition.HasLowerBound();
  if (upper_only) return;  // tested when the window closes (Advance)
  while (!group.entries.empty() && group.entries.front().time < m.time - spec.timespan) group.entries.pop_front();
  double value = 0;
  if (Evaluate(correlation, group, &value)) {
    Firing f = Fire(correlation, group, value, m.time);
    state_[static_cast<std::size_t>(correlation)].groups.erase(key_text);
    out->push_back(f);
    Chain(f, out);
  }
}

bool Correlator::Evaluate(int correlation, const Group& g, double* value) const {
  const CorrelationSpec& spec = rules_.rules()[static_cast<std::size_t>(correlation)].correlation;
  const std::size_t nrefs = rules_.References(correlation).size();
  switch (spec.type) {
    case CorrelationType::kEventCount:
      *value = static_cast<double>(g.entries.size());
      return spec.condition.Test(*value);
    case CorrelationType::kValueCount: {
      std::set<std::string> distinct;
      for (const Entry& e : g.entries) {
        if (!e.value.empty()) distinct.insert(e.value);
      }
      *value = static_cast<double>(distinct.size());
      return spec.condition.Test(*value);
    }
    case CorrelationType::kTemporal: {
      std::set<int> seen;
      for (const Entry& e : g.entries) seen.insert(e.ref);
      *value = static_cast<double>(seen.size());
      return spec.condition.empty() ? seen.size() == nrefs : spec.condition.Test(*value);
    }
    case CorrelationType::kTemporalOrdered: {
      // The earliest possible occurrence of refs 0, 1, ... in time order.
      std::vector<const Entry*> ordered;
      for (const Entry& e : g.entries) ordered.push_back(&e);
      std::stable_sort(ordered.begin(), ordered.end(),
                       [](const Entry* a, const Entry* b) { return a->time < b->time; });
      std::size_t next = 0;
      for (const Entry* e : ordered) {
        if (next < nrefs && e->ref == static_cast<int>(next)) ++next;
      }
      *value = static_cast<double>(next);
      return spec.condition.empty() ? next == nrefs : spec.condition.Test(*value);
    }
    default: {
      std::vector<double> nums;
      for (const Entry& e : g.entries) {
        double d = 0;
        if (ToNumber(e.value, &d)) nums.push_back(d);
      }
      if (nums.empty()) return false;
      double v = 0;
      switch (spec.type) {
        case CorrelationType::kValueSum:
          for (double d : nums) v += d;
          break;
        case CorrelationType::kValueAvg:
          for (double d : nums) v += d;
          v /= static_cast<double>(nums.size());
          break;
        case CorrelationType::kValueMin: v = *std::min_element(nums.begin(), nums.end()); break;
        case CorrelationType::kValueMax: v = *std::max_element(nums.begin(), nums.end()); break;
        case CorrelationType::kValueMedian: v = Percentile(nums, 50); break;
        default: v = Percentile(nums, spec.percentile); break;
      }
      *value = v;
      return spec.condition.Test(v);
    }
  }
}

Firing Correlator::Fire(int correlation, const Group& g, double value, TimePoint at) const {
  Firing f;
  f.rule = correlation;
  f.time = at;
  f.group = g.key;
  f.value = value;
  f.matches = g.entries.size();
  f.first = g.entries.empty() ? at : g.entries.front().time;
  return f;
}

void Correlator::Chain(const Firing& f, std::vector<Firing>* out) {
  if (rules_.Consumers(f.rule).empty()) return;
  MatchRecord m;
  m.rule = f.rule;
  m.time = f.time;
  m.values = f.group;
  Feed(m, out);
}

void Correlator::Advance(TimePoint now, std::vector<Firing>* out) {
  for (std::size_t c = 0; c < state_.size(); ++c) {
    auto& groups = state_[c].groups;
    if (groups.empty()) continue;
    const CorrelationSpec& spec = rules_.rules()[c].correlation;
    if (spec.condition.empty() || spec.condition.HasLowerBound()) continue;
    std::vector<std::string> closed;
    for (auto& [key, g] : groups) {
      if (g.entries.empty() || now <= g.entries.front().time + spec.timespan) continue;
      const TimePoint end = g.entries.front().time + spec.timespan;
      Group window;
      window.key = g.key;
      for (const Entry& e : g.entries) {
        if (e.time <= end) window.entries.push_back(e);
      }
      double value = 0;
      if (Evaluate(static_cast<int>(c), window, &value)) {
        Firing f = Fire(static_cast<int>(c), window, value, end);
        out->push_back(f);
        Chain(f, out);
      }
      closed.push_back(key);
    }
    for (const std::string& k : closed) groups.erase(k);
  }
}

std::size_t Correlator::GroupCount() const {
  std::size_t n = 0;
  for (const State& s : state_) n += s.groups.size();
  return n;
}

}  // namespace secbudget::detect::sigma
