#include "detect/sigma/value.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "common/strings.h"
#include "common/time.h"

namespace secbudget::detect::sigma {

namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void LowerInto(std::string_view s, std::string& out) {
  out.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) out[i] = Lower(s[i]);
}

bool IEndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && IEquals(s.substr(s.size() - suffix.size()), suffix);
}

bool GlobPieces(const std::vector<GlobPiece>& pieces, std::string_view text) {
  std::size_t pi = 0;
  std::size_t ti = 0;
  std::size_t star_pi = std::string::npos;
  std::size_t star_ti = 0;
  while (ti < text.size() || pi < pieces.size()) {
    if (pi < pieces.size()) {
      const GlobPiece& p = pieces[pi];
      if (p.kind == GlobPiece::Kind::kStar) {
        star_pi = pi;
        star_ti = ti;
        ++pi;
        continue;
      }
      if (p.kind == GlobPiece::Kind::kOne) {
        if (ti < text.size()) {
          ++ti;
          ++pi;
          continue;
        }
      } else if (text.substr(ti).starts_with(p.literal)) {
        ti += p.literal.size();
        ++pi;
        continue;
      }
    }
    if (star_pi != std::string::npos && star_ti < text.size()) {
      ++star_ti;
      ti = star_ti;
      pi = star_pi + 1;
      continue;
    }
    return false;
  }
  return true;
}

// Parses a decimal number occupying the whole text.
bool ParseNumber(std::string_view s, double* out) {
  s = Trim(s);
  if (s.empty()) return false;
  std::string tmp(s);
  char* end = nullptr;
  double d = std::strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

bool ParseIp(std::string_view text, std::uint8_t* family, std::uint8_t addr[16]) {
  if (text.empty() || text.size() > 45) return false;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::memset(addr, 0, 16);
  if (inet_pton(AF_INET, buf, addr) == 1) {
    *family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, buf, addr) == 1) {
    *family = 6;
    return true;
  }
  return false;
}

bool ParseCidr(std::string_view text, Pattern* p) {
  std::size_t slash = text.find('/');
  std::string_view ip = text.substr(0, slash);
  if (!ParseIp(ip, &p->cidr_family, p->cidr_addr)) return false;
  int max_bits = p->cidr_family == 4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string::npos) {
    std::string_view b = text.substr(slash + 1);
    auto r = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (r.ec != std::errc() || r.ptr != b.data() + b.size() || bits < 0 || bits > max_bits) return false;
  }
  p->cidr_bits = static_cast<std::uint8_t>(bits);
  return true;
}

bool CidrContains(const Pattern& p, std::string_view text) {
  std::uint8_t family = 0;
  std::uint8_t addr[16];
  if (!ParseIp(text, &family, addr) || family != p.cidr_family) return false;
  int bits = p.cidr_bits;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (p.cidr_addr[i] & mask)) return false;
  }
  return true;
}

bool Compare(double a, NumOp op, double b) {
  switch (op) {
    case NumOp::kEq: return a == b;
    case NumOp::kLt: return a < b;
    case NumOp::kLte: return a <= b;
    case NumOp::kGt: return a > b;
    case NumOp::kGte: return a >= b;
  }
  return false;
}

// Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
void CivilFromDays(std::int64_t z, std::int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2 ? 1 : 0);
}

