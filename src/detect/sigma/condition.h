// The Sigma condition language, parsed into a small expression tree.
//
// Grammar (EBNF; keywords are case-insensitive, whitespace separates tokens):
//
//   condition   = expression [ "|" aggregation ] ;
//   expression  = and-expr { "or" and-expr } ;
//   and-expr    = not-expr { "and" not-expr } ;
//   not-expr    = "not" not-expr | primary ;
//   primary     = "(" expression ")" | quantifier | identifier ;
//   quantifier  = ( "1" | "any" | "all" ) "of" ( "them" | pattern ) ;
//   identifier  = name ;                       (a search identifier of the rule)
//   pattern     = name ;                       (may hold the wildcards * and ?)
//   name        = char { char } ;              (any character but whitespace, "(", ")" and "|")
//   aggregation = ? the obsolete Sigma 1 "count() by x > n" / "near" syntax ? ;
//
// Precedence: not > and > or. "them" means every search identifier whose
// name does not start with "_". "1 of" and "any of" are the same. A
// quantifier whose pattern matches no identifier is an error, as is a
// reference to an unknown identifier; an aggregation is rejected with a
// pointer to correlation rules, which replace it in Sigma 2.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace secbudget::detect::sigma {

struct ConditionNode {
  enum class Kind : std::uint8_t { kAnd, kOr, kNot, kRef, kOneOf, kAllOf };
  Kind kind = Kind::kRef;
  std::vector<int> children;     // kAnd / kOr / kNot: node indices
  std::vector<int> identifiers;  // kRef (one) / kOneOf / kAllOf: identifier indices
};

struct Condition {
  std::vector<ConditionNode> nodes;
  int root = -1;
};

// Parses `text` against the rule's identifier names (in definition order).
Result<Condition> ParseCondition(std::string_view text, const std::vector<std::string>& identifiers);

// Evaluates with `ident(i)` giving identifier i's result (called lazily, at
// most once per identifier if the caller caches).
template <typename F>
bool EvaluateNode(const Condition& c, int node, F& ident) {
  const ConditionNode& n = c.nodes[node];
  switch (n.kind) {
    case ConditionNode::Kind::kAnd:
      for (int child : n.children) {
        if (!EvaluateNode(c, child, ident)) return false;
      }
      return true;
    case ConditionNode::Kind::kOr:
      for (int child : n.children) {
        if (EvaluateNode(c, child, ident)) return true;
      }
      return false;
    case ConditionNode::Kind::kNot: return !EvaluateNode(c, n.children[0], ident);
    case ConditionNode::Kind::kRef: return ident(n.identifiers[0]);
    case ConditionNode::Kind::kOneOf:
      for (int i : n.identifiers) {
        if (ident(i)) return true;
      }
      return false;
    case ConditionNode::Kind::kAllOf:
      for (int i : n.identifiers) {
        if (!ident(i)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace secbudget::detect::sigma
