// `oncall` and `incident`: rendering of the roster and of the incident
// service's results (incident/). No incident logic lives here.
#include "cli/incident_commands.h"

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

#include "cli/session.h"
#include "common/file.h"
#include "common/strings.h"

namespace secbudget::cli {

namespace {

using incident::Incident;
using nlohmann::json;

struct IncidentArgs {
  std::string id, at, by, title, severity, commander, detected, started, impact, text, kind, to, reason, role, member,
      owner, due, summary, audience, write, from, to_time, ics, term;
  std::vector<std::string> scope, words;
  bool breach = false, drill = false, is_public = false, publish = false, all = false;
};

// Who is acting: --by, else $SECBUDGET_USER, else $USER.
std::string Actor(const IncidentArgs& a) {
  if (!a.by.empty()) return a.by;
  for (const char* name : {"SECBUDGET_USER", "USER"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return "unknown";
}

constexpr std::string_view kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
std::string LocalDate(std::int64_t day) {
  return fmt::format("{} {}", FormatDate(day * kDay), kWeekdays[static_cast<std::size_t>(((day % 7) + 11) % 7)]);
}

json SlotJson(const incident::Roster& r, const incident::DutySlot& s) {
  json j{{"date", FormatDate(s.day * kDay)},
         {"start", FormatTime(s.start)},
         {"end", FormatTime(s.end)},
         {"member", s.member},
         {"assigned", s.assigned},
         {"term", s.term},
         {"reason", s.reason}};
  if (const auto* m = r.FindMember(s.member)) {
    if (!m->email.empty()) j["email"] = m->email;
    if (!m->phone.empty()) j["phone"] = m->phone;
  }
  return j;
}

// A session whose policy directory has an OnCallRoster.
Result<Session> OpenRosterSession(const GlobalOptions& g) {
  SB_ASSIGN_OR_RETURN(Session s, OpenSession(g));
  if (!s.roster) {
    return Status::NotFound("the policy directory has no OnCallRoster (see docs/incidents.md; --policy DIR)");
  }
  return s;
}

int OncallWho(const GlobalOptions& g, const IncidentArgs& a) {
  auto s = OpenRosterSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  const incident::Roster& roster = *s->roster;
  auto at = AtOr(a.at, *s, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  const auto slot = roster.Who(*at);
  const std::string& leader = roster.leader;
  if (g.output == OutputFormat::kJson) {
    json j{{"at", FormatTime(*at)}, {"leader", leader}, {"on_duty", nullptr}};
    if (slot) j["on_duty"] = SlotJson(roster, *slot);
    PrintJson(std::cout, j);
    return slot ? kExitOk : kExitInput;
  }
  if (!slot) {
    std::cout << fmt::format("nobody is on duty at {} (no term covers it); leader: {}\n", FormatTime(*at),
                             leader.empty() ? "none" : leader);
    return kExitInput;
  }
  std::cout << fmt::format("{} is on duty at {}\n", slot->member, FormatTime(*at));
  std::cout << fmt::format("  duty {} → {} ({}, term {})\n", FormatTime(slot->start), FormatTime(slot->end),
                           slot->reason, slot->term);
  if (const auto* m = roster.FindMember(slot->member)) {
    if (!m->email.empty() || !m->phone.empty()) {
      std::cout << fmt::format("  contact: {}{}{}\n", m->email, !m->email.empty() && !m->phone.empty() ? ", " : "",
                               m->phone);
    }
  }
  if (!leader.empty()) std::cout << fmt::format("  leader (never on duty): {}\n", leader);
  return kExitOk;
}

int OncallSchedule(const GlobalOptions& g, const IncidentArgs& a) {
  auto s = OpenRosterSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  const incident::Roster& roster = *s->roster;
  auto from = AtOr(a.from, *s, "--from");
  if (!from.ok()) return ReportError(g, from.status());
  TimePoint to = *from + 14 * kDay;
  if (!a.to_time.empty()) {
    auto t = ParseTime(a.to_time);
    if (!t.ok()) return ReportError(g, Status::InvalidArgument("--to: " + std::string(t.status().message())));
    to = *t;
  }
  if (to <= *from) return ReportError(g, Status::InvalidArgument("--to must be after --from"));
  const auto slots = roster.Schedule(*from, to);
  if (!a.ics.empty()) {
    const std::string ics = incident::ToICalendar(roster, slots);
    if (a.ics == "-") {
      std::cout << ics;
      return kExitOk;
    }
    if (Status st = WriteFileAtomic(a.ics, ics); !st.ok()) return ReportError(g, st);
    if (!g.quiet) std::cerr << fmt::format("wrote {} duty slot(s) to {}\n", slots.size(), a.ics);
    return kExitOk;
  }
  Table t{{"DATE", "ON DUTY", "ASSIGNED", "TERM", "FROM (UTC)", "UNTIL (UTC)", "WHY"}, {}, {6}};
  json out = json::array();
  for (const auto& slot : slots) {
    t.rows.push_back({LocalDate(slot.day), slot.member, slot.assigned == slot.member ? "" : slot.assigned, slot.term,
                      FormatTime(slot.start), FormatTime(slot.end), slot.reason});
    out.push_back(SlotJson(roster, slot));
  }
  Emit(g, t, out);
  return kExitOk;
}

int OncallFairness(const GlobalOptions& g, const IncidentArgs& a) {
  auto s = OpenRosterSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  const incident::Roster& roster = *s->roster;
  Table t{{"TERM", "MEMBER", "ASSIGNED", "SERVED", "OVERRIDES TAKEN", "GIVEN AWAY"}, {}, {}};
  json out = json::array();
  for (const auto& row : roster.Fairness()) {
    if (!a.term.empty() && row.term != a.term) continue;
    t.rows.push_back({row.term, row.member, std::to_string(row.assigned), std::to_string(row.served),
                      std::to_string(row.overrides_taken), std::to_string(row.given_away)});
    out.push_back({{"term", row.term},
                   {"member", row.member},
                   {"assigned", row.assigned},
                   {"served", row.served},
                   {"overrides_taken", row.overrides_taken},
                   {"given_away", row.given_away}});
  }
  Emit(g, t, out);
  return kExitOk;
}

// ---- incidents ----

std::string Opt(const std::optional<TimePoint>& t) { return t ? FormatTime(*t) : "-"; }

void PrintIncident(const Incident& inc, const json& ctx) {
  std::cout << fmt::format("{} [{}] {} — {}{}{}\n", inc.id, inc.severity, SanitizeForTerminal(inc.title),
                           Name(inc.status), inc.drill ? " (DRILL)" : "",
                           inc.breach ? fmt::format(" (BREACH: {})", ctx["breach_scope"].get<std::string>()) : "");
  std::cout << fmt::format("  commander: {} ({})\n", ctx["commander"].get<std::string>(),
                           ctx["commander_class"].get<std::string>());
  for (const auto& r : ctx["roles"]) {
    if (r["role"] == "commander") continue;
    std::cout << fmt::format("  {}: {}\n", r["role"].get<std::string>(), r["members"].get<std::string>());
  }
  std::cout << fmt::format("  detected {} · declared {} · acknowledged {} · mitigated {} · resolved {}\n",
                           FormatTime(inc.detected), FormatTime(inc.declared), Opt(inc.acknowledged),
                           Opt(inc.mitigated), Opt(inc.resolved));
  if (inc.open()) {
    std::cout << fmt::format("  next status update: {}{}\n", ctx["next_update"].get<std::string>(),
                             ctx["update_overdue"].get<bool>() ? " (OVERDUE)" : "");
  }
  std::cout << "\ntimeline:\n";
  for (const auto& e : inc.timeline) {
    std::cout << fmt::format("  {}  {:<19} {:<10} {}{}\n", FormatTime(e.at), Name(e.kind), SanitizeForTerminal(e.by),
                             SanitizeForTerminal(e.text), e.IsPublic() ? " [public]" : "");
  }
}

// Runs `op` on the session's incident service and prints the incident.
int Change(const GlobalOptions& g, const IncidentArgs& a,
           const std::function<Result<Incident>(incident::IncidentService&, TimePoint)>& op) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  auto at = AtOr(a.at, *s, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  auto before = s->incidents->Get(a.id);
  if (!before.ok()) return ReportError(g, before.status());
  auto r = op(*s->incidents, *at);
  if (!r.ok()) return ReportError(g, r.status());
  const json ctx = s->incidents->Context(*r, *at);
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, ctx);
  } else if (!g.quiet) {
    // Every entry this command appended (a severity change may pass command too).
    for (std::size_t i = before->timeline.size(); i < r->timeline.size(); ++i) {
      const auto& e = r->timeline[i];
      std::cout << fmt::format("{} [{}] {}: {}\n", r->id, r->severity, Name(e.kind), SanitizeForTerminal(e.text));
    }
  }
  return kExitOk;
}

Result<std::optional<TimePoint>> OptionalTime(const std::string& text, const char* flag) {
  if (text.empty()) return std::optional<TimePoint>();
  auto t = ParseTime(text);
  if (!t.ok()) return Status::InvalidArgument(fmt::format("{}: {}", flag, t.status().message()));
  return std::optional<TimePoint>(*t);
}

int Declare(const GlobalOptions& g, const IncidentArgs& a) {
  auto scope = ParseScope(a.scope);
  if (!scope.ok()) return ReportError(g, scope.status());
  auto detected = OptionalTime(a.detected, "--detected");
  if (!detected.ok()) return ReportError(g, detected.status());
  auto started = OptionalTime(a.started, "--started");
  if (!started.ok()) return ReportError(g, started.status());
  incident::DeclareRequest r;
  r.title = a.title;
  r.severity = a.severity;
  r.by = Actor(a);
  r.commander = a.commander;
  r.drill = a.drill;
  r.breach = a.breach;
  r.team = scope->team;
  r.service = scope->service;
  r.environment = scope->environment;
  r.detected = *detected;
  r.started = *started;
  r.impact = a.impact;
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  auto at = AtOr(a.at, *s, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  auto inc = s->incidents->Declare(r, *at);
  if (!inc.ok()) return ReportError(g, inc.status());
  const json ctx = s->incidents->Context(*inc, *at);
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, ctx);
    return kExitOk;
  }
  std::cout << fmt::format("declared {} [{}] {}\n", inc->id, inc->severity, SanitizeForTerminal(inc->title));
  for (const auto& e : inc->timeline) {
    if (e.kind == incident::EntryKind::kCommandHandoff) std::cout << "  " << e.text << "\n";
  }
  if (const auto* level = s->severity->Find(inc->severity)) {
    if (!level->roles.empty()) std::cout << fmt::format("  roles to fill: {}\n", Join(level->roles, ", "));
    if (!level->teams.empty()) std::cout << fmt::format("  teams to pull in: {}\n", Join(level->teams, ", "));
    if (!level->notify.empty()) std::cout << fmt::format("  notify: {}\n", Join(level->notify, ", "));
  }
  std::cout << fmt::format("  next status update: {}\n", ctx["next_update"].get<std::string>());
  if (inc->breach) {
    std::cout << fmt::format("  breach: the error budget of {} is at zero until {} is resolved\n",
                             ctx["breach_scope"].get<std::string>(), inc->id);
  }
  return kExitOk;
}

int List(const GlobalOptions& g, const IncidentArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  auto at = AtOr(a.at, *s, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  auto incidents = s->incidents->List();
  if (!incidents.ok()) return ReportError(g, incidents.status());
  Table t{{"ID", "SEV", "STATUS", "COMMANDER", "DECLARED", "NEXT UPDATE", "TITLE"}, {}, {6}};
  json out = json::array();
  for (const auto& inc : *incidents) {
    if (!a.all && !inc.open()) continue;
    const json ctx = s->incidents->Context(inc, *at);
    std::string next = inc.open() ? ctx["next_update"].get<std::string>() : "";
    if (ctx["update_overdue"].get<bool>()) next += " OVERDUE";
    t.rows.push_back({inc.id, inc.severity, std::string(Name(inc.status)) + (inc.drill ? " (drill)" : ""),
                      inc.commander, FormatTime(inc.declared), next, SanitizeForTerminal(inc.title)});
    out.push_back({{"id", inc.id},
                   {"severity", inc.severity},
                   {"status", Name(inc.status)},
                   {"drill", inc.drill},
                   {"breach", inc.breach},
                   {"commander", inc.commander},
                   {"declared", FormatTime(inc.declared)},
                   {"next_update", ctx["next_update"]},
                   {"update_overdue", ctx["update_overdue"]},
                   {"title", inc.title}});
  }
  Emit(g, t, out);
  return kExitOk;
}

int Show(const GlobalOptions& g, const IncidentArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  auto at = AtOr(a.at, *s, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  auto inc = s->incidents->Get(a.id);
  if (!inc.ok()) return ReportError(g, inc.status());
  const json ctx = s->incidents->Context(*inc, *at);
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, ctx);
  } else {
    PrintIncident(*inc, ctx);
  }
  return kExitOk;
}

int Render(const GlobalOptions& g, const IncidentArgs& a, bool postmortem) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  auto at = AtOr(a.at, *s, "--at");
  if (!at.ok()) return ReportError(g, at.status());
  Result<std::string> text = std::string();
  if (postmortem) {
    text = s->incidents->Postmortem(a.id, *at);
  } else {
    auto audience = incident::ParseAudience(a.audience);
    if (!audience) {
      return ReportError(
          g, Status::InvalidArgument(fmt::format("--audience \"{}\": engineering, executives or press", a.audience)));
    }
    text = s->incidents->StatusUpdate(a.id, *audience, *at, a.publish, Actor(a));
  }
  if (!text.ok()) return ReportError(g, text.status());
  if (!a.write.empty()) {
    if (Status st = WriteFileAtomic(a.write, *text); !st.ok()) return ReportError(g, st);
    if (!g.quiet) std::cerr << "wrote " << a.write << "\n";
    return kExitOk;
  }
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, json{{"id", a.id}, {"markdown", *text}});
  } else {
    std::cout << *text;
  }
  return kExitOk;
}

