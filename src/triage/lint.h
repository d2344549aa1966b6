// `secbudget lint`: validates every policy file and reports every error with
// file:line (errors), plus advice that is not an error (warnings).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "triage/policy.h"

namespace secbudget {

struct LintReport {
  std::vector<std::string> files;
  std::vector<Status> errors;
  std::vector<Status> warnings;  // code kOk is not used: warnings carry kSchemaError
  std::size_t assets = 0;
  std::size_t tables = 0;
  std::string ranking_source;
};

// `extensions`: the policy kinds of the capabilities right of triage.
LintReport LintPolicyDirectory(const std::string& dir, const std::vector<PolicyExtension*>& extensions = {});

}  // namespace secbudget
