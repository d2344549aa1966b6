#include "cli/commands.h"
#include "cli/session.h"
#include "detect/anomaly/anomaly.h"
#include "detect/logsource.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "common/hash.h"
#include "common/strings.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "triage/lint.h"
#include "triage/pipeline.h"

namespace secbudget::cli {

namespace {

using nlohmann::json;

int ExitCodeFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kStoreError:
    case StatusCode::kInternal:
    case StatusCode::kConflict: return kExitInternal;
    default: return kExitInput;
  }
}

json StatusJson(const Status& st) {
  json j = {{"code", StatusCodeName(st.code())}, {"message", st.message()}};
  const Location& loc = st.location();
  if (!loc.file.empty()) j["file"] = loc.file;
  if (loc.line > 0) j["line"] = loc.line;
  if (loc.column > 0) j["column"] = loc.column;
  if (!loc.pointer.empty()) j["pointer"] = loc.pointer;
  return j;
}

Result<std::unique_ptr<Clock>> MakeClock(const GlobalOptions& g) {
  if (g.now.empty()) return std::unique_ptr<Clock>(std::make_unique<SystemClock>());
  auto t = ParseTime(g.now);
  if (!t.ok()) return Status::InvalidArgument(fmt::format("--now: {}", t.status().message()));
  return std::unique_ptr<Clock>(std::make_unique<FixedClock>(*t));
}

std::string Relative(TimePoint due, TimePoint now) {
  if (due >= now) return "in " + FormatDuration(due - now);
  return FormatDuration(now - due) + " overdue";
}

std::string What(const FindingRecord& f) {
  if (f.kind == FindingKind::kVulnerability) {
    std::string s = fmt::format("{} {} {}", f.vuln_id, f.package, f.installed_version);
    if (!f.fixed_version.empty()) s += " -> " + f.fixed_version;
    return s;
  }
  return fmt::format("{} {}", f.rule_id, f.title);
}

std::string Where(const FindingRecord& f) {
  std::string a = f.artifact;
  for (const std::string_view prefix : {"image:", "repo:", "path:"}) {
    if (StartsWith(a, prefix)) a = a.substr(prefix.size());
  }
  if (f.kind != FindingKind::kVulnerability && !f.location.empty()) return f.location;
  return a;
}

json FindingJson(const FindingRecord& f, TimePoint now, const std::vector<std::string>& reasons) {
  json j = {
      {"id", HexId(f.id)},
      {"status", Name(f.status)},
      {"priority", Name(f.priority)},
      {"score", f.score},
      {"due_at", FormatTime(f.due_at)},
      {"overdue", f.status == FindingStatus::kOpen && f.due_at < now},
      {"kind", Name(f.kind)},
      {"title", f.title},
      {"severity", Name(f.severity)},
      {"artifact", f.artifact},
      {"location", f.location},
      {"layer", Name(f.layer)},
      {"asset", f.asset_id},
      {"service", f.service},
      {"team", f.team},
      {"environment", Name(f.environment)},
      {"reasons", reasons},
      {"first_seen", FormatTime(f.first_seen)},
      {"status_since", FormatTime(f.status_since)},
      {"identity", f.identity},
  };
  if (f.kind == FindingKind::kVulnerability) {
    j["vulnerability"] = f.vuln_id;
    j["aliases"] = f.aliases;
    j["package"] = f.package;
    j["ecosystem"] = f.ecosystem;
    j["installed_version"] = f.installed_version;
    j["fixed_version"] = f.fixed_version;
  } else {
    j["rule"] = f.rule_id;
  }
  if (f.cvss_score >= 0) j["cvss"] = f.cvss_score;
  if (!f.cvss_vector.empty()) j["cvss_vector"] = f.cvss_vector;
  j["fix_available"] = Name(f.fix_available);
  if (!f.exploit_refs.empty()) j["exploit_refs"] = f.exploit_refs;
  return j;
}

