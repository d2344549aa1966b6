#include "alert/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "alert/sources.h"
#include "common/hash.h"

namespace secbudget {

namespace {

using nlohmann::json;

json SuppressionJson(const Suppression& s) {
  std::vector<std::string> matchers;
  for (const Matcher& m : s.matchers) matchers.push_back(m.ToString());
  return json{{"id", s.id},
              {"matchers", matchers},
              {"assets", s.assets},
              {"services", s.services},
              {"teams", s.teams},
              {"environments", s.environments},
              {"reason", s.reason},
              {"owner", s.owner},
              {"approver", s.approver},
              {"created", FormatTime(s.created)},
              {"expires", FormatTime(s.expires)},
              {"compensating_control", s.compensating_control},
              {"origin", s.origin},
              {"source", s.source}};
}

// Runs `fn` inside a transaction, rolling back on error.
template <typename Fn>
Status InTransaction(Database& db, Fn fn) {
  SB_RETURN_IF_ERROR(db.Begin());
  Status s = fn();
  if (!s.ok()) {
    (void)db.Rollback();
    return s;
  }
  return db.Commit();
}

}  // namespace

AlertService::AlertService(Database& db, const AlertPolicy& policy, SloService* slo, Transport* transport)
    : db_(db), policy_(policy), slo_(slo), transport_(transport) {}

Result<std::vector<AuditEvent>> AlertService::SyncSuppressions(TimePoint now) {
  std::vector<StateRow> rows;
  SB_RETURN_IF_ERROR(db_.LoadAlertState(&rows));
  return SyncSuppressions(now, rows);
}

Result<std::vector<AuditEvent>> AlertService::SyncSuppressions(TimePoint now, const std::vector<StateRow>& rows) {
  std::map<std::string, json> known;
  for (const StateRow& r : rows) {
    if (r.kind == "suppression") known[r.key] = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  }
  std::vector<AuditEvent> events;
  std::vector<StateRow> write, removed;
  auto event = [&](const std::string& id, std::string action, std::string actor, const json& detail) {
    events.push_back(AuditEvent{0, now, "suppression/" + id, std::move(action), std::move(actor), detail.dump()});
  };
  std::set<std::string> present;
  for (const Suppression& s : policy_.suppressions) {
    present.insert(s.id);
    const std::string hash = HexId(s.ContentHash());
    json state = known.count(s.id) != 0 && known[s.id].is_object() ? known[s.id] : json::object();
    bool dirty = false;
    if (!state.contains("hash")) {
      event(s.id, "created", s.approver, SuppressionJson(s));
      dirty = true;
    } else if (state["hash"] != hash) {
      event(s.id, "changed", s.approver, json{{"now", SuppressionJson(s)}, {"was_hash", state["hash"]}});
      state["expired"] = false;
      dirty = true;
    }
    state["hash"] = hash;
    if (s.expires <= now && !state.value("expired", false)) {
      event(s.id, "expired", "secbudget",
            json{{"expires", FormatTime(s.expires)}, {"owner", s.owner}, {"reason", s.reason}});
      state["expired"] = true;
      dirty = true;
    }
    if (dirty) write.push_back(StateRow{"suppression", s.id, state.dump()});
  }
  for (const auto& [id, state] : known) {
    if (present.count(id) != 0) continue;
    event(id, "removed", "policy", json{{"was_hash", state.is_object() ? state.value("hash", "") : ""}});
    removed.push_back(StateRow{"suppression", id, ""});
  }
  for (AuditEvent& e : events) SB_RETURN_IF_ERROR(db_.AppendAudit(&e));
  SB_RETURN_IF_ERROR(db_.SaveAlertState(write, removed));
  return events;
}

Result<RunSummary> AlertService::Evaluate(TimePoint now, bool deliver,
                                          const std::function<Status(AlertEngine&, RunSummary&)>& feed) {
  RunSummary summary;
  summary.at = now;
  Status s = InTransaction(db_, [&]() -> Status {
    std::vector<StateRow> rows;
    SB_RETURN_IF_ERROR(db_.LoadAlertState(&rows));
    SB_ASSIGN_OR_RETURN(summary.audit, SyncSuppressions(now, rows));
    AlertEngine engine(policy_);
    SB_RETURN_IF_ERROR(engine.LoadState(rows));
    SB_RETURN_IF_ERROR(feed(engine, summary));
    engine.Flush(now);
    std::vector<AlertDecision> decisions = engine.TakeDecisions();
    for (const AlertDecision& d : decisions) ++summary.decisions[std::string(Name(d.outcome))];
    SB_RETURN_IF_ERROR(db_.AppendAlertDecisions(&decisions));
    const std::vector<Notification> notifications = engine.TakeNotifications();
    summary.notifications = notifications.size();
    std::vector<OutboxEntry> entries;
    for (const Notification& n : notifications) {
      const auto r = policy_.receivers.find(n.receiver);
      if (r == policy_.receivers.end()) continue;
      for (OutboxEntry& e : RenderNotification(n, r->second, now, policy_.external_url))
        entries.push_back(std::move(e));
    }
    SB_RETURN_IF_ERROR(db_.EnqueueOutbox(&entries));
    for (const OutboxEntry& e : entries) summary.enqueued += e.id != 0 ? 1 : 0;
    std::vector<StateRow> out, removed;
    engine.SaveState(&out, &removed);
    return db_.SaveAlertState(out, removed);
  });
  if (!s.ok()) return s;
  if (deliver) {
    SB_ASSIGN_OR_RETURN(DeliveryReport r, Deliver(now));
    summary.delivery = r;
  }
  return summary;
}

Result<RunSummary> AlertService::Run(TimePoint now, bool deliver) {
  return Evaluate(now, deliver, [&](AlertEngine& engine, RunSummary& summary) -> Status {
    auto feed = [&](const std::string& source, std::vector<Alert> alerts) {
      summary.firing_by_source[source] = alerts.size();
      engine.BeginEvaluation(now);
      for (Alert& a : alerts) {
        if (on_fire) on_fire(a);
        engine.Fire(std::move(a), now);
      }
      engine.EndEvaluation(source, now);
    };
    std::vector<Alert> alerts;
    SB_RETURN_IF_ERROR(FindingAlerts(db_, policy_.findings, now, &alerts));
    feed("triage", std::move(alerts));
    if (slo_ != nullptr) {
      // Every unit's status once: the burn alerts and every gate come from it.
      SB_ASSIGN_OR_RETURN(const std::vector<UnitStatus> statuses, slo_->Statuses(UnitFilter{}, now));
      feed("slo", AlertsFor(statuses));
      feed("gate", GateAlerts(*slo_, statuses, now));
    }
    feed("suppression", SuppressionAlerts(policy_.suppressions, policy_.limits, now));
    for (const Source& source : extra_sources) {
      SB_ASSIGN_OR_RETURN(std::vector<Alert> more, source.alerts(now));
      feed(source.name, std::move(more));
    }
    return Status::OK();
  });
}

Result<RunSummary> AlertService::Push(std::vector<Alert> alerts, const std::vector<std::string>& resolved,
                                      TimePoint now, bool deliver) {
  return Evaluate(now, deliver, [&](AlertEngine& engine, RunSummary& summary) -> Status {
    engine.BeginEvaluation(now);
    for (Alert& a : alerts) {
      ++summary.firing_by_source[a.source];
      if (on_fire) on_fire(a);
      engine.Fire(std::move(a), now);
    }
    for (const std::string& key : resolved) engine.Resolve(key, now);
    return Status::OK();
  });
}

Result<DeliveryReport> AlertService::Deliver(TimePoint now) {
  if (transport_ == nullptr) return Status::Internal("no transport configured for delivery");
  return DeliverDue(db_, *transport_, policy_.receivers, retry, now);
}

Status AlertService::PagerDutyAction(const std::string& group_key, std::string_view action, TimePoint now) {
  std::vector<StateRow> rows;
  SB_RETURN_IF_ERROR(db_.LoadAlertState(&rows));
  std::string receiver;
  for (const StateRow& r : rows) {
    if (r.kind == "group" && r.key == group_key) {
      receiver = json::parse(r.body, nullptr, false).value("receiver", "");
    }
  }
  const auto it = policy_.receivers.find(receiver);
  if (receiver.empty() || it == policy_.receivers.end() || it->second.kind != ReceiverKind::kPagerDuty) {
    return Status::NotFound(fmt::format("no open group {} routed to a PagerDuty receiver", group_key));
  }
  std::vector<OutboxEntry> entries = {RenderPagerDutyAction(it->second, group_key, action, now)};
  return db_.EnqueueOutbox(&entries);
}

Result<std::map<std::string, AlertDecision>> AlertService::LatestDecisions(TimePoint since, TimePoint until,
                                                                           const std::string& team) {
  std::map<std::string, AlertDecision> last;
  SB_RETURN_IF_ERROR(db_.ScanAlertDecisions(since, until, [&](const AlertDecision& d) {
    if (team.empty() || d.team == team) last[fmt::format("{}\x1f{}", d.dedup_key, d.episode)] = d;
    return true;
  }));
  return last;
}

Result<NoiseReport> AlertService::Report(TimePoint since, TimePoint until) {
  SB_ASSIGN_OR_RETURN(const auto last, LatestDecisions(since, until, ""));
  NoiseReport r;
  r.since = since;
  r.until = until;
  std::map<std::string, NoiseRow> rows;
  r.total.team = "all teams";
  for (const auto& [key, l] : last) {
    for (NoiseRow* row : {&rows[l.team], &r.total}) {
      ++row->raw;
      ++row->by_outcome[std::string(Name(l.outcome))];
      if (l.outcome == AlertOutcome::kPaged || l.outcome == AlertOutcome::kTicketed) ++row->interruptions;
      if (l.outcome == AlertOutcome::kPaged) ++row->pages;
    }
  }
  for (auto& [team, row] : rows) {
    row.team = team;
    r.teams.push_back(std::move(row));
  }
  return r;
}

Result<Digest> AlertService::TeamDigest(const std::string& team, TimePoint at) {
  Digest d;
  d.team = team;
  d.shift_start = policy_.capacity.ShiftStart(at);
  d.shift_end = d.shift_start + (policy_.capacity.shift > 0 ? policy_.capacity.shift : kDay);
  SB_ASSIGN_OR_RETURN(const auto last, LatestDecisions(d.shift_start, d.shift_end, team));
  // Summaries and ranks from the engine state, parsed only for the listed alerts.
  std::unordered_map<std::string, json> alerts;
  for (const auto& [key, dec] : last) {
    if (dec.outcome == AlertOutcome::kDigested || dec.outcome == AlertOutcome::kShed) alerts[dec.dedup_key];
  }
  std::vector<StateRow> rows;
  SB_RETURN_IF_ERROR(db_.LoadAlertState(&rows));
  for (const StateRow& r : rows) {
    if (r.kind != "alert") continue;
    const auto it = alerts.find(r.key);
    if (it != alerts.end()) it->second = json::parse(r.body, nullptr, false);
  }
  for (const auto& [key, dec] : last) {
    ++d.counts[std::string(Name(dec.outcome))];
    if (dec.outcome != AlertOutcome::kDigested && dec.outcome != AlertOutcome::kShed) continue;
    DigestItem item;
    item.at = dec.at;
    item.dedup_key = dec.dedup_key;
    item.name = dec.name;
    item.source = dec.source;
    item.outcome = std::string(Name(dec.outcome));
    item.reason = dec.reason.str();
    item.urgency = dec.urgency;
    const auto a = alerts.find(dec.dedup_key);
    if (a != alerts.end() && a->second.is_object()) {
      item.summary = a->second.value("summary", "");
      item.rank = a->second.value("rank", 0.0);
    }
    d.items.push_back(std::move(item));
  }
  std::sort(d.items.begin(), d.items.end(), [](const DigestItem& a, const DigestItem& b) {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.dedup_key < b.dedup_key;
  });
  for (const Suppression& s : policy_.suppressions) {
    const bool ours = s.owner == team || std::find(s.teams.begin(), s.teams.end(), team) != s.teams.end();
    if (ours && s.expires > at && s.expires - at <= policy_.limits.expiring_soon) {
      d.expiring.push_back(fmt::format("{} expires {} (owner {}): {}", s.id, FormatTime(s.expires), s.owner, s.reason));
    }
  }
  return d;
}

std::string DigestMarkdown(const Digest& d) {
  std::string md =
      fmt::format("# Digest for {}: shift {} to {}\n\n", d.team, FormatTime(d.shift_start), FormatTime(d.shift_end));
  std::size_t raw = 0;
  for (const auto& [o, n] : d.counts) raw += n;
  md += fmt::format("{} alert(s) this shift:", raw);
  for (const auto& [o, n] : d.counts) md += fmt::format(" {} {},", n, o);
  if (!d.counts.empty()) md.pop_back();
  md += ".\n\n";
  if (d.items.empty()) {
    md += "Nothing waited in the digest this shift.\n";
  } else {
    md += "| # | alert | why it is here | summary |\n|---|---|---|---|\n";
    std::size_t i = 0;
    for (const DigestItem& item : d.items) {
      auto cell = [](std::string s) {
        for (char& c : s) {
          if (c == '|' || c == '\n') c = ' ';
        }
        return s;
      };
      md += fmt::format("| {} | {} `{}` | {}: {} | {} |\n", ++i, item.name, cell(item.dedup_key), item.outcome,
                        cell(item.reason), cell(item.summary));
    }
  }
  if (!d.expiring.empty()) {
    md += "\n## Accepted risk expiring soon\n\n";
    for (const std::string& e : d.expiring) md += "- " + e + "\n";
  }
  return md;
}

Result<SuppressionReview> AlertService::Review(TimePoint now, std::vector<AuditEvent>* audit) {
  SB_RETURN_IF_ERROR(InTransaction(db_, [&]() -> Status {
    SB_ASSIGN_OR_RETURN(*audit, SyncSuppressions(now));
    return Status::OK();
  }));
  std::unordered_map<std::string, std::pair<std::size_t, TimePoint>> hits;
  SB_RETURN_IF_ERROR(
      db_.ScanAlertDecisions(std::numeric_limits<TimePoint>::min(), now + 1, [&](const AlertDecision& d) {
        if (d.outcome == AlertOutcome::kSuppressed) {
          auto& h = hits[d.ref.str()];
          ++h.first;
          h.second = std::max(h.second, d.at);
        }
        return true;
      }));
  SuppressionReview review;
  review.at = now;
  for (const Suppression& s : policy_.suppressions) {
    SuppressionReviewRow row;
    row.suppression = &s;
    if (now < s.created) {
      row.state = "not_yet_valid";
    } else if (now >= s.expires) {
      row.state = "expired";
    } else if (s.expires - now <= policy_.limits.expiring_soon) {
      row.state = "expiring_soon";
    } else {
      row.state = "active";
    }
    const auto h = hits.find(s.id);
    if (h != hits.end()) {
      row.hits = h->second.first;
      row.last_hit = h->second.second;
    }
    row.stale = row.hits == 0;
    review.rows.push_back(row);
  }
  std::sort(review.rows.begin(), review.rows.end(), [](const auto& a, const auto& b) {
    if (a.suppression->owner != b.suppression->owner) return a.suppression->owner < b.suppression->owner;
    return a.suppression->expires < b.suppression->expires;
  });
  return review;
}

SloService::AcceptanceSource AlertService::AcceptanceSource() {
  if (policy_.suppressions.empty()) return {};
  auto cache = std::make_shared<std::optional<std::unordered_map<std::uint64_t, std::vector<RiskAcceptance>>>>();
  auto index = std::make_shared<SuppressionIndex>(&policy_.suppressions, policy_.limits);
  Database* db = &db_;
  return [cache, index, db](std::uint64_t finding_id) -> std::vector<RiskAcceptance> {
    if (!cache->has_value()) {
      cache->emplace();
      FindingFilter all;
      (void)db->ScanFindings(all, [&](const FindingRecord& f) {
        for (const Suppression* s : index->MatchAnyTime(FindingLabels(f))) {
          (**cache)[f.id].push_back(RiskAcceptance{s->created, s->expires});
        }
        return true;
      });
    }
    const auto it = (*cache)->find(finding_id);
    return it == (*cache)->end() ? std::vector<RiskAcceptance>{} : it->second;
  };
}

}  // namespace secbudget
