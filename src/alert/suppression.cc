#include "alert/suppression.h"

#include <algorithm>

#include "common/hash.h"
#include "common/strings.h"

namespace secbudget {

namespace {

bool AnyGlob(const std::vector<std::string>& globs, const Labels& labels, std::string_view label) {
  if (globs.empty()) return true;
  const auto it = labels.find(label);
  const std::string_view value = it == labels.end() ? std::string_view() : std::string_view(it->second);
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& g) { return GlobMatch(g, value); });
}

// Labels an index may key on, most selective first.
constexpr std::string_view kIndexedLabels[] = {"finding", "vulnerability", "package", "artifact", "alertname",
                                               "rule",    "asset",         "service", "team"};

// The table of `label` in `tables`, added when absent (a handful of labels:
// a scan).
template <typename Table>
Table& TableFor(std::vector<Table>& tables, std::string_view label) {
  for (Table& t : tables) {
    if (t.label == label) return t;
  }
  Table& added = tables.emplace_back();
  added.label = label;
  return added;
}

}  // namespace

bool Suppression::InScope(const Labels& labels) const {
  return AnyGlob(assets, labels, "asset") && AnyGlob(services, labels, "service") && AnyGlob(teams, labels, "team") &&
         AnyGlob(environments, labels, "environment");
}

std::uint64_t Suppression::ContentHash() const {
  std::string text;
  auto add = [&](std::string_view s) {
    text.append(s);
    text.push_back('\x1f');
  };
  add(id);
  for (const Matcher& m : matchers) add(m.ToString());
  for (const auto* list : {&assets, &services, &teams, &environments}) {
    for (const std::string& s : *list) add(s);
    add("|");
  }
  add(reason);
  add(owner);
  add(approver);
  add(std::to_string(created));
  add(std::to_string(expires));
  add(compensating_control);
  return Hash64(text);
}

Duration SuppressionLimits::MaxForPriority(std::string_view p) const {
  if (p.size() == 2 && p[0] == 'P' && p[1] >= '1' && p[1] <= '4') {
    return max_by_priority[static_cast<std::size_t>(p[1] - '1')];
  }
  return max_unprioritised;
}

SuppressionIndex::SuppressionIndex(const std::vector<Suppression>* suppressions, SuppressionLimits limits)
    : all_(suppressions), limits_(limits) {
  for (std::uint32_t i = 0; i < all_->size(); ++i) {
    const Suppression& s = (*all_)[i];
    const Matcher* key = nullptr;
    for (std::string_view label : kIndexedLabels) {
      for (const Matcher& m : s.matchers) {
        if (m.IsEquality() && m.name() == label && !m.value().empty()) {
          key = &m;
          break;
        }
      }
      if (key != nullptr) break;
    }
    if (key == nullptr) {
      // A scope whose every pattern starts with literal text can be found by prefix.
      bool placed = false;
      for (const auto& [label, list] :
           {std::pair<std::string_view, const std::vector<std::string>*>{"service", &s.services},
            {"team", &s.teams},
            {"asset", &s.assets}}) {
        if (list->empty()) continue;
        std::vector<std::string> prefixes;
        for (const std::string& pattern : *list) {
          const std::size_t wild = pattern.find_first_of("*?");
          const std::string prefix = pattern.substr(0, wild);
          if (prefix.empty()) {
            prefixes.clear();
            break;
          }
          prefixes.push_back(prefix);
        }
        if (prefixes.empty()) continue;
        PrefixTable& table = TableFor(by_prefix_, label);
        for (const std::string& prefix : prefixes) {
          auto& ids = *table.ids.Insert(prefix, {}).first;
          if (ids.empty() || ids.back() != i) ids.push_back(i);
          if (std::find(table.lengths.begin(), table.lengths.end(), prefix.size()) == table.lengths.end())
            table.lengths.push_back(prefix.size());
        }
        placed = true;
        break;
      }
      if (!placed) scanned_.push_back(i);
    } else {
      TableFor(by_value_, key->name()).ids.Insert(key->value(), {}).first->push_back(i);
    }
  }
}

void SuppressionIndex::Candidates(const Labels& labels, std::vector<std::uint32_t>* out) const {
  // Each list is in policy order; merged (sorted, once each) only when more
  // than one contributed.
  int lists = 0;
  const auto add = [&](const std::vector<std::uint32_t>& ids) {
    out->insert(out->end(), ids.begin(), ids.end());
    ++lists;
  };
  for (const ValueTable& table : by_value_) {
    const std::string_view value = labels.Get(table.label, table.hint);
    if (value.empty()) continue;  // equalities with "" are not indexed
    if (const auto* ids = table.ids.Find(value)) add(*ids);
  }
  for (const PrefixTable& table : by_prefix_) {
    const std::string_view value = labels.Get(table.label, table.hint);
    for (std::size_t len : table.lengths) {
      if (len > value.size()) continue;
      if (const auto* ids = table.ids.Find(value.substr(0, len))) add(*ids);
    }
  }
  if (!scanned_.empty()) add(scanned_);
  if (lists > 1) {
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
  }
}

SuppressionMatch SuppressionIndex::Match(const Labels& labels, TimePoint at) const {
  SuppressionMatch out;
  if (all_ == nullptr) return out;
  thread_local std::vector<std::uint32_t> candidates;
  candidates.clear();
  Candidates(labels, &candidates);
  const Duration max = limits_.MaxForPriority(labels.Get("priority", priority_hint_));
  for (std::uint32_t i : candidates) {
    const Suppression& s = (*all_)[i];
    if (!s.Matches(labels)) continue;
    if (!s.ActiveAt(at)) {
      out.rejected.emplace_back(
          &s, at >= s.expires ? "expired " + FormatTime(s.expires) : "not valid before " + FormatTime(s.created));
      continue;
    }
    if (s.duration() > max) {
      out.rejected.emplace_back(&s, "lasts " + FormatDuration(s.duration()) + ", longer than the " +
                                        FormatDuration(max) + " allowed for this priority");
      continue;
    }
    out.applied = &s;
    break;
  }
  return out;
}

std::vector<const Suppression*> SuppressionIndex::MatchAnyTime(const Labels& labels) const {
  std::vector<const Suppression*> out;
  if (all_ == nullptr) return out;
  std::vector<std::uint32_t> candidates;
  Candidates(labels, &candidates);
  const Duration max = limits_.MaxFor(labels);
  for (std::uint32_t i : candidates) {
    const Suppression& s = (*all_)[i];
    if (s.duration() <= max && s.Matches(labels)) out.push_back(&s);
  }
  return out;
}

}  // namespace secbudget