json SummaryJson(const IngestSummary& s) {
  return {{"file", s.file},
          {"report", s.report_id},
          {"format", s.format},
          {"duplicate", s.duplicate},
          {"scan_time", FormatTime(s.scan_time)},
          {"scan_time_from_report", s.scan_time_from_report},
          {"occurrences", s.occurrences},
          {"findings", s.findings},
          {"opened", s.opened},
          {"reopened", s.reopened},
          {"fixed", s.fixed},
          {"changed", s.changed},
          {"unchanged", s.unchanged},
          {"recognised", s.recognised},
          {"arrays_recognised", s.arrays_recognised},
          {"unmatched", s.unmatched},
          {"skipped", s.skipped},
          {"stale_scopes", s.stale_scopes},
          {"warnings", s.warnings}};
}

}  // namespace

void Emit(const GlobalOptions& g, const Table& table, const json& as_json) {
  switch (g.output) {
    case OutputFormat::kJson: PrintJson(std::cout, as_json); break;
    case OutputFormat::kCsv: PrintCsv(std::cout, table); break;
    case OutputFormat::kTable: PrintTable(std::cout, table, TerminalWidth()); break;
  }
}

Result<TimePoint> AtOr(const std::string& text, const Session& s, const char* flag) {
  if (text.empty()) return s.clock->Now();
  auto t = ParseTime(text);
  if (!t.ok()) return Status::InvalidArgument(fmt::format("{}: {}", flag, t.status().message()));
  return *t;
}

Result<Session> OpenSession(const GlobalOptions& g) {
  Session s;
  SB_ASSIGN_OR_RETURN(s.clock, MakeClock(g));
  PolicyLoaders loaders;  // log sources and detectors are validated here; `detect` reads them itself
  SB_ASSIGN_OR_RETURN(PolicySet policy, LoadPolicy(g.policy_dir, nullptr, loaders.All()));
  s.policy = std::make_unique<PolicySet>(std::move(policy));
  s.slo_policy = std::make_unique<SloPolicy>(loaders.slo.TakePolicy());
  s.alert_policy = std::make_unique<AlertPolicy>(loaders.alert.TakePolicy());
  s.severity = std::make_unique<incident::SeverityPolicy>(loaders.severity.policy());
  if (loaders.roster.roster()) s.roster = std::make_unique<incident::Roster>(*loaders.roster.roster());
  SB_ASSIGN_OR_RETURN(s.db, OpenDatabase(g.db));
  s.triage = std::make_unique<Triage>(*s.db, *s.policy, *s.clock);
  s.slo = std::make_unique<SloService>(*s.db, *s.slo_policy);
  s.transport = MakeTransport();
  s.alerts = std::make_unique<AlertService>(*s.db, *s.alert_policy, s.slo.get(), s.transport.get());
  // Accepted risk (suppressions) counts as good in the SLO budget.
  s.slo->SetAcceptanceSource(s.alerts->AcceptanceSource());
  s.incidents = std::make_unique<incident::IncidentService>(*s.db, *s.severity, s.roster.get(), s.slo.get());
  // Incidents not yet acknowledged, or late with their status update, alert.
  s.alerts->extra_sources.push_back({"incident", [svc = s.incidents.get()](TimePoint at) { return svc->Alerts(at); }});
  return s;
}

int ReportError(const GlobalOptions& g, const Status& st) {
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, json{{"error", StatusJson(st)}});
  } else {
    std::cerr << "secbudget: " << st.ToString() << "\n";
  }
  return ExitCodeFor(st);
}

