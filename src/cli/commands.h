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
