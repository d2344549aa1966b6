#include "detect/sigma/ruleset.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "common/strings.h"

namespace secbudget::detect::sigma {

namespace {

using Constraint = std::map<std::string, std::set<std::string>>;  // field -> allowed values

// Fields whose value an identifier requires to be one of a set.
Constraint IdentifierConstraint(const SearchIdentifier& si) {
  Constraint out;
  bool first = true;
  for (const auto& alternative : si.alternatives) {
    Constraint alt;
    for (const FieldCondition& fc : alternative) {
      std::vector<std::string> values;
      if (!fc.ExactValues(&values)) continue;
      auto [it, inserted] = alt.try_emplace(fc.field, values.begin(), values.end());
      if (!inserted) {  // two conditions on one field in one map: both hold
        std::set<std::string> both;
        for (const std::string& v : values) {
          if (it->second.count(v) != 0) both.insert(v);
        }
        it->second = std::move(both);
      }
    }
    if (first) {
      out = std::move(alt);
      first = false;
      continue;
    }
    Constraint common;
    for (auto& [field, vals] : out) {
      auto it = alt.find(field);
      if (it == alt.end()) continue;
      vals.insert(it->second.begin(), it->second.end());
      common.emplace(field, std::move(vals));
    }
    out = std::move(common);
  }
  return out;
}

Constraint Intersect(Constraint a, const Constraint& b) {  // AND
  for (const auto& [field, vals] : b) {
    auto it = a.find(field);
    if (it == a.end()) {
      a.emplace(field, vals);
      continue;
    }
    std::set<std::string> both;
    for (const std::string& v : vals) {
      if (it->second.count(v) != 0) both.insert(v);
    }
    it->second = std::move(both);
  }
  return a;
}

Constraint Unite(const Constraint& a, const Constraint& b) {  // OR
  Constraint out;
  for (const auto& [field, vals] : a) {
    auto it = b.find(field);
    if (it == b.end()) continue;
    std::set<std::string> all = vals;
    all.insert(it->second.begin(), it->second.end());
    out.emplace(field, std::move(all));
  }
  return out;
}

Constraint NodeConstraint(const Condition& c, int node, const std::vector<Constraint>& idents) {
  const ConditionNode& n = c.nodes[static_cast<std::size_t>(node)];
  switch (n.kind) {
    case ConditionNode::Kind::kRef: return idents[static_cast<std::size_t>(n.identifiers[0])];
    case ConditionNode::Kind::kNot: return {};
    case ConditionNode::Kind::kAnd: {
      Constraint out;
      for (int child : n.children) out = Intersect(std::move(out), NodeConstraint(c, child, idents));
      return out;
    }
    case ConditionNode::Kind::kAllOf: {
      Constraint out;
      for (int i : n.identifiers) out = Intersect(std::move(out), idents[static_cast<std::size_t>(i)]);
      return out;
    }
    case ConditionNode::Kind::kOr: {
      Constraint out = NodeConstraint(c, n.children[0], idents);
      for (std::size_t k = 1; k < n.children.size(); ++k) out = Unite(out, NodeConstraint(c, n.children[k], idents));
      return out;
    }
    case ConditionNode::Kind::kOneOf: {
      Constraint out = idents[static_cast<std::size_t>(n.identifiers[0])];
      for (std::size_t k = 1; k < n.identifiers.size(); ++k) {
        out = Unite(out, idents[static_cast<std::size_t>(n.identifiers[k])]);
      }
      return out;
    }
  }
  return {};
}

Constraint DetectionConstraint(const Detection& d) {
  std::vector<Constraint> idents;
  for (const SearchIdentifier& si : d.identifiers) idents.push_back(IdentifierConstraint(si));
  Constraint out = NodeConstraint(d.conditions[0], d.conditions[0].root, idents);
  for (std::size_t k = 1; k < d.conditions.size(); ++k) {
    out = Unite(out, NodeConstraint(d.conditions[k], d.conditions[k].root, idents));
  }
  return out;
}

void MapFields(Detection* d, const LogType& type) {
  for (SearchIdentifier& si : d->identifiers) {
    for (auto& alternative : si.alternatives) {
      for (FieldCondition& fc : alternative) {
        if (!fc.field.empty()) fc.paths = type.Map(fc.field);
        for (Pattern& p : fc.patterns) {
          if (p.kind == Pattern::Kind::kFieldRef) p.ref = type.Map(p.ref.name).front();
        }
      }
    }
  }
}

bool LogSourceCovers(const LogSource& filter, const LogSource& rule) {
  auto ok = [](const std::string& f, const std::string& r) { return f.empty() || IEquals(f, r); };
  return ok(filter.category, rule.category) && ok(filter.product, rule.product) && ok(filter.service, rule.service);
}

}  // namespace

RuleSet::RuleSet(LoadResult loaded, const LogSourceConfig& config)
    : config_(config),
      rules_(std::move(loaded.rules)),
      rejected_(std::move(loaded.rejected)),
      files_(std::move(loaded.files)) {
  Resolve();
  BuildIndex();
}

void RuleSet::Resolve() {
  // Repeat until no rule is dropped: dropping one may break a reference.
  while (true) {
    std::map<std::string, int> by_key;
    std::vector<std::string> dead(rules_.size());
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      for (const std::string* key : {&rules_[i].id, &rules_[i].name}) {
        if (key->empty()) continue;
        auto [it, inserted] = by_key.emplace(*key, static_cast<int>(i));
        if (!inserted && it->second != static_cast<int>(i)) {
          dead[i] = "duplicate id or name '" + *key + "' (first defined at " +
                    rules_[static_cast<std::size_t>(it->second)].Origin() + ")";
        }
      }
    }
    references_.assign(rules_.size(), {});
    filters_.assign(rules_.size(), {});
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      const Rule& r = rules_[i];
      if (r.kind == Rule::Kind::kCorrelation) {
        for (const std::string& ref : r.correlation.rules) {
          auto it = by_key.find(ref);
          if (it == by_key.end()) {
            dead[i] = "correlation references unknown rule '" + ref + "'";
            break;
          }
          const Rule& target = rules_[static_cast<std::size_t>(it->second)];
          if (target.kind == Rule::Kind::kFilter) {
            dead[i] = "correlation references filter '" + ref + "'";
            break;
          }
          references_[i].push_back(it->second);
        }
        for (const auto& [alias, per_rule] : r.correlation.aliases) {
          for (const auto& [rule_name, field] : per_rule) {
            if (by_key.find(rule_name) == by_key.end()) {
              dead[i] = "alias '";
              dead[i].append(alias).append("' names unknown rule '").append(rule_name).append("'");
            }
          }
        }
      } else if (r.kind == Rule::Kind::kFilter) {
        if (r.filter_rules.empty()) {
          for (std::size_t j = 0; j < rules_.size(); ++j) {
            if (rules_[j].kind == Rule::Kind::kDetection && LogSourceCovers(r.logsource, rules_[j].logsource)) {
              filters_[j].push_back(static_cast<int>(i));
            }
          }
        }
        for (const std::string& ref : r.filter_rules) {
          auto it = by_key.find(ref);
          if (it == by_key.end() || rules_[static_cast<std::size_t>(it->second)].kind != Rule::Kind::kDetection) {
            dead[i] = "filter references unknown detection rule '" + ref + "'";
            break;
          }
          filters_[static_cast<std::size_t>(it->second)].push_back(static_cast<int>(i));
        }
      }
    }
    // Correlation cycles.
    std::vector<int> state(rules_.size(), 0);  // 0 new, 1 on stack, 2 done
    std::function<bool(int)> cyclic = [&](int i) {
      auto u = static_cast<std::size_t>(i);
      if (state[u] == 1) return true;
      if (state[u] == 2) return false;
      state[u] = 1;
      for (int ref : references_[u]) {
        if (cyclic(ref)) return true;
      }
      state[u] = 2;
      return false;
    };
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      std::fill(state.begin(), state.end(), 0);
      if (rules_[i].kind == Rule::Kind::kCorrelation && cyclic(static_cast<int>(i)) && dead[i].empty()) {
        dead[i] = "correlation chain refers back to itself";
      }
    }
    bool any = false;
    std::vector<Rule> kept;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (dead[i].empty()) {
        kept.push_back(std::move(rules_[i]));
        continue;
      }
      any = true;
      rejected_.push_back({rules_[i].file, rules_[i].line, rules_[i].title, rules_[i].id, dead[i]});
    }
    rules_ = std::move(kept);
    if (!any) break;
  }

  consumers_.assign(rules_.size(), {});
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    for (int ref : references_[i]) consumers_[static_cast<std::size_t>(ref)].push_back(static_cast<int>(i));
  }
  alerts_.assign(rules_.size(), true);
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].kind == Rule::Kind::kFilter) {
      alerts_[i] = false;
      continue;
    }
    if (consumers_[i].empty()) continue;
    bool generate = false;
    for (int c : consumers_[i]) generate = generate || rules_[static_cast<std::size_t>(c)].correlation.generate;
    alerts_[i] = generate;
  }
  // Fields each consumed rule's matches must carry.
  needed_.assign(rules_.size(), {});
  for (std::size_t c = 0; c < rules_.size(); ++c) {
    if (rules_[c].kind != Rule::Kind::kCorrelation) continue;
    const CorrelationSpec& spec = rules_[c].correlation;
    for (int ref : references_[c]) {
      const Rule& target = rules_[static_cast<std::size_t>(ref)];
      auto add = [&](const std::string& f) {
        auto& v = needed_[static_cast<std::size_t>(ref)];
        if (!f.empty() && std::find(v.begin(), v.end(), f) == v.end()) v.push_back(f);
      };
      for (const std::string& g : spec.group_by) {
        auto alias = spec.aliases.find(g);
        std::string field = g;
        if (alias != spec.aliases.end()) {
          for (const std::string* key : {&target.name, &target.id}) {
            auto it = alias->second.find(*key);
            if (!key->empty() && it != alias->second.end()) field = it->second;
          }
        }
        add(field);
      }
      add(spec.field);
    }
  }
}

