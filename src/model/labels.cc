#include "model/labels.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace secbudget {

namespace {

// The bytes of text `n` entries hold in a block (their values: names are
// stored once, in LabelNames).
std::size_t TextSize(const Labels::value_type* entries, std::size_t n) {
  std::size_t text = 0;
  for (std::size_t i = 0; i < n; ++i) text += entries[i].second.size();
  return text;
}

// A new shape number (Labels::Rep::shape), never given before: 0 once all
// 2^32 - 1 are used up, after which sets are no longer given shapes (each
// number must mean one list of names).
std::uint32_t NewShape() {
  static std::atomic<std::uint32_t> next{1};
  std::uint32_t id = next.load(std::memory_order_relaxed);
  while (id != 0 && !next.compare_exchange_weak(id, id + 1, std::memory_order_relaxed)) {
  }
  return id;
}

}  // namespace

Labels::Labels(std::initializer_list<value_type> entries) {
  reserve(entries.size(), TextSize(entries.begin(), entries.size()));
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

// Room for a set's texts: what is asked plus some slack, so that a set
// that gains a few derived labels after it is read keeps its block.
std::size_t TextRoom(std::size_t needed) { return needed + std::max<std::size_t>(32, needed / 4); }

// Copies `n` bytes: texts of up to 16 bytes with two overlapping loads and
// stores each, not a call to memcpy (most names and values are short).
[[gnu::always_inline]] inline void CopyText(char* to, const char* from, std::size_t n) {
  if (n >= 8) {
    if (n > 16) {
      std::memcpy(to, from, n);
      return;
    }
    std::uint64_t head, tail;
    std::memcpy(&head, from, 8);
    std::memcpy(&tail, from + n - 8, 8);
    std::memcpy(to, &head, 8);
    std::memcpy(to + n - 8, &tail, 8);
  } else if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, from, 4);
    std::memcpy(&tail, from + n - 4, 4);
    std::memcpy(to, &head, 4);
    std::memcpy(to + n - 4, &tail, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
  }
}

}  // namespace

std::atomic<const std::string_view*> LabelNames::chunks_[LabelNames::kChunks];

std::uint32_t LabelNames::Intern(std::string_view name) {
  // This thread's copy of the numbers it has seen (views of the texts,
  // which live as long as the process), in front of the shared table.
  thread_local std::unordered_map<std::string_view, std::uint32_t> known;
  if (const auto seen = known.find(name); seen != known.end()) return seen->second;
  static std::mutex mu;
  static std::unordered_map<std::string_view, std::uint32_t> ids;
  static std::uint32_t next = 1;
  const std::lock_guard<std::mutex> lock(mu);
  auto found = ids.find(name);
  if (found == ids.end()) {
    if (next > kMaxNames) throw std::length_error("more than " + std::to_string(kMaxNames) + " label names");
    const std::uint32_t id = next++;
    auto* chunk = const_cast<std::string_view*>(chunks_[id >> kChunkBits].load(std::memory_order_relaxed));
    if (chunk == nullptr) chunk = new std::string_view[kChunk];  // never freed: names live as long as the process
    char* text = new char[name.size()];
    std::memcpy(text, name.data(), name.size());
    chunk[id & (kChunk - 1)] = std::string_view(text, name.size());
    chunks_[id >> kChunkBits].store(chunk, std::memory_order_release);  // publishes the entry
    found = ids.emplace(chunk[id & (kChunk - 1)], id).first;
  }
  known.emplace(found->first, found->second);
  return found->second;
}

[[gnu::always_inline]] inline Labels::Slot Labels::Rep::Store(std::uint32_t name, std::string_view value) {
  const std::uint32_t at = text_size;
  CopyText(text() + at, value.data(), value.size());
  const auto value_size = static_cast<std::uint32_t>(value.size());
  text_size = at + value_size;
  return Slot{name, at, value_size};
}

Labels::Rep* Labels::Allocate(std::size_t capacity, std::size_t text_capacity) {
  if (capacity > 0xFFFF'FFFFu || text_capacity > 0xFFFF'FFFFu) throw std::length_error("label set too large");
  void* block = ::operator new(sizeof(Rep) + capacity * (sizeof(Slot) + sizeof(std::uint32_t)) + text_capacity);
  Rep* rep = new (block) Rep;
  rep->capacity = static_cast<std::uint32_t>(capacity);
  rep->text_capacity = static_cast<std::uint32_t>(text_capacity);
  return rep;
}

