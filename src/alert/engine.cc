#include "alert/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/hash.h"

namespace secbudget {

namespace {

using nlohmann::json;

bool Firing(const AlertEntry& e) { return e.resolved_at == 0; }

// The group_by labels an alert has, in name order, each once; all of its
// labels when group_by names "...".
using LabelView = std::pair<std::string_view, std::string_view>;
void GroupLabels(const Labels& labels, const std::vector<std::string>* group_by, std::vector<LabelView>* out) {
  out->clear();
  if (group_by == nullptr) return;
  if (std::find(group_by->begin(), group_by->end(), "...") != group_by->end()) {
    for (const auto& [k, v] : labels) out->emplace_back(k, v);
    return;
  }
  for (const std::string& name : *group_by) {
    const auto it = labels.find(name);
    if (it != labels.end()) out->emplace_back(it->first, it->second);
  }
  std::sort(out->begin(), out->end());
  out->erase(
      std::unique(out->begin(), out->end(), [](const LabelView& a, const LabelView& b) { return a.first == b.first; }),
      out->end());
}

// A group's key: route, team, urgency and group labels (into `key`, reused).
void GroupKey(std::string_view path, std::string_view team, Urgency urgency, const std::vector<LabelView>& group_labels,
              std::string* key) {
  using namespace std::string_view_literals;  // NOLINT: literals appended by length, not by strlen
  key->clear();
  key->append(path).append("|"sv).append(team).append("|"sv).append(Name(urgency)).append("|{"sv);
  bool first = true;
  for (const auto& [k, v] : group_labels) {
    if (!first) key->push_back(',');
    first = false;
    key->append(k).append("=\""sv).append(v).push_back('"');
  }
  key->push_back('}');
}

// The values of an inhibit rule's `equal` labels, as one key (into a
// reused buffer: this runs for every alert fired, resolved or flushed).
// An absent label counts as empty (as in matchers). `hints` has one per
// name of `equal`.
const std::string& EqualValues(const std::vector<std::string>& equal, const std::vector<LabelHint>& hints,
                               const Labels& labels) {
  thread_local std::string out;
  out.clear();
  for (std::size_t i = 0; i < equal.size(); ++i) {
    out += labels.Get(equal[i], hints[i]);
    out.push_back('\x1f');
  }
  return out;
}

// Where Fire finds the labels it reads back (a hint serves one name).
const LabelHint kTeamHint, kUrgencyHint;

// A group's members (or only those notified firing), by dedup key in order.
std::vector<std::string> MemberKeys(const AlertGroup& g, bool notified_only) {
  std::vector<std::string> out;
  for (const AlertGroup::Member& m : g.members) {
    if (!notified_only || m.notified) out.push_back(m.entry->alert.dedup_key);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Labels LabelsFrom(const json& j) {
  Labels out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) out.emplace(it.key(), it.value().get<std::string>());
  }
  return out;
}

}  // namespace

int CapacityPolicy::PagesFor(const std::string& team) const {
  const auto it = team_pages.find(team);
  return it == team_pages.end() ? default_pages : it->second;
}

TimePoint CapacityPolicy::ShiftStart(TimePoint t) const {
  const Duration len = shift > 0 ? shift : kDay;
  TimePoint rel = t - shift_start;
  TimePoint k = rel >= 0 ? rel / len : -((-rel + len - 1) / len);
  return k * len + shift_start;
}

AlertEngine::AlertEngine(const AlertPolicy& policy)
    : policy_(policy), suppressions_(&policy.suppressions, policy.limits), inhibitors_(policy.inhibit_rules.size()) {
  for (const InhibitRule& rule : policy.inhibit_rules) equal_hints_.emplace_back(rule.equal.size());
}

void AlertEngine::MatchRoutes(const Route& node, const RouteMatch& inherited, const Labels& labels,
                              std::vector<RouteMatch>* out) const {
  RouteMatch here = inherited;
  here.route = &node;
  if (!node.receiver.empty()) here.receiver = node.receiver;
  if (!node.team.empty()) here.team = node.team;
  if (node.urgency) here.urgency = node.urgency;
  if (!node.group_by.empty() || here.group_by == nullptr) here.group_by = &node.group_by;
  here.group_wait = node.group_wait;
  here.group_interval = node.group_interval;
  here.repeat_interval = node.repeat_interval;
  bool matched_child = false;
  for (const Route& child : node.routes) {
    if (!MatchesAll(child.matchers, labels)) continue;
    MatchRoutes(child, here, labels, out);
    matched_child = true;
    if (!child.continue_matching) break;
  }
  if (!matched_child) out->push_back(here);
}

template <typename Ref, typename Reason>
void AlertEngine::Decide(AlertEntry& e, AlertOutcome outcome, const Ref& ref, TimePoint now, Reason&& reason) {
  if (e.outcome == outcome && e.ref == ref) return;  // unchanged: recorded once (and its words not written)
  e.outcome = outcome;
  if constexpr (std::is_same_v<Ref, SharedText>) {
    e.ref = ref;  // shared
  } else {
    e.ref = SharedText(std::string_view(ref));
  }
  AlertDecision& d = decisions_.emplace_back();  // filled in place, not moved
  d.at = now;
  d.dedup_key = e.alert.dedup_key;
  d.episode = e.episode;
  d.team = e.team;
  d.source = e.alert.source;
  d.name = e.alert.name;
  d.urgency = e.urgency;
  d.outcome = outcome;
  d.reason = std::forward<Reason>(reason)();
  d.ref = e.ref;
}

const SharedText& AlertEngine::KeyText(AlertGroup& g) {
  if (g.key_text.empty() && !g.key.empty()) g.key_text = SharedText(g.key);
  return g.key_text;
}

SharedText AlertEngine::DigestReason(const std::string& team) {
  if (const SharedText* found = digest_reasons_.Find(team)) return *found;
  return *digest_reasons_.Insert(team, SharedText(fmt::format("digest urgency: listed in {}'s digest", team))).first;
}

namespace {

// Writes `e` as a notification carries it into `a` (a fresh one, in place).
void Snapshot(const AlertEntry& e, bool resolved, TimePoint ends_at, NotifiedAlert& a) {
  a.dedup_key = e.alert.dedup_key;
  a.resolved = resolved;
  a.source = e.alert.source;
  a.name = e.alert.name;
  a.summary = e.alert.summary;
  a.urgency = e.urgency;
  a.starts_at = e.episode;
  a.ends_at = ends_at;
  a.labels = e.alert.labels;            // shared, not copied (model/labels.h)
  a.annotations = e.alert.annotations;  // includes the summary (Fire adds it)
}

// The entries of `field` (labels or annotations) that every alert has with
// one value. The first alert's entries are candidates; each further alert
// drops those it lacks, looked up at the candidate's own position first
// (alerts of one group mostly share their label names), and the walk stops
// once none is left.
Labels Common(const std::vector<NotifiedAlert>& alerts, Labels NotifiedAlert::*field) {
  const Labels& first = alerts.front().*field;
  struct Candidate {
    std::string_view value;  // a view into the first alert's set
    std::size_t pos;         // in name order
    std::size_t added;       // in the order added
    std::uint32_t name_id;   // LabelNames
  };
  thread_local std::vector<Candidate> keep;
  keep.clear();
  for (std::size_t pos = 0; pos < first.size(); ++pos) {  // in name order; names are compared by number
    const std::size_t added = first.AddedIndex(pos);
    keep.push_back({first.AddedValue(added), pos, added, first.AddedNameId(added)});
  }
  for (auto a = alerts.begin() + 1; a != alerts.end() && !keep.empty(); ++a) {
    const Labels& l = (*a).*field;
    if (l.SharesWith(first)) continue;
    std::size_t kept = 0;
    if (l.SameShape(first)) {  // each name where the first alert has it: compare values only
      for (const Candidate& c : keep) {
        if (Labels::Same(l.AddedValue(c.added), c.value)) keep[kept++] = c;
      }
    } else {
      for (const Candidate& c : keep) {
        const std::optional<std::string_view> v = l.ValueNear(c.name_id, c.pos);
        if (v.has_value() && Labels::Same(*v, c.value)) keep[kept++] = c;
      }
    }
    keep.resize(kept);
  }
  if (keep.size() == first.size()) return first;  // shared, not copied
  // The candidates are in name order: the set is built whole.
  thread_local std::vector<std::uint32_t> picked;
  picked.clear();
  for (const Candidate& c : keep) picked.push_back(static_cast<std::uint32_t>(c.added));
  return first.Pick(picked.data(), picked.size());
}

}  // namespace

std::size_t AlertEngine::Place(const AlertEntry& e, const AlertGroup* g) {
  std::size_t i = 0;
  while (i < e.groups.size() && e.groups[i].group != g) ++i;
  return i;
}

void AlertEngine::Join(AlertEntry& e, AlertGroup& g) {
  e.groups.push_back(GroupRef{&g, static_cast<std::uint32_t>(g.members.size())});
  g.members.push_back(AlertGroup::Member{&e, false});
}

bool AlertEngine::Unlink(AlertEntry& e, std::size_t i) {
  const GroupRef ref = e.groups[i];
  e.groups.erase(e.groups.begin() + static_cast<std::ptrdiff_t>(i));
  std::vector<AlertGroup::Member>& members = ref.group->members;
  const bool notified = members[ref.pos].notified;
  // The last member takes the leaver's place.
  if (ref.pos + 1 != members.size()) {
    members[ref.pos] = members.back();
    AlertEntry& moved = *members[ref.pos].entry;
    moved.groups[Place(moved, ref.group)].pos = ref.pos;
  }
  members.pop_back();
  return notified;
}

void AlertEngine::LeaveGroup(AlertEntry& e, std::size_t i, TimePoint now) {
  AlertGroup& g = *e.groups[i].group;
  if (Unlink(e, i)) Snapshot(e, true, now, g.departed[e.alert.dedup_key]);
}

void AlertEngine::LeaveGroups(AlertEntry& e, TimePoint now) {
  while (!e.groups.empty()) LeaveGroup(e, e.groups.size() - 1, now);
}

namespace {

// Whether inhibit rule `i`'s matchers hold for `e`: read from `mask` for the
// first 64 rules (set when the alert's labels last changed), matched again
// for the rest.
bool RuleHolds(std::uint64_t mask, std::size_t i, const std::vector<Matcher>& matchers, const Labels& labels) {
  return i < 64 ? (mask >> i & 1) != 0 : MatchesAll(matchers, labels);
}

std::uint64_t RuleMask(const std::vector<InhibitRule>& rules, std::vector<Matcher> InhibitRule::*side,
                       const Labels& labels) {
  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < rules.size() && i < 64; ++i) {
    if (MatchesAll(rules[i].*side, labels)) mask |= std::uint64_t{1} << i;
  }
  return mask;
}

}  // namespace