int IsoWeek(std::int64_t days) {
  // 1970-01-01 was a Thursday; ISO weekday 1 = Monday.
  auto weekday = [](std::int64_t dd) { return static_cast<int>(((dd % 7) + 7 + 3) % 7) + 1; };
  const std::int64_t thursday = days - weekday(days) + 4;  // the Thursday of this ISO week
  std::int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  CivilFromDays(thursday, &y, &m, &d);
  const std::int64_t jan1 = DaysFromCivil(y, 1, 1);
  return static_cast<int>((thursday - jan1) / 7) + 1;
}

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool TimePartOf(std::string_view text, TimePart part, double* out) {
  // Read as written ("YYYY-MM-DD[T ]HH:MM..."), with no time zone
  // conversion, as the specification says.
  int yy = 0, mo = 0, dd = 0, h = 0, mi = 0;
  if (Digits(text, 0, 4, &yy) && text.size() >= 10 && text[4] == '-' && Digits(text, 5, 2, &mo) && text[7] == '-' &&
      Digits(text, 8, 2, &dd) && mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31) {
    const bool has_time = text.size() >= 16 && (text[10] == 'T' || text[10] == 't' || text[10] == ' ') &&
                          Digits(text, 11, 2, &h) && text[13] == ':' && Digits(text, 14, 2, &mi);
    switch (part) {
      case TimePart::kMinute:
        if (!has_time) return false;
        *out = mi;
        return true;
      case TimePart::kHour:
        if (!has_time) return false;
        *out = h;
        return true;
      case TimePart::kDay: *out = dd; return true;
      case TimePart::kWeek:
        *out = IsoWeek(DaysFromCivil(yy, static_cast<unsigned>(mo), static_cast<unsigned>(dd)));
        return true;
      case TimePart::kMonth: *out = mo; return true;
      case TimePart::kYear: *out = yy; return true;
      case TimePart::kNone: return false;
    }
  }
  auto t = ParseTime(text);
  if (!t.ok()) return false;
  const std::int64_t secs = *t;
  const std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const std::int64_t sod = secs - days * 86400;
  std::int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  CivilFromDays(days, &y, &m, &d);
  switch (part) {
    case TimePart::kMinute: *out = static_cast<double>((sod / 60) % 60); return true;
    case TimePart::kHour: {
      const std::int64_t hour = sod / 3600;  // whole hours
      *out = static_cast<double>(hour);
      return true;
    }
    case TimePart::kDay: *out = d; return true;
    case TimePart::kWeek: *out = IsoWeek(days); return true;
    case TimePart::kMonth: *out = m; return true;
    case TimePart::kYear: *out = static_cast<double>(y); return true;
    case TimePart::kNone: return false;
  }
  return false;
}

bool IsString(const FieldValue& v) { return v.kind == FieldValue::Kind::kString; }
bool HasText(const FieldValue& v) {
  return v.kind == FieldValue::Kind::kString || v.kind == FieldValue::Kind::kNumber ||
         v.kind == FieldValue::Kind::kBool;
}

}  // namespace

std::vector<GlobPiece> ParseSigmaString(std::string_view s) {
  std::vector<GlobPiece> out;
  auto literal = [&](char c) {
    if (out.empty() || out.back().kind != GlobPiece::Kind::kLiteral) out.push_back({GlobPiece::Kind::kLiteral, ""});
    out.back().literal.push_back(c);
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
      literal(s[++i]);
    } else if (c == '*') {
      if (out.empty() || out.back().kind != GlobPiece::Kind::kStar) out.push_back({GlobPiece::Kind::kStar, ""});
    } else if (c == '?') {
      out.push_back({GlobPiece::Kind::kOne, ""});
    } else {
      literal(c);
    }
  }
  return out;
}

bool HasWildcards(const std::vector<GlobPiece>& pieces) {
  for (const GlobPiece& p : pieces) {
    if (p.kind != GlobPiece::Kind::kLiteral) return true;
  }
  return false;
}

std::string PiecesToLiteral(const std::vector<GlobPiece>& pieces) {
  std::string out;
  for (const GlobPiece& p : pieces) out += p.literal;
  return out;
}

