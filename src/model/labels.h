// Labels and annotations: a small map from name to value, sorted by name,
// looked up by string_view.
//
// An alert's label set is copied far more often than it changes: into
// notification snapshots, into group labels, into state rows. So a Labels
// value shares its entries with its copies and copies them only when one of
// them changes (copy on write): copying is a reference count. Everything a
// set holds lives in one block: the count, the entries (12 bytes each: the
// name's number and where the value is in the block's text, in the order
// they were added, so adding one moves none), their indexes in name order,
// and the values' texts. One allocation per set, whatever the length of
// its values: a std::string per name and value allocated on its own past
// 15 characters (a finding id, a timestamp), and building and freeing them
// was a third of the alerting pipeline's work (docs/performance.md).
//
// Names are few (a few dozen across every source) and repeated in every
// set, so each is stored once for the process (LabelNames) and a set holds
// its number. An alert's label block is about 300 bytes instead of 700,
// and a look-up with a LabelHint compares numbers, not texts.
//
// It reads like a const std::map: iteration in name order over
// std::pair<std::string_view, std::string_view> (made as it is read, so
// held by value, not by reference; the name's view is valid for the
// process, the value's while the set is unchanged), find / count /
// contains / at. Changes go through emplace / try_emplace / insert_or_assign /
// operator[] (which assigns: `labels["team"] = "payments"`) / erase /
// clear. A change invalidates iterators and the views read from the set
// (the block may move), so copy what you keep before changing it. Copies
// may be shared across threads (the count is atomic); one set is not
// changed by two threads at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace secbudget {

// Where a name was last found, for looking one name up in many sets of one
// shape (alerts of one source list their labels in one order): a matcher
// keeps one. It also remembers the shape (Labels::SameShape) of the last
// set the name was missing from, so sets of that shape answer "absent"
// without a scan, and the name's number (LabelNames), so that a look-up
// compares numbers. A hint serves one name: used for another, it would find
// the first name's entry. Copies start afresh. Relaxed atomics, so a policy shared
// by threads stays race-free; a stale position only costs a scan.
class LabelHint {
 public:
  LabelHint() = default;
  LabelHint(const LabelHint& /*other*/) {}
  LabelHint& operator=(const LabelHint& /*other*/) { return *this; }
  ~LabelHint() = default;

 private:
  friend class Labels;
  mutable std::atomic<std::uint32_t> pos_{0};
  mutable std::atomic<std::uint32_t> absent_from_{0};  // a shape without the name (0: none)
  mutable std::atomic<std::uint32_t> name_id_{0};      // the name's number (LabelNames), 0 until first used
};

// Label names, each stored once for the process and known by a number
// (from 1). Names come from code and policy (sources, detectors' entity
// fields, matchers), not from data, so the table only grows, and by a few
// dozen entries; values are many and stay in each set's block. Past
// kMaxNames distinct names Intern throws std::length_error.
class LabelNames {
  static constexpr std::uint32_t kChunkBits = 10, kChunk = 1u << kChunkBits, kChunks = 1u << 12;

 public:
  static constexpr std::uint32_t kMaxNames = kChunk * kChunks - 1;
  // The number of `name` (added when new). Thread-safe: each thread keeps
  // the numbers it has looked up, and takes a lock only for a name new to it.
  static std::uint32_t Intern(std::string_view name);
  // The text of a number Intern returned (in any thread).
  static std::string_view Text(std::uint32_t id) {
    return chunks_[id >> kChunkBits].load(std::memory_order_acquire)[id & (kChunk - 1)];
  }

 private:
  // Numbers to texts, in chunks of kChunk that never move (so a reader needs
  // no lock); a chunk is published with release after its entry is written.
  static std::atomic<const std::string_view*> chunks_[kChunks];
};

class Labels {
  struct Rep;

 public:
  using key_type = std::string_view;
  using mapped_type = std::string_view;
  using value_type = std::pair<std::string_view, std::string_view>;
  using size_type = std::size_t;

  // What `it->` reads: the pair, held (entries are made as they are read).
  class Arrow {
   public:
    explicit Arrow(value_type v) : v_(v) {}
    const value_type* operator->() const { return &v_; }

