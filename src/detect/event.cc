#include "detect/event.h"

#include <charconv>

namespace secbudget::detect {

FieldPath::FieldPath(std::string field_name) : name(std::move(field_name)) {
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    parts.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
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

std::string FieldVisitor::FirstText(simdjson::dom::element root, const FieldPath& path) {
  std::string out;
  Visit(root, path, [&](const FieldValue& v) {
    if (v.kind == FieldValue::Kind::kObject || v.kind == FieldValue::Kind::kNull) return false;
    out.assign(v.text);
    return true;
  });
  return out;
}

std::string FieldVisitor::FirstText(simdjson::dom::element root, const std::vector<FieldPath>& alternatives) {
  for (const FieldPath& p : alternatives) {
    std::string v = FirstText(root, p);
    if (!v.empty()) return v;
  }
  return "";
}

}  // namespace secbudget::detect