StringMatcher::StringMatcher(std::vector<GlobPiece> pieces, bool cased) : cased_(cased) {
  // Collapse consecutive stars.
  std::vector<GlobPiece> ps;
  for (GlobPiece& p : pieces) {
    if (p.kind == GlobPiece::Kind::kStar && !ps.empty() && ps.back().kind == GlobPiece::Kind::kStar) continue;
    if (!cased && p.kind == GlobPiece::Kind::kLiteral) p.literal = ToLower(p.literal);
    ps.push_back(std::move(p));
  }
  using K = GlobPiece::Kind;
  auto is = [&](std::size_t i, K k) { return i < ps.size() && ps[i].kind == k; };
  if (ps.empty()) {
    shape_ = Shape::kExact;
  } else if (ps.size() == 1 && is(0, K::kLiteral)) {
    shape_ = Shape::kExact;
    literal_ = ps[0].literal;
  } else if (ps.size() == 1 && is(0, K::kStar)) {
    shape_ = Shape::kAny;
  } else if (ps.size() == 2 && is(0, K::kStar) && is(1, K::kLiteral)) {
    shape_ = Shape::kSuffix;
    literal_ = ps[1].literal;
  } else if (ps.size() == 2 && is(0, K::kLiteral) && is(1, K::kStar)) {
    shape_ = Shape::kPrefix;
    literal_ = ps[0].literal;
  } else if (ps.size() == 3 && is(0, K::kStar) && is(1, K::kLiteral) && is(2, K::kStar)) {
    shape_ = Shape::kContains;
    literal_ = ps[1].literal;
  } else {
    shape_ = Shape::kGlob;
    pieces_ = std::move(ps);
  }
}

bool StringMatcher::Match(std::string_view text) const {
  switch (shape_) {
    case Shape::kAny: return true;
    case Shape::kExact: return cased_ ? text == literal_ : IEquals(text, literal_);
    case Shape::kPrefix: return cased_ ? text.starts_with(literal_) : IStartsWith(text, literal_);
    case Shape::kSuffix: return cased_ ? text.ends_with(literal_) : IEndsWith(text, literal_);
    case Shape::kContains: {
      if (cased_) return text.find(literal_) != std::string_view::npos;
      if (literal_.size() > text.size()) return false;
      thread_local std::string lowered;
      LowerInto(text, lowered);
      return lowered.find(literal_) != std::string::npos;
    }
    case Shape::kGlob: {
      if (cased_) return GlobPieces(pieces_, text);
      thread_local std::string lowered;
      LowerInto(text, lowered);
      return GlobPieces(pieces_, lowered);
    }
  }
  return false;
}

bool Pattern::Match(const FieldValue& v) const {
  switch (kind) {
    case Kind::kString: return (HasText(v) || v.kind == FieldValue::Kind::kObject) && str.Match(v.text);
    case Kind::kNumber:
      if (v.kind == FieldValue::Kind::kNumber) return v.number == number;
      return IsString(v) && str.Match(v.text);
    case Kind::kBool:
      if (v.kind == FieldValue::Kind::kBool) return v.boolean == boolean;
      return IsString(v) && str.Match(v.text);
    case Kind::kNull: return v.kind == FieldValue::Kind::kNull;
    case Kind::kRegex: return HasText(v) && RE2::PartialMatch(re2::StringPiece(v.text.data(), v.text.size()), *regex);
    case Kind::kCidr: return IsString(v) && CidrContains(*this, v.text);
    case Kind::kCompare: {
      double d = 0;
      if (v.kind == FieldValue::Kind::kNumber) {
        d = v.number;
      } else if (!IsString(v) || !ParseNumber(v.text, &d)) {
        return false;
      }
      return Compare(d, op, number);
    }
    case Kind::kTimePart: {
      double d = 0;
      return IsString(v) && TimePartOf(v.text, part, &d) && Compare(d, op, number);
    }
    case Kind::kFieldRef: return false;  // needs the event: EvaluateCondition handles it
  }
  return false;
}

bool FieldCondition::ExactValues(std::vector<std::string>* values) const {
  if (neq || exists_test || field.empty() || patterns.empty() || (all && patterns.size() > 1)) return false;
  std::vector<std::string> out;
  for (const Pattern& p : patterns) {
    if ((p.kind != Pattern::Kind::kString && p.kind != Pattern::Kind::kNumber) || p.cased ||
        p.str.shape() != StringMatcher::Shape::kExact) {
      return false;
    }
    if (p.kind == Pattern::Kind::kNumber) {
      // Only canonical integers: the index looks events up by their text.
      const std::string& t = p.str.literal();
      if (t.empty() || (t.size() > 1 && t[0] == '0') || t.find_first_not_of("0123456789") != std::string::npos) {
        return false;
      }
    }
    out.push_back(p.str.literal());
  }
  *values = std::move(out);
  return true;
}