int RunIngest(const GlobalOptions& g, const IngestArgs& a) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  IngestOptions opts;
  opts.format = a.format;
  opts.target = a.target;
  if (a.max_report_bytes > 0) opts.limits.max_bytes = a.max_report_bytes;
  json results = json::array();
  int exit_code = kExitOk;
  IngestSummary total;
  std::size_t ok_files = 0, duplicates = 0, failed = 0;
  const bool progress = StderrIsTerminal() && !g.quiet && a.files.size() > 1;
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    const std::string& file = a.files[i];
    if (progress)
      std::cerr << fmt::format("\r[{}/{}] {}\x1b[K", i + 1, a.files.size(), Ellipsize(file, 60)) << std::flush;
    auto r = session->triage->IngestFile(file, opts);
    if (!r.ok()) {
      ++failed;
      exit_code = std::max(exit_code, ExitCodeFor(r.status()));
      if (g.output == OutputFormat::kJson) {
        results.push_back({{"file", file}, {"error", StatusJson(r.status())}});
      } else {
        if (progress) std::cerr << "\r\x1b[K";
        std::cerr << "secbudget: " << r.status().ToString() << "\n";
      }
      if (a.fail_fast) break;
      continue;
    }
    const IngestSummary& s = *r;
    if (s.duplicate)
      ++duplicates;
    else
      ++ok_files;
    total.occurrences += s.occurrences;
    total.findings += s.findings;
    total.opened += s.opened;
    total.reopened += s.reopened;
    total.fixed += s.fixed;
    total.changed += s.changed;
    total.unchanged += s.unchanged;
    total.unmatched += s.unmatched;
    if (g.output == OutputFormat::kJson) {
      results.push_back(SummaryJson(s));
      continue;
    }
    if (progress) std::cerr << "\r\x1b[K";
    if (g.quiet) continue;
    if (s.duplicate) {
      std::cout << fmt::format("{}: already ingested (report {}): nothing changed\n", file, s.report_id.substr(0, 12));
      continue;
    }
    std::cout << fmt::format("{}: {} at {}{}: {} findings; opened {}, reopened {}, fixed {}, changed {}, unchanged {}",
                             file, s.format, FormatTime(s.scan_time),
                             s.scan_time_from_report ? "" : " (no scan time in report: now)", s.findings, s.opened,
                             s.reopened, s.fixed, s.changed, s.unchanged);
    if (s.unmatched > 0) std::cout << fmt::format("; {} matched no asset", s.unmatched);
    if (s.skipped > 0) std::cout << fmt::format("; {} skipped", s.skipped);
    std::cout << "\n";
    for (const auto& w : s.warnings) std::cout << "  warning: " << SanitizeForTerminal(w) << "\n";
  }
  if (progress) std::cerr << "\r\x1b[K";
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, json{{"reports", results},
                              {"totals",
                               {{"ingested", ok_files},
                                {"duplicates", duplicates},
                                {"failed", failed},
                                {"opened", total.opened},
                                {"reopened", total.reopened},
                                {"fixed", total.fixed},
                                {"changed", total.changed},
                                {"unchanged", total.unchanged},
                                {"unmatched", total.unmatched}}}});
  } else if (!g.quiet && a.files.size() > 1) {
    std::cout << fmt::format("{} report(s) ingested, {} already known, {} rejected: opened {}, reopened {}, fixed {}\n",
                             ok_files, duplicates, failed, total.opened, total.reopened, total.fixed);
  }
  return exit_code;
}