void AlertEngine::InhibitAdd(AlertEntry& e, int delta) {
  const std::vector<InhibitRule>& rules = policy_.inhibit_rules;
  if (rules.empty()) return;
  // Counted under the rules its labels matched when it was counted, so the
  // count it leaves is the count it added.
  if (delta > 0) e.inhibit_sources = RuleMask(rules, &InhibitRule::source, e.alert.labels);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const InhibitRule& rule = rules[i];
    if (!RuleHolds(e.inhibit_sources, i, rule.source, e.alert.labels)) continue;
    const std::string& key = EqualValues(rule.equal, equal_hints_[i], e.alert.labels);
    Inhibitors& in = *inhibitors_[i].FindOrAdd(key, [&](Inhibitors& added) { added.values = key; }).first;
    in.count += delta;
    if (delta > 0) in.example = e.alert.dedup_key;
    if (in.count <= 0) inhibitors_[i].Erase(&in);
  }
}

void AlertEngine::MarkInhibitTargets(AlertEntry& e) const {
  e.inhibit_targets = RuleMask(policy_.inhibit_rules, &InhibitRule::target, e.alert.labels);
}

bool AlertEngine::Inhibited(const AlertEntry& e, std::string* by) const {
  const std::vector<InhibitRule>& rules = policy_.inhibit_rules;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const InhibitRule& rule = rules[i];
    if (!RuleHolds(e.inhibit_targets, i, rule.target, e.alert.labels)) continue;
    const std::string& key = EqualValues(rule.equal, equal_hints_[i], e.alert.labels);
    const Inhibitors* in = inhibitors_[i].Find(key);
    if (in == nullptr) continue;
    int count = in->count;
    // An alert matching both sides does not inhibit itself.
    if (Firing(e) && RuleHolds(e.inhibit_sources, i, rule.source, e.alert.labels)) --count;
    if (count > 0) {
      *by = in->example;
      return true;
    }
  }
  return false;
}

