#include "ingest/item_arrays.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/endian.h"
#include "common/hash.h"
#include "ingest/ingest.h"

namespace secbudget::ingest {

namespace {

constexpr std::size_t kNone = std::string_view::npos;

// What a container is on the way down to an item array.
enum class Role : std::uint8_t { kOther, kRoot, kList, kEntry, kItems };
// Object: kFirst (after '{'), kKey (after ','), kValue (after ':'), kNext.
// Array: kFirst (after '['), kValue (after ','), kNext.
enum class Expect : std::uint8_t { kFirst, kKey, kValue, kNext };

struct Frame {
  bool object = false;
  Role role = Role::kOther;
  Expect expect = Expect::kFirst;
  std::string_view key;  // the object's current member name, raw
};

// What the caller does at an item array's '['.
enum class At { kStop, kSkip, kDescend, kFail };
enum class End { kDone, kStopped, kFailed };

std::size_t SkipSpace(std::string_view b, std::size_t i) {
  while (i < b.size() && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) ++i;
  return i;
}

// From the opening quote to one past the closing one (kNone if unclosed).
// A quote is escaped when an odd run of backslashes precedes it.
std::size_t SkipString(std::string_view b, std::size_t open) {
  std::size_t i = open + 1;
  while (i < b.size()) {
    const void* q = std::memchr(b.data() + i, '"', b.size() - i);
    if (q == nullptr) return kNone;
    const std::size_t quote = static_cast<std::size_t>(static_cast<const char*>(q) - b.data());
    std::size_t run = quote;
    while (run > open + 1 && b[run - 1] == '\\') --run;
    if ((quote - run) % 2 == 0) return quote + 1;
    i = quote + 1;
  }
  return kNone;
}

// A number or literal: up to the next delimiter (kNone if empty).
std::size_t SkipScalar(std::string_view b, std::size_t i) {
  const std::size_t start = i;
  while (i < b.size()) {
    const char c = b[i];
    if (c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '"' || c == '[' ||
        c == '{' || c == ':')
      break;
    ++i;
  }
  return i == start ? kNone : i;
}

// The bracket scan's state between bytes, carried over block boundaries.
struct ContainerScan {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;  // in a string, after an unescaped backslash
};

// One byte of SkipContainer's scan at `i`: one past the closing bracket when
// `c` closes the container, kNone when nesting goes past `depth_left`, 0 to
// go on. (0 is never a closing position: the opening bracket comes first.)
inline std::size_t ScanByte(ContainerScan& s, char c, std::size_t i, std::size_t depth_left) {
  if (s.in_string) {
    if (s.escaped) {
      s.escaped = false;
    } else if (c == '\\') {
      s.escaped = true;
    } else if (c == '"') {
      s.in_string = false;
    }
    return 0;
  }
  switch (c) {
    case '"': s.in_string = true; break;
    case '[':
    case '{':
      if (++s.depth > depth_left) return kNone;
      break;
    case ']':
    case '}':
      if (--s.depth == 0) return i + 1;
      break;
    default: break;
  }
  return 0;
}

}  // namespace

std::size_t SkipContainerScalar(std::string_view b, std::size_t open, std::size_t depth_left) {
  ContainerScan s;
  for (std::size_t i = open; i < b.size(); ++i) {
    if (const std::size_t r = ScanByte(s, b[i], i, depth_left); r != 0) return r;
  }
  return kNone;
}

// 64 bytes at a time where a block holds no backslash (and does not start
// in an escape): the quotes' prefix parity says which bytes are in a
// string, and only the brackets outside strings are visited. A block with a
// backslash goes byte by byte. Most of a report is advisory text in
// strings, which this crosses without a call per string.
std::size_t SkipContainer(std::string_view b, std::size_t open, std::size_t depth_left) {
  ContainerScan s;
  std::size_t i = open;
#if defined(__SSE2__)
  const char* p = b.data();
  // One bit per byte of the 64 in `v` that equals `c`.
  const auto bits = [](const __m128i(&v)[4], __m128i c) {
    const auto one = [&](const __m128i x) {
      return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, c))));
    };
    return one(v[0]) | one(v[1]) << 16 | one(v[2]) << 32 | one(v[3]) << 48;
  };
  // '[' and '{' differ only in bit 0x20, as ']' and '}' do: with that bit
  // set, one comparison finds both.
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), lower = _mm_set1_epi8(0x20);
  const __m128i opening = _mm_set1_epi8('{'), closing = _mm_set1_epi8('}');
  while (i + 64 <= b.size()) {
    const auto* at = reinterpret_cast<const __m128i*>(p + i);
    const __m128i v[4] = {_mm_loadu_si128(at), _mm_loadu_si128(at + 1), _mm_loadu_si128(at + 2),
                          _mm_loadu_si128(at + 3)};
    if (s.escaped || bits(v, backslash) != 0) {
      for (const std::size_t end = i + 64; i < end; ++i) {
        if (const std::size_t r = ScanByte(s, b[i], i, depth_left); r != 0) return r;
      }
      continue;
    }
    const __m128i folded[4] = {_mm_or_si128(v[0], lower), _mm_or_si128(v[1], lower), _mm_or_si128(v[2], lower),
                               _mm_or_si128(v[3], lower)};
    const std::uint64_t quotes = bits(v, quote);
    const std::uint64_t opens = bits(folded, opening);
    const std::uint64_t closes = bits(folded, closing);
    // Bit k: an odd number of quotes at or before byte k.
    std::uint64_t parity = quotes ^ quotes << 1;
    parity ^= parity << 2;
    parity ^= parity << 4;
    parity ^= parity << 8;
    parity ^= parity << 16;
    parity ^= parity << 32;
    const std::uint64_t inside = s.in_string ? ~parity : parity;
    for (std::uint64_t brackets = (opens | closes) & ~inside; brackets != 0; brackets &= brackets - 1) {
      const int k = __builtin_ctzll(brackets);
      if ((opens >> k & 1) != 0) {
        if (++s.depth > depth_left) return kNone;
      } else if (--s.depth == 0) {
        return i + static_cast<std::size_t>(k) + 1;
      }
    }
    if ((parity >> 63) != 0) s.in_string = !s.in_string;  // an odd number of quotes in all
    i += 64;
  }
