// secbudget: the command-line front end. Parses arguments and calls
// cli/commands.cc; holds no business logic.
#include <fmt/format.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "cli/alert_commands.h"
#include "cli/commands.h"
#include "cli/detect_commands.h"
#include "cli/incident_commands.h"
#include "common/allocator.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using secbudget::cli::GlobalOptions;
using secbudget::cli::OutputFormat;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

constexpr const char* kMainFooter = R"(
Examples:
  secbudget intel load known_exploited_vulnerabilities.json epss_scores.csv.gz
  secbudget --policy policy/ ingest reports/*.json
  secbudget findings --status open --priority P1 --team payments
  secbudget explain 3fa81c2d
  secbudget slo status
  secbudget gate --service payments
  secbudget alerts run && secbudget alerts report --since 7d
  secbudget suppressions review
  secbudget oncall who
  secbudget incident declare --title "Leaked key used" --severity SEV2 --scope service=payments
  secbudget lint policy/

Global options go before or after the command. The database defaults to
$SECBUDGET_DB or ./secbudget.db; the policy directory to $SECBUDGET_POLICY.
Exit codes: 0 ok, 1 rejected input, 2 usage error, 3 store/internal error.
Docs: docs/README.md)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"secbudget: every scanner's findings in one ranked, explained queue, held to remediation SLOs"};
  app.footer(kMainFooter);
  app.require_subcommand(1);
  app.set_version_flag("--version", "secbudget 0.1.0");

  GlobalOptions g;
  g.db = EnvOr("SECBUDGET_DB", "secbudget.db");
  g.policy_dir = EnvOr("SECBUDGET_POLICY", "");
  std::string output = "table";
  const auto add_globals = [&](CLI::App* cmd) {
    cmd->add_option("--db", g.db, "database file (SQLite) [$SECBUDGET_DB, ./secbudget.db]");
    cmd->add_option("--policy", g.policy_dir, "policy directory [$SECBUDGET_POLICY; built-in defaults]");
    cmd->add_option("--now", g.now, "compute as of this time (RFC 3339, e.g. 2026-11-23T09:00:00Z)");
    cmd->add_option("--output,-o", output, "output format")->check(CLI::IsMember({"table", "json", "csv"}));
    cmd->add_flag("--quiet,-q", g.quiet, "print only results and errors");
  };
  add_globals(&app);

  // ingest
  secbudget::cli::IngestArgs ingest;
  auto* c_ingest = app.add_subcommand("ingest", "ingest scanner reports (format detected from content)");
  c_ingest->add_option("files", ingest.files, "report files (JSON or SARIF, optionally gzipped; - for stdin)")
      ->required();
  c_ingest->add_option("--format", ingest.format, "force a format (see `secbudget formats`)");
  c_ingest->add_option("--target", ingest.target,
                       "what the report scanned, when it does not say (repository URL, image, cluster)");
  c_ingest->add_option("--max-report-size", ingest.max_report_bytes,
                       "refuse reports larger than this many bytes (default 1 GiB)");
  c_ingest->add_flag("--fail-fast", ingest.fail_fast, "stop at the first rejected report");
  c_ingest->footer(R"(
Each report is ingested whole or not at all. Re-ingesting a report changes
nothing. A finding is fixed when the same scanner re-scans the same target and
no longer reports it (or reports it as passed); it reopens if it comes back.

Examples:
  secbudget ingest trivy-image.json grype-image.json
  secbudget ingest --target github.com/acme/api semgrep.sarif
  trivy image -f json nginx:1.25 | secbudget ingest -)");

  // findings
  secbudget::cli::FindingsArgs findings;
  auto* c_findings = app.add_subcommand("findings", "list the ranked queue of findings");
  c_findings->add_option("--status", findings.status, "open, fixed or all")->capture_default_str();
  c_findings->add_option("--priority,-p", findings.priorities, "P1..P4 (repeat or comma-separate)");
  c_findings->add_option("--team", findings.team, "owning team (from the asset inventory)");
  c_findings->add_option("--service", findings.service, "owning service");
  c_findings->add_option("--kind", findings.kind, "vulnerability, misconfiguration, secret, code or threat");
  c_findings->add_flag("--unmatched", findings.unmatched, "only findings that matched no asset");
  c_findings->add_option("--limit,-n", findings.limit, "show at most N");
  c_findings->footer(R"(
Ordered by priority (P1 = act now), then score. DUE is the remediation
deadline from the ranking policy.

Examples:
  secbudget findings --priority P1,P2 --team payments
  secbudget findings --unmatched -o csv > unmatched.csv
  secbudget findings --now 2026-12-01T00:00:00Z -o json)");

  // explain
  std::string explain_id;
  auto* c_explain =
      app.add_subcommand("explain", "why a finding has its rank and deadline: inputs, tables, sources, history");
  c_explain->add_option("id", explain_id, "finding id or a unique prefix (at least 4 hex digits)")->required();
  c_explain->footer("\nExample:\n  secbudget explain 3fa81c2d\n  secbudget explain 3fa81c2d -o json");

  // intel
  auto* c_intel = app.add_subcommand("intel", "threat intelligence: CISA KEV and FIRST EPSS");
  c_intel->require_subcommand(1);
  std::vector<std::string> intel_files;
  auto* c_intel_load = c_intel->add_subcommand("load", "load KEV catalogs (JSON) and EPSS scores (CSV or .csv.gz)");
  c_intel_load->add_option("files", intel_files, "feed files, detected from content")->required();
  c_intel_load->footer(R"(
Each feed replaces its previous version; open findings are re-ranked.

Example:
  secbudget intel load known_exploited_vulnerabilities.json epss_scores-2026-11-22.csv.gz)");
  auto* c_intel_status = c_intel->add_subcommand("status", "which feeds are loaded, their versions and sizes");

  // lint
  std::string lint_dir;
  auto* c_lint = app.add_subcommand("lint", "validate every policy file (file:line errors)");
  c_lint->add_option("dir", lint_dir, "policy directory (default: --policy)");
  c_lint->footer("\nExample:\n  secbudget lint policy/");

  // slo
  secbudget::cli::SloArgs slo;
  auto* c_slo = app.add_subcommand("slo", "remediation SLOs: status, history, burn-rate alerts, OpenSLO export");
  c_slo->require_subcommand(1);
  const auto add_scope = [](CLI::App* cmd, std::vector<std::string>& scope) {
    cmd->add_option("--scope", scope, "team=..., service=..., environment=... (any subset; comma-separate)");
  };
  auto* c_slo_status = c_slo->add_subcommand("status", "per unit: objective, SLI, budget left, burn, overdue, state");
  add_scope(c_slo_status, slo.scope);
  c_slo_status->add_option("--at", slo.at, "evaluate as of this time (default: --now or now)");
  c_slo_status->add_flag("--history", slo.history, "a daily series (one row per unit and day) for burndown charts");
  c_slo_status->add_option("--from", slo.from, "history start (default: 27 days before --to)");
  c_slo_status->add_option("--to", slo.to, "history end (default: --at)");
  c_slo_status->footer(R"(
A unit is one team/service/environment of the asset inventory. A deadline is
good when the finding was fixed by its due time, bad when it passed due while
open; the budget is the bad deadlines the objective allows (docs/slo.md).

Examples:
  secbudget slo status
  secbudget slo status --scope team=payments --at 2026-11-01T00:00:00Z
  secbudget slo status --scope service=checkout --history --from 2026-10-01 -o csv > burndown.csv)");
  auto* c_slo_alerts = c_slo->add_subcommand("alerts", "burn-rate alerts firing now (multiwindow, per tier)");
  add_scope(c_slo_alerts, slo.scope);
  c_slo_alerts->add_option("--at", slo.at, "evaluate as of this time");
  c_slo_alerts->footer("\nExamples:\n  secbudget slo alerts\n  secbudget slo alerts -o json | jq '.[].dedup_key'");
  auto* c_slo_export = c_slo->add_subcommand("export", "the SLO definitions as OpenSLO v1 YAML");
  add_scope(c_slo_export, slo.scope);
  c_slo_export->add_option("--at", slo.at, "resolve units as of this time");
  c_slo_export->footer("\nExample:\n  secbudget slo export > openslo.yaml");

  // gate
  secbudget::cli::GateArgs gate;
  auto* c_gate = app.add_subcommand("gate", "release gate for CI/CD: exit 0 (pass) or 1 (budget exhausted)");
  c_gate->add_option("--service", gate.service, "the service being released")->required();
  c_gate->add_option("--environment", gate.environment, "only this environment's budget (default: all)");
  c_gate->add_flag("--security-fix", gate.security_fix, "the release is a security fix (ships even when frozen)");
  c_gate->add_option("--at", gate.at, "decide as of this time");
  c_gate->footer(R"(
Fails when a unit of the service has exhausted its error budget (missed
deadlines, the backlog guard, or a breach) and its policy freezes releases,
unless a valid GateException (owner, reason, expiry) covers it.

Examples:
  secbudget gate --service payments || exit 1
  secbudget gate --service checkout --environment prod -o json
  secbudget gate --service payments --security-fix)");

  // breach
  secbudget::cli::BreachArgs breach;
  auto* c_breach = app.add_subcommand("breach", "record confirmed compromises: the scope's budget goes to zero");
  c_breach->require_subcommand(1);
  auto* c_breach_declare = c_breach->add_subcommand("declare", "record a confirmed breach in a scope");
  add_scope(c_breach_declare, breach.scope);
  c_breach_declare->add_option("--summary", breach.summary, "what happened")->required();
  c_breach_declare->add_option("--id", breach.id, "an id (default: breach-N)");
  c_breach_declare->add_option("--by", breach.actor, "who records it");
  c_breach_declare->add_option("--at", breach.at, "when it was confirmed (default: now)");
  c_breach_declare->footer(
      "\nExample:\n  secbudget breach declare --scope service=payments --summary \"leaked API key used\" --by alice");
  auto* c_breach_resolve = c_breach->add_subcommand("resolve", "mark a breach resolved (recovery period follows)");
  c_breach_resolve->add_option("id", breach.id, "breach id")->required();
  c_breach_resolve->add_option("--by", breach.actor, "who resolves it");
  c_breach_resolve->add_option("--at", breach.at, "when (default: now)");
  auto* c_breach_list = c_breach->add_subcommand("list", "every breach, open and resolved");

  std::vector<CLI::App*> alert_leaves;
  const auto run_alerts = secbudget::cli::AddAlertCommands(app, &alert_leaves);
  const auto run_detect = secbudget::cli::AddDetectCommands(app, &alert_leaves);
  const auto run_incident = secbudget::cli::AddIncidentCommands(app, &alert_leaves);

  auto* c_rank = app.add_subcommand("rank", "re-rank every open finding with the current policy and intel");
  auto* c_formats = app.add_subcommand("formats", "list supported report formats");
  auto* c_reports = app.add_subcommand("reports", "list ingested reports and what each changed");
  auto* c_verify = app.add_subcommand("verify", "replay the event log and check it equals the stored state");
  auto* c_version = app.add_subcommand("version", "print versions of secbudget and its libraries");

  for (CLI::App* cmd : {c_ingest, c_findings, c_explain, c_intel_load, c_intel_status, c_lint, c_rank, c_formats,
                        c_reports, c_verify, c_version, c_slo_status, c_slo_alerts, c_slo_export, c_gate,
                        c_breach_declare, c_breach_resolve, c_breach_list}) {
    cmd->fallthrough();
  }
  c_intel->fallthrough();
  c_slo->fallthrough();
  c_breach->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : secbudget::cli::kExitUsage;
  }
  g.output = output == "json" ? OutputFormat::kJson : output == "csv" ? OutputFormat::kCsv : OutputFormat::kTable;

  using namespace secbudget::cli;  // NOLINT(google-build-using-namespace)
  if (*c_ingest) return RunIngest(g, ingest);
  if (*c_findings) return RunFindings(g, findings);
  if (*c_explain) return RunExplain(g, explain_id);
  if (*c_intel_load) return RunIntelLoad(g, intel_files);
  if (*c_intel_status) return RunIntelStatus(g);
  if (*c_lint) return RunLint(g, lint_dir.empty() ? g.policy_dir : lint_dir);
  if (*c_slo_status) return RunSloStatus(g, slo);
  if (*c_slo_alerts) return RunSloAlerts(g, slo);
  if (*c_slo_export) return RunSloExport(g, slo);
  if (*c_gate) return RunGate(g, gate);
  if (*c_breach_declare) return RunBreachDeclare(g, breach);
  if (*c_breach_resolve) return RunBreachResolve(g, breach);
  if (*c_breach_list) return RunBreachList(g);
  if (auto rc = run_alerts(g)) return *rc;
  if (auto rc = run_detect(g)) return *rc;
  if (auto rc = run_incident(g)) return *rc;
  if (*c_rank) return RunRank(g);
  if (*c_formats) return RunFormats(g);
  if (*c_reports) return RunReports(g);
  if (*c_verify) return RunVerify(g);
  if (*c_version) {
    std::cout << fmt::format("secbudget 0.1.0\nsqlite {} (schema {})\nsimdjson {}\nallocator {}\n",
                             sqlite3_libversion(), secbudget::SqliteSchemaVersion(),
                             SIMDJSON_STRINGIFY(SIMDJSON_VERSION), secbudget::AllocatorName());
    return 0;
  }
  return kExitUsage;
}