bool AlertEngine::MuteIfInhibited(AlertEntry& e, TimePoint now) {
  std::string by;
  if (!Inhibited(e, &by)) return false;
  Decide(e, AlertOutcome::kInhibited, by, now,
         [&] { return SharedText(fmt::format("muted while {} fires (inhibit rule)", by)); });
  return true;
}

void AlertEngine::BeginEvaluation(TimePoint /*now*/) { ++eval_; }

void AlertEngine::Fire(Alert alert, TimePoint now) {
  if (alert.owner.empty()) {
    alert.labels.AddAbsent({{"alertname", alert.name}, {"source", alert.source}, {"urgency", Name(alert.urgency)}});
  } else {
    alert.labels.AddAbsent(
        {{"alertname", alert.name}, {"source", alert.source}, {"urgency", Name(alert.urgency)}, {"team", alert.owner}});
  }
  // Notifications carry the summary as an annotation (Alertmanager's
  // convention); added here once rather than to every notification's copy.
  if (!alert.summary.empty()) alert.annotations.AddAbsent({{"summary", alert.summary}});

  // A new alert is moved into its entry as it is made (no string assigned
  // twice); a known one's content replaces its entry's below.
  auto [entry, inserted] = alerts_.FindOrMake(alert.dedup_key, [&] { return AlertEntry(std::move(alert)); });
  AlertEntry& e = *entry;
  const bool new_episode = inserted || !Firing(e);
  if (!inserted && Firing(e)) InhibitAdd(e, -1);
  if (new_episode) {
    if (!inserted) {
      // A resolved alert firing again starts afresh, but keeps the groups
      // that still list it.
      std::vector<GroupRef> groups = std::move(e.groups);
      e = AlertEntry{};
      e.groups = std::move(groups);
    }
    const TimePoint starts_at = inserted ? e.alert.starts_at : alert.starts_at;
    e.episode = starts_at != 0 ? starts_at : now;
  }
  if (!inserted) e.alert = std::move(alert);
  e.resolved_at = 0;
  e.last_eval = eval_;
  MarkInhibitTargets(e);
  InhibitAdd(e, +1);

  // Accepted risk first: a suppressed alert is never routed.
  const SuppressionMatch sm = suppressions_.Match(e.alert.labels, now);
  if (sm.applied != nullptr) {
    const Suppression& s = *sm.applied;
    ++hits_[s.id];
    if (e.team.empty()) {
      e.team = e.alert.owner.empty() ? std::string(e.alert.labels.Get("team", kTeamHint)) : e.alert.owner;
    }
    e.urgency = e.alert.urgency;
    LeaveGroups(e, now);
    Decide(e, AlertOutcome::kSuppressed, s.id, now, [&] {
      return SharedText(fmt::format("accepted risk {} until {} (owner {}, approved by {}): {}", s.id,
                                    FormatTime(s.expires), s.owner, s.approver.empty() ? "nobody" : s.approver,
                                    s.reason));
    });
    return;
  }

  std::vector<RouteMatch>& matches = route_matches_;
  matches.clear();
  MatchRoutes(policy_.root, RouteMatch{}, e.alert.labels, &matches);
  const RouteMatch& primary = matches.front();
  if (!primary.team.empty()) {
    e.team = primary.team;
  } else if (!e.alert.owner.empty()) {
    e.team = e.alert.owner;
  } else {
    e.team = e.alert.labels.Get("team", kTeamHint);
  }
  if (e.team.empty()) e.team = "unowned";
  e.urgency = primary.urgency.value_or(e.alert.urgency);
  if (e.alert.labels.Get("urgency", kUrgencyHint) != Name(e.urgency)) {
    e.alert.labels.insert_or_assign("urgency", Name(e.urgency));
    MarkInhibitTargets(e);
  }

  if (e.urgency == Urgency::kDigest) {
    LeaveGroups(e, now);
    Decide(e, AlertOutcome::kDigested, SharedText(), now, [&] { return DigestReason(e.team); });
    return;
  }

  // The groups it routes to, usually one and usually the ones it was in:
  // keys are built in a reused buffer, and a group it is already in is
  // found without a search.
  thread_local std::vector<LabelView> picked;
  thread_local std::string key;
  thread_local std::vector<AlertGroup*> targets;
  targets.clear();
  for (const RouteMatch& m : matches) {
    GroupLabels(e.alert.labels, m.group_by, &picked);
    const std::string_view team = !m.team.empty() ? m.team : std::string_view(e.team);
    const Urgency urgency = m.urgency.value_or(e.alert.urgency);
    GroupKey(m.route->path, team, urgency, picked, &key);
    AlertGroup* g = nullptr;
    for (const GroupRef& r : e.groups) {
      if (r.group->key == key) g = r.group;
    }
    if (g == nullptr) {
      const auto found = group_index_.find(key);
      if (found != group_index_.end()) {
        g = found->second;
      } else {
        g = &groups_.try_emplace(key).first->second;
        g->key = key;
        group_index_.emplace(g->key, g);
        g->route_path = m.route->path;
        g->receiver = m.receiver;
        g->team = team;
        g->urgency = urgency;
        g->group_labels.reserve(picked.size());
        for (const auto& [k, v] : picked) g->group_labels.emplace(k, v);
        g->created_at = now;
        g->next_flush = now + m.group_wait;
      }
    }
    g->group_interval = m.group_interval;
    g->repeat_interval = m.repeat_interval;
    if (std::find(targets.begin(), targets.end(), g) == targets.end()) targets.push_back(g);
  }
  // Groups it no longer routes to (labels changed) lose it; new ones gain it.
  for (std::size_t i = e.groups.size(); i-- > 0;) {
    if (std::find(targets.begin(), targets.end(), e.groups[i].group) == targets.end()) LeaveGroup(e, i, now);
  }
  for (AlertGroup* g : targets) {
    if (Place(e, g) == e.groups.size()) Join(e, *g);
  }

  if (MuteIfInhibited(e, now)) return;
  if (new_episode || e.outcome == AlertOutcome::kSuppressed || e.outcome == AlertOutcome::kInhibited ||
      e.outcome == AlertOutcome::kDigested) {
    AlertGroup& g = *targets.front();
    Decide(e, AlertOutcome::kPending, KeyText(g), now, [&] {
      return SharedText::Static(g.last_notified == 0
                                    ? "waiting for its group's first notification (group_wait)"
                                    : "joins a notified group: goes out with its next notification (group_interval)");
    });
  }
}

