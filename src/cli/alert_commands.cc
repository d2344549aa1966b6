// `alerts ...` and `suppressions ...`: rendering of the alert service's
// results (alert/service.h). No decisions are made here.
#include "cli/alert_commands.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "alert/vex.h"
#include "cli/session.h"
#include "common/file.h"
#include "common/strings.h"

namespace secbudget::cli {

namespace {

using nlohmann::json;

struct AlertArgs {
  bool no_deliver = false;
  std::string since = "7d";
  std::string team;
  std::string at;
  std::string state;
  std::string group;
  std::string id;
  // import-vex
  std::string file, owner, approver, expires, out;
};

// A duration from `now` (7d, forwards or backwards by `sign`) or a time.
Result<TimePoint> OffsetOrTime(const std::string& text, TimePoint now, int sign, const char* flag) {
  if (auto d = ParseDuration(text); d.ok()) return now + sign * *d;
  if (auto t = ParseTime(text); t.ok()) return *t;
  return Status::InvalidArgument(fmt::format("{} \"{}\": a duration (7d) or a time", flag, text));
}

json DeliveryJson(const DeliveryReport& r) {
  json j{{"sent", r.sent}, {"failed", r.failed}, {"dead", r.dead}, {"waiting", r.waiting}};
  if (r.next_attempt) j["next_attempt"] = FormatTime(*r.next_attempt);
  return j;
}

std::string DeliveryLine(const DeliveryReport& r) {
  std::string line =
      fmt::format("delivered {}, failed {} (will retry), dead {}, waiting {}", r.sent, r.failed, r.dead, r.waiting);
  if (r.next_attempt) line += ", next attempt " + FormatTime(*r.next_attempt);
  return line;
}

json AuditJson(const AuditEvent& e) {
  return json{{"seq", e.seq},       {"at", FormatTime(e.at)}, {"object", e.object},
              {"action", e.action}, {"actor", e.actor},       {"detail", json::parse(e.detail, nullptr, false)}};
}

int Run(const GlobalOptions& g, const AlertArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  const TimePoint now = s->clock->Now();
  // Alerts the severity policy's triggers match become incidents.
  std::vector<Alert> triggering;
  s->alerts->on_fire = [&](const Alert& al) {
    if (s->incidents->TriggerFor(al) != nullptr) triggering.push_back(al);
  };
  auto r = s->alerts->Run(now, !a.no_deliver);
  if (!r.ok()) return ReportError(g, r.status());
  json declared = json::array();
  auto incidents = s->incidents->FromAlerts(triggering, now);
  if (!incidents.ok()) return ReportError(g, incidents.status());
  for (const auto& inc : *incidents) {
    declared.push_back({{"id", inc.id}, {"severity", inc.severity}, {"title", inc.title}});
  }
  json j{{"at", FormatTime(r->at)},   {"incidents_declared", declared},    {"firing", r->firing_by_source},
         {"decisions", r->decisions}, {"notifications", r->notifications}, {"enqueued", r->enqueued}};
  json audit = json::array();
  for (const AuditEvent& e : r->audit) audit.push_back(AuditJson(e));
  j["audit"] = audit;
  if (r->delivery) j["delivery"] = DeliveryJson(*r->delivery);
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, j);
    return kExitOk;
  }
  std::cout << fmt::format("alerts evaluated at {}\n", FormatTime(r->at));
  for (const auto& [source, n] : r->firing_by_source) std::cout << fmt::format("  {:<12} {} firing\n", source, n);
  std::cout << "decisions recorded:";
  if (r->decisions.empty()) std::cout << " none (nothing changed)";
  for (const auto& [o, n] : r->decisions) std::cout << fmt::format(" {} {};", o, n);
  std::cout << fmt::format("\nnotifications {}, outbox entries {}\n", r->notifications, r->enqueued);
  for (const AuditEvent& e : r->audit) std::cout << fmt::format("audit: {} {} by {}\n", e.object, e.action, e.actor);
  if (r->delivery) std::cout << DeliveryLine(*r->delivery) << "\n";
  for (const auto& d : declared) {
    std::cout << fmt::format("declared incident {} [{}] {}\n", d["id"].get<std::string>(),
                             d["severity"].get<std::string>(), d["title"].get<std::string>());
  }
  return kExitOk;
}

