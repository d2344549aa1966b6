// Labels and annotations: a small map from name to value, sorted by name,
// looked up by string_view.
//
// An alert's label set is copied far more often than it changes: into
// notification snapshots, into group labels, into state rows. So a Labels
// value shares its entries with its copies and copies them only when one of
// them changes (copy on write): copying is a reference count. The count,
// the entries (in the order they were added, so adding one moves none) and
// their indexes in name order live in one block: one allocation per set,
// where a shared_ptr to two vectors took three. std::map, a node per label,
// was once the alerting pipeline's main cost (docs/performance.md).
//
// It reads like a const std::map: iteration in name order over
// std::pair<std::string, std::string>, find / count / contains / at.
// Changes go through emplace / try_emplace / insert_or_assign / operator[] /
// erase / clear. Unlike std::map, a change invalidates iterators and
// references into the set (the entries may move), so take what you need
// before changing it. Copies may be shared across threads (the count is
// atomic); one set is not changed by two threads at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace secbudget {

// Where a name was last found, for looking one name up in many sets of one
// shape (alerts of one source list their labels in one order): a matcher
// keeps one. Copies start afresh. Relaxed atomic, so a policy shared by
// threads stays race-free; a stale position only costs a scan.
class LabelHint {
 public:
  LabelHint() = default;
  LabelHint(const LabelHint& /*other*/) {}
  LabelHint& operator=(const LabelHint& /*other*/) { return *this; }
  ~LabelHint() = default;

 private:
  friend class Labels;
  mutable std::atomic<std::uint32_t> pos_{0};
};

class Labels {
 public:
  using key_type = std::string;
  using mapped_type = std::string;
  using value_type = std::pair<std::string, std::string>;
  using size_type = std::size_t;

  // Walks the entries in name order.
  class ConstIterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = Labels::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    ConstIterator() = default;
    reference operator*() const { return entries_[*pos_]; }
    pointer operator->() const { return &entries_[*pos_]; }
    ConstIterator& operator++() {
      ++pos_;
      return *this;
    }
    ConstIterator operator++(int) {
      ConstIterator old = *this;
      ++pos_;
      return old;
    }
    ConstIterator& operator--() {
      --pos_;
      return *this;
    }
    ConstIterator operator--(int) {
      ConstIterator old = *this;
      --pos_;
      return old;
    }
    bool operator==(const ConstIterator& o) const { return pos_ == o.pos_; }
    bool operator!=(const ConstIterator& o) const { return pos_ != o.pos_; }