void AlertEngine::Resolve(std::string_view dedup_key, TimePoint now) {
  AlertEntry* found = alerts_.Find(dedup_key);
  if (found == nullptr || !Firing(*found)) return;
  AlertEntry& e = *found;
  InhibitAdd(e, -1);
  e.resolved_at = now;
  // Only alerts some notification announced need a resolved notification.
  if (!e.notified) {
    if (e.outcome == AlertOutcome::kPending) {
      Decide(e, AlertOutcome::kResolvedUnsent, SharedText(), now,
             [] { return SharedText::Static("resolved before its group's first notification"); });
    }
    LeaveGroups(e, now);
    alerts_.Erase(&e);
  }
}

void AlertEngine::EndEvaluation(std::string_view source, TimePoint now) {
  std::vector<std::string> gone;
  alerts_.ForEach([&](const AlertEntry& e) {
    if (Firing(e) && e.alert.source == source && e.last_eval != eval_) gone.push_back(e.alert.dedup_key);
  });
  for (const std::string& key : gone) Resolve(key, now);
}

double AlertEngine::GroupRank(const AlertGroup& g) const {
  double best = -1e300;
  for (const AlertGroup::Member& m : g.members) {
    if (Firing(*m.entry)) best = std::max(best, m.entry->alert.rank);
  }
  return best;
}