namespace {

bool MatchRef(const Pattern& p, std::string_view text, const std::vector<std::string>& refs) {
  for (const std::string& r : refs) {
    bool ok = false;
    switch (p.ref_shape) {
      case StringMatcher::Shape::kPrefix: ok = p.cased ? text.starts_with(r) : IStartsWith(text, r); break;
      case StringMatcher::Shape::kSuffix: ok = p.cased ? text.ends_with(r) : IEndsWith(text, r); break;
      case StringMatcher::Shape::kContains:
        ok = p.cased ? text.find(r) != std::string_view::npos : IContains(text, r);
        break;
      default: ok = p.cased ? text == r : IEquals(text, r); break;
    }
    if (ok) return true;
  }
  return false;
}

}  // namespace

bool EvaluateCondition(const FieldCondition& c, const EventView& ev) {
  if (c.exists_test) {
    bool present = false;
    for (const FieldPath& path : c.paths) {
      FieldVisitor::Visit(
          ev, path, [](const FieldValue&) { return true; }, &present);
      if (present) break;
    }
    return present == c.exists_value;
  }
  // Field references: the other fields' values, read once (and nothing
  // allocated when the condition has none).
  std::vector<std::vector<std::string>> refs;
  for (std::size_t i = 0; i < c.patterns.size(); ++i) {
    if (c.patterns[i].kind != Pattern::Kind::kFieldRef) continue;
    if (refs.empty()) refs.resize(c.patterns.size());
    FieldVisitor::Visit(ev, c.patterns[i].ref, [&](const FieldValue& v) {
      if (HasText(v)) refs[i].emplace_back(v.text);
      return false;
    });
  }
  auto match = [&](std::size_t i, const FieldValue& v) {
    const Pattern& p = c.patterns[i];
    if (p.kind == Pattern::Kind::kFieldRef) return HasText(v) && MatchRef(p, v.text, refs[i]);
    return p.Match(v);
  };
  auto visit = [&](auto&& fn, bool* present) {
    if (c.field.empty()) return FieldVisitor::VisitAll(ev.root, fn);
    for (const FieldPath& path : c.paths) {
      if (FieldVisitor::Visit(ev, path, fn, present)) return true;
    }
    return false;
  };
  if (c.neq) {
    bool present = false;
    bool equal = visit(
        [&](const FieldValue& v) {
          for (std::size_t i = 0; i < c.patterns.size(); ++i) {
            if (match(i, v)) return true;
          }
          return false;
        },
        &present);
    return present && !equal;
  }
  if (c.all) {
    // Every value as written must match; its variants are alternatives.
    for (std::size_t first = 0; first < c.patterns.size();) {
      std::size_t last = first;
      while (last < c.patterns.size() && c.patterns[last].group == c.patterns[first].group) ++last;
      bool present = false;
      bool hit = visit(
          [&](const FieldValue& v) {
            for (std::size_t i = first; i < last; ++i) {
              if (match(i, v)) return true;
            }
            return false;
          },
          &present);
      if (!hit && !(c.patterns[first].kind == Pattern::Kind::kNull && !present)) return false;
      first = last;
    }
    return !c.patterns.empty();
  }
  bool present = false;
  bool hit = visit(
      [&](const FieldValue& v) {
        for (std::size_t i = 0; i < c.patterns.size(); ++i) {
          if (match(i, v)) return true;
        }
        return false;
      },
      &present);
  if (hit) return true;
  if (!present && !c.field.empty()) {
    for (const Pattern& p : c.patterns) {
      if (p.kind == Pattern::Kind::kNull) return true;
    }
  }
  return false;
}

