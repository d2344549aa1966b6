// Labels and annotations: a small map from name to value, sorted by name,
// looked up by string_view.
//
// An alert's label set is copied far more often than it changes: into
// notification snapshots, into group labels, into state rows. So a Labels
// value shares its entries with its copies and copies them only when one of
// them changes (copy on write): copying is a reference count, and the
// entries live in one sorted array rather than a node per label, which is
// what made std::map the alerting pipeline's main cost (docs/performance.md).
//
// It reads like a const std::map: iteration in name order over
// std::pair<std::string, std::string>, find / count / contains / at.
// Changes go through emplace / try_emplace / insert_or_assign / operator[] /
// erase / clear. Unlike std::map, a change invalidates iterators and
// references into the set (the entries may move), so take what you need
// before changing it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace secbudget {

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

  size_type size() const { return rep_ ? rep_->entries.size() : 0; }
  bool empty() const { return size() == 0; }
  const_iterator begin() const {
    return rep_ ? const_iterator(rep_->entries.data(), rep_->order.data()) : const_iterator();
  }
  const_iterator end() const {
    return rep_ ? const_iterator(rep_->entries.data(), rep_->order.data() + rep_->order.size()) : const_iterator();
  }

  // A linear scan comparing lengths first: label sets are small (a dozen
  // names) and most names differ in length; a binary search through the
  // order index measured slower (callgrind, bench/alert).
  const_iterator find(std::string_view name) const {
    if (!rep_) return {};
    const value_type* entries = rep_->entries.data();
    const std::uint32_t* order = rep_->order.data();
    const std::size_t n = rep_->order.size();
    for (std::size_t p = 0; p < n; ++p) {
      if (SameName(entries[order[p]].first, name)) return const_iterator(entries, order + p);
    }
    return end();
  }
  // Like find, trying position `hint` first: sets of one shape (alerts of
  // one source) hold a name at the same position.
  const_iterator FindNear(std::string_view name, size_type hint) const {
    if (hint < size()) {
      const std::uint32_t* at = rep_->order.data() + hint;
      if (std::string_view(rep_->entries[*at].first) == name) return const_iterator(rep_->entries.data(), at);
    }
    return find(name);
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
  // The value of `name`, added empty when absent. The reference lasts until
  // the next change.
  std::string& operator[](std::string_view name);
  // Removes one entry; returns the entry after it.
  const_iterator erase(const_iterator pos);
  size_type erase(std::string_view name);
  void clear() { rep_.reset(); }
  // Room for `n` entries (an unshared set: a shared one is copied first).
  void reserve(size_type n);

  bool operator==(const Labels& other) const;
  // True when both share one array (a copy nobody changed since).
  bool SharesWith(const Labels& other) const { return rep_ != nullptr && rep_ == other.rep_; }

 private:
  // Entries in the order they were added (so adding one moves none), and
  // their indexes in name order.
  struct Rep {
    std::vector<value_type> entries;
    std::vector<std::uint32_t> order;
  };
  // The entry named `name`, or null: find's scan without its position in
  // name order, straight over the entries (one load less per step).
  // Names of one length (service, package, finding) mostly differ in their
  // first byte: test it before calling memcmp.
  static bool SameName(const std::string& key, std::string_view name) {
    return key.size() == name.size() && (name.empty() || key[0] == name[0]) && std::string_view(key) == name;
  }
  const value_type* Entry(std::string_view name) const {
    if (!rep_) return nullptr;
    for (const value_type& e : rep_->entries) {
      if (SameName(e.first, name)) return &e;
    }
    return nullptr;
  }
  // The entries, copied first if another Labels shares them.
  Rep& Mutable();
  // Position in `order` of the first entry not less than `name`.
  std::size_t LowerBound(std::string_view name) const;
  // Adds an entry at order position `p`; returns its value.
  std::string& Add(std::size_t p, std::string_view name, std::string value);
  template <typename V>
  std::pair<const_iterator, bool> Insert(std::string_view name, V&& value, bool assign) {
    // Names usually arrive in order (JSON objects, copies of sorted sets).
    const std::size_t n = size();
    const std::size_t p =
        n == 0 || std::string_view(rep_->entries[rep_->order.back()].first) < name ? n : LowerBound(name);
    if (p < n && rep_->entries[rep_->order[p]].first == name) {
      if (assign) Mutable().entries[rep_->order[p]].second = std::forward<V>(value);
      return {const_iterator(rep_->entries.data(), rep_->order.data() + p), false};
    }
    Add(p, name, std::string(std::forward<V>(value)));
    return {const_iterator(rep_->entries.data(), rep_->order.data() + p), true};
  }

  std::shared_ptr<Rep> rep_;  // null when empty
};

// nlohmann::json conversion (found by argument-dependent lookup): an object
// of strings, in name order.
template <typename Json>
void to_json(Json& j, const Labels& labels) {
  j = Json::object();
  for (const auto& [name, value] : labels) j[name] = value;
}

}  // namespace secbudget