int RunFindings(const GlobalOptions& g, const FindingsArgs& a) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  FindingFilter filter;
  if (a.status != "all") {
    auto st = ParseFindingStatus(a.status);
    if (!st)
      return ReportError(g,
                         Status::InvalidArgument(fmt::format("--status: \"{}\" is not open, fixed or all", a.status)));
    filter.status = *st;
  }
  for (const auto& list : a.priorities) {
    for (std::string_view p : Split(list, ',')) {
      auto parsed = ParsePriority(Trim(p));
      if (!parsed) return ReportError(g, Status::InvalidArgument(fmt::format("--priority: \"{}\" is not P1..P4", p)));
      filter.priorities.push_back(*parsed);
    }
  }
  if (!a.kind.empty()) {
    auto k = ParseFindingKind(a.kind);
    if (!k)
      return ReportError(
          g, Status::InvalidArgument(
                 fmt::format("--kind: \"{}\" is not vulnerability, misconfiguration, secret, code or threat", a.kind)));
    filter.kind = *k;
  }
  filter.team = a.team;
  filter.service = a.service;
  filter.unmatched_only = a.unmatched;
  filter.limit = a.limit;
  const TimePoint now = session->clock->Now();
  Table table;
  table.header = {"ID", "PRI", "SCORE", "DUE", "WHAT", "WHERE", "OWNER", "WHY"};
  table.flexible = {7, 4, 5};
  json items = json::array();
  Status decide_error;
  Status st = session->db->ScanFindings(filter, [&](const FindingRecord& f) {
    auto decision = session->triage->Decide(f);
    if (!decision.ok()) {
      decide_error = decision.status();
      return false;
    }
    const std::vector<std::string>& reasons = decision->reasons;
    if (g.output == OutputFormat::kJson) {
      items.push_back(FindingJson(f, now, reasons));
      return true;
    }
    const std::string due =
        f.status == FindingStatus::kOpen ? Relative(f.due_at, now) : "fixed " + FormatDate(f.status_since);
    const std::string owner =
        f.asset_id.empty() ? "(no asset)" : (f.team == f.service ? f.team : f.team + "/" + f.service);
    table.rows.push_back({HexId(f.id).substr(0, 12), std::string(Name(f.priority)), fmt::format("{:.1f}", f.score), due,
                          What(f), Where(f), owner, reasons.empty() ? std::string() : reasons.front()});
    return true;
  });
  if (!st.ok()) return ReportError(g, st);
  if (!decide_error.ok()) return ReportError(g, decide_error);
  switch (g.output) {
    case OutputFormat::kJson: PrintJson(std::cout, json{{"now", FormatTime(now)}, {"findings", items}}); break;
    case OutputFormat::kCsv: PrintCsv(std::cout, table); break;
    case OutputFormat::kTable:
      if (table.rows.empty()) {
        std::cout << "no findings match\n";
      } else {
        PrintTable(std::cout, table, TerminalWidth());
        if (!g.quiet)
          std::cout << fmt::format("{} finding(s); `secbudget explain <ID>` tells why\n", table.rows.size());
      }
      break;
  }
  if (g.output == OutputFormat::kTable && !g.quiet && table.rows.empty()) {
    auto total = session->db->CountFindings({});
    if (total.ok() && *total == 0) std::cerr << "hint: the database is empty: `secbudget ingest <reports>` first\n";
  }

  return kExitOk;
}

