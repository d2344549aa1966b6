// Internal to ingest: typed, located access to a simdjson DOM.
//
// Structural fields (the arrays and objects a parser walks) are strict: a
// wrong type is a kSchemaError naming the JSON pointer. Leaf text fields are
// lenient: missing or null reads as empty, a number or boolean reads as its
// JSON text, an object or array is an error.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

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
// an error).
std::string Str(object obj, std::string_view key);
// A string value as a view into the parser's buffer (no copy; cut at
// kMaxFieldBytes); "" for anything else.
std::string_view View(object obj, std::string_view key);
// Strict leaf: as Str, but an object/array value is a schema error.
Result<std::string> Text(object obj, std::string_view key, std::string_view ptr);
// Number, or a string holding a number; `fallback` otherwise.
double Num(object obj, std::string_view key, double fallback = -1);
// Boolean, or the strings "true"/"false"/"yes"/"no"; nullopt otherwise.
std::optional<bool> Bool(object obj, std::string_view key);
// Strings of an array field (non-strings skipped); empty when absent.
std::vector<std::string> StrArray(object obj, std::string_view key);
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