void AlertEngine::Send(AlertGroup& g, TimePoint now, bool first) {
  Notification n;
  n.id = fmt::format("{}#{}", g.key, g.seq + 1);
  n.receiver = g.receiver;
  n.team = g.team;
  n.urgency = g.urgency;
  n.group_key = g.key;
  n.at = now;
  n.group_labels = g.group_labels;

  std::vector<AlertEntry*> firing, resolved, fresh;
  for (const AlertGroup::Member& m : g.members) {
    AlertEntry& e = *m.entry;
    if (!Firing(e)) {
      if (m.notified) resolved.push_back(&e);
      continue;
    }
    if (MuteIfInhibited(e, now)) continue;
    firing.push_back(&e);
    if (!m.notified) fresh.push_back(&e);
  }
  // Notifications list their alerts by dedup key.
  const auto by_key = [](const AlertEntry* a, const AlertEntry* b) { return a->alert.dedup_key < b->alert.dedup_key; };
  std::sort(firing.begin(), firing.end(), by_key);
  std::sort(resolved.begin(), resolved.end(), by_key);
  // The opener of a first notification: the highest-ranked alert.
  std::sort(fresh.begin(), fresh.end(), [](const AlertEntry* a, const AlertEntry* b) {
    if (a->alert.rank != b->alert.rank) return a->alert.rank > b->alert.rank;
    return a->alert.dedup_key < b->alert.dedup_key;
  });
  const std::string_view via =
      g.receiver.empty() ? std::string_view("no receiver (routing sends it nowhere)") : std::string_view(g.receiver);
  const SharedText id = fresh.empty() ? SharedText() : SharedText(n.id);  // one copy for all its decisions
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    AlertEntry& e = *fresh[i];
    if (first && i == 0) {
      const AlertOutcome o = g.urgency == Urgency::kPage ? AlertOutcome::kPaged : AlertOutcome::kTicketed;
      Decide(e, o, id, now, [&] {
        return SharedText(fmt::format("{} to {} via {}, opening group {} ({} alert(s))", Name(g.urgency), g.team, via,
                                      g.key, firing.size()));
      });
    } else {
      Decide(e, AlertOutcome::kGrouped, id, now,
             [] { return SharedText::Static("delivered inside its group's notification (ref), not on its own"); });
    }
  }
  n.alerts.reserve(firing.size() + resolved.size() + g.departed.size());
  for (AlertEntry* e : firing) Snapshot(*e, false, 0, n.alerts.emplace_back());
  for (AlertEntry* e : resolved) Snapshot(*e, true, e->resolved_at, n.alerts.emplace_back());
  for (auto& [key, a] : g.departed) n.alerts.push_back(std::move(a));
  g.departed.clear();
  n.resolved = firing.empty();
  // Labels and annotations every alert shares.
  if (!n.alerts.empty()) {
    n.common_labels = Common(n.alerts, &NotifiedAlert::labels);
    n.common_annotations = Common(n.alerts, &NotifiedAlert::annotations);
  }
  for (AlertGroup::Member& m : g.members) m.notified = false;
  for (AlertEntry* e : firing) {
    e->notified = true;
    g.members[e->groups[Place(*e, &g)].pos].notified = true;
  }
  for (AlertEntry* e : resolved) {
    Unlink(*e, Place(*e, &g));
    // Forget the alert once no group still has to announce it.
    const bool pending = std::any_of(e->groups.begin(), e->groups.end(),
                                     [](const GroupRef& r) { return r.group->members[r.pos].notified; });
    if (!pending) {
      LeaveGroups(*e, now);  // announced nowhere: no group records its departure
      alerts_.Erase(e);
    }
  }
  ++g.seq;
  g.last_notified = now;
  if (!n.receiver.empty()) notifications_.push_back(std::move(n));
}