#endif
  for (; i < b.size(); ++i) {
    if (const std::size_t r = ScanByte(s, b[i], i, depth_left); r != 0) return r;
  }
  return kNone;
}

namespace {

// Lexes `b`. At each item array's '[' (at offset `begin`), `at(begin,
// &resume)` decides: stop there (`stack` then holds what is open), skip to
// `resume`, descend into it (then `end(offset past ']')` is called), or fail.
template <typename AtFn, typename EndFn>
End Lex(std::string_view b, const ItemArrayPath& path, std::vector<Frame>& stack, std::size_t* stop, AtFn&& at,
        EndFn&& end) {
  stack.clear();
  std::size_t i = SkipSpace(b, 0);
  if (i >= b.size() || b[i] != '{') return End::kFailed;
  stack.push_back(Frame{true, Role::kRoot, Expect::kFirst, {}});
  ++i;
  const auto pop = [&] {
    stack.pop_back();
    ++i;
  };
  while (!stack.empty()) {
    i = SkipSpace(b, i);
    if (i >= b.size()) return End::kFailed;
    const char c = b[i];
    Frame& f = stack.back();
    if (f.expect == Expect::kNext) {
      if (c == ',') {
        f.expect = f.object ? Expect::kKey : Expect::kValue;
        ++i;
      } else if (c == (f.object ? '}' : ']')) {
        pop();
      } else {
        return End::kFailed;
      }
      continue;
    }
    if (f.expect == Expect::kFirst && c == (f.object ? '}' : ']')) {
      pop();
      continue;
    }
    if (f.object && f.expect != Expect::kValue) {  // a member name, then ':'
      if (c != '"') return End::kFailed;
      const std::size_t close = SkipString(b, i);
      if (close == kNone) return End::kFailed;
      f.key = b.substr(i + 1, close - i - 2);
      i = SkipSpace(b, close);
      if (i >= b.size() || b[i] != ':') return End::kFailed;
      ++i;
      f.expect = Expect::kValue;
      continue;
    }
    // A value of `f`.
    f.expect = Expect::kNext;
    const Role parent = f.role;
    const bool in_object = f.object;
    const std::string_view key = f.key;
    if (c == '"') {
      i = SkipString(b, i);
      if (i == kNone) return End::kFailed;
    } else if (c == '{' || c == '[') {
      if (stack.size() >= kMaxJsonDepth) return End::kFailed;
      Role role = Role::kOther;
      if (c == '{' && parent == Role::kList) role = Role::kEntry;
      if (c == '[' && in_object && parent == Role::kRoot && key == path.list) role = Role::kList;
      if (c == '[' && in_object && parent == Role::kEntry && key == path.member) {
        std::size_t resume = 0;
        switch (at(i, &resume)) {
          case At::kStop: *stop = i; return End::kStopped;
          case At::kSkip: i = resume; continue;
          case At::kFail: return End::kFailed;
          case At::kDescend: role = Role::kItems; break;
        }
      }
      if (role == Role::kOther || role == Role::kItems) {
        // Nothing on the path inside: find its end without lexing it.
        const std::size_t close = SkipContainer(b, i, kMaxJsonDepth - stack.size());
        if (close == kNone) return End::kFailed;
        i = close;
        if (role == Role::kItems) end(i);
        continue;
      }
      stack.push_back(Frame{c == '{', role, Expect::kFirst, {}});
      ++i;
    } else {
      i = SkipScalar(b, i);
      if (i == kNone) return End::kFailed;
    }
  }
  return SkipSpace(b, i) == b.size() ? End::kDone : End::kFailed;
}

constexpr char kEncodingFormat = 1;
constexpr std::size_t kEncodedArrayBytes = 4 * sizeof(std::uint64_t);

}  // namespace

