// Label matchers, written as Prometheus Alertmanager writes them:
//   team="payments"   severity!="low"   vulnerability=~"CVE-2024-.*"   env!~"dev|test"
// A label that is absent matches as the empty string (Alertmanager's rule),
// and regular expressions are RE2 (linear time), anchored at both ends.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/alert.h"

namespace re2 {
class RE2;
}

namespace secbudget {

enum class MatchOp : std::uint8_t { kEqual, kNotEqual, kRegex, kNotRegex };

class Matcher {
 public:
  // `name="value"`, with =, !=, =~ or !~; the value may be quoted ("...",
  // with \" and \\ escapes) or bare.
  static Result<Matcher> Parse(std::string_view text);
  static Result<Matcher> Make(std::string name, MatchOp op, std::string value);

  const std::string& name() const { return name_; }
  MatchOp op() const { return op_; }
  const std::string& value() const { return value_; }
  // True for `name="value"` (an index can look the value up).
  bool IsEquality() const { return op_ == MatchOp::kEqual; }

  bool MatchesValue(std::string_view v) const;
  bool Matches(const Labels& labels) const;
  std::string ToString() const;  // round-trips through Parse

 private:
  std::string name_;
  MatchOp op_ = MatchOp::kEqual;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;
  // Regular expressions that are a literal with `.*` on either side
  // ("CVE-2024-.*", ".*secret.*") are decided by a string comparison when the
  // value is ASCII without a newline (what `.` matches for certain); RE2
  // decides the rest. kNone: always RE2.
  enum class Literal : std::uint8_t { kNone, kWhole, kPrefix, kSuffix, kInside };
  Literal literal_ = Literal::kNone;
  std::string literal_text_;
  LabelHint hint_;  // where name_ was found in the last label set matched
  bool RegexMatches(std::string_view v) const;
};

// True when every matcher matches (an empty list matches everything).
bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels);

}  // namespace secbudget