int Deliver(const GlobalOptions& g) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  auto r = s->alerts->Deliver(s->clock->Now());
  if (!r.ok()) return ReportError(g, r.status());
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, DeliveryJson(*r));
  } else {
    std::cout << DeliveryLine(*r) << "\n";
  }
  return kExitOk;
}

int List(const GlobalOptions& g, const AlertArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  std::vector<StateRow> rows;
  if (Status st = s->db->LoadAlertState(&rows); !st.ok()) return ReportError(g, st);
  Table t{{"alert", "team", "urgency", "state", "decision", "since", "summary"}, {}, {}};
  json out = json::array();
  for (const StateRow& r : rows) {
    if (r.kind != "alert") continue;
    const json j = json::parse(r.body, nullptr, false);
    if (!j.is_object()) continue;
    if (!a.team.empty() && j.value("team", "") != a.team) continue;
    const bool firing = j.value("resolved_at", TimePoint{0}) == 0;
    t.rows.push_back({r.key, j.value("team", ""), j.value("urgency", ""), firing ? "firing" : "resolved",
                      j.value("outcome", ""), FormatTime(j.value("episode", TimePoint{0})),
                      Ellipsize(j.value("summary", ""), 70)});
    json item = j;
    item["dedup_key"] = r.key;
    out.push_back(item);
  }
  Emit(g, t, out);
  return kExitOk;
}

int Report(const GlobalOptions& g, const AlertArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  const TimePoint now = s->clock->Now();
  auto from = OffsetOrTime(a.since, now, -1, "--since");
  if (!from.ok()) return ReportError(g, from.status());
  auto r = s->alerts->Report(*from, now + 1);
  if (!r.ok()) return ReportError(g, r.status());
  const std::vector<std::string> outcomes = {"paged",     "ticketed",   "grouped", "digested",       "shed",
                                             "inhibited", "suppressed", "pending", "resolved_unsent"};
  Table t{{"team", "raw", "interruptions", "removed"}, {}, {}};
  for (const auto& o : outcomes) t.header.push_back(o);
  json out{{"since", FormatTime(r->since)}, {"until", FormatTime(r->until - 1)}, {"teams", json::array()}};
  std::vector<NoiseRow> rows = r->teams;
  rows.push_back(r->total);
  for (const NoiseRow& row : rows) {
    const double removed = row.raw == 0 ? 0 : 1.0 - static_cast<double>(row.interruptions) / row.raw;
    std::vector<std::string> cells = {row.team, std::to_string(row.raw), std::to_string(row.interruptions),
                                      fmt::format("{:.1f}%", removed * 100)};
    json counts = json::object();
    for (const auto& o : outcomes) {
      const auto it = row.by_outcome.find(o);
      const std::size_t n = it == row.by_outcome.end() ? 0 : it->second;
      cells.push_back(std::to_string(n));
      counts[o] = n;
    }
    t.rows.push_back(std::move(cells));
    json item{{"team", row.team},   {"raw", row.raw},           {"interruptions", row.interruptions},
              {"pages", row.pages}, {"noise_removed", removed}, {"by_reason", counts}};
    if (&row == &rows.back()) {
      out["total"] = item;
    } else {
      out["teams"].push_back(item);
    }
  }
  if (g.output == OutputFormat::kTable) {
    std::cout << fmt::format(
        "alerts from {} to {}: raw = alert episodes; interruptions = notifications a human "
        "opened (paged + ticketed)\n",
        FormatTime(r->since), FormatTime(r->until - 1));
  }
  Emit(g, t, out);
  return kExitOk;
}

