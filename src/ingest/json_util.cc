#include "ingest/json_util.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
#include <vector>

#include "common/hash.h"

namespace secbudget::json {

std::string_view TypeName(element_type t) {
  switch (t) {
    case element_type::ARRAY: return "array";
    case element_type::OBJECT: return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "number";
    case element_type::STRING: return "string";
    case element_type::BOOL: return "boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "value";
}

namespace {

// simdjson keeps an element's place on its document's tape private. An
// explicit instantiation may name a private member (C++20
// [temp.spec.general]/6): ExposeTape's instantiation hands the member
// pointer to TapeOf. If simdjson renames or retypes the member this stops
// compiling rather than misreading memory.
struct ElementTape {
  using Member = simdjson::internal::tape_ref simdjson::dom::element::*;
  friend Member TapeOf(ElementTape);
};
template <typename Tag, typename Tag::Member kMember>
struct ExposeTape {
  friend typename Tag::Member TapeOf(Tag) { return kMember; }
};
template struct ExposeTape<ElementTape, &simdjson::dom::element::tape>;

}  // namespace

// The value's words on simdjson's tape, in document order, say everything
// about it but where it is: strings and containers carry offsets into the
// document, which are masked to their type tag; numbers carry the value in
// the next word, kept. The strings themselves (keys included) sit in the
// string buffer in document order, each after its 32-bit length and before a
// NUL, so the span from the first to the end of the last holds every one of
// them with its boundaries. One hash covers the seed and the masked words,
// one the span (only the last string's length is read), and a third joins
// the two. No XXH3 call is seeded: over 240 bytes a seeded call derives a
// new secret each time.
std::uint64_t Digest(element el, std::uint64_t seed) {
  constexpr std::uint64_t kTypeMask = 0xFFULL << 56;
  constexpr std::uint64_t kPayloadMask = ~kTypeMask;
  constexpr std::uint64_t kNoString = ~0ULL;
  const simdjson::internal::tape_ref& ref = el.*TapeOf(ElementTape{});
  const std::uint64_t* tape = ref.doc->tape.get();
  const std::uint8_t* strings = ref.doc->string_buf.get();
  const std::size_t begin = ref.json_index;
  const std::size_t end = ref.after_element();
  // The seed, then the masked words (reused between calls: no allocation).
  thread_local std::vector<std::uint64_t> words;
  const std::size_t n = end - begin;
  words.resize(1 + n);
  words[0] = seed;
  std::uint64_t* out = words.data() + 1;
  // Masks by type tag: offsets (strings, containers) go, the rest stays.
  static constexpr std::array<std::uint64_t, 256> kMask = [] {
    std::array<std::uint64_t, 256> m{};
    m.fill(~0ULL);
    for (const char c : {'"', '{', '[', '}', ']'}) m[static_cast<unsigned char>(c)] = kTypeMask;
    return m;
  }();
  std::uint64_t first = kNoString, last = kNoString;  // string buffer offsets
  for (std::size_t i = begin; i < end && first == kNoString; ++i) {
    if ((tape[i] >> 56) == '"') first = tape[i] & kPayloadMask;
  }
  for (std::size_t i = begin; i < end; ++i) {
    const std::uint64_t w = tape[i];
    const unsigned type = static_cast<unsigned>(w >> 56);
    out[i - begin] = w & kMask[type];
    last = type == '"' ? (w & kPayloadMask) : last;
    if (type == 'l' || type == 'u' || type == 'd') {  // the value is the next word, kept whole
      ++i;
      out[i - begin] = tape[i];
    }
  }
  const std::uint64_t shape =
      Hash64(std::string_view(reinterpret_cast<const char*>(words.data()), (1 + n) * sizeof(std::uint64_t)));
  if (first == kNoString) return shape;
  std::uint32_t length = 0;  // of the last string: the span ends after it and its NUL
  std::memcpy(&length, strings + last, sizeof length);
  const std::uint64_t both[2] = {shape, Hash64(std::string_view(reinterpret_cast<const char*>(strings) + first,
                                                                last + sizeof length + length + 1 - first))};
  return Hash64(std::string_view(reinterpret_cast<const char*>(both), sizeof both));
}

std::string Child(std::string_view ptr, std::string_view key) {
  std::string out(ptr);
  out += '/';
  out += EscapePointerToken(key);
  return out;
}

std::string Child(std::string_view ptr, std::size_t index) { return fmt::format("{}/{}", ptr, index); }

Status WrongType(std::string_view ptr, std::string_view expected, element_type got) {
  return Status::SchemaError(fmt::format("expected {}, found {}", expected, TypeName(got)))
      .At(Location::Pointer(ptr.empty() ? std::string("/") : std::string(ptr)));
}

Result<std::optional<array>> OptArray(object obj, std::string_view key, std::string_view ptr) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS || el.is_null()) return std::optional<array>();
  if (!el.is_array()) return WrongType(Child(ptr, key), "array", el.type());
  return std::optional<array>(el.get_array().value_unsafe());
}

