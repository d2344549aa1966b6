// The alerting engine: suppression, routing, inhibition, grouping and
// capacity, as pure in-memory state driven by an injected clock. It
// follows Prometheus Alertmanager where Alertmanager has an answer:
//
// - Routing walks the tree depth-first; the first matching child takes the
//   alert unless it says `continue`; a node no child matches takes it
//   itself. Children inherit receiver, team, urgency, group_by and timing.
// - A group is (route, team, urgency, values of group_by). Its first
//   notification goes out group_wait after it was created; later ones at
//   most every group_interval, when an alert joined or resolved; an
//   unchanged group is sent again after repeat_interval.
// - An alert matching an inhibit rule's target is muted while an alert
//   matching its source fires with the same `equal` labels.
//
// secbudget adds what Alertmanager leaves to humans:
// - suppressions (accepted risk, expiring) are applied before routing;
// - the owner team and urgency are routing results;
// - a team's page budget per shift: a page group's first notification
//   spends one page; when a flush has more page groups to open than the
//   team has pages left, the highest-ranked open first and the rest are
//   shed to the digest (they page later if still firing when a new shift
//   brings budget);
// - every alert episode gets a recorded decision (notification.h's
//   AlertOutcome) with the reason in words, re-recorded when it changes.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "alert/alert_policy.h"
#include "alert/alert_store.h"
#include "alert/notification.h"
#include "common/u64_map.h"
#include "model/alert.h"

namespace secbudget {

struct AlertGroup;

// Where an alert sits in one group's member list.
struct GroupRef {
  AlertGroup* group = nullptr;
  std::uint32_t pos = 0;  // index in group->members
};

// Laid out for the flush: what a group's walk over its members reads (is
// it firing, is it an inhibit target, was it notified) comes first, in the
// entry's first cache line, so a member that needs nothing else costs one
// line; the alert's key, label sets and rank follow in the next (see
// model/alert.h). Entries are cold when a flush reaches them (fired up to
// thousands of alerts ago), so lines touched are the cost. (Not alignas(64):
// aligned new cost about 80 instructions an alert, and mimalloc's blocks of
// this size class start on a line anyway.)
struct AlertEntry {
  AlertEntry() = default;
  explicit AlertEntry(Alert&& a) : alert(std::move(a)) {}  // moved in, not assigned
  TimePoint resolved_at = 0;                               // 0 while firing
  // The first 64 inhibit rules whose target matchers its labels match, and
  // those whose source matchers they matched when it was last counted as a
  // firing source (bit i: rule i), so flushes do not match them again.
  std::uint64_t inhibit_targets = 0;
  std::uint64_t inhibit_sources = 0;
  TimePoint episode = 0;  // start of the current firing episode
  // The groups listing it as a member, each with its place there: an entry
  // is in a group's members exactly when the group is in its list, so
  // neither outlives the other's reference.
  std::vector<GroupRef> groups;
  AlertOutcome outcome = AlertOutcome::kPending;  // the latest recorded decision
  Urgency urgency = Urgency::kTicket;             // after routing
  bool notified = false;                          // sent firing in some notification
  Alert alert;                                    // latest content; labels include alertname, source, urgency
  std::string team;
  SharedText ref;
  std::uint64_t last_eval = 0;  // evaluation that last fired it
};

// The key an alert is indexed by (its dedup key).
inline std::string_view AlertEntryKey(const AlertEntry& e) { return e.alert.dedup_key; }

struct AlertGroup {
  std::string key;
  SharedText key_text;  // the key again, shared by the decisions that name the group (made when first needed)
  std::string route_path;
  std::string receiver;
  std::string team;
  Urgency urgency = Urgency::kTicket;
  Labels group_labels;
  Duration group_interval = 5 * 60;
  Duration repeat_interval = 4 * kHour;
  // The alerts in the group, in no particular order (sorted by dedup key
  // where order shows: notifications and saved state). Held by address
  // (the alert table's nodes do not move), so flushing a group looks up
  // nothing by key; `notified` marks the members sent firing in the last
  // notification.
  struct Member {
    AlertEntry* entry = nullptr;
    bool notified = false;
  };
  std::vector<Member> members;
  // Members announced firing that left the group while their condition still
  // holds (now suppressed, or routed elsewhere): the next notification
  // announces them resolved here, so receivers (PagerDuty) close them.
  std::map<std::string, NotifiedAlert> departed;
  TimePoint created_at = 0;
  TimePoint next_flush = 0;
  TimePoint last_notified = 0;  // 0 = never
  std::uint32_t seq = 0;        // notifications sent
  bool shed = false;            // waiting in the digest for page budget
};

struct TeamUsage {
  TimePoint shift_start = 0;
  int pages = 0;
};

class AlertEngine {
 public:
  explicit AlertEngine(const AlertPolicy& policy);
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  // State round trip through the store's (kind, key, JSON) rows.
  Status LoadState(const std::vector<StateRow>& rows);
  void SaveState(std::vector<StateRow>* rows, std::vector<StateRow>* removed) const;

  // One evaluation of a source: Fire every alert of that source whose
  // condition holds, then EndEvaluation resolves the source's alerts that
  // were not fired.
  void BeginEvaluation(TimePoint now);
  void Fire(Alert alert, TimePoint now);
  void EndEvaluation(std::string_view source, TimePoint now);
  // Resolves one alert (streams that report resolution themselves).
  void Resolve(std::string_view dedup_key, TimePoint now);
  // Sends every group whose timer has run, within each team's page budget.
  void Flush(TimePoint now);