int DigestCmd(const GlobalOptions& g, const AlertArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  auto at = AtOr(a.at, *s, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  auto d = s->alerts->TeamDigest(a.team, *at);
  if (!d.ok()) return ReportError(g, d.status());
  if (g.output == OutputFormat::kJson) {
    json items = json::array();
    for (const DigestItem& i : d->items) {
      items.push_back({{"at", FormatTime(i.at)},
                       {"dedup_key", i.dedup_key},
                       {"name", i.name},
                       {"source", i.source},
                       {"outcome", i.outcome},
                       {"reason", i.reason},
                       {"summary", i.summary},
                       {"rank", i.rank}});
    }
    PrintJson(std::cout, json{{"team", d->team},
                              {"shift_start", FormatTime(d->shift_start)},
                              {"shift_end", FormatTime(d->shift_end)},
                              {"counts", d->counts},
                              {"items", items},
                              {"expiring_suppressions", d->expiring}});
  } else {
    std::cout << DigestMarkdown(*d);
  }
  return kExitOk;
}

int Outbox(const GlobalOptions& g, const AlertArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  std::optional<OutboxState> state;
  if (!a.state.empty()) {
    state = ParseOutboxState(a.state);
    if (!state) return ReportError(g, Status::InvalidArgument("--state: pending, delivered or dead"));
  }
  std::vector<OutboxEntry> entries;
  if (Status st = s->db->ListOutbox(state, &entries); !st.ok()) return ReportError(g, st);
  Table t{{"id", "receiver", "kind", "state", "attempts", "created", "next attempt", "last error"}, {}, {}};
  json out = json::array();
  for (const OutboxEntry& e : entries) {
    t.rows.push_back({std::to_string(e.id), e.receiver, e.kind, std::string(Name(e.state)), std::to_string(e.attempts),
                      FormatTime(e.created_at), e.state == OutboxState::kPending ? FormatTime(e.next_attempt_at) : "",
                      Ellipsize(e.last_error, 60)});
    out.push_back({{"id", e.id},
                   {"idempotency_key", e.idempotency_key},
                   {"receiver", e.receiver},
                   {"kind", e.kind},
                   {"state", Name(e.state)},
                   {"attempts", e.attempts},
                   {"created_at", FormatTime(e.created_at)},
                   {"next_attempt_at", FormatTime(e.next_attempt_at)},
                   {"delivered_at", e.delivered_at != 0 ? FormatTime(e.delivered_at) : ""},
                   {"last_error", e.last_error},
                   {"body", json::parse(e.body, nullptr, false)}});
  }
  Emit(g, t, out);
  return kExitOk;
}

int PagerDuty(const GlobalOptions& g, const AlertArgs& a, std::string_view action) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  if (Status st = s->alerts->PagerDutyAction(a.group, action, s->clock->Now()); !st.ok()) return ReportError(g, st);
  std::cout << fmt::format("{} queued for {}; `secbudget alerts deliver` sends it\n", action, a.group);
  return kExitOk;
}

int Review(const GlobalOptions& g, const AlertArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  std::vector<AuditEvent> audit;
  auto r = s->alerts->Review(s->clock->Now(), &audit);
  if (!r.ok()) return ReportError(g, r.status());
  Table t{{"owner", "suppression", "state", "expires", "hits", "last hit", "stale", "approver", "reason"}, {}, {}};
  json out{{"at", FormatTime(r->at)}, {"suppressions", json::array()}, {"audit", json::array()}};
  for (const SuppressionReviewRow& row : r->rows) {
    const Suppression& sp = *row.suppression;
    if (!a.owner.empty() && sp.owner != a.owner) continue;
    t.rows.push_back({sp.owner, sp.id, row.state, FormatTime(sp.expires), std::to_string(row.hits),
                      row.last_hit != 0 ? FormatTime(row.last_hit) : "never", row.stale ? "yes" : "", sp.approver,
                      Ellipsize(sp.reason, 50)});
    out["suppressions"].push_back({{"id", sp.id},
                                   {"owner", sp.owner},
                                   {"approver", sp.approver},
                                   {"state", row.state},
                                   {"created", FormatTime(sp.created)},
                                   {"expires", FormatTime(sp.expires)},
                                   {"hits", row.hits},
                                   {"last_hit", row.last_hit != 0 ? FormatTime(row.last_hit) : ""},
                                   {"stale", row.stale},
                                   {"reason", sp.reason},
                                   {"compensating_control", sp.compensating_control},
                                   {"origin", sp.origin},
                                   {"source", sp.source}});
  }
  for (const AuditEvent& e : audit) out["audit"].push_back(AuditJson(e));
  if (g.output == OutputFormat::kTable) {
    for (const AuditEvent& e : audit) std::cout << fmt::format("audit: {} {} by {}\n", e.object, e.action, e.actor);
  }
  Emit(g, t, out);
  return kExitOk;
}