Result<std::optional<object>> OptObject(object obj, std::string_view key, std::string_view ptr) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS || el.is_null()) return std::optional<object>();
  if (!el.is_object()) return WrongType(Child(ptr, key), "object", el.type());
  return std::optional<object>(el.get_object().value_unsafe());
}

Result<array> ReqArray(object obj, std::string_view key, std::string_view ptr) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS) {
    return Status::SchemaError(fmt::format("missing required field \"{}\"", key))
        .At(Location::Pointer(ptr.empty() ? std::string("/") : std::string(ptr)));
  }
  if (!el.is_array()) return WrongType(Child(ptr, key), "array", el.type());
  return el.get_array().value_unsafe();
}

Result<object> AsObject(element el, std::string_view ptr) {
  if (!el.is_object()) return WrongType(ptr, "object", el.type());
  return el.get_object().value_unsafe();
}

namespace {

std::string Leaf(element el) {
  switch (el.type()) {
    case element_type::STRING: {
      std::string_view s = el.get_string().value_unsafe();
      if (s.size() > kMaxFieldBytes) return Ellipsize(s, kMaxFieldBytes);
      return std::string(s);
    }
    case element_type::INT64: return std::to_string(el.get_int64().value_unsafe());
    case element_type::UINT64: return std::to_string(el.get_uint64().value_unsafe());
    case element_type::DOUBLE: return fmt::format("{}", el.get_double().value_unsafe());
    case element_type::BOOL: return el.get_bool().value_unsafe() ? "true" : "false";
    default: return {};
  }
}

}  // namespace

std::string Str(const element* el) { return el != nullptr ? Leaf(*el) : std::string(); }

std::string Str(object obj, std::string_view key) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS) return {};
  return Leaf(el);
}

std::string_view View(const element* el) {
  if (el == nullptr || !el->is_string()) return {};
  std::string_view s = el->get_string().value_unsafe();
  if (s.size() > kMaxFieldBytes) {
    std::size_t cut = kMaxFieldBytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut);
  }
  return s;
}

std::string_view View(object obj, std::string_view key) {
  element el;
  return obj[key].get(el) == simdjson::SUCCESS ? View(&el) : std::string_view();
}

Result<std::string> Text(const element* el, std::string_view ptr, std::string_view key) {
  if (el == nullptr) return std::string();
  if (el->is_array() || el->is_object()) return WrongType(Child(ptr, key), "string", el->type());
  return Leaf(*el);
}

Result<std::string> Text(object obj, std::string_view key, std::string_view ptr) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS) return std::string();
  return Text(&el, ptr, key);
}

double Num(object obj, std::string_view key, double fallback) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS) return fallback;
  double d = 0;
  if (el.is_number()) {
    if (el.get_double().get(d) == simdjson::SUCCESS) return d;
    return fallback;
  }
  if (el.is_string()) {
    std::string_view s = Trim(el.get_string().value_unsafe());
    // from_chars for double is available in GCC 12.
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return d;
  }
  return fallback;
}

