#include "alert/sources.h"

#include <fmt/format.h>

#include <map>

#include "common/hash.h"
#include "common/strings.h"

namespace secbudget {

namespace {

void Put(Labels& labels, std::string_view key, std::string_view value) {
  if (!value.empty()) labels.emplace(std::string(key), std::string(value));
}

std::string Subject(const FindingRecord& f) {
  const std::string what = !f.vuln_id.empty() ? f.vuln_id : !f.rule_id.empty() ? f.rule_id : f.title;
  std::string where = f.package.empty() ? "" : fmt::format(" in {} {}", f.package, f.installed_version);
  if (!f.artifact.empty()) where += fmt::format(" ({})", f.artifact);
  return what + where;
}

}  // namespace

Labels FindingLabels(const FindingRecord& f) {
  Labels l;
  Put(l, "finding", HexId(f.id));
  Put(l, "vulnerability", f.vuln_id);
  Put(l, "aliases", Join(f.aliases, " "));
  Put(l, "package", f.package);
  Put(l, "version", f.installed_version);
  Put(l, "ecosystem", f.ecosystem);
  Put(l, "artifact", f.artifact);
  Put(l, "kind", Name(f.kind));
  Put(l, "severity", Name(f.severity));
  Put(l, "priority", Name(f.priority));
  Put(l, "rule", f.rule_id);
  Put(l, "asset", f.asset_id);
  Put(l, "service", f.service);
  Put(l, "team", f.team);
  Put(l, "environment", Name(f.environment));
  Put(l, "layer", Name(f.layer));
  return l;
}

Status FindingAlerts(TriageStore& store, const FindingAlertSettings& settings, TimePoint now, std::vector<Alert>* out) {
  if (!settings.enabled) return Status::OK();
  FindingFilter filter;
  filter.status = FindingStatus::kOpen;
  return store.ScanFindings(filter, [&](const FindingRecord& f) {
    const std::optional<Urgency> urgency = settings.priority_urgency[static_cast<std::size_t>(f.priority) - 1];
    const double rank = (5 - static_cast<int>(f.priority)) * 1000.0 + f.score;  // P1 first
    const std::string hex = HexId(f.id);
    auto make = [&](std::string name, std::string key, Urgency u, std::string summary) {
      Alert a;
      a.dedup_key = std::move(key);
      a.source = "triage";
      a.name = std::move(name);
      a.urgency = u;
      a.owner = f.team;
      a.summary = std::move(summary);
      a.starts_at = 0;
      a.labels = FindingLabels(f);
      a.annotations["score"] = fmt::format("{:.1f}", f.score);
      a.annotations["due_at"] = FormatTime(f.due_at);
      a.annotations["first_seen"] = FormatTime(f.first_seen);
      if (!f.title.empty()) a.annotations["title"] = f.title;
      a.rank = rank;
      out->push_back(std::move(a));
    };
    if (urgency) {
      make("FindingPriority", fmt::format("finding/{}/{}", hex, Name(f.priority)), *urgency,
           fmt::format("{} {} (due {})", Name(f.priority), Subject(f), FormatTime(f.due_at)));
    }
    // Deadline alerts follow the priority's urgency, never above ticket.
    const Urgency deadline_urgency = urgency && *urgency != Urgency::kDigest ? Urgency::kTicket : Urgency::kDigest;
    if (now > f.due_at) {
      make("FindingOverdue", fmt::format("finding/{}/overdue", hex), deadline_urgency,
           fmt::format("{} {} is {} past its due time", Name(f.priority), Subject(f), FormatDuration(now - f.due_at)));
    } else if (f.due_at - now <= settings.due_soon) {
      make("FindingDueSoon", fmt::format("finding/{}/due-soon", hex), deadline_urgency,
           fmt::format("{} {} is due in {}", Name(f.priority), Subject(f), FormatDuration(f.due_at - now)));
    }
    return true;
  });
}

std::vector<Alert> GateAlerts(const SloService& slo, const std::vector<UnitStatus>& statuses, TimePoint now) {
  std::map<std::string, std::vector<UnitStatus>> by_service;
  for (const UnitStatus& u : statuses) {
    if (!u.unit.service.empty()) by_service[u.unit.service].push_back(u);
  }
  std::vector<Alert> out;
  for (auto& [service, units] : by_service) {
    const GateDecision d = slo.GateFor(GateRequest{service, "", false}, std::move(units), now);
    if (d.pass) continue;
    Alert a;
    a.dedup_key = "gate/" + service;
    a.source = "gate";
    a.name = "ReleaseGateClosed";
    a.urgency = Urgency::kTicket;
    a.owner = d.units.empty() ? "" : d.units.front().unit.team;
    a.summary = fmt::format("release gate closed for {}: feature releases stop until risk is paid down", service);
    a.labels["service"] = service;
    if (!a.owner.empty()) a.labels["team"] = a.owner;
    a.annotations["reasons"] = Join(d.reasons, "; ");
    a.rank = 500;
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<Alert> SuppressionAlerts(const std::vector<Suppression>& suppressions, const SuppressionLimits& limits,
                                     TimePoint now) {
  std::vector<Alert> out;
  for (const Suppression& s : suppressions) {
    const bool expired = s.expires <= now && now < s.expires + kExpiredAlertFor;
    const bool soon = now < s.expires && s.expires - now <= limits.expiring_soon && s.created <= now;
    if (!expired && !soon) continue;
    Alert a;
    a.source = "suppression";
    a.owner = s.owner;
    a.labels["suppression"] = s.id;
    a.labels["owner"] = s.owner;
    a.annotations["reason"] = s.reason;
    a.annotations["approver"] = s.approver;
    a.annotations["origin"] = s.origin;
    a.annotations["expires"] = FormatTime(s.expires);
    if (expired) {
      a.dedup_key = "suppression/" + s.id + "/expired";
      a.name = "SuppressionExpired";
      a.urgency = Urgency::kTicket;
      a.starts_at = s.expires;
      a.summary = fmt::format(
          "accepted risk {} expired at {}: what it silenced alerts again; renew it (with an "
          "approver) or fix",
          s.id, FormatTime(s.expires));
      a.rank = 400;
    } else {
      a.dedup_key = "suppression/" + s.id + "/expiring";
      a.name = "SuppressionExpiring";
      a.urgency = Urgency::kDigest;
      a.summary = fmt::format("accepted risk {} expires in {}", s.id, FormatDuration(s.expires - now));
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace secbudget