void RuleSet::BuildIndex() {
  types_.assign(config_.types.size(), {});
  for (std::size_t t = 0; t < config_.types.size(); ++t) {
    const LogType& type = config_.types[t];
    TypeIndex& ti = types_[t];
    std::map<std::string, std::size_t> field_slot;
    for (std::size_t r = 0; r < rules_.size(); ++r) {
      const Rule& rule = rules_[r];
      if (rule.kind != Rule::Kind::kDetection || !type.Serves(rule.logsource)) continue;
      Compiled c;
      c.rule = static_cast<int>(r);
      c.detection = rule.detection;
      MapFields(&c.detection, type);
      for (int f : filters_[r]) {
        c.filters.push_back(rules_[static_cast<std::size_t>(f)].detection);
        MapFields(&c.filters.back(), type);
      }
      const int slot = static_cast<int>(ti.compiled.size());
      Constraint cons = DetectionConstraint(rule.detection);
      ti.compiled.push_back(std::move(c));
      // Prefer eventName, then eventSource, then the smallest set; only
      // fields that map to one raw path.
      const std::string* best = nullptr;
      for (const auto& [field, vals] : cons) {
        if (type.Map(field).size() != 1) continue;
        auto rank = [](const std::string& f) { return f == "eventName" ? 0 : (f == "eventSource" ? 1 : 2); };
        if (best == nullptr || rank(field) < rank(*best) ||
            (rank(field) == rank(*best) && vals.size() < cons.at(*best).size())) {
          best = &field;
        }
      }
      if (best == nullptr) {
        ti.always.push_back(slot);
        continue;
      }
      auto [it, inserted] = field_slot.try_emplace(*best, ti.fields.size());
      if (inserted) ti.fields.push_back({type.Map(*best).front(), {}});
      for (const std::string& v : cons.at(*best)) ti.fields[it->second].by_value[v].push_back(slot);
    }
  }
}

