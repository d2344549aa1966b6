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

// A short, fast hash of a JSON key (the length and up to 16 of its bytes):
// good enough to tell an event's few dozen keys apart, and cheap enough to
// compute for every key of every event.
std::uint64_t KeyHash(std::string_view key);
// The same, ignoring ASCII case: equal for strings that IEquals calls equal.
std::uint64_t CaselessKeyHash(std::string_view key);

// A field name compiled once: the name as written, its dotted parts, and the
// hashes the event's key index is probed with.
struct FieldPath {
  FieldPath() = default;
  explicit FieldPath(std::string field_name);

  std::string name;
  std::vector<std::string> parts;
  std::uint64_t name_hash = 0;   // KeyHash(name)
  std::uint64_t first_hash = 0;  // KeyHash(parts[0])
};

// The top-level keys of one event, found in one pass over its object, so
// that every field a rule, the log type or a detector reads costs one hash
// probe instead of a scan of the object's keys (simdjson's at_key compares
// every key in turn; a CloudTrail event has 15-25, and a dotted field name
// is first looked up as a literal key, a scan that nearly always fails).
// The first of duplicate keys wins, as with at_key. Reused from event to
// event; not thread-safe.
class KeyIndex {
 public:
  // Indexes `obj`. Returns false (and the index is unusable) when the object
  // has more keys than the index holds; callers then fall back to at_key.
  bool Build(simdjson::dom::object obj);
  // The value of top-level key `key` (whose KeyHash is `hash`).
  bool Find(std::string_view key, std::uint64_t hash, simdjson::dom::element* out) const;

  static constexpr std::size_t kMaxKeys = 60;

 private:
  static constexpr std::size_t kSlots = 128;  // a power of two, > 2 * kMaxKeys
  struct Entry {
    std::uint64_t hash;
    std::string_view key;
    simdjson::dom::element value;
  };
  std::uint8_t slots_[kSlots] = {};  // 0 = empty, else index + 1 into entries_
  std::vector<Entry> entries_;
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

struct EventView;

// Calls fn(const FieldValue&) for every leaf of `path` in `root` until fn
// returns true. Returns true when fn did; `present` (optional) is set when
// the field exists at all (a JSON null counts as present).
class FieldVisitor {
 public:
  template <typename F>
  static bool Visit(simdjson::dom::element root, const FieldPath& path, F&& fn, bool* present = nullptr);
  // The same on an event's root, through its key index when it has one.
  template <typename F>
  static bool Visit(const EventView& ev, const FieldPath& path, F&& fn, bool* present = nullptr);

  // Converts a scalar JSON element (not array/object) to a FieldValue;
  // numbers get their text in `buf` (which must outlive the value).
  static FieldValue Leaf(simdjson::dom::element e, std::string& buf);

  // The first leaf's text of `path` ("" when absent; numbers and booleans
  // as JSON text; objects as "").
  static std::string FirstText(simdjson::dom::element root, const FieldPath& path);
  // The first non-empty FirstText among `alternatives` (a mapped field).
  static std::string FirstText(simdjson::dom::element root, const std::vector<FieldPath>& alternatives);
  static std::string FirstText(const EventView& ev, const FieldPath& path);
  static std::string FirstText(const EventView& ev, const std::vector<FieldPath>& alternatives);

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
  const KeyIndex* keys = nullptr;  // root's keys, when indexed
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
bool FieldVisitor::Visit(const EventView& ev, const FieldPath& path, F&& fn, bool* present) {
  if (ev.keys == nullptr || path.parts.empty()) return Visit(ev.root, path, fn, present);
  simdjson::dom::element e;
  if (path.parts.size() > 1 && ev.keys->Find(path.name, path.name_hash, &e)) {
    if (present != nullptr) *present = true;
    return Leaves(e, fn);
  }
  if (!ev.keys->Find(path.parts[0], path.first_hash, &e)) return false;
  return Walk(e, path.parts, 1, fn, present);
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