   private:
    value_type v_;
  };

  // Walks the entries in name order; dereferencing makes the pair.
  class ConstIterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = Labels::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = Arrow;
    using reference = value_type;

    ConstIterator() = default;
    reference operator*() const { return rep_->View(*pos_); }
    pointer operator->() const { return Arrow(**this); }
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
    ConstIterator(const Rep* rep, const std::uint32_t* pos) : rep_(rep), pos_(pos) {}
    const Rep* rep_ = nullptr;
    const std::uint32_t* pos_ = nullptr;
  };
  using const_iterator = ConstIterator;
  using iterator = const_iterator;  // entries change only through the methods below

  // What operator[] returns: assigning to it sets the value (adding the
  // name when absent); reading it gives the value, or "" when absent.
  class ValueRef {
   public:
    ValueRef(const ValueRef&) = default;
    ~ValueRef() = default;
    ValueRef& operator=(std::string_view value) {
      labels_->insert_or_assign(name_, value);
      return *this;
    }
    ValueRef& operator=(const ValueRef& other) {  // copies the value, not the reference
      if (this == &other) return *this;
      return *this = std::string_view(other);
    }
    operator std::string_view() const { return labels_->Get(name_); }  // NOLINT(google-explicit-constructor)
    friend bool operator==(const ValueRef& a, std::string_view b) { return std::string_view(a) == b; }

   private:
    friend class Labels;
    ValueRef(Labels* labels, std::string_view name) : labels_(labels), name_(name) {}
    Labels* labels_;
    std::string_view name_;
  };

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
    const std::uint32_t* order = rep_->order();
    for (std::size_t p = 0; p < rep_->size; ++p) {
      if (Same(rep_->Name(order[p]), name)) return const_iterator(rep_, order + p);
    }
    return end();
  }
  // The value of the name numbered `name_id` (LabelNames), trying position
  // `hint` in name order first: sets of one shape (alerts of one source)
  // hold a name at the same position.
  std::optional<std::string_view> ValueNear(std::uint32_t name_id, size_type hint) const {
    const std::uint32_t n = rep_ != nullptr ? rep_->size : 0;
    if (hint < n) {
      const std::uint32_t i = rep_->order()[hint];
      if (rep_->entries()[i].name == name_id) return rep_->Value(i);
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      if (rep_->entries()[i].name == name_id) return rep_->Value(i);
    }
    return std::nullopt;
  }
  size_type count(std::string_view name) const { return Entry(name) != kNone ? 1 : 0; }
  bool contains(std::string_view name) const { return Entry(name) != kNone; }
  // The value of `name`; throws std::out_of_range when absent (as std::map::at).
  std::string_view at(std::string_view name) const;
  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const {
    const std::size_t i = Entry(name);
    return i == kNone ? std::string_view() : rep_->Value(i);
  }

  // Get, trying the entry `hint` found last first (and remembering where
  // this one was found, or that a set of this shape lacks it). `hint` must
  // be used with `name` only.
  std::string_view Get(std::string_view name, const LabelHint& hint) const {
    if (rep_ == nullptr) return {};
    std::uint32_t id = hint.name_id_.load(std::memory_order_relaxed);
    if (id == 0) {
      id = LabelNames::Intern(name);
      hint.name_id_.store(id, std::memory_order_relaxed);
    }
    const Slot* e = rep_->entries();
    const std::uint32_t h = hint.pos_.load(std::memory_order_relaxed);
    if (h < rep_->size && e[h].name == id) return rep_->Value(h);
    const std::uint32_t shape = rep_->shape;
    if (shape != 0 && hint.absent_from_.load(std::memory_order_relaxed) == shape) return {};
    for (std::uint32_t i = 0, n = rep_->size; i < n; ++i) {
      if (e[i].name == id) {
        hint.pos_.store(i, std::memory_order_relaxed);
        return rep_->Value(i);
      }
    }
    if (shape != 0) hint.absent_from_.store(shape, std::memory_order_relaxed);
    return {};
  }

  // Adds name=value unless `name` is present; returns the entry and whether
  // it was added. The texts are copied into the set (they may view it).
  std::pair<const_iterator, bool> emplace(std::string_view name, std::string_view value) {
    return Insert(name, value, /*assign=*/false);
  }
  std::pair<const_iterator, bool> try_emplace(std::string_view name, std::string_view value) {
    return Insert(name, value, /*assign=*/false);
  }
  std::pair<const_iterator, bool> insert_or_assign(std::string_view name, std::string_view value) {
    return Insert(name, value, /*assign=*/true);
  }
  // Adds each name=value whose name is absent (the first of equal names
  // wins), as try_emplace one by one would, with one merge into the name
  // order: for the labels an alert gains from its own fields.
  void AddAbsent(std::initializer_list<value_type> add);
  // Makes the set the `n` name=value pairs (the first of equal names wins,
  // as emplace one by one would), with room for `extra` more: one block and
  // one sort, for a set read whole (a JSON object's members). The views
  // may not point into this set.
  void Assign(const value_type* entries, std::size_t n, std::size_t extra = 0);
  // The same for entries known to be in strictly increasing name order
  // (some of another set's, walked in order): no sort and no look-up. Out
  // of order or repeated names are still taken as Assign takes them.
  void AssignSorted(const value_type* entries, std::size_t n);
  // A new set of this set's entries at places `added` (in the order added,
  // as AddedIndex gives them), which must list them in name order: the
  // values copied, the names' ids kept, nothing sorted or looked up.
  Labels Pick(const std::uint32_t* added, std::size_t n) const;
  // `labels[name] = value` sets a value (insert_or_assign); reading
  // `labels[name]` is Get.
  ValueRef operator[](std::string_view name) { return ValueRef(this, name); }
  // Removes one entry; returns the entry after it.
  const_iterator erase(const_iterator pos);
  size_type erase(std::string_view name);
  void clear() {
    Release(rep_);
    rep_ = nullptr;
  }
  // Room for `n` entries and `text` bytes of names and values beyond those
  // held (an unshared set: a shared one is copied first).
  void reserve(size_type n, size_type text = 0);

  bool operator==(const Labels& other) const;
  // True when both share one block (a copy nobody changed since).
  bool SharesWith(const Labels& other) const { return rep_ != nullptr && rep_ == other.rep_; }
  // True when both are known to hold the same names added in the same
  // order (sets read from one source, given the same derived labels), so
  // an entry of one is at the same place in the other: Added(IndexOf(e)).
  // False says nothing.
  bool SameShape(const Labels& other) const {
    return rep_ != nullptr && other.rep_ != nullptr && rep_->shape != 0 && rep_->shape == other.rep_->shape;
  }
  // The i-th entry in the order they were added (i < size()), its value
  // and its name's number, and the place in that order of the entry at
  // position p in name order.
  value_type Added(size_type i) const { return rep_->View(i); }
  std::string_view AddedValue(size_type i) const { return rep_->Value(i); }
  std::uint32_t AddedNameId(size_type i) const { return rep_->entries()[i].name; }
  size_type AddedIndex(size_type p) const { return rep_->order()[p]; }

 private:
  // The block: this header, room for `capacity` entries (the first `size`
  // live, in the order they were added), `capacity` indexes of which the
  // first `size` list the entries in name order, then `text_capacity`
  // bytes of which the first `text_size` hold the texts the entries view
  // (each entry's name, then its value; a replaced or erased entry's text
  // stays until the block is next rebuilt).
  struct Slot {
    std::uint32_t name = 0, value = 0, value_size = 0;  // a LabelNames id; the value's place in the text
  };
  struct alignas(std::uint64_t) Rep {
    std::atomic<std::uint32_t> refs{1};
    std::uint32_t size = 0;
    std::uint32_t capacity = 0;
    std::uint32_t text_size = 0;
    std::uint32_t text_capacity = 0;
    // Not 0: every set with this shape number holds the same names, added
    // in the same order (so its name order is the same too). Set when
    // Assign reuses a remembered name order and when AddAbsent repeats a
    // remembered addition; 0 once a name is added or erased otherwise.
    std::uint32_t shape = 0;
    Slot* entries() { return reinterpret_cast<Slot*>(this + 1); }
    const Slot* entries() const { return reinterpret_cast<const Slot*>(this + 1); }
    std::uint32_t* order() { return reinterpret_cast<std::uint32_t*>(entries() + capacity); }
    const std::uint32_t* order() const { return reinterpret_cast<const std::uint32_t*>(entries() + capacity); }
    char* text() { return reinterpret_cast<char*>(this + 1) + std::size_t{capacity} * (sizeof(Slot) + 4); }
    const char* text() const {
      return reinterpret_cast<const char*>(this + 1) + std::size_t{capacity} * (sizeof(Slot) + 4);
    }
    [[gnu::always_inline]] std::string_view Name(std::size_t i) const { return LabelNames::Text(entries()[i].name); }
    [[gnu::always_inline]] std::string_view Value(std::size_t i) const {
      const Slot& s = entries()[i];
      return {text() + s.value, s.value_size};
    }
    [[gnu::always_inline]] value_type View(std::size_t i) const { return {Name(i), Value(i)}; }
    // Copies the value to the end of the text (room made for it).
    Slot Store(std::uint32_t name, std::string_view value);
    Slot Store(std::string_view name, std::string_view value) { return Store(LabelNames::Intern(name), value); }
  };
  static constexpr std::size_t kNone = ~std::size_t{0};
  template <typename W>
  static W Load(const char* p) {
    W w;
    std::memcpy(&w, p, sizeof w);
    return w;
  }
  const_iterator At(std::size_t p) const { return const_iterator(rep_, rep_->order() + p); }
  static Rep* Allocate(std::size_t capacity, std::size_t text_capacity);
  // A new block for this (empty) set with the `n` entries in the order
  // given, which is also their name order until sorted.
  // `ids` (may be null: looked up) are the names' LabelNames ids.
  void Fill(const value_type* entries, std::size_t n, std::size_t capacity, std::size_t text_capacity,
            const std::uint32_t* ids = nullptr);
  static void Release(Rep* rep);

  std::size_t Entry(std::string_view name) const {
    if (rep_ == nullptr) return kNone;
    for (std::size_t i = 0, n = rep_->size; i < n; ++i) {
      if (Same(rep_->Name(i), name)) return i;
    }
    return kNone;
  }
  // True when `extra` more entries and `extra_text` more bytes of text fit
  // in this set's block, unshared (so that adding them moves nothing).
  bool Fits(std::size_t extra, std::size_t extra_text) const {
    return rep_ != nullptr && rep_->refs.load(std::memory_order_acquire) == 1 && rep_->size + extra <= rep_->capacity &&
           rep_->text_size + extra_text <= rep_->text_capacity;
  }
  // True when `text` views this set's own block (and so may move with it).
  bool Views(std::string_view text) const {
    if (rep_ == nullptr || text.empty()) return false;
    const char* p = text.data();
    return p >= rep_->text() && p < rep_->text() + rep_->text_capacity;
  }
  // The entries, unshared (copied first if another Labels shares them),
  // with room for `extra` more entries and `extra_text` more bytes of text.
  Rep& Mutable(std::size_t extra, std::size_t extra_text);
  // Position in name order of the first entry not less than `name`.
  std::size_t LowerBound(std::string_view name) const;
  // AddAbsent's second half: adds `k` entries, sorted by name and absent,
  // holding `text` bytes of names and values. `order` is the name order
  // after, when known (AddAbsent did the same to a set of this shape
  // before), and the set then takes shape `shape`; otherwise the new
  // entries are merged into the name order and the set has no shape.
  void Append(const value_type* fresh, std::size_t k, std::size_t text, const std::uint32_t* order = nullptr,
              std::uint32_t shape = 0);
  // Adds an entry at name-order position `p`.
  void Add(std::size_t p, std::string_view name, std::string_view value);
  std::pair<const_iterator, bool> Insert(std::string_view name, std::string_view value, bool assign);

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