// ---- encoders ----

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t n = (static_cast<std::uint8_t>(bytes[i]) << 16) | (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                      static_cast<std::uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    std::uint32_t n = (static_cast<std::uint8_t>(bytes[i]) << 16) | (static_cast<std::uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::vector<std::string> Base64OffsetVariants(std::string_view bytes) {
  // The value shifted by 0, 1 and 2 bytes inside a longer encoded string:
  // drop the characters that depend on the unknown neighbours.
  static constexpr std::size_t kStart[3] = {0, 2, 3};
  static constexpr std::size_t kEndTrim[3] = {0, 3, 2};
  std::vector<std::string> out;
  for (std::size_t shift = 0; shift < 3; ++shift) {
    std::string padded(shift, ' ');
    padded.append(bytes);
    std::string enc = Base64Encode(padded);
    std::size_t trim = kEndTrim[(bytes.size() + shift) % 3];
    std::size_t start = kStart[shift];
    if (enc.size() < start + trim) continue;
    out.push_back(enc.substr(start, enc.size() - start - trim));
  }
  return out;
}

std::string Utf16(std::string_view utf8, bool little_endian, bool bom) {
  std::string out;
  auto unit = [&](std::uint16_t u) {
    char lo = static_cast<char>(u & 0xff);
    char hi = static_cast<char>(u >> 8);
    if (little_endian) {
      out += lo;
      out += hi;
    } else {
      out += hi;
      out += lo;
    }
  };
  if (bom) unit(0xFEFF);
  for (std::size_t i = 0; i < utf8.size();) {
    auto b = static_cast<std::uint8_t>(utf8[i]);
    std::uint32_t cp = b;
    std::size_t len = 1;
    if (b >= 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else if (b >= 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if (b >= 0xC0) {
      len = 2;
      cp = b & 0x1F;
    }
    if (i + len > utf8.size()) {
      len = 1;
      cp = b;
    }
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<std::uint8_t>(utf8[i + k]) & 0x3F);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      unit(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      unit(static_cast<std::uint16_t>(cp));
    }
  }
  return out;
}

std::vector<std::string> WindashVariants(std::string_view s, std::size_t limit) {
  static const std::string_view kDashes[5] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};
  // Split into literal runs and dash slots.
  std::vector<std::string> parts(1);
  std::size_t slots = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t matched = 0;
    for (std::string_view d : kDashes) {
      if (s.substr(i).starts_with(d)) {
        matched = d.size();
        break;
      }
    }
    if (matched > 0) {
      ++slots;
      parts.emplace_back();
      i += matched;
    } else {
      parts.back() += s[i++];
    }
  }
  std::size_t total = 1;
  for (std::size_t k = 0; k < slots; ++k) {
    total *= 5;
    if (total > limit) return {};
  }
  std::vector<std::string> out;
  out.reserve(total);
  for (std::size_t n = 0; n < total; ++n) {
    std::string v = parts[0];
    std::size_t code = n;
    for (std::size_t k = 0; k < slots; ++k) {
      v += kDashes[code % 5];
      code /= 5;
      v += parts[k + 1];
    }
    out.push_back(std::move(v));
  }
  return out;
}

// ---- compilation ----

namespace {

enum class Match : std::uint8_t { kNone, kContains, kStartswith, kEndswith };

struct Mods {
  Match match = Match::kNone;
  bool all = false, cased = false, neq = false, exists = false, re = false, cidr = false, fieldref = false;
  bool re_i = false, re_m = false, re_s = false;
  bool has_compare = false;
  NumOp op = NumOp::kEq;
  TimePart part = TimePart::kNone;
  std::vector<std::string> transforms;  // in order written
};

Status Bad(std::string msg) { return Status::SchemaError(std::move(msg)); }

// Replaces %name% placeholders by each configured value (all combinations);
// "\%" is a literal percent sign.
Result<std::vector<std::string>> Expand(const std::string& value, const Placeholders& placeholders) {
  std::vector<std::string> out{""};
  auto append = [&](std::string_view text) {
    for (std::string& o : out) o.append(text);
  };
  std::size_t i = 0;
  while (i < value.size()) {
    if (value[i] == '\\' && i + 1 < value.size() && value[i + 1] == '%') {
      append("%");
      i += 2;
      continue;
    }
    if (value[i] != '%') {
      append(std::string_view(&value[i], 1));
      ++i;
      continue;
    }
    std::size_t close = value.find('%', i + 1);
    if (close == std::string::npos) {
      append(std::string_view(value).substr(i));
      break;
    }
    std::string name = value.substr(i + 1, close - i - 1);
    auto it = placeholders.find(name);
    if (it == placeholders.end() || it->second.empty()) {
      return Bad("placeholder %" + name + "% has no values configured (expand)");
    }
    std::vector<std::string> next;
    for (const std::string& o : out) {
      for (const std::string& v : it->second) next.push_back(o + v);
    }
    if (next.size() > 100000) return Bad("expand: too many combinations");
    out = std::move(next);
    i = close + 1;
  }
  return out;
}

}  // namespace

Result<FieldCondition> CompileFieldCondition(std::string_view key, const std::vector<RawValue>& values,
                                             const Placeholders& placeholders) {
  FieldCondition fc;
  std::vector<std::string_view> parts = Split(key, '|');
  fc.field = std::string(parts[0]);
  Mods m;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string mod = ToLower(parts[i]);
    auto set_match = [&](Match x) -> Status {
      if (m.match != Match::kNone) return Bad("modifiers contains, startswith and endswith exclude each other");
      m.match = x;
      return Status::OK();
    };
    auto set_op = [&](NumOp op) -> Status {
      if (m.has_compare) return Bad("only one of lt, lte, gt, gte may be given");
      m.has_compare = true;
      m.op = op;
      return Status::OK();
    };
    auto set_part = [&](TimePart p) -> Status {
      if (m.part != TimePart::kNone) return Bad("only one time-part modifier may be given");
      m.part = p;
      return Status::OK();
    };
    if (mod == "contains") {
      SB_RETURN_IF_ERROR(set_match(Match::kContains));
    } else if (mod == "startswith") {
      SB_RETURN_IF_ERROR(set_match(Match::kStartswith));
    } else if (mod == "endswith") {
      SB_RETURN_IF_ERROR(set_match(Match::kEndswith));
    } else if (mod == "all") {
      m.all = true;
    } else if (mod == "cased") {
      m.cased = true;
    } else if (mod == "neq") {
      m.neq = true;
    } else if (mod == "exists") {
      m.exists = true;
    } else if (mod == "re") {
      m.re = true;
    } else if (mod == "i" || mod == "ignorecase" || mod == "m" || mod == "multiline" || mod == "s" || mod == "dotall") {
      if (!m.re) return Bad("modifier '" + mod + "' applies only after re");
      (mod[0] == 'i' ? m.re_i : (mod[0] == 'm' ? m.re_m : m.re_s)) = true;
    } else if (mod == "cidr") {
      m.cidr = true;
    } else if (mod == "fieldref") {
      m.fieldref = true;
    } else if (mod == "lt") {
      SB_RETURN_IF_ERROR(set_op(NumOp::kLt));
    } else if (mod == "lte") {
      SB_RETURN_IF_ERROR(set_op(NumOp::kLte));
    } else if (mod == "gt") {
      SB_RETURN_IF_ERROR(set_op(NumOp::kGt));
    } else if (mod == "gte") {
      SB_RETURN_IF_ERROR(set_op(NumOp::kGte));
    } else if (mod == "minute") {
      SB_RETURN_IF_ERROR(set_part(TimePart::kMinute));
    } else if (mod == "hour") {
      SB_RETURN_IF_ERROR(set_part(TimePart::kHour));
    } else if (mod == "day") {
      SB_RETURN_IF_ERROR(set_part(TimePart::kDay));
    } else if (mod == "week") {
      SB_RETURN_IF_ERROR(set_part(TimePart::kWeek));
    } else if (mod == "month") {
      SB_RETURN_IF_ERROR(set_part(TimePart::kMonth));
    } else if (mod == "year") {
      SB_RETURN_IF_ERROR(set_part(TimePart::kYear));
    } else if (mod == "windash" || mod == "base64" || mod == "base64offset" || mod == "utf16le" || mod == "utf16be" ||
               mod == "utf16" || mod == "wide" || mod == "expand") {
      m.transforms.push_back(mod);
    } else {
      return Bad("unknown modifier '" + std::string(parts[i]) + "'");
    }
  }
  if (values.empty()) return Bad("no value given for '" + std::string(key) + "'");
  const int kinds = (m.re ? 1 : 0) + (m.cidr ? 1 : 0) + (m.exists ? 1 : 0) + (m.fieldref ? 1 : 0) +
                    ((m.has_compare && m.part == TimePart::kNone) ? 1 : 0) + (m.part != TimePart::kNone ? 1 : 0);
  if (kinds > 1) return Bad("modifiers re, cidr, exists, fieldref, lt/lte/gt/gte and time parts exclude each other");
  if (kinds == 1 && m.match != Match::kNone && !m.fieldref) {
    return Bad("contains, startswith and endswith cannot be combined with re, cidr, exists or comparisons");
  }
  if (m.all && values.size() < 2) return Bad("modifier 'all' needs a list of at least two values");
  if (m.neq && (m.exists || m.all)) return Bad("modifier 'neq' cannot be combined with exists or all");
  if (fc.field.empty() && (m.exists || m.fieldref || m.neq)) {
    return Bad("keyword searches take no exists, fieldref or neq modifier");
  }
  fc.all = m.all;
  fc.neq = m.neq;

  if (m.exists) {
    if (values.size() != 1 || values[0].kind != RawValue::Kind::kBool) {
      return Bad("modifier 'exists' takes true or false");
    }
    if (!m.transforms.empty() || m.cased) return Bad("modifier 'exists' takes no other modifier");
    fc.exists_test = true;
    fc.exists_value = values[0].boolean;
    return fc;
  }

  // Value transformations, in the order written.
  const bool transforming = !m.transforms.empty();
  struct Item {
    RawValue raw;
    bool literal = false;  // already a literal byte string (no wildcard parsing)
    int group = 0;
  };
  std::vector<Item> items;
  items.reserve(values.size());
  for (const RawValue& v : values) items.push_back({v, false, static_cast<int>(items.size())});
  for (const std::string& t : m.transforms) {
    std::vector<Item> next;
    for (Item& it : items) {
      if (it.raw.kind == RawValue::Kind::kNull || it.raw.kind == RawValue::Kind::kBool) {
        return Bad("modifier '" + t + "' applies to strings only");
      }
      if (t == "expand") {
        SB_ASSIGN_OR_RETURN(auto expanded, Expand(it.raw.text, placeholders));
        for (std::string& e : expanded)
          next.push_back({RawValue{RawValue::Kind::kString, std::move(e)}, it.literal, it.group});
      } else if (t == "windash") {
        auto variants = WindashVariants(it.raw.text, 15625);
        if (variants.empty()) return Bad("windash: too many dash characters in '" + it.raw.text + "'");
        for (std::string& e : variants)
          next.push_back({RawValue{RawValue::Kind::kString, std::move(e)}, it.literal, it.group});
      } else {
        std::string bytes = it.raw.text;
        if (!it.literal) {
          auto pieces = ParseSigmaString(bytes);
          if (HasWildcards(pieces)) return Bad(fmt::format("modifier '{}' cannot encode wildcards in '{}'", t, bytes));
          bytes = PiecesToLiteral(pieces);
        }
        if (t == "base64") {
          next.push_back({RawValue{RawValue::Kind::kString, Base64Encode(bytes)}, true, it.group});
        } else if (t == "base64offset") {
          for (std::string& e : Base64OffsetVariants(bytes)) {
            next.push_back({RawValue{RawValue::Kind::kString, std::move(e)}, true, it.group});
          }
        } else if (t == "utf16le" || t == "wide") {
          next.push_back({RawValue{RawValue::Kind::kString, Utf16(bytes, true, false)}, true, it.group});
        } else if (t == "utf16be") {
          next.push_back({RawValue{RawValue::Kind::kString, Utf16(bytes, false, false)}, true, it.group});
        } else {  // utf16
          next.push_back({RawValue{RawValue::Kind::kString, Utf16(bytes, true, true)}, true, it.group});
        }
      }
    }
    items = std::move(next);
  }

  for (const Item& it : items) {
    const RawValue& v = it.raw;
    Pattern p;
    p.cased = m.cased;
    p.group = it.group;
    if (m.fieldref) {
      if (v.kind != RawValue::Kind::kString || v.text.empty()) return Bad("modifier 'fieldref' takes a field name");
      p.kind = Pattern::Kind::kFieldRef;
      p.ref = FieldPath(v.text);
      p.ref_shape = m.match == Match::kContains     ? StringMatcher::Shape::kContains
                    : m.match == Match::kStartswith ? StringMatcher::Shape::kPrefix
                    : m.match == Match::kEndswith   ? StringMatcher::Shape::kSuffix
                                                    : StringMatcher::Shape::kExact;
    } else if (m.re) {
      if (v.kind == RawValue::Kind::kNull) return Bad("modifier 're' needs a pattern");
      RE2::Options opts;
      opts.set_log_errors(false);
      opts.set_case_sensitive(!m.re_i);
      opts.set_dot_nl(m.re_s);
      std::string expr = m.re_m ? "(?m)" + v.text : v.text;
      auto re = std::make_shared<RE2>(expr, opts);
      if (!re->ok()) return Bad("invalid regular expression '" + v.text + "': " + re->error());
      p.kind = Pattern::Kind::kRegex;
      p.regex = std::move(re);
    } else if (m.cidr) {
      if (v.kind != RawValue::Kind::kString || !ParseCidr(v.text, &p)) {
        return Bad("invalid CIDR '" + v.text + "'");
      }
      p.kind = Pattern::Kind::kCidr;
    } else if (m.part != TimePart::kNone || m.has_compare) {
      double d = v.number;
      if (v.kind != RawValue::Kind::kNumber && !(v.kind == RawValue::Kind::kString && ParseNumber(v.text, &d))) {
        return Bad("comparison modifiers need a number, not '" + v.text + "'");
      }
      p.kind = m.part != TimePart::kNone ? Pattern::Kind::kTimePart : Pattern::Kind::kCompare;
      p.part = m.part;
      p.op = m.op;
      p.number = d;
    } else if (v.kind == RawValue::Kind::kNull) {
      if (m.match != Match::kNone || transforming) return Bad("null cannot take string modifiers");
      p.kind = Pattern::Kind::kNull;
    } else {
      std::vector<GlobPiece> pieces;
      if (it.literal) {
        pieces.push_back({GlobPiece::Kind::kLiteral, v.text});
      } else {
        pieces = ParseSigmaString(v.text);
      }
      if (m.match == Match::kContains || m.match == Match::kEndswith) {
        pieces.insert(pieces.begin(), {GlobPiece::Kind::kStar, ""});
      }
      if (m.match == Match::kContains || m.match == Match::kStartswith) {
        pieces.push_back({GlobPiece::Kind::kStar, ""});
      }
      p.str = StringMatcher(std::move(pieces), m.cased);
      if (m.match == Match::kNone && !transforming && v.kind == RawValue::Kind::kNumber) {
        p.kind = Pattern::Kind::kNumber;
        p.number = v.number;
      } else if (m.match == Match::kNone && !transforming && v.kind == RawValue::Kind::kBool) {
        p.kind = Pattern::Kind::kBool;
        p.boolean = v.boolean;
      } else {
        p.kind = Pattern::Kind::kString;
      }
    }
    fc.patterns.push_back(std::move(p));
  }
  if (!fc.field.empty()) fc.paths.emplace_back(fc.field);
  return fc;
}

}  // namespace secbudget::detect::sigma
