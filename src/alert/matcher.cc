#include "alert/matcher.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>

namespace secbudget {

namespace {

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

std::string_view OpText(MatchOp op) {
  switch (op) {
    case MatchOp::kEqual: return "=";
    case MatchOp::kNotEqual: return "!=";
    case MatchOp::kRegex: return "=~";
    case MatchOp::kNotRegex: return "!~";
  }
  return "=";
}

}  // namespace

Result<Matcher> Matcher::Make(std::string name, MatchOp op, std::string value) {
  if (name.empty()) return Status::SchemaError("a matcher needs a label name");
  for (char c : name) {
    if (!NameChar(c)) return Status::SchemaError(fmt::format("\"{}\" is not a label name", name));
  }
  Matcher m;
  m.name_ = std::move(name);
  m.op_ = op;
  m.value_ = std::move(value);
  if (op == MatchOp::kRegex || op == MatchOp::kNotRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(8 << 20);
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", options);
    if (!re->ok()) {
      return Status::SchemaError(fmt::format("matcher {}: bad regular expression: {}", m.name_, re->error()));
    }
    m.re_ = std::move(re);
    // A literal between optional `.*`s (ASCII, no metacharacter or escape).
    std::string_view core = m.value_;
    const bool any_before = core.substr(0, 2) == ".*";
    if (any_before) core.remove_prefix(2);
    const bool any_after = core.size() >= 2 && core.substr(core.size() - 2) == ".*";
    if (any_after) core.remove_suffix(2);
    const bool literal = std::all_of(core.begin(), core.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u >= 0x20 && u < 0x7f && std::string_view("\\.+*?()[]{}|^$").find(c) == std::string_view::npos;
    });
    if (literal) {
      m.literal_ = any_before && any_after ? Literal::kInside
                   : any_before            ? Literal::kSuffix
                   : any_after             ? Literal::kPrefix
                                           : Literal::kWhole;
      m.literal_text_ = std::string(core);
    }
  }
  return m;
}

Result<Matcher> Matcher::Parse(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  const std::size_t name_start = i;
  while (i < text.size() && NameChar(text[i])) ++i;
  std::string name(text.substr(name_start, i - name_start));
  while (i < text.size() && text[i] == ' ') ++i;
  MatchOp op;
  if (text.substr(i, 2) == "=~") {
    op = MatchOp::kRegex;
    i += 2;
  } else if (text.substr(i, 2) == "!~") {
    op = MatchOp::kNotRegex;
    i += 2;
  } else if (text.substr(i, 2) == "!=") {
    op = MatchOp::kNotEqual;
    i += 2;
  } else if (text.substr(i, 1) == "=") {
    op = MatchOp::kEqual;
    i += 1;
  } else {
    return Status::SchemaError(
        fmt::format("\"{}\" is not a matcher (write name=\"value\", with =, !=, =~ or !~)", std::string(text)));
  }
  while (i < text.size() && text[i] == ' ') ++i;
  std::string value;
  if (i < text.size() && text[i] == '"') {
    ++i;
    bool closed = false;
    for (; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        value.push_back(text[++i]);
      } else if (text[i] == '"') {
        closed = true;
        ++i;
        break;
      } else {
        value.push_back(text[i]);
      }
    }
    if (!closed) return Status::SchemaError(fmt::format("matcher \"{}\": unterminated quote", std::string(text)));
    while (i < text.size() && text[i] == ' ') ++i;
    if (i != text.size()) {
      return Status::SchemaError(fmt::format("matcher \"{}\": text after the closing quote", std::string(text)));
    }
  } else {
    std::string_view rest = text.substr(i);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
    value = std::string(rest);
  }
  return Make(std::move(name), op, std::move(value));
}

bool Matcher::RegexMatches(std::string_view v) const {
  if (literal_ != Literal::kNone) {
    // The literal's bytes must stand in their place whatever the rest of the
    // value holds, so a value without them fails here (most do, when many
    // suppressions are tried); a whole literal matches exactly itself.
    const std::string_view lit = literal_text_;
    bool found = false;
    switch (literal_) {
      case Literal::kWhole: return v == lit;
      case Literal::kPrefix: found = v.starts_with(lit); break;
      case Literal::kSuffix: found = v.ends_with(lit); break;
      case Literal::kInside: found = v.find(lit) != std::string_view::npos; break;
      case Literal::kNone: break;
    }
    if (!found) return false;
    // `.` matches any character but a newline; for other bytes (UTF-8
    // sequences, invalid ones) RE2 decides.
    const bool plain = std::all_of(v.begin(), v.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u < 0x80 && c != '\n';
    });
    if (plain) return true;
  }
  return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
}

bool Matcher::MatchesValue(std::string_view v) const {
  switch (op_) {
    case MatchOp::kEqual: return Labels::Same(v, value_);
    case MatchOp::kNotEqual: return !Labels::Same(v, value_);
    case MatchOp::kRegex: return RegexMatches(v);
    case MatchOp::kNotRegex: return !RegexMatches(v);
  }
  return false;
}

bool Matcher::Matches(const Labels& labels) const {
  return MatchesValue(labels.Get(name_, hint_));  // absent: the empty string
}

std::string Matcher::ToString() const {
  std::string quoted;
  for (char c : value_) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return fmt::format("{}{}\"{}\"", name_, OpText(op_), quoted);
}

bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels) {
  for (const Matcher& m : matchers) {
    if (!m.Matches(labels)) return false;
  }
  return true;
}

}  // namespace secbudget