json MetricsRow(const incident::Metrics::Row& r) {
  const auto d = [](const std::optional<Duration>& v) { return v ? json(*v) : json(nullptr); };
  return {{"key", r.key},
          {"incidents", r.incidents},
          {"acknowledged", r.acknowledged},
          {"resolved", r.resolved},
          {"mtta_seconds", d(r.mtta)},
          {"mttm_seconds", d(r.mttm)},
          {"mttr_seconds", d(r.mttr)}};
}

int MetricsCmd(const GlobalOptions& g, const IncidentArgs& a) {
  auto s = OpenSession(g);
  if (!s.ok()) return ReportError(g, s.status());
  auto to = AtOr(a.to_time, *s, "--to");
  if (!to.ok()) return ReportError(g, to.status());
  TimePoint from = 0;
  if (!a.from.empty()) {
    auto f = ParseTime(a.from);
    if (!f.ok()) return ReportError(g, Status::InvalidArgument("--from: " + std::string(f.status().message())));
    from = *f;
  }
  auto m = s->incidents->ComputeMetrics(from, *to + 1);
  if (!m.ok()) return ReportError(g, m.status());
  if (g.output == OutputFormat::kJson) {
    json sev = json::array(), q = json::array();
    for (const auto& r : m->by_severity) sev.push_back(MetricsRow(r));
    for (const auto& r : m->by_quarter) q.push_back(MetricsRow(r));
    PrintJson(std::cout, json{{"from", FormatTime(m->from)},
                              {"to", FormatTime(*to)},
                              {"by_severity", sev},
                              {"by_quarter", q},
                              {"total", MetricsRow(m->total)},
                              {"drills_excluded", m->drills_excluded}});
    return kExitOk;
  }
  const auto dur = [](const std::optional<Duration>& v) { return v ? FormatDuration(*v) : std::string("-"); };
  Table t{{"GROUP", "INCIDENTS", "ACKED", "RESOLVED", "MTTA", "MTTM", "MTTR"}, {}, {}};
  const auto add = [&](const std::string& prefix, const incident::Metrics::Row& r) {
    t.rows.push_back({prefix + r.key, std::to_string(r.incidents), std::to_string(r.acknowledged),
                      std::to_string(r.resolved), dur(r.mtta), dur(r.mttm), dur(r.mttr)});
  };
  for (const auto& r : m->by_severity) add("severity ", r);
  for (const auto& r : m->by_quarter) add("quarter ", r);
  add("", m->total);
  Emit(g, t, json());
  if (g.output == OutputFormat::kTable) {
    std::cout << fmt::format("{} drill incident(s) excluded; times from detection\n", m->drills_excluded);
  }
  return kExitOk;
}

}  // namespace

