#include "ingest/json_util.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <xxhash.h>

#include <charconv>
#include <cstring>

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

// What Digest accumulates. Strings are not hashed one by one: their bytes
// sit in the parser's string buffer in document order, each after its length
// and before a NUL, so the span from the first to the end of the last holds
// every one of them with its boundaries, and is hashed once at the end (any
// bytes in between make the digest stricter, never looser). Everything else
// is mixed in as it comes, tagged with the number of strings before it, so
// its place among the strings counts too.
struct DigestState {
  const char* lo = nullptr;
  const char* hi = nullptr;
  std::uint64_t strings = 0;
  std::uint64_t mix;

  void String(std::string_view s) {
    if (lo == nullptr || s.data() < lo) lo = s.data();
    if (s.data() + s.size() > hi) hi = s.data() + s.size();
    ++strings;
  }
  void Token(std::uint64_t tag, std::uint64_t value) {
    // One multiply-xorshift round per token (splitmix64's finaliser).
    std::uint64_t z = mix ^ (value + 0x9e3779b97f4a7c15ULL + (tag << 56) + (strings << 8));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    mix = z ^ (z >> 31);
  }
};

void DigestWalk(element el, DigestState& st) {
  switch (el.type()) {
    case element_type::OBJECT:
      st.Token('{', 0);
      for (auto [key, value] : Obj(el)) {
        st.String(key);
        DigestWalk(value, st);
      }
      st.Token('}', 0);
      break;
    case element_type::ARRAY:
      st.Token('[', 0);
      for (element value : Arr(el)) DigestWalk(value, st);
      st.Token(']', 0);
      break;
    case element_type::STRING: st.String(el.get_string().value_unsafe()); break;
    case element_type::INT64: st.Token('i', static_cast<std::uint64_t>(el.get_int64().value_unsafe())); break;
    case element_type::UINT64: st.Token('u', el.get_uint64().value_unsafe()); break;
    case element_type::DOUBLE: {
      const double d = el.get_double().value_unsafe();
      std::uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof bits);
      st.Token('d', bits);
      break;
    }
    case element_type::BOOL: st.Token('b', el.get_bool().value_unsafe() ? 1 : 0); break;
    case element_type::NULL_VALUE: st.Token('n', 0); break;
  }
}

}  // namespace

std::uint64_t Digest(element el, std::uint64_t seed) {
  DigestState st;
  st.mix = seed;
  DigestWalk(el, st);
  st.Token('s', st.strings);
  if (st.lo == nullptr) return st.mix;
  return XXH3_64bits_withSeed(st.lo, static_cast<std::size_t>(st.hi - st.lo), st.mix);
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

std::string Str(object obj, std::string_view key) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS) return {};
  return Leaf(el);
}

std::string_view View(object obj, std::string_view key) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS || !el.is_string()) return {};
  std::string_view s = el.get_string().value_unsafe();
  if (s.size() > kMaxFieldBytes) {
    std::size_t cut = kMaxFieldBytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut);
  }
  return s;
}

Result<std::string> Text(object obj, std::string_view key, std::string_view ptr) {
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS) return std::string();
  if (el.is_array() || el.is_object()) return WrongType(Child(ptr, key), "string", el.type());
  return Leaf(el);
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

std::vector<std::string> StrArray(object obj, std::string_view key) {
  std::vector<std::string> out;
  element el;
  if (obj[key].get(el) != simdjson::SUCCESS || !el.is_array()) return out;
  for (element item : json::Arr(el)) {
    if (item.is_string()) out.emplace_back(item.get_string().value_unsafe());
  }
  return out;
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
