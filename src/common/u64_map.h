// A hash map from 64-bit keys (finding ids, digests) to small values: open
// addressing with linear probing over flat arrays. No allocation per entry
// and one probe sequence per lookup, where std::unordered_map allocates a
// node per entry and divides by a prime per lookup; the ingest path makes
// several lookups and inserts per finding. Any 64-bit value is a valid key.
//
// Iteration (ForEach) follows slot order: deterministic for a given sequence
// of inserts, but not insertion order.
//
// Thread-safety: none; one owner.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/hash.h"

namespace secbudget {

template <typename V>
class U64Map {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Room for `n` entries without growing.
  void Reserve(std::size_t n) {
    if (n * 2 > keys_.size()) Rehash(n * 2);
  }

  // Removes every entry and keeps the capacity.
  void Clear() {
    if (size_ == 0) return;
    std::fill(used_.begin(), used_.end(), 0);
    size_ = 0;
  }

  V* Find(std::uint64_t key) {
    if (size_ == 0) return nullptr;
    for (std::size_t i = Slot(key);; i = (i + 1) & mask_) {
      if (!used_[i]) return nullptr;
      if (keys_[i] == key) return &values_[i];
    }
  }
  const V* Find(std::uint64_t key) const { return const_cast<U64Map*>(this)->Find(key); }
  bool Contains(std::uint64_t key) const { return Find(key) != nullptr; }

  // Inserts (key, value) unless `key` is there. Returns the stored value and
  // whether it was inserted. The pointer is valid until the next insert.
  std::pair<V*, bool> Insert(std::uint64_t key, V value) {
    if ((size_ + 1) * 2 > keys_.size()) Rehash(keys_.empty() ? 16 : keys_.size() * 2);
    std::size_t i = Slot(key);
    for (; used_[i]; i = (i + 1) & mask_) {
      if (keys_[i] == key) return {&values_[i], false};
    }
    used_[i] = 1;
    keys_[i] = key;
    values_[i] = std::move(value);
    ++size_;
    return {&values_[i], true};
  }

  // The value of `key`, default-constructed first when absent.
  V& operator[](std::uint64_t key) { return *Insert(key, V()).first; }

  // Calls fn(key, value) for every entry, in slot order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (used_[i]) fn(keys_[i], values_[i]);
    }
  }

 private:
  std::size_t Slot(std::uint64_t key) const {
    // Fibonacci hashing: the top bits of the product, so small or
    // sequential keys spread too.
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> shift_) & mask_;
  }

  void Rehash(std::size_t want) {
    std::size_t cap = 16;
    int bits = 4;
    while (cap < want) {
      cap <<= 1;
      ++bits;
    }
    std::vector<std::uint64_t> keys(cap);
    std::vector<V> values(cap);
    std::vector<std::uint8_t> used(cap, 0);
    keys_.swap(keys);
    values_.swap(values);
    used_.swap(used);
    mask_ = cap - 1;
    shift_ = 64 - bits;
    size_ = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (used[i]) Insert(keys[i], std::move(values[i]));
    }
  }

  std::vector<std::uint64_t> keys_;
  std::vector<V> values_;
  std::vector<std::uint8_t> used_;  // not vector<bool>: a byte is one load
  std::size_t mask_ = 0;
  int shift_ = 60;
  std::size_t size_ = 0;
};

// A set of 64-bit keys (see U64Map).
class U64Set {
 public:
  // True when `key` was not there before.
  bool Insert(std::uint64_t key) { return map_.Insert(key, 1).second; }
  bool Contains(std::uint64_t key) const { return map_.Contains(key); }
  std::size_t size() const { return map_.size(); }
  void Reserve(std::size_t n) { map_.Reserve(n); }

 private:
  U64Map<std::uint8_t> map_;
};

// A map from strings to values on the same plan: the slots hold the keys'
// 64-bit hashes and entry numbers, so a probe compares hashes in one flat
// array and reads a key only when its hash matches. Keys are compared in
// full: two keys with one hash are two entries. For caches on the ingest
// path keyed by CVE ids and advisory keys (tens of thousands of entries),
// where std::unordered_map allocates a node per entry and misses the cache
// on every look-up. No erase.
template <typename V>
class StringMap {
 public:
  std::size_t size() const { return entries_.size(); }

  void Clear() {
    entries_.clear();
    std::fill(slots_.begin(), slots_.end(), Slot{});
  }

