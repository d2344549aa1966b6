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

}  // namespace

bool Suppression::InScope(const Labels& labels) const {
  return AnyGlob(assets, labels, "asset") && AnyGlob(services, labels, "service") &&
         AnyGlob(teams, labels, "team") && AnyGlob(environments, labels, "environment");
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

Duration SuppressionLimits::MaxFor(const Labels& labels) const {
  const auto it = labels.find(std::string_view("priority"));
  if (it != labels.end() && it->second.size() == 2 && it->second[0] == 'P' && it->second[1] >= '1' &&
      it->second[1] <= '4') {
    return max_by_priority[static_cast<std::size_t>(it->second[1] - '1')];
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
      scanned_.push_back(i);
    } else {
      by_value_[key->name()][key->value()].push_back(i);
    }
  }
}

SuppressionMatch SuppressionIndex::Match(const Labels& labels, TimePoint at) const {
  SuppressionMatch out;
  if (all_ == nullptr) return out;
  // Candidates in policy order: indexed hits plus the scanned ones.
  std::uint32_t small[16];
  std::vector<std::uint32_t> many;
  std::size_t n = 0;
  auto push = [&](std::uint32_t i) {
    if (n < 16) {
      small[n++] = i;
    } else {
      if (many.empty()) many.assign(small, small + 16);
      many.push_back(i);
      ++n;
    }
  };
  for (const auto& [label, values] : by_value_) {
    const auto lit = labels.find(label);
    if (lit == labels.end()) continue;
    const auto vit = values.find(lit->second);
    if (vit == values.end()) continue;
    for (std::uint32_t i : vit->second) push(i);
  }
  for (std::uint32_t i : scanned_) push(i);
  std::uint32_t* begin = many.empty() ? small : many.data();
  std::sort(begin, begin + n);
  const Duration max = limits_.MaxFor(labels);
  for (std::size_t k = 0; k < n; ++k) {
    const Suppression& s = (*all_)[begin[k]];
    if (!s.Matches(labels)) continue;
    if (!s.ActiveAt(at)) {
      out.rejected.emplace_back(&s, at >= s.expires ? "expired " + FormatTime(s.expires)
                                                    : "not valid before " + FormatTime(s.created));
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

}  // namespace secbudget