std::optional<bool> Bool(object obj, std::string_view key) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS) return std::nullopt;
  if (el.is_bool()) return el.get_bool().value_unsafe();
  if (el.is_string()) {
    const std::string_view s = el.get_string().value_unsafe();
    if (IEquals(s, "true") || IEquals(s, "yes")) return true;
    if (IEquals(s, "false") || IEquals(s, "no")) return false;
  }
  return std::nullopt;
}

std::vector<std::string> StrArray(const element* el) {
  std::vector<std::string> out;
  if (el == nullptr || !el->is_array()) return out;
  for (element item : json::Arr(*el)) {
    if (item.is_string()) out.emplace_back(item.get_string().value_unsafe());
  }
  return out;
}

std::vector<std::string> StrArray(object obj, std::string_view key) {
  element el;
  return obj[key].get(el) == simdjson::SUCCESS ? StrArray(&el) : std::vector<std::string>();
}

MemberNames::MemberNames(std::initializer_list<std::string_view> names) {
  assert(names.size() <= kMax);
  slots_.fill(kEmpty);
  for (std::string_view name : names) {
    if (names_.size() == kMax) break;
    std::size_t s = Slot(name);
    while (slots_[s] != kEmpty) s = (s + 1) % kSlots;
    slots_[s] = static_cast<std::uint8_t>(names_.size());
    names_.emplace_back(name);
  }
}

Members::Members(object obj, const MemberNames& names) {
  const std::uint32_t all = (std::uint32_t{1} << names.size()) - 1;
  for (auto [key, value] : obj) {
    const int i = names.Find(key);
    if (i < 0 || (found_ >> i & 1) != 0) continue;  // not wanted, or repeated
    found_ |= std::uint32_t{1} << i;
    elements_[i] = value;
    if (found_ == all) break;
  }
}

std::optional<element> At(element el, std::string_view relative_pointer) {
  element out;
  if (el.at_pointer(relative_pointer).get(out) != simdjson::SUCCESS) return std::nullopt;
  return out;
}

std::string StrAt(element el, std::string_view relative_pointer) {
  const auto found = At(el, relative_pointer);
  return found ? Leaf(*found) : std::string();
}

double NumAt(element el, std::string_view relative_pointer, double fallback) {
  const auto found = At(el, relative_pointer);
  double d = 0;
  if (found && found->is_number() && found->get_double().get(d) == simdjson::SUCCESS) return d;
  return fallback;
}

std::optional<TimePoint> TimeOrNull(std::string_view text) {
  if (text.empty() || StartsWith(text, "0001-01-01")) return std::nullopt;
  auto t = ParseTime(text);
  if (!t.ok()) return std::nullopt;
  return *t;
}

void AddUnique(std::vector<std::string>& v, std::string value) {
  if (value.empty()) return;
  for (const auto& existing : v) {
    if (existing == value) return;
  }
  v.push_back(std::move(value));
}

}  // namespace secbudget::json

namespace secbudget {

namespace {

// nlohmann's SAX parser (iterative, no document built) finds where a syntax
// error is; simdjson's DOM only says that there is one.
struct NullSax : nlohmann::json_sax<nlohmann::json> {
  std::size_t error_byte = 0;
  std::string error_text;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    error_byte = position;
    error_text = ex.what();
    return false;
  }
};

}  // namespace

Location JsonSyntaxErrorLocation(std::string_view bytes, const std::string& file, std::string* detail) {
  NullSax sax;
  Location loc = Location::File(file);
  try {
    nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &sax);
  } catch (const std::exception&) {
    return loc;
  }
  if (sax.error_byte == 0) return loc;
  // nlohmann counts the failing character as consumed: step back one.
  const std::size_t offset = std::min(sax.error_byte > 0 ? sax.error_byte - 1 : 0, bytes.size());
  std::uint64_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (bytes[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  loc.line = line;
  loc.column = col;
  if (detail != nullptr) {
    // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ... - <why>"
    const size_t dash = sax.error_text.rfind(" - ");
    *detail = dash == std::string::npos ? sax.error_text : sax.error_text.substr(dash + 3);
  }
  return loc;
}

}  // namespace secbudget