  // The decisions and notifications since the last call. The engine keeps
  // room for as many as its largest batch had, so a stream does not regrow
  // (and move) them batch after batch.
  std::vector<AlertDecision> TakeDecisions() { return Take(decisions_); }
  std::vector<Notification> TakeNotifications() { return Take(notifications_); }

  // The alert with `dedup_key` (nullptr when the engine holds none), and
  // every alert held (in no particular order).
  const AlertEntry* FindAlert(std::string_view dedup_key) const { return alerts_.Find(dedup_key); }
  template <typename Fn>
  void ForEachAlert(Fn&& fn) const {
    alerts_.ForEach(fn);
  }
  std::size_t alert_count() const { return alerts_.size(); }
  const std::map<std::string, AlertGroup>& groups() const { return groups_; }
  const std::map<std::string, TeamUsage>& usage() const { return usage_; }
  // How many times each suppression silenced an alert in this engine's
  // lifetime (not persisted: the decision log has the history).
  const std::unordered_map<std::string, std::size_t>& suppression_hits() const { return hits_; }

 private:
  template <typename T>
  static std::vector<T> Take(std::vector<T>& v) {
    std::vector<T> out;
    out.reserve(v.capacity());
    out.swap(v);
    return out;
  }
  struct RouteMatch {
    const Route* route = nullptr;
    std::string_view receiver, team;  // the policy's strings (it outlives the engine)
    std::optional<Urgency> urgency;
    const std::vector<std::string>* group_by = nullptr;
    Duration group_wait = 0, group_interval = 0, repeat_interval = 0;
  };
  void MatchRoutes(const Route& node, const RouteMatch& inherited, const Labels& labels,
                   std::vector<RouteMatch>* out) const;
  // Records a decision unless the alert's outcome and ref are unchanged;
  // `reason()` writes its words only when it is recorded.
  // `ref` is a SharedText, or a std::string copied only when recorded;
  // `reason()` returns a SharedText (a literal's costs nothing).
  template <typename Ref, typename Reason>
  void Decide(AlertEntry& e, AlertOutcome outcome, const Ref& ref, TimePoint now, Reason&& reason);
  static const SharedText& KeyText(AlertGroup& g);
  // "digest urgency: listed in <team>'s digest", one text per team.
  SharedText DigestReason(const std::string& team);
  // Membership, kept on both sides (AlertEntry::groups, AlertGroup::members).
  // Place: the index of `g` in e.groups, or e.groups.size() when absent.
  static std::size_t Place(const AlertEntry& e, const AlertGroup* g);
  static void Join(AlertEntry& e, AlertGroup& g);
  // Takes `e` out of its i-th group; returns whether it was notified there.
  static bool Unlink(AlertEntry& e, std::size_t i);
  // Leaves its i-th group; a member announced firing there departs (the
  // group's next notification announces it resolved).
  void LeaveGroup(AlertEntry& e, std::size_t i, TimePoint now);
  void LeaveGroups(AlertEntry& e, TimePoint now);
  bool Inhibited(const AlertEntry& e, std::string* by) const;
  // Records the inhibited decision when `e` is inhibited now.
  bool MuteIfInhibited(AlertEntry& e, TimePoint now);
  // Counts a firing alert in (+1) or out of (-1) the inhibitors of the rules
  // whose source it matches.
  void InhibitAdd(AlertEntry& e, int delta);
  void MarkInhibitTargets(AlertEntry& e) const;
  double GroupRank(const AlertGroup& g) const;
  void Send(AlertGroup& g, TimePoint now, bool first);

  const AlertPolicy& policy_;
  SuppressionIndex suppressions_;
  // Alerts by dedup key; entries stay where they are (groups hold them by
  // address).
  KeyedTable<AlertEntry, &AlertEntryKey> alerts_;
  std::map<std::string, AlertGroup> groups_;
  std::map<std::string, TeamUsage> usage_;
  // The groups by key, hashed (groups_ keeps them in key order for Flush):
  // views of the groups' own keys.
  std::unordered_map<std::string_view, AlertGroup*> group_index_;
  // Per inhibit rule: the equal-label values of firing source alerts -> how
  // many, and one of them (the latest to fire) to name in decisions.
  struct Inhibitors {
    std::string values;  // the key: EqualValues of the rule's `equal` labels
    int count = 0;
    std::string example;
  };
  static std::string_view InhibitorsKey(const Inhibitors& i) { return i.values; }
  std::vector<KeyedTable<Inhibitors, &InhibitorsKey>> inhibitors_;
  std::vector<std::vector<LabelHint>> equal_hints_;  // per inhibit rule, one per `equal` label
  std::uint64_t eval_ = 0;
  std::vector<AlertDecision> decisions_;
  std::vector<Notification> notifications_;
  std::unordered_map<std::string, std::size_t> hits_;
  StringMap<SharedText> digest_reasons_;
  std::vector<RouteMatch> route_matches_;  // Fire's, kept to reuse their room
  std::set<std::string> loaded_keys_;      // rows read by LoadState (to delete the gone ones)
};

}  // namespace secbudget
