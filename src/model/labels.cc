#include "model/labels.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace secbudget {

Labels::Labels(std::initializer_list<value_type> entries) {
  reserve(entries.size());
  for (const value_type& e : entries) emplace(e.first, e.second);
}

namespace {

// a < b, byte by byte: label names are short, and this saves a call to
// memcmp per step of the search.
bool Less(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

}  // namespace

std::size_t Labels::LowerBound(std::string_view name) const {
  std::size_t lo = 0, hi = size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (Less(rep_->entries[rep_->order[mid]].first, name)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

const std::string& Labels::at(std::string_view name) const {
  const const_iterator it = find(name);
  if (it == end()) throw std::out_of_range("no label " + std::string(name));
  return it->second;
}

Labels::Rep& Labels::Mutable() {
  if (!rep_) {
    rep_ = std::make_shared<Rep>();
  } else if (rep_.use_count() > 1) {
    rep_ = std::make_shared<Rep>(*rep_);
  }
  return *rep_;
}

void Labels::reserve(size_type n) {
  Rep& r = Mutable();
  r.entries.reserve(n);
  r.order.reserve(n);
}

std::string& Labels::Add(std::size_t p, std::string_view name, std::string value) {
  Rep& r = Mutable();
  if (r.entries.size() == r.entries.capacity()) {
    // Grow by a few entries, not twice: a set gains a handful of derived
    // labels after it is read, and 64-byte entries doubled past 16 leave
    // malloc's thread cache (1 KiB) for its slow path.
    const std::size_t want = r.entries.size() + std::max<std::size_t>(4, r.entries.size() / 2);
    r.entries.reserve(want);
    r.order.reserve(want);
  }
  r.entries.emplace_back(std::string(name), std::move(value));
  r.order.insert(r.order.begin() + static_cast<std::ptrdiff_t>(p), static_cast<std::uint32_t>(r.entries.size() - 1));
  return r.entries.back().second;
}

void Labels::AddAbsent(std::initializer_list<std::pair<std::string_view, std::string_view>> add) {
  if (add.size() > 8) {
    for (const auto& [name, value] : add) try_emplace(name, value);
    return;
  }
  std::pair<std::string_view, std::string_view> fresh[8];
  std::size_t k = 0;
  for (const auto& entry : add) {
    if (contains(entry.first)) continue;
    bool repeated = false;
    for (std::size_t j = 0; j < k && !repeated; ++j) repeated = fresh[j].first == entry.first;
    if (!repeated) fresh[k++] = entry;
  }
  if (k == 0) return;
  for (std::size_t j = 1; j < k; ++j) {  // insertion sort: a handful of names
    for (std::size_t m = j; m > 0 && Less(fresh[m].first, fresh[m - 1].first); --m) std::swap(fresh[m], fresh[m - 1]);
  }
  Rep& r = Mutable();
  const std::size_t n = r.entries.size();
  if (r.entries.capacity() < n + k) {
    const std::size_t want = n + std::max(k, std::max<std::size_t>(4, n / 2));  // as Add grows
    r.entries.reserve(want);
    r.order.reserve(want);
  }
  for (std::size_t j = 0; j < k; ++j) r.entries.emplace_back(std::string(fresh[j].first), std::string(fresh[j].second));
  // Merge the new entries (sorted, at n..n+k) into the order from the back.
  r.order.resize(n + k);
  std::size_t i = n, j = k, w = n + k;
  while (j > 0) {
    if (i > 0 && Less(fresh[j - 1].first, r.entries[r.order[i - 1]].first)) {
      r.order[--w] = r.order[--i];
    } else {
      --j;
      r.order[--w] = static_cast<std::uint32_t>(n + j);
    }
  }
}

std::string& Labels::operator[](std::string_view name) {
  const std::size_t p = LowerBound(name);
  if (p < size() && rep_->entries[rep_->order[p]].first == name) return Mutable().entries[rep_->order[p]].second;
  return Add(p, name, std::string());
}

Labels::const_iterator Labels::erase(const_iterator pos) {
  const auto p = static_cast<std::size_t>(pos.pos_ - rep_->order.data());
  Rep& r = Mutable();
  const std::uint32_t gone = r.order[p];
  r.entries.erase(r.entries.begin() + gone);
  r.order.erase(r.order.begin() + static_cast<std::ptrdiff_t>(p));
  for (std::uint32_t& i : r.order) {
    if (i > gone) --i;
  }
  if (r.entries.empty()) {
    rep_.reset();
    return {};
  }
  return const_iterator(r.entries.data(), r.order.data() + p);
}

Labels::size_type Labels::erase(std::string_view name) {
  const const_iterator it = find(name);
  if (it == end()) return 0;
  erase(it);
  return 1;
}

bool Labels::operator==(const Labels& other) const {
  if (rep_ == other.rep_) return true;
  if (size() != other.size()) return false;
  for (auto a = begin(), b = other.begin(); a != end(); ++a, ++b) {
    if (*a != *b) return false;
  }
  return true;
}

}  // namespace secbudget