void AlertEngine::Flush(TimePoint now) {
  // Groups due now; page groups opening for the first time wait for the
  // capacity decision below.
  std::map<std::string, std::vector<AlertGroup*>> openers;  // team -> page groups to open
  std::vector<std::string> empty;
  for (auto& [key, g] : groups_) {
    if (g.next_flush > now) continue;
    g.next_flush = now + g.group_interval;
    bool any_firing = false, changed = !g.departed.empty();
    for (const AlertGroup::Member& m : g.members) {
      if (Firing(*m.entry)) {
        if (MuteIfInhibited(*m.entry, now)) continue;
        any_firing = true;
        if (!m.notified) changed = true;
      } else if (m.notified) {
        changed = true;
      }
    }
    if (g.last_notified == 0) {
      if (!any_firing) {
        if (g.members.empty() && g.departed.empty()) empty.push_back(key);
        continue;
      }
      if (g.urgency == Urgency::kPage) {
        openers[g.team].push_back(&g);
      } else {
        Send(g, now, /*first=*/true);
      }
      continue;
    }
    // Stop announcing inhibited-away alerts as firing.
    for (AlertGroup::Member& m : g.members) {
      std::string by;
      if (m.notified && Firing(*m.entry) && Inhibited(*m.entry, &by)) {
        m.notified = false;
        changed = true;
      }
    }
    if (changed || (any_firing && now >= g.last_notified + g.repeat_interval)) Send(g, now, /*first=*/false);
    if (g.members.empty() && g.departed.empty()) empty.push_back(key);
  }

  for (auto& [team, list] : openers) {
    TeamUsage& u = usage_[team];
    const TimePoint shift = policy_.capacity.ShiftStart(now);
    if (u.shift_start != shift) u = TeamUsage{shift, 0};
    const int budget = policy_.capacity.PagesFor(team);
    std::vector<std::pair<double, AlertGroup*>> ranked;
    for (AlertGroup* g : list) ranked.emplace_back(GroupRank(*g), g);
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first > b.first;
      if (a.second->created_at != b.second->created_at) return a.second->created_at < b.second->created_at;
      return a.second->key < b.second->key;
    });
    for (auto& [rank, g] : ranked) {
      if (budget < 0 || u.pages < budget) {
        ++u.pages;
        g->shed = false;
        Send(*g, now, /*first=*/true);
        continue;
      }
      g->shed = true;
      // Named copies: a lambda cannot capture structured bindings under clang 14.
      const std::string& team_name = team;
      const double group_rank = rank;
      SharedText reason;  // one text for the group's alerts, written when first recorded
      for (const AlertGroup::Member& m : g->members) {
        AlertEntry& e = *m.entry;
        if (!Firing(e) || e.outcome == AlertOutcome::kInhibited) continue;
        Decide(e, AlertOutcome::kShed, KeyText(*g), now, [&] {
          if (reason.empty()) {
            reason = SharedText(
                fmt::format("{} used its {} page(s) for the shift from {}; ranked {:.1f}, below the pages sent: "
                            "in the digest, pages when a shift has budget",
                            team_name, budget, FormatTime(u.shift_start), group_rank));
          }
          return reason;
        });
      }
    }
  }
  for (const std::string& key : empty) {
    group_index_.erase(key);
    groups_.erase(key);
  }
}