int RunExplain(const GlobalOptions& g, const std::string& id) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  auto ex = session->triage->Explain(id);
  if (!ex.ok()) return ReportError(g, ex.status());
  const FindingRecord& f = ex->finding;
  const Decision& d = ex->decision;
  if (g.output == OutputFormat::kJson) {
    json inputs = json::object();
    for (const auto& in : d.inputs)
      inputs[std::string(Name(in.point))] = {{"value", in.value}, {"evidence", in.evidence}};
    json hits = json::array();
    for (const auto& h : d.hits) {
      hits.push_back({{"table", h.table}, {"row", h.row}, {"outcome", h.outcome}, {"priority", Name(h.priority)}});
    }
    json sources = json::array();
    for (const auto& s : ex->sources) {
      sources.push_back({{"scanner", s.scanner},
                         {"target", s.target},
                         {"present", s.present},
                         {"first_seen", FormatTime(s.first_seen)},
                         {"changed_at", FormatTime(s.changed_at)},
                         {"report", s.report_id},
                         {"pointer", s.pointer}});
    }
    json events = json::array();
    for (const auto& e : ex->events) {
      json je = {{"seq", e.seq}, {"at", FormatTime(e.at)}, {"type", Name(e.type)}, {"detail", e.detail}};
      if (e.priority) je["priority"] = Name(*e.priority);
      if (e.previous_priority) je["previous_priority"] = Name(*e.previous_priority);
      if (e.due_at != 0) je["due_at"] = FormatTime(e.due_at);
      if (!e.report_id.empty()) je["report"] = e.report_id;
      events.push_back(je);
    }
    json out = {{"finding", FindingJson(f, ex->now, d.reasons)},
                {"decision",
                 {{"priority", Name(d.priority)},
                  {"score", d.score},
                  {"deadline_hours", d.deadline / kHour},
                  {"inputs", inputs},
                  {"tables", hits},
                  {"reasons", d.reasons},
                  {"matches_stored", d.priority == f.priority}}},
                {"sources", sources},
                {"history", events}};
    if (ex->advisory)
      out["advisory"] = {{"title", ex->advisory->title},
                         {"description", ex->advisory->description},
                         {"references", ex->advisory->references}};
    if (ex->asset) {
      const Asset& a = *ex->asset;
      out["asset"] = {{"id", a.id},
                      {"service", a.service},
                      {"team", a.team},
                      {"environment", Name(a.environment)},
                      {"layer", Name(a.layer)},
                      {"internet_exposed", Name(a.internet_exposed)},
                      {"criticality", Name(a.criticality)},
                      {"defined_at", fmt::format("{}:{}", a.file, a.line)}};
    }
    PrintJson(std::cout, out);
    return kExitOk;
  }
  std::cout << fmt::format("{}  {}  {}\n", HexId(f.id), Name(f.priority), SanitizeForTerminal(What(f)));
  if (!f.title.empty() && f.kind == FindingKind::kVulnerability)
    std::cout << "  " << SanitizeForTerminal(f.title) << "\n";
  std::cout << fmt::format("  status     {} since {}", Name(f.status), FormatTime(f.status_since));
  if (f.status == FindingStatus::kOpen)
    std::cout << fmt::format("; due {} ({})", FormatTime(f.due_at), Relative(f.due_at, ex->now));
  std::cout << "\n";
  std::cout << fmt::format("  where      {} ({} layer)\n",
                           SanitizeForTerminal(f.location.empty() ? f.artifact : f.artifact + "  " + f.location),
                           Name(f.layer));
  if (ex->asset) {
    const Asset& a = *ex->asset;
    std::cout << fmt::format(
        "  asset      {} (service {}, team {}, {}, criticality {}, internet-exposed: {}) defined at {}:{}\n", a.id,
        a.service, a.team, Name(a.environment), Name(a.criticality), Name(a.internet_exposed), a.file, a.line);
  } else {
    std::cout << "  asset      none matched: add one to the inventory (see `secbudget findings --unmatched`)\n";
  }
  std::string cvss;
  if (f.cvss_score >= 0) {
    cvss = f.cvss_vector.empty() ? fmt::format(" (CVSS {:.1f})", f.cvss_score)
                                 : fmt::format(" (CVSS {:.1f} {})", f.cvss_score, f.cvss_vector);
  }
  std::cout << fmt::format("  severity   {}{}\n", Name(f.severity), cvss);
  std::cout << fmt::format("\nWhy {} (score {:.1f}, deadline {}):\n", Name(d.priority), d.score,
                           FormatDuration(d.deadline));
  for (const auto& in : d.inputs)
    std::cout << fmt::format("  {:<17} {:<11} {}\n", Name(in.point), in.value, SanitizeForTerminal(in.evidence));
  // Rows are numbered from 0, as in CERT/CC's SSVC CSV files.
  for (const auto& h : d.hits)
    std::cout << fmt::format("  table {} row {} -> {} ({})\n", h.table, h.row, h.outcome, Name(h.priority));
  if (d.priority != f.priority) {
    std::cout << fmt::format(
        "  note: stored priority is {}; run `secbudget rank` to apply the current policy and intel\n",
        Name(f.priority));
  }
  std::cout << "\nSources:\n";
  for (const auto& s : ex->sources) {
    // A present source points at the item in the report that last stated it;
    // an absent one names the report that no longer did.
    const std::string where = s.present ? fmt::format("report {}, {}", s.report_id.substr(0, 12), s.pointer)
                                        : fmt::format("report {}", s.report_id.substr(0, 12));
    std::cout << fmt::format("  {:<24} {:<40} {} since {}  ({})\n", s.scanner, Ellipsize(s.target, 40),
                             s.present ? "present" : "absent", FormatTime(s.changed_at), where);
  }
  std::cout << "\nHistory:\n";
  for (const auto& e : ex->events) {
    std::string extra;
    if (e.priority)
      extra = fmt::format(" {}{} due {}", e.previous_priority ? std::string(Name(*e.previous_priority)) + "->" : "",
                          Name(*e.priority), FormatTime(e.due_at));
    std::cout << fmt::format("  {}  {:<16}{}  {}\n", FormatTime(e.at), Name(e.type), extra,
                             SanitizeForTerminal(e.detail));
  }
  if (ex->advisory && !ex->advisory->description.empty()) {
    std::cout << "\nDescription:\n  " << SanitizeForTerminal(Ellipsize(ex->advisory->description, 600)) << "\n";
  }
  std::cout << fmt::format("\nIdentity: {}\n", SanitizeForTerminal(f.identity));
  return kExitOk;
}

