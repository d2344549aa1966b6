// The CLI's commands. Each parses nothing itself (main.cc does, with CLI11),
// calls the triage service, and renders the result. Exit codes:
//   0 success; 1 bad input (a report, feed or policy was rejected) or, for
//   `verify`, a mismatch; 2 usage error; 3 store or internal error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/output.h"
#include "common/clock.h"
#include "common/status.h"

namespace secbudget::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInput = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInternal = 3;

struct GlobalOptions {
  std::string db;          // database location
  std::string policy_dir;  // "" = built-in defaults
  std::string now;         // --now text, "" = wall clock
  OutputFormat output = OutputFormat::kTable;
  bool quiet = false;
};

struct IngestArgs {
  std::vector<std::string> files;
  std::string format;
  std::string target;
  std::size_t max_report_bytes = 0;  // 0 = default
  bool fail_fast = false;
};

struct FindingsArgs {
  std::string status = "open";
  std::vector<std::string> priorities;
  std::string team;
  std::string service;
  std::string kind;
  bool unmatched = false;
  std::size_t limit = 0;
};

// SLO commands (slo_commands.cc). A scope is "team=payments,service=api,
// environment=prod" (any subset, exact values).
struct SloArgs {
  std::vector<std::string> scope;
  std::string at;  // evaluate as of this time (default: --now or the clock)
  bool history = false;
  std::string from, to;  // history range (default: the 28 days up to --at)
};

struct GateArgs {
  std::string service;
  std::string environment;
  bool security_fix = false;
  std::string at;
};

struct BreachArgs {
  std::vector<std::string> scope;
  std::string id;
  std::string summary;
  std::string actor;
  std::string at;
};

int RunSloStatus(const GlobalOptions& g, const SloArgs& a);
int RunSloAlerts(const GlobalOptions& g, const SloArgs& a);
int RunSloExport(const GlobalOptions& g, const SloArgs& a);
int RunGate(const GlobalOptions& g, const GateArgs& a);
int RunBreachDeclare(const GlobalOptions& g, const BreachArgs& a);
int RunBreachResolve(const GlobalOptions& g, const BreachArgs& a);
int RunBreachList(const GlobalOptions& g);

int RunIngest(const GlobalOptions& g, const IngestArgs& a);
int RunFindings(const GlobalOptions& g, const FindingsArgs& a);
int RunExplain(const GlobalOptions& g, const std::string& id);
int RunIntelLoad(const GlobalOptions& g, const std::vector<std::string>& files);
int RunIntelStatus(const GlobalOptions& g);
int RunLint(const GlobalOptions& g, const std::string& dir);
int RunRank(const GlobalOptions& g);
int RunFormats(const GlobalOptions& g);
int RunReports(const GlobalOptions& g);
int RunVerify(const GlobalOptions& g);

// Prints an error (text to stderr, or JSON to stdout with --output json) and
// returns the exit code for its status.
int ReportError(const GlobalOptions& g, const Status& st);

}  // namespace secbudget::cli
