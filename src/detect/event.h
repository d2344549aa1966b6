// A log event as the detection engine sees it: one parsed JSON object and
// the way rules and detectors read its fields.
//
// Field names are dotted paths. "a.b" first looks for a literal key "a.b"
// (some logs flatten their names), then walks the nested objects a -> b.
// Arrays met on the way are transparent: every element is tried, so
// "spec.containers.image" reaches each container's image. A field whose value
// is an array yields each element (recursively); an object yields one value
// of kind kObject whose text is the object's compact JSON, so that string
// patterns (`requestParameters|contains: Suspended`) search inside it.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace secbudget::detect {

// A field name compiled once: the name as written and its dotted parts.
struct FieldPath {
  FieldPath() = default;
  explicit FieldPath(std::string field_name);

  std::string name;
  std::vector<std::string> parts;
};

// One leaf value of a field.
struct FieldValue {
  enum class Kind : std::uint8_t { kString, kNumber, kBool, kNull, kObject };
  Kind kind = Kind::kNull;
  std::string_view text;  // kString: the string; kNumber/kBool: its JSON text
  double number = 0;      // kNumber
  bool boolean = false;   // kBool
  bool integral = false;  // kNumber held an integer
};

// Calls fn(const FieldValue&) for every leaf of `path` in `root` until fn
// returns true. Returns true when fn did; `present` (optional) is set when
// the field exists at all (a JSON null counts as present).
class FieldVisitor {
 public:
  template <typename F>
  static bool Visit(simdjson::dom::element root, const FieldPath& path, F&& fn, bool* present = nullptr);

  // Converts a scalar JSON element (not array/object) to a FieldValue;
  // numbers get their text in `buf` (which must outlive the value).
  static FieldValue Leaf(simdjson::dom::element e, std::string& buf);

  // The first leaf's text of `path` ("" when absent; numbers and booleans
  // as JSON text; objects as "").
  static std::string FirstText(simdjson::dom::element root, const FieldPath& path);
  // The first non-empty FirstText among `alternatives` (a mapped field).
  static std::string FirstText(simdjson::dom::element root, const std::vector<FieldPath>& alternatives);

  // Every string and number value anywhere in the event (keyword search).
  template <typename F>
  static bool VisitAll(simdjson::dom::element e, F&& fn);

 private:
  template <typename F>
  static bool Walk(simdjson::dom::element e, const std::vector<std::string>& parts, std::size_t i, F& fn,
                   bool* present);
  template <typename F>
  static bool Leaves(simdjson::dom::element e, F& fn);
};

// The event handed to rules: the parsed root plus where it came from.
struct EventView {
  simdjson::dom::element root;
  std::string_view raw;  // the event's JSON text
  TimePoint time = 0;    // from the log type's time field (0 = unknown)
  int log_type = -1;     // index into the LogSourceConfig's types
  std::uint64_t line = 0;
};

// ---- implementation ----

template <typename F>
bool FieldVisitor::Leaves(simdjson::dom::element e, F& fn) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY:
      for (simdjson::dom::element child : simdjson::dom::array(e)) {
        if (Leaves(child, fn)) return true;
      }
      return false;
    case element_type::OBJECT: {
      // String patterns see an object as its compact JSON text.
      thread_local std::string json;
      json = simdjson::minify(e);
      FieldValue v;
      v.kind = FieldValue::Kind::kObject;
      v.text = json;
      return fn(v);
    }
    default: {
      thread_local std::string buf;
      return fn(Leaf(e, buf));
    }
  }
}

template <typename F>
bool FieldVisitor::Walk(simdjson::dom::element e, const std::vector<std::string>& parts, std::size_t i, F& fn,
                        bool* present) {
  using simdjson::dom::element_type;
  if (i == parts.size()) {
    if (present != nullptr) *present = true;
    return Leaves(e, fn);
  }
  if (e.type() == element_type::ARRAY) {
    for (simdjson::dom::element child : simdjson::dom::array(e)) {
      if (Walk(child, parts, i, fn, present)) return true;
    }
    return false;
  }
  if (e.type() != element_type::OBJECT) return false;
  simdjson::dom::element child;
  if (simdjson::dom::object(e).at_key(parts[i]).get(child) != simdjson::SUCCESS) return false;
  return Walk(child, parts, i + 1, fn, present);
}

template <typename F>
bool FieldVisitor::Visit(simdjson::dom::element root, const FieldPath& path, F&& fn, bool* present) {
  if (path.parts.size() > 1 && root.type() == simdjson::dom::element_type::OBJECT) {
    simdjson::dom::element literal;
    if (simdjson::dom::object(root).at_key(path.name).get(literal) == simdjson::SUCCESS) {
      if (present != nullptr) *present = true;
      return Leaves(literal, fn);
    }
  }
  return Walk(root, path.parts, 0, fn, present);
}

template <typename F>
bool FieldVisitor::VisitAll(simdjson::dom::element e, F&& fn) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY:
      for (simdjson::dom::element child : simdjson::dom::array(e)) {
        if (VisitAll(child, fn)) return true;
      }
      return false;
    case element_type::OBJECT:
      for (auto field : simdjson::dom::object(e)) {
        if (VisitAll(field.value, fn)) return true;
      }
      return false;
    case element_type::STRING:
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      thread_local std::string buf;
      return fn(Leaf(e, buf));
    }
    default: return false;
  }
}

}  // namespace secbudget::detect