std::size_t RuleSet::TypeIndex::Caseless::operator()(std::string_view s) const {
  return static_cast<std::size_t>(CaselessKeyHash(s));
}

bool RuleSet::TypeIndex::Caseless::operator()(std::string_view a, std::string_view b) const { return IEquals(a, b); }

void RuleSet::Match(const EventView& ev, std::vector<int>* out) const {
  if (ev.log_type < 0 || static_cast<std::size_t>(ev.log_type) >= types_.size()) return;
  const TypeIndex& ti = types_[static_cast<std::size_t>(ev.log_type)];
  thread_local std::vector<int> candidates;
  candidates.assign(ti.always.begin(), ti.always.end());
  for (const TypeIndex::FieldIndex& fi : ti.fields) {
    FieldVisitor::Visit(ev, fi.path, [&](const FieldValue& v) {
      if (v.kind == FieldValue::Kind::kObject || v.kind == FieldValue::Kind::kNull) return false;
      auto it = fi.by_value.find(v.text);
      if (it != fi.by_value.end()) candidates.insert(candidates.end(), it->second.begin(), it->second.end());
      return false;
    });
  }
  if (candidates.empty()) return;
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  for (int slot : candidates) {
    const Compiled& c = ti.compiled[static_cast<std::size_t>(slot)];
    if (!c.detection.Evaluate(ev)) continue;
    bool pass = true;
    for (const Detection& f : c.filters) {
      if (!f.Evaluate(ev)) {
        pass = false;
        break;
      }
    }
    if (pass) out->push_back(c.rule);
  }
}

std::vector<std::string> RuleSet::Routes(int rule) const {
  std::vector<std::string> out;
  const Rule& r = rules_[static_cast<std::size_t>(rule)];
  for (const LogType& t : config_.types) {
    if (r.kind != Rule::Kind::kCorrelation && t.Serves(r.logsource)) out.push_back(t.name);
  }
  return out;
}

RuleSet::IndexStats RuleSet::Stats() const {
  IndexStats s;
  for (const TypeIndex& ti : types_) {
    s.unindexed += ti.always.size();
    s.indexed += ti.compiled.size() - ti.always.size();
  }
  return s;
}

}  // namespace secbudget::detect::sigma
