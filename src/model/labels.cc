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