Status AlertEngine::LoadState(const std::vector<StateRow>& rows) {
  // Group rows name their members by dedup key: linked once every alert is read.
  struct GroupMembers {
    std::string group;
    std::vector<std::string> members, notified;
  };
  std::vector<GroupMembers> members;
  try {
    for (const StateRow& r : rows) {
      if (r.kind != "engine" && r.kind != "alert" && r.kind != "group" && r.kind != "team") continue;
      loaded_keys_.insert(r.kind + '\x1f' + r.key);
      const json j = json::parse(r.body);
      if (r.kind == "engine") {
        eval_ = j.value("eval", std::uint64_t{0});
      } else if (r.kind == "alert") {
        AlertEntry e;
        e.alert.dedup_key = r.key;
        e.alert.source = j.at("source").get<std::string>();
        e.alert.name = j.at("name").get<std::string>();
        e.alert.urgency = ParseUrgency(j.at("alert_urgency").get<std::string>()).value_or(Urgency::kTicket);
        e.alert.owner = j.value("owner", "");
        e.alert.summary = j.value("summary", "");
        e.alert.starts_at = j.value("starts_at", TimePoint{0});
        e.alert.rank = j.value("rank", 0.0);
        e.alert.labels = LabelsFrom(j.value("labels", json::object()));
        e.alert.annotations = LabelsFrom(j.value("annotations", json::object()));
        e.episode = j.at("episode").get<TimePoint>();
        e.resolved_at = j.value("resolved_at", TimePoint{0});
        e.last_eval = j.value("last_eval", std::uint64_t{0});
        e.team = j.value("team", "");
        e.urgency = ParseUrgency(j.at("urgency").get<std::string>()).value_or(Urgency::kTicket);
        e.outcome = ParseAlertOutcome(j.at("outcome").get<std::string>()).value_or(AlertOutcome::kPending);
        e.ref = SharedText(j.value("ref", ""));
        e.notified = j.value("notified", false);
        MarkInhibitTargets(e);
        if (Firing(e)) InhibitAdd(e, +1);
        AlertEntry& added = *alerts_.FindOrAdd(r.key, [&](AlertEntry& a) { a.alert.dedup_key = r.key; }).first;
        added = std::move(e);  // e.alert.dedup_key is r.key
      } else if (r.kind == "group") {
        AlertGroup g;
        g.key = r.key;
        g.route_path = j.at("route").get<std::string>();
        g.receiver = j.value("receiver", "");
        g.team = j.value("team", "");
        g.urgency = ParseUrgency(j.at("urgency").get<std::string>()).value_or(Urgency::kTicket);
        g.group_labels = LabelsFrom(j.value("group_labels", json::object()));
        g.group_interval = j.value("group_interval", Duration{300});
        g.repeat_interval = j.value("repeat_interval", Duration{4 * kHour});
        members.push_back(GroupMembers{r.key, j.value("members", std::vector<std::string>{}),
                                       j.value("notified", std::vector<std::string>{})});
        g.created_at = j.value("created_at", TimePoint{0});
        g.next_flush = j.value("next_flush", TimePoint{0});
        g.last_notified = j.value("last_notified", TimePoint{0});
        g.seq = j.value("seq", std::uint32_t{0});
        g.shed = j.value("shed", false);
        for (const json& d : j.value("departed", json::array())) {
          NotifiedAlert a;
          a.dedup_key = d.at("dedup_key").get<std::string>();
          a.resolved = true;
          a.source = d.value("source", "");
          a.name = d.value("name", "");
          a.summary = d.value("summary", "");
          a.urgency = ParseUrgency(d.value("urgency", "ticket")).value_or(Urgency::kTicket);
          a.starts_at = d.value("starts_at", TimePoint{0});
          a.ends_at = d.value("ends_at", TimePoint{0});
          a.labels = LabelsFrom(d.value("labels", json::object()));
          a.annotations = LabelsFrom(d.value("annotations", json::object()));
          g.departed.emplace(a.dedup_key, std::move(a));
        }
        groups_.emplace(r.key, std::move(g));
      } else if (r.kind == "team") {
        usage_[r.key] = TeamUsage{j.value("shift_start", TimePoint{0}), j.value("pages", 0)};
      }
    }
  } catch (const std::exception& ex) {
    return Status::StoreError(fmt::format("alert engine state is unreadable: {}", ex.what()));
  }
  for (auto& [key, g] : groups_) group_index_.emplace(g.key, &g);
  for (const GroupMembers& gm : members) {
    AlertGroup& g = groups_.at(gm.group);
    for (const std::string& key : gm.members) {
      AlertEntry* const e = alerts_.Find(key);
      if (e == nullptr) continue;                       // forgotten: nothing left to announce
      if (Place(*e, &g) != e->groups.size()) continue;  // listed twice
      Join(*e, g);
      g.members.back().notified = std::find(gm.notified.begin(), gm.notified.end(), key) != gm.notified.end();
    }
  }
  return Status::OK();
}

