// Internal to ingest: typed, located access to a simdjson DOM.
//
// Structural fields (the arrays and objects a parser walks) are strict: a
// wrong type is a kSchemaError naming the JSON pointer. Leaf text fields are
// lenient: missing or null reads as empty, a number or boolean reads as its
// JSON text, an object or array is an error.
#pragma once

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/strings.h"
#include "ingest/ingest.h"

namespace secbudget::json {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

std::string_view TypeName(element_type t);

// By-value views. REQUIRES: el.is_array() / el.is_object(). Use these in
// range-for loops: `for (x : el.get_array().value_unsafe())` would iterate a
// destroyed temporary (range-init lifetime extension does not reach through
// value_unsafe()'s reference until C++23).
inline array Arr(element el) {
  array a = el.get_array().value_unsafe();
  return a;
}
inline object Obj(element el) {
  object o = el.get_object().value_unsafe();
  return o;
}

// Digest of a parsed value, seeded: equal digests mean equal values (up to
// 64-bit collisions), byte for byte in every key and string, number, bool,
// null and their nesting, wherever the value sits in its document. Reads
// simdjson's tape directly: one tight pass over the value's tape words, a
// hash of them and one of its strings, no per-element calls.
std::uint64_t Digest(element el, std::uint64_t seed);

// Pointer of a child: Child("/a", "b") = "/a/b"; Child("/a", 3) = "/a/3".
std::string Child(std::string_view ptr, std::string_view key);
std::string Child(std::string_view ptr, std::size_t index);

Status WrongType(std::string_view ptr, std::string_view expected, element_type got);

// Missing or null -> nullopt. Wrong type -> error.
Result<std::optional<array>> OptArray(object obj, std::string_view key, std::string_view ptr);
Result<std::optional<object>> OptObject(object obj, std::string_view key, std::string_view ptr);
Result<array> ReqArray(object obj, std::string_view key, std::string_view ptr);
Result<object> AsObject(element el, std::string_view ptr);

// Lenient leaf: string as is (cut at kMaxFieldBytes), number/bool as text,
// missing/null as "". Objects/arrays yield "" (use Text() when that must be
// an error). The forms taking an element read a member found already (null:
// missing), as Members gives them.
std::string Str(object obj, std::string_view key);
std::string Str(const element* el);
// A string value as a view into the parser's buffer (no copy; cut at
// kMaxFieldBytes); "" for anything else.
std::string_view View(object obj, std::string_view key);
std::string_view View(const element* el);
// Strict leaf: as Str, but an object/array value is a schema error.
Result<std::string> Text(object obj, std::string_view key, std::string_view ptr);
// `el` is the member `key` of the object at `ptr` (for the error's pointer).
Result<std::string> Text(const element* el, std::string_view ptr, std::string_view key);
// Number, or a string holding a number; `fallback` otherwise.
double Num(object obj, std::string_view key, double fallback = -1);
// Boolean, or the strings "true"/"false"/"yes"/"no"; nullopt otherwise.
std::optional<bool> Bool(object obj, std::string_view key);
// Strings of an array field (non-strings skipped); empty when absent.
std::vector<std::string> StrArray(object obj, std::string_view key);
std::vector<std::string> StrArray(const element* el);

// Names to find in objects with Members: made once (a static), hashed so
// that each member of an object costs one probe.
class MemberNames {
 public:
  static constexpr std::size_t kMax = 16;
  // REQUIRES: at most kMax names, none given twice.
  MemberNames(std::initializer_list<std::string_view> names);
  std::size_t size() const { return names_.size(); }
  // The index of `key` among the names, or -1.
  int Find(std::string_view key) const {
    for (std::size_t s = Slot(key);; s = (s + 1) % kSlots) {
      const std::uint8_t i = slots_[s];
      if (i == kEmpty) return -1;
      if (names_[i] == key) return i;
    }
  }

 private:
  static constexpr std::size_t kSlots = 64;  // at least 4 per name: short probes
  static std::size_t Slot(std::string_view key) {
    const std::size_t n = key.size();
    const unsigned first = n > 0 ? static_cast<unsigned char>(key[0]) : 0;
    const unsigned last = n > 0 ? static_cast<unsigned char>(key[n - 1]) : 0;
    return (n * 7 + first * 3 + last) % kSlots;
  }
  std::vector<std::string> names_;
  static constexpr std::uint8_t kEmpty = 0xFF;
  std::array<std::uint8_t, kSlots> slots_;
};

// The members of an object named in `names`, found in one walk over it:
// for reading many members of one object, where a look-up per name
// (object[key]) scans the object each time. The first of a repeated name
// is the one found, as object[key] finds it.
class Members {
 public:
  Members(object obj, const MemberNames& names);
  // The value of the i-th name; null when the object lacks it.
  const element* operator[](std::size_t i) const { return (found_ >> i & 1) != 0 ? &elements_[i] : nullptr; }

 private:
  std::uint32_t found_ = 0;
  element elements_[MemberNames::kMax];
};
// Nested lookup with a JSON pointer relative to `el` ("/a/b/0/c"); nullopt
// when any step is missing.
std::optional<element> At(element el, std::string_view relative_pointer);
std::string StrAt(element el, std::string_view relative_pointer);
double NumAt(element el, std::string_view relative_pointer, double fallback = -1);

// Parse time, tolerating empty and the zero time "0001-01-01T00:00:00Z"
// (Go's zero value, which several scanners print): both give nullopt.
std::optional<TimePoint> TimeOrNull(std::string_view text);

// Adds `value` to `v` unless empty or already present.
void AddUnique(std::vector<std::string>& v, std::string value);

}  // namespace secbudget::json

namespace secbudget {

// The line and column of a JSON syntax error in `bytes` (simdjson reports
// only an error code), and in `detail` (when given) what nlohmann's parser
// says is wrong there.
Location JsonSyntaxErrorLocation(std::string_view bytes, const std::string& file, std::string* detail);

}  // namespace secbudget