int RunIntelLoad(const GlobalOptions& g, const std::vector<std::string>& files) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  json out = json::array();
  int code = kExitOk;
  for (const auto& file : files) {
    auto r = session->triage->LoadIntelFile(file);
    if (!r.ok()) {
      code = std::max(code, ExitCodeFor(r.status()));
      if (g.output == OutputFormat::kJson)
        out.push_back({{"file", file}, {"error", StatusJson(r.status())}});
      else
        std::cerr << "secbudget: " << r.status().ToString() << "\n";
      continue;
    }
    if (g.output == OutputFormat::kJson) {
      out.push_back({{"file", file},
                     {"feed", r->feed},
                     {"version", r->version},
                     {"entries", r->entries},
                     {"reranked", r->reranked}});
    } else if (!g.quiet) {
      std::cout << fmt::format("{}: {} {} with {} entries loaded; {} finding(s) changed priority\n", file,
                               r->feed == "kev" ? "CISA KEV" : "EPSS", r->version.empty() ? "(no version)" : r->version,
                               r->entries, r->reranked);
    }
  }
  if (g.output == OutputFormat::kJson) PrintJson(std::cout, json{{"loaded", out}});
  return code;
}

int RunIntelStatus(const GlobalOptions& g) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  Table table;
  table.header = {"FEED", "VERSION", "RELEASED", "ENTRIES", "LOADED", "FILE"};
  json out = json::object();
  for (const char* name : {"kev", "epss"}) {
    auto src = session->db->GetIntelSource(name);
    if (!src.ok()) return ReportError(g, src.status());
    if (!src->has_value()) {
      table.rows.push_back({name, "never loaded", "", "", "", ""});
      out[name] = nullptr;
      continue;
    }
    const IntelSource& s = **src;
    table.rows.push_back({name, s.version, s.released ? FormatDate(s.released) : "", std::to_string(s.entries),
                          FormatTime(s.loaded_at), s.file});
    out[name] = {{"version", s.version},
                 {"released", s.released ? FormatTime(s.released) : ""},
                 {"entries", s.entries},
                 {"loaded_at", FormatTime(s.loaded_at)},
                 {"file", s.file}};
  }
  Emit(g, table, out);
  return kExitOk;
}