int Audit(const GlobalOptions& g, const AlertArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  std::vector<AuditEvent> events;
  const std::string prefix = a.id.empty() ? "suppression/" : "suppression/" + a.id;
  if (Status st = s->db->ListAudit(prefix, &events); !st.ok()) return ReportError(g, st);
  Table t{{"seq", "at", "object", "action", "actor"}, {}, {}};
  json out = json::array();
  for (const AuditEvent& e : events) {
    t.rows.push_back({std::to_string(e.seq), FormatTime(e.at), e.object, e.action, e.actor});
    out.push_back(AuditJson(e));
  }
  Emit(g, t, out);
  return kExitOk;
}

int ImportVexCmd(const GlobalOptions& g, const AlertArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  const TimePoint now = s->clock->Now();
  VexImportOptions o;
  o.owner = a.owner;
  o.approver = a.approver;
  o.created = now;
  auto expires = OffsetOrTime(a.expires, now, +1, "--expires");
  if (!expires.ok()) return ReportError(g, expires.status());
  o.expires = *expires;
  auto bytes = ReadFile(a.file);
  if (!bytes.ok()) return ReportError(g, bytes.status());
  auto imported = ImportVex(*bytes, a.file, o);
  if (!imported.ok()) return ReportError(g, imported.status());
  const std::string yaml = SuppressionsToYaml(
      imported->suppressions,
      fmt::format("Imported from {} ({} {}) at {}: {} statement(s), {} suppression(s).", a.file, imported->format,
                  imported->document_id, FormatTime(now), imported->statements, imported->suppressions.size()));
  // Write whole or not at all: a temporary file renamed into place.
  const std::string tmp = a.out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << yaml;
    if (!f) return ReportError(g, Status::IoError(fmt::format("{}: cannot write", tmp)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, a.out, ec);
  if (ec) return ReportError(g, Status::IoError(fmt::format("{}: {}", a.out, ec.message())));
  for (const Suppression& sp : imported->suppressions) {
    AuditEvent e{0,
                 now,
                 "suppression/" + sp.id,
                 "imported",
                 a.approver,
                 json{{"file", a.file},
                      {"format", imported->format},
                      {"document", imported->document_id},
                      {"written_to", a.out},
                      {"origin", sp.origin}}
                     .dump()};
    if (Status st = s->db->AppendAudit(&e); !st.ok()) return ReportError(g, st);
  }
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, json{{"format", imported->format},
                              {"document", imported->document_id},
                              {"statements", imported->statements},
                              {"suppressions", imported->suppressions.size()},
                              {"skipped", imported->skipped},
                              {"written_to", a.out}});
  } else {
    std::cout << fmt::format("{} ({}): {} statement(s) read, {} suppression(s) written to {}\n", a.file,
                             imported->format, imported->statements, imported->suppressions.size(), a.out);
    for (const std::string& line : imported->skipped) std::cout << "  skipped: " << line << "\n";
  }
  return kExitOk;
}

}  // namespace

