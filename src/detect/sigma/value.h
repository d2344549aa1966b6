// Sigma values and value modifiers, compiled into matchers.
//
// A detection item is `field|mod1|mod2: value-or-list`. Compilation runs the
// value transformations in the order written (expand, windash, utf16le /
// utf16be / utf16 / wide, base64, base64offset), then builds one Pattern per
// resulting value according to the match modifier (none = equality with
// wildcards; contains, startswith, endswith, re with i/m/s, cidr, lt / lte /
// gt / gte, exists, fieldref, minute / hour / day / week / month / year), and
// keeps the flags all, cased and neq on the FieldCondition.
//
// Decisions where the specification leaves a choice (docs/sigma.md):
// - case-insensitive by default (ASCII); `cased` makes it exact;
// - a numeric value equals a JSON number numerically; a string value is
//   compared with the text of a number or boolean;
// - `null` matches an absent field or a JSON null; '' only the empty string;
// - objects match nothing but `exists`; arrays match if any element does;
// - `neq` needs the field present and different from every value;
// - `re` is RE2 (the spec's PCRE subset); unanchored; case-sensitive unless i.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "detect/event.h"

namespace re2 {
class RE2;
}

namespace secbudget::detect::sigma {

// A rule's value before compilation (what YAML held).
struct RawValue {
  enum class Kind : std::uint8_t { kString, kNumber, kBool, kNull };
  Kind kind = Kind::kString;
  std::string text;  // as written (numbers keep their spelling)
  double number = 0;
  bool boolean = false;
};

// Placeholder values for `expand` (%name% -> values).
using Placeholders = std::map<std::string, std::vector<std::string>, std::less<>>;

// A Sigma string after escape processing: literal runs and wildcards.
struct GlobPiece {
  enum class Kind : std::uint8_t { kLiteral, kStar, kOne };
  Kind kind = Kind::kLiteral;
  std::string literal;
};
std::vector<GlobPiece> ParseSigmaString(std::string_view s);
bool HasWildcards(const std::vector<GlobPiece>& pieces);
std::string PiecesToLiteral(const std::vector<GlobPiece>& pieces);

// Wildcard string matcher with fast paths for the common shapes.
class StringMatcher {
 public:
  enum class Shape : std::uint8_t { kExact, kPrefix, kSuffix, kContains, kAny, kGlob };
  StringMatcher() = default;
  StringMatcher(std::vector<GlobPiece> pieces, bool cased);

  bool Match(std::string_view text) const;
  Shape shape() const { return shape_; }
  // The literal of kExact/kPrefix/kSuffix/kContains (lowercased unless cased).
  const std::string& literal() const { return literal_; }
  bool cased() const { return cased_; }

 private:
  Shape shape_ = Shape::kExact;
  bool cased_ = false;
  std::string literal_;
  std::vector<GlobPiece> pieces_;  // kGlob, literals lowercased unless cased
};

enum class TimePart : std::uint8_t { kNone, kMinute, kHour, kDay, kWeek, kMonth, kYear };
enum class NumOp : std::uint8_t { kEq, kLt, kLte, kGt, kGte };

// One compiled value.
struct Pattern {
  enum class Kind : std::uint8_t { kString, kNumber, kBool, kNull, kRegex, kCidr, kCompare, kFieldRef, kTimePart };
  Kind kind = Kind::kString;
  StringMatcher str;  // kString (and the text of kNumber / kBool values)
  double number = 0;  // kNumber, kCompare, kTimePart
  bool boolean = false;
  NumOp op = NumOp::kEq;  // kCompare, kTimePart
  TimePart part = TimePart::kNone;
  std::shared_ptr<const re2::RE2> regex;
  std::uint8_t cidr_family = 0;  // 4 or 6
  std::uint8_t cidr_bits = 0;
  std::uint8_t cidr_addr[16] = {};
  FieldPath ref;  // kFieldRef: the other field
  StringMatcher::Shape ref_shape = StringMatcher::Shape::kExact;
  bool cased = false;
  // Index of the value as written: variants made by windash, base64offset
  // or expand share it, and `all` needs one match per group.
  int group = 0;

  bool Match(const FieldValue& v) const;
};

// One `field|modifiers: values` item.
struct FieldCondition {
  std::string field;             // as written ("" = keyword search)
  std::vector<FieldPath> paths;  // where to read it (after field mapping)
  std::vector<Pattern> patterns;
  bool all = false;
  bool neq = false;
  bool exists_test = false;  // `exists`
  bool exists_value = false;

  // True when the pattern list is plain case-insensitive equalities
  // (candidates for the rule prefilter); fills `values` lowercased.
  bool ExactValues(std::vector<std::string>* values) const;
};

// Compiles `field|mods` with its values. Errors name the modifier or value.
Result<FieldCondition> CompileFieldCondition(std::string_view key, const std::vector<RawValue>& values,
                                             const Placeholders& placeholders);

// Evaluates a condition against an event.
bool EvaluateCondition(const FieldCondition& c, const EventView& ev);

// Encoders used by the modifiers (exposed for tests).
std::string Base64Encode(std::string_view bytes);
std::vector<std::string> Base64OffsetVariants(std::string_view bytes);
std::string Utf16(std::string_view utf8, bool little_endian, bool bom);
std::vector<std::string> WindashVariants(std::string_view s, std::size_t limit);

}  // namespace secbudget::detect::sigma
