// An immutable text that copies share: copying counts a reference instead of
// copying the bytes, and a literal is held without allocating at all. For
// texts written once and copied many times (a decision's reason and
// reference: one group key or notification id for every alert it names).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <ostream>
#include <string>
#include <string_view>

namespace secbudget {

class SharedText {
 public:
  SharedText() = default;
  // A copy of `s` (one allocation; none for the empty text).
  explicit SharedText(std::string_view s) {
    if (s.empty()) return;
    rep_ = static_cast<Rep*>(::operator new(sizeof(Rep) + s.size()));
    new (rep_) Rep();
    char* text = reinterpret_cast<char*>(rep_ + 1);
    std::memcpy(text, s.data(), s.size());
    data_ = text;
    size_ = s.size();
  }
  // A text that outlives every copy (a literal): held by view, never copied.
  static SharedText Static(std::string_view s) {
    SharedText t;
    t.data_ = s.data();
    t.size_ = s.size();
    return t;
  }

  SharedText(const SharedText& o) noexcept : data_(o.data_), size_(o.size_), rep_(o.rep_) {
    if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  SharedText(SharedText&& o) noexcept : data_(o.data_), size_(o.size_), rep_(o.rep_) {
    o.data_ = "";
    o.size_ = 0;
    o.rep_ = nullptr;
  }
  SharedText& operator=(const SharedText& o) noexcept {
    SharedText(o).Swap(*this);
    return *this;
  }
  SharedText& operator=(SharedText&& o) noexcept {
    SharedText(std::move(o)).Swap(*this);
    return *this;
  }
  ~SharedText() { Release(); }

  std::string_view view() const { return {data_, size_}; }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor): a text is its view
  std::string str() const { return std::string(view()); }
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Whether `o` holds the same bytes in the same place (a copy of this text).
  bool SameAs(const SharedText& o) const { return data_ == o.data_ && size_ == o.size_; }

  friend bool operator==(const SharedText& a, const SharedText& b) { return a.SameAs(b) || a.view() == b.view(); }
  friend bool operator==(const SharedText& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const SharedText& a, const std::string& b) { return a.view() == b; }
  friend bool operator==(const SharedText& a, const char* b) { return a.view() == b; }
  friend std::ostream& operator<<(std::ostream& os, const SharedText& t) { return os << t.view(); }

 private:
  struct Rep {
    std::atomic<std::uint32_t> refs{1};  // atomic: copies may be handed to other threads
  };
  void Swap(SharedText& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(rep_, o.rep_);
  }
  void Release() noexcept {
    if (rep_ != nullptr && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      rep_->~Rep();
      ::operator delete(rep_);
    }
  }

  const char* data_ = "";
  std::size_t size_ = 0;
  Rep* rep_ = nullptr;  // null for the empty text and for Static ones
};

}  // namespace secbudget