std::function<std::optional<int>(const GlobalOptions&)> AddAlertCommands(CLI::App& app,
                                                                         std::vector<CLI::App*>* leaves) {
  auto args = std::make_shared<AlertArgs>();
  auto* alerts = app.add_subcommand("alerts", "alerting: evaluate, deliver, report noise, team digests");
  alerts->require_subcommand(1);
  alerts->fallthrough();
  alerts->footer(R"(
Every condition (new P1/P2 findings, deadlines, SLO burn, closed gates,
expiring accepted risk) becomes an alert; routes, grouping, inhibition,
suppressions and each team's page budget decide what reaches people, and
every decision is recorded with its reason (docs/alerting.md).)");
  auto* run = alerts->add_subcommand("run", "evaluate every alert source now, record decisions, deliver");
  run->add_flag("--no-deliver", args->no_deliver, "only enqueue; `alerts deliver` sends later");
  run->footer("\nExamples:\n  secbudget alerts run\n  secbudget --now 2026-11-20T09:00:00Z alerts run -o json");
  auto* deliver = alerts->add_subcommand("deliver", "send what the outbox has due (retries with backoff)");
  auto* list = alerts->add_subcommand("list", "alerts the engine holds: firing or awaiting resolution");
  list->add_option("--team", args->team, "only this team");
  auto* report = alerts->add_subcommand("report", "raw versus delivered alerts per team and reason");
  report->add_option("--since", args->since, "a duration back from now (default 7d) or a time");
  report->footer("\nExamples:\n  secbudget alerts report --since 7d\n  secbudget alerts report --since 30d -o json");
  auto* digest = alerts->add_subcommand("digest", "a team's digest for the shift (Markdown; JSON with -o json)");
  digest->add_option("--team", args->team, "the team")->required();
  digest->add_option("--at", args->at, "a time inside the shift (default: now)");
  digest->footer(
      "\nExamples:\n  secbudget alerts digest --team payments > digest.md\n"
      "  secbudget alerts digest --team payments -o json");
  auto* outbox = alerts->add_subcommand("outbox", "notifications waiting, delivered or dead");
  outbox->add_option("--state", args->state, "pending, delivered or dead");
  auto* ack = alerts->add_subcommand("ack", "acknowledge a group's PagerDuty incident");
  ack->add_option("group", args->group, "the group key (alerts list -o json shows it)")->required();
  auto* resolve = alerts->add_subcommand("resolve", "resolve a group's PagerDuty incident");
  resolve->add_option("group", args->group, "the group key")->required();

  auto* sup = app.add_subcommand("suppressions", "accepted risk: review, audit trail, VEX import");
  sup->require_subcommand(1);
  sup->fallthrough();
  auto* review = sup->add_subcommand("review", "expiring soon, expired, never matched (stale), hit counts, by owner");
  review->add_option("--owner", args->owner, "only this owner");
  review->footer(
      "\nExamples:\n  secbudget --policy policy/ suppressions review\n"
      "  secbudget suppressions review -o json | jq '.suppressions[] | select(.stale)'");
  auto* audit = sup->add_subcommand("audit", "every creation, change, expiry and import");
  audit->add_option("--id", args->id, "one suppression");
  auto* vex =
      sup->add_subcommand("import-vex", "turn OpenVEX / CycloneDX VEX not_affected statements into suppressions");
  vex->add_option("file", args->file, "the VEX document")->required();
  vex->add_option("--owner", args->owner, "who answers for the accepted risk")->required();
  vex->add_option("--approver", args->approver, "who approved it")->required();
  vex->add_option("--expires", args->expires, "a duration from now (90d) or a time")->required();
  vex->add_option("--out", args->out, "the suppression YAML to write (in the policy directory)")->required();
  vex->footer(
      "\nExample:\n  secbudget suppressions import-vex vendor.openvex.json --owner payments \\\n"
      "      --approver ciso@acme.example --expires 90d --out policy/vex-vendor.yaml");

  for (CLI::App* c : {run, deliver, list, report, digest, outbox, ack, resolve, review, audit, vex}) {
    c->fallthrough();
    leaves->push_back(c);
  }
  return [=](const GlobalOptions& g) -> std::optional<int> {
    if (*run) return Run(g, *args);
    if (*deliver) return Deliver(g);
    if (*list) return List(g, *args);
    if (*report) return Report(g, *args);
    if (*digest) return DigestCmd(g, *args);
    if (*outbox) return Outbox(g, *args);
    if (*ack) return PagerDuty(g, *args, "acknowledge");
    if (*resolve) return PagerDuty(g, *args, "resolve");
    if (*review) return Review(g, *args);
    if (*audit) return Audit(g, *args);
    if (*vex) return ImportVexCmd(g, *args);
    return std::nullopt;
  };
}

}  // namespace secbudget::cli