  V* Find(std::string_view key) {
    if (entries_.empty()) return nullptr;
    const std::uint64_t h = Hash64(key);
    for (std::size_t i = Home(h);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == 0) return nullptr;
      if (s.hash == h && entries_[s.entry - 1].first == key) return &entries_[s.entry - 1].second;
    }
  }
  const V* Find(std::string_view key) const { return const_cast<StringMap*>(this)->Find(key); }

  // Inserts (key, value) unless `key` is there. Returns the stored value and
  // whether it was inserted. The pointer is valid until the next insert.
  std::pair<V*, bool> Insert(std::string_view key, V value) {
    if ((entries_.size() + 1) * 2 > slots_.size()) Rehash(slots_.empty() ? 16 : slots_.size() * 2);
    const std::uint64_t h = Hash64(key);
    std::size_t i = Home(h);
    for (; slots_[i].entry != 0; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.hash == h && entries_[s.entry - 1].first == key) return {&entries_[s.entry - 1].second, false};
    }
    entries_.emplace_back(std::string(key), std::move(value));
    slots_[i] = Slot{h, static_cast<std::uint32_t>(entries_.size())};
    return {&entries_.back().second, true};
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t entry = 0;  // 1-based index into entries_; 0: empty
  };

  std::size_t Home(std::uint64_t h) const { return static_cast<std::size_t>(h) & mask_; }

  void Rehash(std::size_t cap) {
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (std::size_t e = 0; e < entries_.size(); ++e) {
      const std::uint64_t h = Hash64(entries_[e].first);
      std::size_t i = Home(h);
      while (slots_[i].entry != 0) i = (i + 1) & mask_;
      slots_[i] = Slot{h, static_cast<std::uint32_t>(e + 1)};
    }
  }

  std::vector<std::pair<std::string, V>> entries_;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

// Objects found by a string key that each object holds (`KeyOf(object)`),
// owned by the table: open addressing with linear probing over slots of
// (hash, pointer), erase by backward shift (no tombstones, so a table that
// churns keeps its probe lengths). Each object is allocated on its own and
// never moves, so its address can be held elsewhere while it is in the
// table. A look-up reads the flat slot array and only the objects whose
// hash matches; a node-based std::unordered_map walks its bucket's nodes.
// For the alert engine's alerts by dedup key and inhibitors by label values,
// where keys come and go with every alert.
//
// The key an object holds must not change while it is in the table.
// Iteration (ForEach) follows slot order. Thread-safety: none; one owner.
template <typename T, std::string_view (*KeyOf)(const T&)>
class KeyedTable {
 public:
  KeyedTable() = default;
  KeyedTable(const KeyedTable&) = delete;
  KeyedTable& operator=(const KeyedTable&) = delete;
  KeyedTable(KeyedTable&& other) noexcept { Swap(other); }
  KeyedTable& operator=(KeyedTable&& other) noexcept {
    KeyedTable(std::move(other)).Swap(*this);
    return *this;
  }
  ~KeyedTable() {
    for (const Slot& s : slots_) delete s.object;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T* Find(std::string_view key) const {
    if (size_ == 0) return nullptr;
    const std::uint64_t h = Hash64(key);
    for (std::size_t i = Home(h);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.object == nullptr) return nullptr;
      if (s.hash == h && KeyOf(*s.object) == key) return s.object;
    }
  }

  // The object of `key`, and whether it was added: a new one is
  // default-constructed and given to `init`, which must give it `key`.
  template <typename Init>
  std::pair<T*, bool> FindOrAdd(std::string_view key, Init&& init) {
    return FindOrMake(key, [&] {
      T made;
      init(made);
      return made;
    });
  }
  // The same, with the new object constructed from what `make()` returns
  // (which must have `key`): an object built from parts that can be moved
  // in, not assigned. `make` may move from what `key` views; the key is not
  // read after it runs.
  template <typename Make>
  std::pair<T*, bool> FindOrMake(std::string_view key, Make&& make) {
    if ((size_ + 1) * 2 > slots_.size()) Rehash(slots_.empty() ? 16 : slots_.size() * 2);
    const std::uint64_t h = Hash64(key);
    std::size_t i = Home(h);
    for (; slots_[i].object != nullptr; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.hash == h && KeyOf(*s.object) == key) return {s.object, false};
    }
    T* made = new T(make());
    slots_[i] = Slot{h, made};
    ++size_;
    return {made, true};
  }

  // Removes and destroys `object`, which must be in the table.
  void Erase(T* object) {
    std::size_t i = Home(Hash64(KeyOf(*object)));
    while (slots_[i].object != object) i = (i + 1) & mask_;
    delete object;
    // Backward shift: later slots of the run move up unless their home lies
    // cyclically in (i, j], where a probe from it would not pass i.
    for (std::size_t j = (i + 1) & mask_; slots_[j].object != nullptr; j = (j + 1) & mask_) {
      const std::size_t home = Home(slots_[j].hash);
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = Slot{};
    --size_;
  }

  // Calls fn(object) for every object, in slot order. `fn` must not add or
  // erase.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.object != nullptr) fn(*s.object);
    }
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    T* object = nullptr;
  };

  std::size_t Home(std::uint64_t h) const { return static_cast<std::size_t>(h) & mask_; }

  void Swap(KeyedTable& other) noexcept {
    slots_.swap(other.slots_);
    std::swap(mask_, other.mask_);
    std::swap(size_, other.size_);
  }

  void Rehash(std::size_t cap) {
    std::vector<Slot> old(cap);
    old.swap(slots_);
    mask_ = cap - 1;
    for (const Slot& s : old) {
      if (s.object == nullptr) continue;
      std::size_t i = Home(s.hash);
      while (slots_[i].object != nullptr) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace secbudget
