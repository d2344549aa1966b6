#include "detect/event.h"

#include <charconv>
#include <cstring>

namespace secbudget::detect {

namespace {

std::uint64_t Load64(const char* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::uint64_t Load32(const char* p) {
  std::uint32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

namespace {

// ASCII upper-case letters of 8 bytes lowered at once (SWAR): a byte gets
// 0x20 added when it is in 'A'..'Z'; other bytes, UTF-8 included, are kept.
std::uint64_t Lower8(std::uint64_t x) {
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t low7 = x & ~kHigh;
  const std::uint64_t ge_a = low7 + 0x3f3f3f3f3f3f3f3fULL;  // high bit set when >= 'A'
  const std::uint64_t gt_z = low7 + 0x2525252525252525ULL;  // high bit set when > 'Z'
  const std::uint64_t upper = (ge_a ^ gt_z) & ~x & kHigh;   // 'A'..'Z', and ASCII
  return x | (upper >> 2);
}

// The short-input scheme of wyhash and XXH3: the first and last 8 (or 4)
// bytes, which overlap for short keys, plus the length.
template <bool kCaseless>
std::uint64_t ShortHash(std::string_view key) {
  const char* p = key.data();
  const std::size_t n = key.size();
  std::uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = Load64(p);
    b = Load64(p + n - 8);
  } else if (n >= 4) {
    a = Load32(p);
    b = Load32(p + n - 4);
  } else if (n > 0) {
    a = static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16 |
        static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 | static_cast<unsigned char>(p[n - 1]);
  }
  if constexpr (kCaseless) {
    a = Lower8(a);
    b = Lower8(b);
  }
  std::uint64_t h = (a ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
  h ^= (b + n) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h * 0x9e3779b97f4a7c15ULL;
}

}  // namespace

std::uint64_t KeyHash(std::string_view key) { return ShortHash<false>(key); }
std::uint64_t CaselessKeyHash(std::string_view key) { return ShortHash<true>(key); }

FieldPath::FieldPath(std::string field_name) : name(std::move(field_name)) {
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    parts.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  name_hash = KeyHash(name);
  first_hash = KeyHash(parts[0]);
}

bool KeyIndex::Build(simdjson::dom::object obj) {
  std::memset(slots_, 0, sizeof slots_);
  entries_.clear();
  for (simdjson::dom::key_value_pair kv : obj) {
    if (entries_.size() == kMaxKeys) return false;
    const std::uint64_t h = KeyHash(kv.key);
    std::size_t i = h & (kSlots - 1);
    bool duplicate = false;
    while (slots_[i] != 0) {
      const Entry& e = entries_[slots_[i] - 1];
      if (e.hash == h && e.key == kv.key) {
        duplicate = true;  // the first one wins
        break;
      }
      i = (i + 1) & (kSlots - 1);
    }
    if (duplicate) continue;
    entries_.push_back({h, kv.key, kv.value});
    slots_[i] = static_cast<std::uint8_t>(entries_.size());
  }
  return true;
}

bool KeyIndex::Find(std::string_view key, std::uint64_t hash, simdjson::dom::element* out) const {
  for (std::size_t i = hash & (kSlots - 1); slots_[i] != 0; i = (i + 1) & (kSlots - 1)) {
    const Entry& e = entries_[slots_[i] - 1];
    if (e.hash == hash && e.key == key) {
      *out = e.value;
      return true;
    }
  }
  return false;
}

namespace {

// A number leaf: its value and its shortest text (in `buf`).
template <typename T>
FieldValue Number(FieldValue v, T x, bool integral, std::string& buf) {
  char tmp[40];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, x);
  buf.assign(tmp, r.ptr);
  v.kind = FieldValue::Kind::kNumber;
  v.number = static_cast<double>(x);
  v.integral = integral;
  v.text = buf;
  return v;
}

}  // namespace

FieldValue FieldVisitor::Leaf(simdjson::dom::element e, std::string& buf) {
  using simdjson::dom::element_type;
  FieldValue v;
  switch (e.type()) {
    case element_type::STRING: {
      v.kind = FieldValue::Kind::kString;
      std::string_view s;
      if (e.get_string().get(s) == simdjson::SUCCESS) v.text = s;
      return v;
    }
    case element_type::INT64: {
      std::int64_t i = 0;
      if (e.get_int64().get(i) != simdjson::SUCCESS) return v;
      return Number(v, i, true, buf);
    }
    case element_type::UINT64: {
      std::uint64_t u = 0;
      if (e.get_uint64().get(u) != simdjson::SUCCESS) return v;
      return Number(v, u, true, buf);
    }
    case element_type::DOUBLE: {
      double d = 0;
      if (e.get_double().get(d) != simdjson::SUCCESS) return v;
      return Number(v, d, false, buf);
    }
    case element_type::BOOL: {
      bool b = false;
      if (e.get_bool().get(b) != simdjson::SUCCESS) return v;
      v.kind = FieldValue::Kind::kBool;
      v.boolean = b;
      v.text = b ? "true" : "false";
      return v;
    }
    case element_type::NULL_VALUE: v.kind = FieldValue::Kind::kNull; return v;
    default: v.kind = FieldValue::Kind::kObject; return v;
  }
}

namespace {

template <typename Root>
std::string FirstTextIn(const Root& root, const FieldPath& path) {
  std::string out;
  FieldVisitor::Visit(root, path, [&](const FieldValue& v) {
    if (v.kind == FieldValue::Kind::kObject || v.kind == FieldValue::Kind::kNull) return false;
    out.assign(v.text);
    return true;
  });
  return out;
}

template <typename Root>
std::string FirstTextIn(const Root& root, const std::vector<FieldPath>& alternatives) {
  for (const FieldPath& p : alternatives) {
    std::string v = FirstTextIn(root, p);
    if (!v.empty()) return v;
  }
  return "";
}

}  // namespace

std::string FieldVisitor::FirstText(simdjson::dom::element root, const FieldPath& path) {
  return FirstTextIn(root, path);
}
std::string FieldVisitor::FirstText(simdjson::dom::element root, const std::vector<FieldPath>& alternatives) {
  return FirstTextIn(root, alternatives);
}
std::string FieldVisitor::FirstText(const EventView& ev, const FieldPath& path) { return FirstTextIn(ev, path); }
std::string FieldVisitor::FirstText(const EventView& ev, const std::vector<FieldPath>& alternatives) {
  return FirstTextIn(ev, alternatives);
}

}  // namespace secbudget::detect
