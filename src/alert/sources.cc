#include "alert/sources.h"

#include <fmt/format.h>

#include <iterator>
#include <map>

#include "common/hash.h"
#include "common/strings.h"

namespace secbudget {

namespace {

std::string Subject(const FindingRecord& f) {
  const std::string what = !f.vuln_id.empty() ? f.vuln_id : !f.rule_id.empty() ? f.rule_id : f.title;
  std::string where = f.package.empty() ? "" : fmt::format(" in {} {}", f.package, f.installed_version);
  if (!f.artifact.empty()) where += fmt::format(" ({})", f.artifact);
  return what + where;
}

}  // namespace

// Built whole (Labels::Assign: one block, one sort, or the name order of the
// last finding of the same shape), with room for the labels Fire derives.
Labels FindingLabels(const FindingRecord& f) {
  const std::string finding = HexId(f.id), aliases = Join(f.aliases, " ");
  const Labels::value_type all[] = {
      {"finding", finding},
      {"vulnerability", f.vuln_id},
      {"aliases", aliases},
      {"package", f.package},
      {"version", f.installed_version},
      {"ecosystem", f.ecosystem},
      {"artifact", f.artifact},
      {"kind", Name(f.kind)},
      {"severity", Name(f.severity)},
      {"priority", Name(f.priority)},
      {"rule", f.rule_id},
      {"asset", f.asset_id},
      {"service", f.service},
      {"team", f.team},
      {"environment", Name(f.environment)},
      {"layer", Name(f.layer)},
  };
  Labels::value_type present[std::size(all)];
  std::size_t n = 0;
  for (const Labels::value_type& e : all) {
    if (!e.second.empty()) present[n++] = e;  // an empty value is no label
  }
  Labels l;
  l.Assign(present, n, 4);
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
    const Labels labels = FindingLabels(f);  // shared by the finding's alerts until one changes
    const std::string score = fmt::format("{:.1f}", f.score), due_at = FormatTime(f.due_at),
                      first_seen = FormatTime(f.first_seen);
    const Labels::value_type notes[] = {
        {"score", score}, {"due_at", due_at}, {"first_seen", first_seen}, {"title", f.title}};
    auto make = [&](std::string name, std::string key, Urgency u, std::string summary) {
      Alert a;
      a.dedup_key = std::move(key);
      a.source = "triage";
      a.name = std::move(name);
      a.urgency = u;
      a.owner = f.team;
      a.summary = std::move(summary);
      a.starts_at = 0;
      a.labels = labels;
      a.annotations.Assign(notes, f.title.empty() ? 3 : 4, 1);  // room for the summary Fire adds
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