   private:
    friend class Labels;
    ConstIterator(const value_type* entries, const std::uint32_t* pos) : entries_(entries), pos_(pos) {}
    const value_type* entries_ = nullptr;
    const std::uint32_t* pos_ = nullptr;
  };
  using const_iterator = ConstIterator;
  using iterator = const_iterator;  // entries change only through the methods below

  Labels() = default;
  Labels(std::initializer_list<value_type> entries);  // the first of equal names wins, as std::map
  Labels(const Labels& other) : rep_(other.rep_) {
    if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  Labels(Labels&& other) noexcept : rep_(std::exchange(other.rep_, nullptr)) {}
  Labels& operator=(const Labels& other) {
    Labels copy(other);
    std::swap(rep_, copy.rep_);
    return *this;
  }
  Labels& operator=(Labels&& other) noexcept {
    std::swap(rep_, other.rep_);
    return *this;
  }
  ~Labels() { Release(rep_); }

  // a == b, without a call to memcmp for the short texts labels mostly are
  // (names, teams, services): two overlapping word loads compare 4 to 16
  // bytes.
  static bool Same(std::string_view a, std::string_view b) {
    const std::size_t n = a.size();
    if (n != b.size()) return false;
    const char* x = a.data();
    const char* y = b.data();
    if (n >= 8) {
      if (n > 16) return std::memcmp(x, y, n) == 0;
      return ((Load<std::uint64_t>(x) ^ Load<std::uint64_t>(y)) |
              (Load<std::uint64_t>(x + n - 8) ^ Load<std::uint64_t>(y + n - 8))) == 0;
    }
    if (n >= 4) {
      return ((Load<std::uint32_t>(x) ^ Load<std::uint32_t>(y)) |
              (Load<std::uint32_t>(x + n - 4) ^ Load<std::uint32_t>(y + n - 4))) == 0;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (x[i] != y[i]) return false;
    }
    return true;
  }

  size_type size() const { return rep_ != nullptr ? rep_->size : 0; }
  bool empty() const { return size() == 0; }
  const_iterator begin() const { return rep_ != nullptr ? At(0) : const_iterator(); }
  const_iterator end() const { return rep_ != nullptr ? At(rep_->size) : const_iterator(); }

  // A linear scan comparing lengths first: label sets are small (a dozen
  // names) and most names differ in length; a binary search measured
  // slower (callgrind, bench/alert).
  const_iterator find(std::string_view name) const {
    if (rep_ == nullptr) return {};
    const value_type* entries = rep_->entries();
    const std::uint32_t* order = rep_->order();
    for (std::size_t p = 0; p < rep_->size; ++p) {
      if (SameName(entries[order[p]].first, name)) return const_iterator(entries, order + p);
    }
    return end();
  }
  // The entry named `name` (null when absent), trying position `hint` in
  // name order first: sets of one shape (alerts of one source) hold a name
  // at the same position.
  const value_type* EntryNear(std::string_view name, size_type hint) const {
    if (hint < size()) {
      const value_type* e = &rep_->entries()[rep_->order()[hint]];
      if (SameName(e->first, name)) return e;
    }
    return Entry(name);
  }
  size_type count(std::string_view name) const { return Entry(name) != nullptr ? 1 : 0; }
  bool contains(std::string_view name) const { return Entry(name) != nullptr; }
  // The value of `name`; throws std::out_of_range when absent (as std::map::at).
  const std::string& at(std::string_view name) const;
  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const {
    const value_type* e = Entry(name);
    return e == nullptr ? std::string_view() : std::string_view(e->second);
  }

  // Get, trying the entry `hint` found last first (and remembering where
  // this one was found).
  std::string_view Get(std::string_view name, const LabelHint& hint) const {
    if (rep_ == nullptr) return {};
    const value_type* e = rep_->entries();
    const std::uint32_t h = hint.pos_.load(std::memory_order_relaxed);
    if (h < rep_->size && SameName(e[h].first, name)) return e[h].second;
    const value_type* found = Entry(name);
    if (found == nullptr) return {};
    hint.pos_.store(static_cast<std::uint32_t>(found - e), std::memory_order_relaxed);
    return found->second;
  }

  // Adds name=value unless `name` is present; returns the entry and whether
  // it was added.
  template <typename K, typename V>
  std::pair<const_iterator, bool> emplace(K&& name, V&& value) {
    return Insert(std::string_view(name), std::forward<V>(value), /*assign=*/false);
  }
  template <typename V>
  std::pair<const_iterator, bool> try_emplace(std::string_view name, V&& value) {
    return Insert(name, std::forward<V>(value), /*assign=*/false);
  }
  template <typename V>
  std::pair<const_iterator, bool> insert_or_assign(std::string_view name, V&& value) {
    return Insert(name, std::forward<V>(value), /*assign=*/true);
  }
  // Adds each name=value whose name is absent (the first of equal names
  // wins), as try_emplace one by one would, with one merge into the name
  // order: for the labels an alert gains from its own fields.
  void AddAbsent(std::initializer_list<std::pair<std::string_view, std::string_view>> add);
  // Makes the set the `n` name=value pairs (the first of equal names wins,
  // as emplace one by one would), with room for `extra` more: one block and
  // one sort, for a set read whole (a JSON object's members). The views
  // may not point into this set.
  void Assign(const std::pair<std::string_view, std::string_view>* entries, std::size_t n, std::size_t extra = 0);
  // The value of `name`, added empty when absent. The reference lasts until
  // the next change.
  std::string& operator[](std::string_view name);
  // Removes one entry; returns the entry after it.
  const_iterator erase(const_iterator pos);
  size_type erase(std::string_view name);
  void clear() {
    Release(rep_);
    rep_ = nullptr;
  }
  // Room for `n` entries (an unshared set: a shared one is copied first).
  void reserve(size_type n);

  bool operator==(const Labels& other) const;
  // True when both share one block (a copy nobody changed since).
  bool SharesWith(const Labels& other) const { return rep_ != nullptr && rep_ == other.rep_; }

 private:
  // The block: this header, room for `capacity` entries (the first `size`
  // live, in the order they were added), then `capacity` indexes of which
  // the first `size` list the entries in name order.
  struct alignas(value_type) Rep {
    std::atomic<std::uint32_t> refs{1};
    std::uint32_t size = 0;
    std::uint32_t capacity = 0;
    value_type* entries() { return reinterpret_cast<value_type*>(this + 1); }
    const value_type* entries() const { return reinterpret_cast<const value_type*>(this + 1); }
    std::uint32_t* order() { return reinterpret_cast<std::uint32_t*>(entries() + capacity); }
    const std::uint32_t* order() const { return reinterpret_cast<const std::uint32_t*>(entries() + capacity); }
  };
  template <typename W>
  static W Load(const char* p) {
    W w;
    std::memcpy(&w, p, sizeof w);
    return w;
  }
  const_iterator At(std::size_t p) const { return const_iterator(rep_->entries(), rep_->order() + p); }
  static Rep* Allocate(std::size_t capacity);
  static void Release(Rep* rep);

  static bool SameName(const std::string& key, std::string_view name) { return Same(key, name); }
  const value_type* Entry(std::string_view name) const {
    if (rep_ == nullptr) return nullptr;
    const value_type* e = rep_->entries();
    for (const value_type* end = e + rep_->size; e != end; ++e) {
      if (SameName(e->first, name)) return e;
    }
    return nullptr;
  }
  // The entries, unshared (copied first if another Labels shares them),
  // with room for `extra` more.
  Rep& Mutable(std::size_t extra);
  // Position in name order of the first entry not less than `name`.
  std::size_t LowerBound(std::string_view name) const;
  // AddAbsent's second half: adds `k` entries, sorted by name and absent,
  // with room made for them.
  void Append(const std::pair<std::string_view, std::string_view>* fresh, std::size_t k);
  // Adds an entry at name-order position `p`; returns its value.
  std::string& Add(std::size_t p, std::string_view name, std::string value);
  template <typename V>
  std::pair<const_iterator, bool> Insert(std::string_view name, V&& value, bool assign) {
    // Names usually arrive in order (JSON objects, copies of sorted sets).
    const std::size_t n = size();
    const std::size_t p =
        n == 0 || std::string_view(rep_->entries()[rep_->order()[n - 1]].first) < name ? n : LowerBound(name);
    if (p < n && rep_->entries()[rep_->order()[p]].first == name) {
      if (assign) {
        Rep& r = Mutable(0);
        r.entries()[r.order()[p]].second = std::forward<V>(value);
      }
      return {At(p), false};
    }
    Add(p, name, std::string(std::forward<V>(value)));
    return {At(p), true};
  }

  Rep* rep_ = nullptr;  // null when empty
};

// nlohmann::json conversion (found by argument-dependent lookup): an object
// of strings, in name order.
template <typename Json>
void to_json(Json& j, const Labels& labels) {
  j = Json::object();
  for (const auto& [name, value] : labels) j[name] = value;
}

}  // namespace secbudget
