#include "detect/sigma/condition.h"

#include "common/strings.h"

namespace secbudget::detect::sigma {

namespace {

constexpr int kMaxDepth = 200;

class Parser {
 public:
  Parser(std::string_view text, const std::vector<std::string>& identifiers) : text_(text), identifiers_(identifiers) {}

  Result<Condition> Run() {
    Tokenize();
    if (!error_.ok()) return error_;
    if (tokens_.empty()) return Status::SchemaError("condition is empty");
    int root = Expression(0);
    if (!error_.ok()) return error_;
    if (pos_ < tokens_.size()) {
      if (tokens_[pos_] == "|") {
        return Status::SchemaError(
            "condition uses the obsolete aggregation syntax ('| count() ...'); Sigma 2 expresses it as a "
            "correlation rule");
      }
      if (tokens_[pos_] == ")") return Status::SchemaError("unbalanced parentheses: unexpected ')' in condition");
      return Status::SchemaError("unexpected '" + tokens_[pos_] + "' in condition");
    }
    out_.root = root;
    return std::move(out_);
  }

 private:
  void Tokenize() {
    std::size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
      } else if (c == '(' || c == ')' || c == '|') {
        tokens_.emplace_back(1, c);
        ++i;
      } else {
        std::size_t start = i;
        while (i < text_.size() && text_[i] != ' ' && text_[i] != '\t' && text_[i] != '\n' && text_[i] != '\r' &&
               text_[i] != '(' && text_[i] != ')' && text_[i] != '|') {
          ++i;
        }
        tokens_.emplace_back(text_.substr(start, i - start));
      }
    }
  }

  bool Is(std::string_view kw) const { return pos_ < tokens_.size() && IEquals(tokens_[pos_], kw); }
  bool IsKeyword(std::string_view t) const {
    return IEquals(t, "and") || IEquals(t, "or") || IEquals(t, "not") || IEquals(t, "of") || t == "(" || t == ")" ||
           t == "|";
  }

  int Add(ConditionNode n) {
    out_.nodes.push_back(std::move(n));
    return static_cast<int>(out_.nodes.size()) - 1;
  }

  void Fail(std::string msg) {
    if (error_.ok()) error_ = Status::SchemaError(std::move(msg));
  }

  int Expression(int depth) {
    if (depth > kMaxDepth) {
      Fail("condition nests too deeply");
      return -1;
    }
    ConditionNode n;
    n.kind = ConditionNode::Kind::kOr;
    n.children.push_back(And(depth));
    while (error_.ok() && Is("or")) {
      ++pos_;
      n.children.push_back(And(depth));
    }
    return n.children.size() == 1 ? n.children[0] : Add(std::move(n));
  }

  int And(int depth) {
    ConditionNode n;
    n.kind = ConditionNode::Kind::kAnd;
    n.children.push_back(Not(depth));
    while (error_.ok() && Is("and")) {
      ++pos_;
      n.children.push_back(Not(depth));
    }
    return n.children.size() == 1 ? n.children[0] : Add(std::move(n));
  }

  int Not(int depth) {
    if (depth > kMaxDepth) {
      Fail("condition nests too deeply");
      return -1;
    }
    if (Is("not")) {
      ++pos_;
      ConditionNode n;
      n.kind = ConditionNode::Kind::kNot;
      n.children.push_back(Not(depth + 1));
      return Add(std::move(n));
    }
    return Primary(depth);
  }

  int Primary(int depth) {
    if (!error_.ok()) return -1;
    if (pos_ >= tokens_.size()) {
      Fail("condition ends where an identifier was expected");
      return -1;
    }
    const std::string tok = tokens_[pos_];
    if (tok == "(") {
      ++pos_;
      int inner = Expression(depth + 1);
      if (!error_.ok()) return -1;
      if (!Is(")")) {
        Fail("unbalanced parentheses: missing ')' in condition");
        return -1;
      }
      ++pos_;
      return inner;
    }
    if ((tok == "1" || IEquals(tok, "any") || IEquals(tok, "all")) && pos_ + 1 < tokens_.size() &&
        IEquals(tokens_[pos_ + 1], "of")) {
      pos_ += 2;
      if (pos_ >= tokens_.size() || IsKeyword(tokens_[pos_])) {
        Fail("'" + tok + " of' needs 'them' or an identifier pattern");
        return -1;
      }
      const std::string pattern = tokens_[pos_++];
      ConditionNode n;
      n.kind = IEquals(tok, "all") ? ConditionNode::Kind::kAllOf : ConditionNode::Kind::kOneOf;
      for (std::size_t i = 0; i < identifiers_.size(); ++i) {
        const std::string& id = identifiers_[i];
        bool hit = IEquals(pattern, "them") ? !id.starts_with("_") : GlobMatch(pattern, id);
        if (hit) n.identifiers.push_back(static_cast<int>(i));
      }
      if (n.identifiers.empty()) {
        Fail("'" + tok + " of " + pattern + "' matches no search identifier");
        return -1;
      }
      return Add(std::move(n));
    }
    if (IsKeyword(tok)) {
      Fail("unexpected '" + tok + "' in condition");
      return -1;
    }
    ++pos_;
    for (std::size_t i = 0; i < identifiers_.size(); ++i) {
      if (identifiers_[i] == tok) {
        ConditionNode n;
        n.kind = ConditionNode::Kind::kRef;
        n.identifiers.push_back(static_cast<int>(i));
        return Add(std::move(n));
      }
    }
    Fail("condition references unknown search identifier '" + tok + "'");
    return -1;
  }

  std::string_view text_;
  const std::vector<std::string>& identifiers_;
  std::vector<std::string> tokens_;
  std::size_t pos_ = 0;
  Condition out_;
  Status error_;
};

}  // namespace

Result<Condition> ParseCondition(std::string_view text, const std::vector<std::string>& identifiers) {
  return Parser(text, identifiers).Run();
}

}  // namespace secbudget::detect::sigma