void AlertEngine::SaveState(std::vector<StateRow>* rows, std::vector<StateRow>* removed) const {
  std::set<std::string> written;
  auto put = [&](std::string kind, std::string key, const json& j) {
    written.insert(kind + '\x1f' + key);
    rows->push_back(StateRow{std::move(kind), std::move(key), j.dump()});
  };
  put("engine", "engine", json{{"eval", eval_}});
  alerts_.ForEach([&](const AlertEntry& e) {
    put("alert", e.alert.dedup_key,
        json{{"source", e.alert.source},
             {"name", e.alert.name},
             {"alert_urgency", Name(e.alert.urgency)},
             {"owner", e.alert.owner},
             {"summary", e.alert.summary},
             {"starts_at", e.alert.starts_at},
             {"rank", e.alert.rank},
             {"labels", json(e.alert.labels)},
             {"annotations", json(e.alert.annotations)},
             {"episode", e.episode},
             {"resolved_at", e.resolved_at},
             {"last_eval", e.last_eval},
             {"team", e.team},
             {"urgency", Name(e.urgency)},
             {"outcome", Name(e.outcome)},
             {"ref", e.ref.view()},
             {"notified", e.notified}});
  });
  for (const auto& [key, g] : groups_) {
    json departed = json::array();
    for (const auto& [k, a] : g.departed) {
      departed.push_back(json{{"dedup_key", a.dedup_key},
                              {"source", a.source},
                              {"name", a.name},
                              {"summary", a.summary},
                              {"urgency", Name(a.urgency)},
                              {"starts_at", a.starts_at},
                              {"ends_at", a.ends_at},
                              {"labels", json(a.labels)},
                              {"annotations", json(a.annotations)}});
    }
    put("group", key,
        json{{"route", g.route_path},
             {"receiver", g.receiver},
             {"team", g.team},
             {"urgency", Name(g.urgency)},
             {"group_labels", json(g.group_labels)},
             {"group_interval", g.group_interval},
             {"repeat_interval", g.repeat_interval},
             {"members", MemberKeys(g, false)},
             {"notified", MemberKeys(g, true)},
             {"created_at", g.created_at},
             {"next_flush", g.next_flush},
             {"last_notified", g.last_notified},
             {"seq", g.seq},
             {"shed", g.shed},
             {"departed", departed}});
  }
  for (const auto& [team, u] : usage_) put("team", team, json{{"shift_start", u.shift_start}, {"pages", u.pages}});
  for (const std::string& k : loaded_keys_) {
    if (written.count(k) != 0) continue;
    const std::size_t sep = k.find('\x1f');
    removed->push_back(StateRow{k.substr(0, sep), k.substr(sep + 1), ""});
  }
}

}  // namespace secbudget