int RunLint(const GlobalOptions& g, const std::string& dir) {
  PolicyLoaders loaders;
  const LintReport r = LintPolicyDirectory(dir, loaders.All());
  if (g.output == OutputFormat::kJson) {
    json errors = json::array(), warnings = json::array();
    for (const auto& e : r.errors) errors.push_back(StatusJson(e));
    for (const auto& w : r.warnings) warnings.push_back(StatusJson(w));
    PrintJson(std::cout, json{{"directory", dir},
                              {"ok", r.errors.empty()},
                              {"files", r.files},
                              {"assets", r.assets},
                              {"tables", r.tables},
                              {"ranking", r.ranking_source},
                              {"errors", errors},
                              {"warnings", warnings}});
    return r.errors.empty() ? kExitOk : kExitInput;
  }
  for (const auto& e : r.errors) std::cerr << "error: " << e.ToString() << "\n";
  for (const auto& w : r.warnings) std::cerr << "warning: " << w.location().ToString() << ": " << w.message() << "\n";
  if (r.errors.empty()) {
    std::cout << fmt::format("{}: {} file(s) valid: {} asset(s), ranking policy {} ({} decision tables)\n", dir,
                             r.files.size(), r.assets, r.ranking_source, r.tables);
    return kExitOk;
  }
  std::cout << fmt::format("{}: {} error(s)\n", dir, r.errors.size());
  return kExitInput;
}

int RunRank(const GlobalOptions& g) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  auto r = session->triage->Rerank();
  if (!r.ok()) return ReportError(g, r.status());
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout,
              json{{"examined", r->examined}, {"priority_changed", r->priority_changed}, {"updated", r->updated}});
  } else if (!g.quiet) {
    std::cout << fmt::format("{} open finding(s) ranked: {} changed priority, {} updated\n", r->examined,
                             r->priority_changed, r->updated);
  }
  return kExitOk;
}

int RunFormats(const GlobalOptions& g) {
  Table table;
  table.header = {"FORMAT", "DESCRIPTION"};
  json out = json::array();
  for (const auto& f : SupportedFormats()) {
    table.rows.push_back({std::string(f.name), std::string(f.description)});
    out.push_back({{"name", f.name}, {"description", f.description}});
  }
  Emit(g, table, out);
  return kExitOk;
}

int RunReports(const GlobalOptions& g) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  std::vector<ReportRecord> reports;
  Status st = session->db->ListReports(&reports);
  if (!st.ok()) return ReportError(g, st);
  Table table;
  table.header = {"REPORT", "SCAN TIME", "FORMAT", "OPENED", "REOPENED", "FIXED", "CHANGED", "UNCHANGED", "FILE"};
  table.flexible = {8};
  json out = json::array();
  for (const auto& r : reports) {
    table.rows.push_back({r.id.substr(0, 12), FormatTime(r.scan_time), r.format, std::to_string(r.opened),
                          std::to_string(r.reopened), std::to_string(r.fixed), std::to_string(r.changed),
                          std::to_string(r.unchanged), r.file});
    out.push_back({{"id", r.id},
                   {"file", r.file},
                   {"format", r.format},
                   {"scan_time", FormatTime(r.scan_time)},
                   {"ingested_at", FormatTime(r.ingested_at)},
                   {"occurrences", r.occurrences},
                   {"opened", r.opened},
                   {"reopened", r.reopened},
                   {"fixed", r.fixed},
                   {"changed", r.changed},
                   {"unchanged", r.unchanged},
                   {"skipped", r.skipped},
                   {"warnings", r.warnings}});
  }
  Emit(g, table, out);
  return kExitOk;
}

int RunVerify(const GlobalOptions& g) {
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  auto r = session->triage->Verify();
  if (!r.ok()) return ReportError(g, r.status());
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, json{{"findings", r->findings},
                              {"events", r->events},
                              {"ok", r->mismatches.empty()},
                              {"mismatches", r->mismatches}});
  } else {
    for (const auto& m : r->mismatches) std::cout << "mismatch: " << m << "\n";
    std::cout << fmt::format("{} finding(s), {} event(s): {}\n", r->findings, r->events,
                             r->mismatches.empty() ? "current state equals the replayed event log" : "MISMATCH");
  }
  return r->mismatches.empty() ? kExitOk : kExitInput;
}

}  // namespace secbudget::cli