bool HeadDocument(std::string_view bytes, const ItemArrayPath& path, std::string* out) {
  std::vector<Frame> stack;
  std::size_t stop = 0;
  const End e = Lex(
      bytes, path, stack, &stop, [](std::size_t, std::size_t*) { return At::kStop; }, [](std::size_t) {});
  if (e != End::kStopped) return false;
  out->assign(bytes.substr(0, stop));
  *out += "[]";
  for (auto f = stack.rbegin(); f != stack.rend(); ++f) *out += f->object ? '}' : ']';
  return true;
}

bool LocateItemArrays(std::string_view bytes, const ItemArrayPath& path, std::vector<ItemArray>* out) {
  out->clear();
  std::vector<Frame> stack;
  std::size_t stop = 0;
  const End e = Lex(
      bytes, path, stack, &stop,
      [&](std::size_t begin, std::size_t*) {
        out->push_back(ItemArray{begin, 0, 0, 0, 0});
        return At::kDescend;
      },
      [&](std::size_t end) {
        ItemArray& a = out->back();
        a.end = end;
        a.hash = Hash64(bytes.substr(a.begin, end - a.begin));
      });
  if (e != End::kDone) out->clear();
  return e == End::kDone;
}

bool SkipItemArrays(std::string_view bytes, const ItemArrayPath& path, const std::vector<ItemArray>& expected,
                    std::string* envelope, std::vector<ItemArray>* found) {
  envelope->clear();
  found->clear();
  std::vector<Frame> stack;
  std::size_t stop = 0, copied = 0;
  const End e = Lex(
      bytes, path, stack, &stop,
      [&](std::size_t begin, std::size_t* resume) {
        if (found->size() >= expected.size()) return At::kFail;
        const ItemArray& want = expected[found->size()];
        const std::size_t length = want.end - want.begin;
        if (length < 2 || length > bytes.size() - begin || bytes[begin + length - 1] != ']') return At::kFail;
        if (Hash64(bytes.substr(begin, length)) != want.hash) return At::kFail;
        envelope->append(bytes.substr(copied, begin - copied));
        *envelope += "[]";
        copied = begin + length;
        found->push_back(ItemArray{begin, begin + length, want.hash, want.context, want.items});
        *resume = begin + length;
        return At::kSkip;
      },
      [](std::size_t) {});
  if (e != End::kDone || found->size() != expected.size()) {
    envelope->clear();
    found->clear();
    return false;
  }
  envelope->append(bytes.substr(copied));
  return true;
}

std::string EncodeItemArrays(const std::vector<ItemArray>& arrays, std::uint64_t count) {
  std::string out(1, kEncodingFormat);
  AppendLE64(out, count);
  for (const ItemArray& a : arrays) {
    AppendLE64(out, a.end - a.begin);
    AppendLE64(out, a.hash);
    AppendLE64(out, a.context);
    AppendLE64(out, a.items);
  }
  return out;
}

bool DecodeItemArrays(std::string_view bytes, std::vector<ItemArray>* out, std::uint64_t* count) {
  out->clear();
  constexpr std::size_t kHeader = 1 + sizeof(std::uint64_t);
  if (bytes.size() < kHeader || bytes[0] != kEncodingFormat || (bytes.size() - kHeader) % kEncodedArrayBytes != 0) {
    return false;
  }
  *count = LoadLE64(bytes.data() + 1);
  for (std::size_t at = kHeader; at < bytes.size(); at += kEncodedArrayBytes) {
    const char* p = bytes.data() + at;
    const std::uint64_t length = LoadLE64(p), items = LoadLE64(p + 24);
    if (length < 2 || items > UINT32_MAX) {
      out->clear();
      return false;
    }
    out->push_back(ItemArray{0, static_cast<std::size_t>(length), LoadLE64(p + 8), LoadLE64(p + 16),
                             static_cast<std::uint32_t>(items)});
  }
  return true;
}

}  // namespace secbudget::ingest