void Labels::Release(Rep* rep) {
  if (rep == nullptr || rep->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  rep->~Rep();  // the entries are views: nothing else to destroy
  ::operator delete(rep);
}

std::size_t Labels::LowerBound(std::string_view name) const {
  std::size_t lo = 0, hi = size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (Less(rep_->Name(rep_->order()[mid]), name)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::string_view Labels::at(std::string_view name) const {
  const std::size_t i = Entry(name);
  if (i == kNone) throw std::out_of_range("no label " + std::string(name));
  return rep_->Value(i);
}

Labels::Rep& Labels::Mutable(std::size_t extra, std::size_t extra_text) {
  if (Fits(extra, extra_text)) return *rep_;
  const std::size_t n = size();
  // A new block: grow by a few entries, not twice (a set gains a handful
  // of derived labels after it is read), and keep only the live texts.
  std::size_t capacity = rep_ != nullptr ? rep_->capacity : 0;
  if (n + extra > capacity) capacity = n + std::max(extra, std::max<std::size_t>(4, n / 2));
  std::size_t live_text = 0;
  for (std::size_t i = 0; i < n; ++i) live_text += rep_->entries()[i].value_size;
  Rep* fresh = Allocate(capacity, TextRoom(live_text + extra_text));
  if (rep_ != nullptr) {
    Slot* e = fresh->entries();
    for (std::size_t i = 0; i < n; ++i) e[i] = fresh->Store(rep_->entries()[i].name, rep_->Value(i));
    std::copy_n(rep_->order(), n, fresh->order());
    fresh->size = static_cast<std::uint32_t>(n);
    fresh->shape = rep_->shape;  // the same names, added in the same order
    Release(rep_);
  }
  rep_ = fresh;
  return *rep_;
}

void Labels::reserve(size_type n, size_type text) { Mutable(n > size() ? n - size() : 0, text); }

void Labels::Add(std::size_t p, std::string_view name, std::string_view value) {
  const std::size_t text = value.size();
  if (!Fits(1, text) && Views(value)) {  // the block moves: copy the value out first (names never view it)
    const std::string value_copy(value);
    Add(p, name, value_copy);
    return;
  }
  Rep& r = Mutable(1, text);
  const std::uint32_t n = r.size;
  r.entries()[n] = r.Store(name, value);
  std::uint32_t* order = r.order();
  std::copy_backward(order + p, order + n, order + n + 1);
  order[p] = n;
  r.size = n + 1;
  r.shape = 0;
}

std::pair<Labels::const_iterator, bool> Labels::Insert(std::string_view name, std::string_view value, bool assign) {
  // Names usually arrive in order (JSON objects, copies of sorted sets).
  const std::size_t n = size();
  const std::size_t p = n == 0 || rep_->Name(rep_->order()[n - 1]) < name ? n : LowerBound(name);
  if (p < n && rep_->Name(rep_->order()[p]) == name) {
    if (assign && rep_->Value(rep_->order()[p]) != value) {
      const bool copy = !Fits(0, value.size()) && Views(value);  // the block moves
      const std::string copied(copy ? value : std::string_view());
      const std::string_view v = copy ? std::string_view(copied) : value;
      Rep& r = Mutable(0, v.size());
      Slot& slot = r.entries()[r.order()[p]];
      slot = r.Store(slot.name, v);
    }
    return {At(p), false};
  }
  Add(p, name, value);
  return {At(p), true};
}

namespace {

// What AddAbsent did to a set of one shape: the names it was given (in the
// order given), which of them it added (their places in that list, in the
// order the entries were appended: by name), the name order after, and the
// shape after. A set of the same shape given the same names gets the same
// result without a look-up, a sort or a merge (an alert's derived labels:
// alertname, source, urgency, team).
struct Addition {
  static constexpr std::size_t kMaxGiven = 8, kMaxSize = 32;
  std::uint32_t from = 0, to = 0;
  std::size_t given = 0;
  std::string names[kMaxGiven];
  std::uint32_t ids[kMaxGiven] = {};  // LabelNames ids of the names
  std::size_t added = 0;
  std::uint8_t picked[kMaxGiven] = {};
  std::size_t size = 0;  // entries after
  std::uint32_t order[kMaxSize] = {};
};
constexpr std::size_t kAdditions = 8;
thread_local Addition additions[kAdditions];
thread_local std::size_t next_addition = 0;

const Addition* Remembered(std::uint32_t shape, std::initializer_list<Labels::value_type> add) {
  if (shape == 0) return nullptr;
  for (const Addition& a : additions) {
    if (a.from != shape || a.given != add.size()) continue;
    std::size_t i = 0;
    for (const auto& entry : add) {
      if (!Labels::Same(a.names[i], entry.first)) break;
      ++i;
    }
    if (i == add.size()) return &a;
  }
  return nullptr;
}

}  // namespace

void Labels::AddAbsent(std::initializer_list<value_type> add) {
  if (add.size() > Addition::kMaxGiven) {
    for (const auto& [name, value] : add) try_emplace(name, value);
    return;
  }
  const std::uint32_t before = rep_ != nullptr ? rep_->shape : 0;
  const Addition* known = Remembered(before, add);
  if (known != nullptr) {
    // Done before to a set of this shape: the same entries are absent, and
    // the name order after is known. When they fit, nothing moves.
    const std::size_t k = known->added;
    if (k == 0) return;
    std::size_t text = 0;
    for (std::size_t j = 0; j < k; ++j) {
      const value_type& entry = add.begin()[known->picked[j]];
      text += entry.second.size();
    }
    if (Fits(k, text)) {
      Rep& r = *rep_;
      Slot* e = r.entries();
      const std::size_t n = r.size;
      for (std::size_t j = 0; j < k; ++j) {
        const value_type& entry = add.begin()[known->picked[j]];
        e[n + j] = r.Store(known->ids[known->picked[j]], entry.second);
      }
      r.size = static_cast<std::uint32_t>(n + k);
      std::copy_n(known->order, n + k, r.order());
      r.shape = known->to;
      return;
    }
  }
  value_type fresh[Addition::kMaxGiven];
  std::uint8_t picked[Addition::kMaxGiven];  // fresh[j] is add[picked[j]]
  std::size_t k = 0, text = 0;
  if (known != nullptr) {
    for (; k < known->added; ++k) {
      picked[k] = known->picked[k];
      fresh[k] = add.begin()[picked[k]];
    }
    text = TextSize(fresh, k);
  } else {
    for (std::size_t i = 0; i < add.size(); ++i) {
      const value_type& entry = add.begin()[i];
      if (contains(entry.first)) continue;
      bool repeated = false;
      for (std::size_t j = 0; j < k && !repeated; ++j) repeated = fresh[j].first == entry.first;
      if (repeated) continue;
      picked[k] = static_cast<std::uint8_t>(i);
      fresh[k++] = entry;
      text += entry.second.size();
    }
    for (std::size_t j = 1; j < k; ++j) {  // insertion sort: a handful of names
      for (std::size_t m = j; m > 0 && Less(fresh[m].first, fresh[m - 1].first); --m) {
        std::swap(fresh[m], fresh[m - 1]);
        std::swap(picked[m], picked[m - 1]);
      }
    }
  }
  if (k > 0) {
    bool views = false;  // texts viewing this set (its team label as an owner) are copied when the block moves
    if (!Fits(k, text)) {
      for (std::size_t j = 0; j < k; ++j) views = views || Views(fresh[j].second);
    }
    std::optional<std::array<std::string, 2 * Addition::kMaxGiven>> copies;  // built only when needed
    if (views) {
      copies.emplace();
      for (std::size_t j = 0; j < k; ++j) {
        (*copies)[2 * j] = fresh[j].first;
        (*copies)[2 * j + 1] = fresh[j].second;
        fresh[j] = {(*copies)[2 * j], (*copies)[2 * j + 1]};
      }
    }
    Append(fresh, k, text, known != nullptr ? known->order : nullptr, known != nullptr ? known->to : 0);
  }
  if (known != nullptr || before == 0 || size() > Addition::kMaxSize) return;
  // Remember it for the next set of this shape.
  Addition& a = additions[next_addition];
  next_addition = (next_addition + 1) % kAdditions;
  a.from = before;
  a.to = k > 0 ? NewShape() : before;
  a.given = add.size();
  std::size_t i = 0;
  for (const auto& entry : add) {
    a.ids[i] = LabelNames::Intern(entry.first);
    a.names[i++].assign(entry.first);
  }
  a.added = k;
  std::copy_n(picked, k, a.picked);
  a.size = size();
  std::copy_n(rep_->order(), a.size, a.order);
  rep_->shape = a.to;
}

void Labels::Append(const value_type* fresh, std::size_t k, std::size_t text, const std::uint32_t* known,
                    std::uint32_t shape) {
  Rep& r = Mutable(k, text);
  Slot* e = r.entries();
  std::uint32_t* order = r.order();
  const std::size_t n = r.size;
  for (std::size_t j = 0; j < k; ++j) e[n + j] = r.Store(fresh[j].first, fresh[j].second);
  r.size = static_cast<std::uint32_t>(n + k);
  r.shape = shape;
  if (known != nullptr) {
    std::copy_n(known, n + k, order);
    return;
  }
  // Merge the new entries (sorted, at n..n+k) into the name order from the back.
  std::size_t i = n, j = k, w = n + k;
  while (j > 0) {
    if (i > 0 && Less(r.Name(n + j - 1), r.Name(order[i - 1]))) {
      order[--w] = order[--i];
    } else {
      --j;
      order[--w] = static_cast<std::uint32_t>(n + j);
    }
  }
}

void Labels::Fill(const value_type* entries, std::size_t n, std::size_t capacity, std::size_t text_capacity,
                  const std::uint32_t* ids) {
  rep_ = Allocate(capacity, text_capacity);
  Slot* e = rep_->entries();
  std::uint32_t* order = rep_->order();
  for (std::size_t i = 0; i < n; ++i) {
    e[i] = ids != nullptr ? rep_->Store(ids[i], entries[i].second) : rep_->Store(entries[i].first, entries[i].second);
    order[i] = static_cast<std::uint32_t>(i);
  }
  rep_->size = static_cast<std::uint32_t>(n);
}

Labels Labels::Pick(const std::uint32_t* added, std::size_t n) const {
  Labels out;
  if (n == 0) return out;
  std::size_t text = 0;
  for (std::size_t i = 0; i < n; ++i) text += rep_->entries()[added[i]].value_size;
  Rep* r = Allocate(n, text);
  out.rep_ = r;
  for (std::size_t i = 0; i < n; ++i) {
    r->entries()[i] = r->Store(rep_->entries()[added[i]].name, rep_->Value(added[i]));
    r->order()[i] = static_cast<std::uint32_t>(i);
  }
  r->size = static_cast<std::uint32_t>(n);
  return out;
}

void Labels::AssignSorted(const value_type* entries, std::size_t n) {
  for (std::size_t i = 1; i < n; ++i) {
    if (!Less(entries[i - 1].first, entries[i].first)) return Assign(entries, n);  // not in order after all
  }
  clear();
  if (n > 0) Fill(entries, n, n, TextSize(entries, n));
}

void Labels::Assign(const value_type* entries, std::size_t n, std::size_t extra) {
  clear();
  if (n == 0) {
    if (extra > 0) reserve(extra);
    return;
  }
  const std::size_t text = TextSize(entries, n);
  // Sets read from one source list their names in one order: the name
  // order (and name ids) of the last sets of up to 16 names is kept, and a
  // set whose names match one of them takes its order without a sort.
  struct Shape {
    std::uint32_t id = 0;  // Rep::shape of the sets that take this order
    std::size_t n = 0;
    std::string names[16];
    std::uint32_t ids[16];
    std::uint32_t order[16];
  };
  constexpr std::size_t kShapes = 4;
  thread_local Shape shapes[kShapes];
  thread_local std::size_t next_shape = 0;
  if (n <= 16) {
    for (Shape& shape : shapes) {
      if (shape.n != n) continue;
      std::size_t i = 0;
      while (i < n && Same(shape.names[i], entries[i].first)) ++i;
      if (i < n) continue;
      Fill(entries, n, n + extra, TextRoom(text + extra * 64), shape.ids);
      std::copy_n(shape.order, n, rep_->order());  // a remembered shape has no repeated name
      rep_->shape = shape.id;
      return;
    }
  }
  Fill(entries, n, n + extra, TextRoom(text + extra * 64));
  const Rep& r = *rep_;
  std::uint32_t* order = rep_->order();
  // Stable by name, so the first of equal names comes first.
  const auto less = [&r](std::uint32_t a, std::uint32_t b) { return Less(r.Name(a), r.Name(b)); };
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
    if (r.entries()[order[p]].name == r.entries()[order[p - 1]].name) {
      // A repeated name (rare): build it again one by one, which keeps the first.
      Labels slow;
      slow.reserve(n + extra, text);
      for (std::size_t i = 0; i < n; ++i) slow.emplace(r.Name(i), r.Value(i));
      *this = std::move(slow);
      return;
    }
  }
  if (n <= 16) {
    Shape& shape = shapes[next_shape];
    next_shape = (next_shape + 1) % kShapes;
    shape.id = NewShape();
    shape.n = n;
    for (std::size_t i = 0; i < n; ++i) {
      shape.names[i].assign(r.Name(i));
      shape.ids[i] = r.entries()[i].name;
    }
    std::copy_n(order, n, shape.order);
    rep_->shape = shape.id;
  }
}

Labels::const_iterator Labels::erase(const_iterator pos) {
  const auto p = static_cast<std::size_t>(pos.pos_ - rep_->order());
  Rep& r = Mutable(0, 0);
  Slot* e = r.entries();
  std::uint32_t* order = r.order();
  const std::uint32_t gone = order[p], last = r.size - 1;
  // The last entry added takes the erased one's place (its text stays).
  if (gone != last) {
    e[gone] = e[last];
    for (std::uint32_t q = 0; q < r.size; ++q) {
      if (order[q] == last) order[q] = gone;
    }
  }
  std::copy(order + p + 1, order + r.size, order + p);
  r.size = last;
  r.shape = 0;
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
