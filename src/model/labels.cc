#include "model/labels.h"

#include <algorithm>
#include <memory>
#include <new>
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

Labels::Rep* Labels::Allocate(std::size_t capacity) {
  void* block = ::operator new(sizeof(Rep) + capacity * (sizeof(value_type) + sizeof(std::uint32_t)));
  Rep* rep = new (block) Rep;
  rep->capacity = static_cast<std::uint32_t>(capacity);
  return rep;
}

void Labels::Release(Rep* rep) {
  if (rep == nullptr || rep->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  std::destroy_n(rep->entries(), rep->size);
  rep->~Rep();
  ::operator delete(rep);
}

std::size_t Labels::LowerBound(std::string_view name) const {
  std::size_t lo = 0, hi = size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (Less(rep_->entries()[rep_->order()[mid]].first, name)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

const std::string& Labels::at(std::string_view name) const {
  const value_type* e = Entry(name);
  if (e == nullptr) throw std::out_of_range("no label " + std::string(name));
  return e->second;
}

Labels::Rep& Labels::Mutable(std::size_t extra) {
  const std::size_t n = size();
  if (rep_ != nullptr && rep_->refs.load(std::memory_order_acquire) == 1 && n + extra <= rep_->capacity) return *rep_;
  // Grow by a few entries, not twice: a set gains a handful of derived
  // labels after it is read, and a doubled block leaves malloc's thread
  // cache for its slow path.
  std::size_t capacity = rep_ != nullptr ? rep_->capacity : 0;
  if (n + extra > capacity) capacity = n + std::max(extra, std::max<std::size_t>(4, n / 2));
  Rep* fresh = Allocate(capacity);
  if (rep_ != nullptr) {
    if (rep_->refs.load(std::memory_order_acquire) == 1) {
      std::uninitialized_move_n(rep_->entries(), n, fresh->entries());
    } else {
      std::uninitialized_copy_n(rep_->entries(), n, fresh->entries());
    }
    std::copy_n(rep_->order(), n, fresh->order());
    fresh->size = static_cast<std::uint32_t>(n);
    Release(rep_);
  }
  rep_ = fresh;
  return *rep_;
}

void Labels::reserve(size_type n) { Mutable(n > size() ? n - size() : 0); }

std::string& Labels::Add(std::size_t p, std::string_view name, std::string value) {
  std::string key(name);  // before Mutable: `name` may view this set's own entries
  Rep& r = Mutable(1);
  const std::uint32_t n = r.size;
  new (r.entries() + n) value_type(std::move(key), std::move(value));
  std::uint32_t* order = r.order();
  std::copy_backward(order + p, order + n, order + n + 1);
  order[p] = n;
  r.size = n + 1;
  return r.entries()[n].second;
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
  // The values may view this set's own entries (an alert's team label as its
  // owner): copied first when the block is about to move. (A name viewing
  // them would be present, and not added.)
  const bool moves = rep_ == nullptr || rep_->refs.load(std::memory_order_acquire) != 1 || size() + k > rep_->capacity;
  if (moves) {
    std::string copies[8];
    for (std::size_t j = 0; j < k; ++j) {
      copies[j] = fresh[j].second;
      fresh[j].second = copies[j];
    }
    Append(fresh, k);  // before the copies go
    return;
  }
  Append(fresh, k);
}

void Labels::Append(const std::pair<std::string_view, std::string_view>* fresh, std::size_t k) {
  Rep& r = Mutable(k);
  value_type* e = r.entries();
  std::uint32_t* order = r.order();
  const std::size_t n = r.size;
  for (std::size_t j = 0; j < k; ++j) new (e + n + j) value_type(fresh[j].first, fresh[j].second);
  r.size = static_cast<std::uint32_t>(n + k);
  // Merge the new entries (sorted, at n..n+k) into the name order from the back.
  std::size_t i = n, j = k, w = n + k;
  while (j > 0) {
    if (i > 0 && Less(fresh[j - 1].first, e[order[i - 1]].first)) {
      order[--w] = order[--i];
    } else {
      --j;
      order[--w] = static_cast<std::uint32_t>(n + j);
    }
  }
}

void Labels::Assign(const std::pair<std::string_view, std::string_view>* entries, std::size_t n, std::size_t extra) {
  clear();
  if (n == 0) {
    if (extra > 0) reserve(extra);
    return;
  }
  rep_ = Allocate(n + extra);
  value_type* e = rep_->entries();
  std::uint32_t* order = rep_->order();
  for (std::size_t i = 0; i < n; ++i) {
    new (e + i) value_type(entries[i].first, entries[i].second);
    rep_->size = static_cast<std::uint32_t>(i + 1);  // counted as built: a throw frees what was
    order[i] = static_cast<std::uint32_t>(i);
  }
  // Stable by name, so the first of equal names comes first.
  const auto less = [e](std::uint32_t a, std::uint32_t b) { return Less(e[a].first, e[b].first); };
  if (n <= 16) {
    for (std::size_t j = 1; j < n; ++j) {  // insertion sort: a dozen names
      const std::uint32_t v = order[j];
      std::size_t m = j;
      for (; m > 0 && less(v, order[m - 1]); --m) order[m] = order[m - 1];
      order[m] = v;
    }
  } else {
    std::stable_sort(order, order + n, less);
  }
  for (std::size_t p = 1; p < n; ++p) {
    if (e[order[p]].first == e[order[p - 1]].first) {
      // A repeated name (rare): build it again one by one, which keeps the first.
      Labels slow;
      slow.reserve(n + extra);
      for (std::size_t i = 0; i < n; ++i) slow.emplace(e[i].first, e[i].second);
      *this = std::move(slow);
      return;
    }
  }
}

std::string& Labels::operator[](std::string_view name) {
  const std::size_t p = LowerBound(name);
  if (p < size() && rep_->entries()[rep_->order()[p]].first == name) {
    Rep& r = Mutable(0);
    return r.entries()[r.order()[p]].second;
  }
  return Add(p, name, std::string());
}

Labels::const_iterator Labels::erase(const_iterator pos) {
  const auto p = static_cast<std::size_t>(pos.pos_ - rep_->order());
  Rep& r = Mutable(0);
  value_type* e = r.entries();
  std::uint32_t* order = r.order();
  const std::uint32_t gone = order[p], last = r.size - 1;
  // The last entry added takes the erased one's place.
  if (gone != last) {
    e[gone] = std::move(e[last]);
    for (std::uint32_t q = 0; q < r.size; ++q) {
      if (order[q] == last) order[q] = gone;
    }
  }
  std::destroy_at(e + last);
  std::copy(order + p + 1, order + r.size, order + p);
  r.size = last;
  if (r.size == 0) {
    clear();
    return {};
  }
  return At(p);
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