std::function<std::optional<int>(const GlobalOptions&)> AddIncidentCommands(CLI::App& app,
                                                                            std::vector<CLI::App*>* leaves) {
  auto args = std::make_shared<IncidentArgs>();
  IncidentArgs* x = args.get();

  auto* oncall = app.add_subcommand("oncall", "the on-call roster: who is on duty, the schedule, fairness");
  oncall->require_subcommand(1);
  oncall->fallthrough();
  auto* who = oncall->add_subcommand("who", "who is on duty (default: now)");
  who->add_option("--at", x->at, "as of this time");
  who->footer("\nExamples:\n  secbudget oncall who\n  secbudget oncall who --at 2026-12-05T12:00:00Z -o json");
  auto* schedule = oncall->add_subcommand("schedule", "duty slots between two times (table, JSON or iCalendar)");
  schedule->add_option("--from", x->from, "start (default: now)");
  schedule->add_option("--to", x->to_time, "end (default: --from + 14 days)");
  schedule->add_option("--ics", x->ics, "write an iCalendar (.ics) file instead (- for stdout)");
  schedule->footer(R"(
Duty advances only on working days (Monday to Friday, not holidays): the
member on duty on a Friday holds it until the handoff on the next working
day. Overrides and swaps show the member the rotation assigned.

Examples:
  secbudget oncall schedule --from 2026-12-01 --to 2027-01-01
  secbudget oncall schedule --from 2026-12-01 --to 2027-07-01 --ics duty.ics)");
  auto* fairness = oncall->add_subcommand("fairness", "duties per member per term");
  fairness->add_option("--term", x->term, "one term");
  fairness->footer("\nExample:\n  secbudget oncall fairness --term 2026-H2");

  auto* inc = app.add_subcommand("incident", "incidents: declare, log the timeline, command, updates, postmortems");
  inc->require_subcommand(1);
  inc->fallthrough();
  const auto add_common = [&](CLI::App* c) {
    c->add_option("--by", x->by, "who acts [$SECBUDGET_USER, $USER]");
    c->add_option("--at", x->at, "when (default: --now or now)");
  };
  const auto add_id = [&](CLI::App* c) { c->add_option("id", x->id, "incident id (INC-0001)")->required(); };
  // A command that changes one incident: its id, --by and --at.
  const auto add_change = [&](const char* name, const char* help) {
    CLI::App* c = inc->add_subcommand(name, help);
    add_id(c);
    add_common(c);
    return c;
  };

  auto* declare = inc->add_subcommand("declare", "declare an incident; the member on duty takes command");
  declare->add_option("--title", x->title, "what is happening")->required();
  declare->add_option("--severity,-s", x->severity, "a level of the severity policy (SEV1..SEV4 built in)")->required();
  declare->add_option("--scope", x->scope, "team=..., service=..., environment=... (the breach's scope)")
      ->allow_extra_args(false);
  declare->add_flag("--breach", x->breach, "a confirmed compromise: the scope's error budget goes to zero");
  declare->add_flag("--drill", x->drill, "an exercise: never counted in metrics");
  declare->add_option("--commander", x->commander, "who commands (default: the member on duty)");
  declare->add_option("--detected", x->detected, "when the problem was first seen (default: now)");
  declare->add_option("--started", x->started, "when the impact began (default: --detected)");
  declare->add_option("--impact", x->impact, "who and what is affected");
  add_common(declare);
  declare->footer(R"(
Examples:
  secbudget incident declare --title "Leaked AWS key used from unknown IP" -s SEV2 --scope service=payments
  secbudget incident declare --title "Customer data exfiltrated" -s SEV1 --breach --scope team=payments
  secbudget incident declare --title "Tabletop: ransomware" -s SEV2 --drill)");

  auto* list = inc->add_subcommand("list", "open incidents (--all: every incident)");
  list->add_flag("--all", x->all, "include resolved incidents");
  list->add_option("--at", x->at, "as of this time");
  auto* show = inc->add_subcommand("show", "an incident: state, roles, times and the whole timeline");
  add_id(show);
  show->add_option("--at", x->at, "as of this time");
  show->footer("\nThe JSON (-o json) is what the status-update and postmortem templates see.");

  auto* log = add_change("log", "append to the timeline: observation, decision, action, note, ...");
  log->add_option("text", x->words, "what happened")->required();
  log->add_option("--kind,-k", x->kind, "observation, decision, action, note, impact or contributing_factor")
      ->default_val("note");
  log->add_flag("--public", x->is_public, "may be shown to the press/public");
  log->footer(R"(
Examples:
  secbudget incident log INC-0001 -k observation "key AKIA... used from 203.0.113.7"
  secbudget incident log INC-0001 -k decision "rotate every key of the payments account"
  secbudget incident log INC-0001 -k note --public "We are investigating unusual account activity.")");

  auto* ack = add_change("ack", "acknowledge (for incidents raised by alerts)");
  auto* sev = add_change("severity", "change the severity (command passes upward when the level needs it)");
  sev->add_option("level", x->severity, "the new level")->required();
  sev->add_option("--reason", x->reason, "why");
  auto* status = add_change("status", "investigating, identified or mitigated");
  status->add_option("status", x->kind, "the new status")->required();
  status->add_option("--note", x->text, "what changed");
  auto* handoff = add_change("handoff", "pass command to someone else");
  handoff->add_option("--to", x->to, "the new commander")->required();
  handoff->add_option("--reason", x->reason, "why");
  auto* role = add_change("role", "assign a role: communications, scribe, responder, ...");
  role->add_option("role", x->role, "the role")->required();
  role->add_option("member", x->member, "who")->required();
  auto* action = add_change("action-item", "record a follow-up action item");
  action->add_option("text", x->words, "the action")->required();
  action->add_option("--owner", x->owner, "who owns it")->required();
  action->add_option("--due", x->due, "due date (default: the severity's action_items_due after resolution)");
  auto* resolve = add_change("resolve", "resolve (and its breach); the postmortem is drafted");
  resolve->add_option("--summary", x->summary, "what happened, in a sentence or two");
  resolve->add_option("--postmortem", x->write, "write the postmortem draft to this file");
  auto* update = add_change("update", "render a status update for engineering, executives or press");
  update->add_option("--audience,-a", x->audience, "engineering, executives or press")->default_val("engineering");
  update->add_flag("--publish", x->publish, "record it as published (resets the update cadence)");
  update->add_option("--write", x->write, "write to this file");
  update->footer(R"(
Rendered from the timeline through the severity policy's Mustache templates
(built-ins in policy/templates/; docs/incidents.md lists the variables).

Examples:
  secbudget incident update INC-0001 -a executives
  secbudget incident update INC-0001 -a press --publish --write status.md)");
  auto* postmortem = inc->add_subcommand("postmortem", "the postmortem draft for the incident's severity");
  add_id(postmortem);
  postmortem->add_option("--write", x->write, "write to this file");
  postmortem->add_option("--at", x->at, "as of this time");
  auto* metrics = inc->add_subcommand("metrics", "MTTA, MTTM and MTTR per severity and quarter (drills excluded)");
  metrics->add_option("--from", x->from, "incidents declared from (default: all)");
  metrics->add_option("--to", x->to_time, "until (default: now)");

  for (CLI::App* c : {who, schedule, fairness, declare, list, show, log, ack, sev, status, handoff, role, action,
                      resolve, update, postmortem, metrics}) {
    c->fallthrough();
    leaves->push_back(c);
  }
  using incident::IncidentService;
  return [=](const GlobalOptions& g) -> std::optional<int> {
    const IncidentArgs& a = *args;
    const std::string by = Actor(a);
    const std::string text = Join(a.words, " ");
    if (*who) return OncallWho(g, a);
    if (*schedule) return OncallSchedule(g, a);
    if (*fairness) return OncallFairness(g, a);
    if (*declare) return Declare(g, a);
    if (*list) return List(g, a);
    if (*show) return Show(g, a);
    if (*log) {
      auto kind = incident::ParseEntryKind(a.kind);
      if (!kind) return ReportError(g, Status::InvalidArgument(fmt::format("--kind \"{}\" is not known", a.kind)));
      return Change(g, a, [&](IncidentService& s, TimePoint at) {
        return s.Log(a.id, {*kind, text, by, a.is_public}, at);
      });
    }
    if (*ack) return Change(g, a, [&](IncidentService& s, TimePoint at) { return s.Acknowledge(a.id, by, at); });
    if (*sev) {
      return Change(
          g, a, [&](IncidentService& s, TimePoint at) { return s.SetSeverity(a.id, a.severity, by, a.reason, at); });
    }
    if (*status) {
      auto st = incident::ParseIncidentStatus(a.kind);
      if (!st) {
        return ReportError(
            g, Status::InvalidArgument(fmt::format("status \"{}\": investigating, identified or mitigated", a.kind)));
      }
      return Change(g, a, [&](IncidentService& s, TimePoint at) { return s.SetStatus(a.id, *st, by, a.text, at); });
    }
    if (*handoff) {
      return Change(g, a, [&](IncidentService& s, TimePoint at) { return s.Handoff(a.id, a.to, by, a.reason, at); });
    }
    if (*role) {
      return Change(g, a,
                    [&](IncidentService& s, TimePoint at) { return s.AssignRole(a.id, a.role, a.member, by, at); });
    }
    if (*action) {
      auto due = OptionalTime(a.due, "--due");
      if (!due.ok()) return ReportError(g, due.status());
      return Change(
          g, a, [&](IncidentService& s, TimePoint at) { return s.AddActionItem(a.id, text, a.owner, *due, by, at); });
    }
    if (*resolve) {
      int rc = Change(g, a, [&](IncidentService& s, TimePoint at) { return s.Resolve(a.id, a.summary, by, at); });
      if (rc != kExitOk || a.write.empty()) return rc;
      return Render(g, a, true);
    }
    if (*update) return Render(g, a, false);
    if (*postmortem) return Render(g, a, true);
    if (*metrics) return MetricsCmd(g, a);
    return std::nullopt;
  };
}

}  // namespace secbudget::cli
