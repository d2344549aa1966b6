// The policy directory: every YAML file under it (recursively), each
// document declaring its kind:
//
//   apiVersion: secbudget.dev/v1
//   kind: RankingPolicy | AssetInventory
//
// RankingPolicy (at most one; the built-in default of policy/ranking.yaml
// when absent) holds the decision tables, deadlines and thresholds;
// AssetInventory documents (any number) hold assets. The file format of each
// is documented in docs/ranking.md and in inventory/inventory.h.
//
// Capabilities to the right of triage (slo, alerting, ...) add their own
// kinds through a PolicyExtension, so that one walk of the directory (and
// one `lint`) covers every policy file without triage depending on them.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "inventory/inventory.h"
#include "model/finding.h"
#include "model/types.h"

namespace YAML {
class Node;
}

namespace secbudget {

inline constexpr std::string_view kPolicyApiVersion = "secbudget.dev/v1";

enum class DecisionPoint : std::uint8_t {
  kExploitation,     // none | public poc | active
  kAutomatable,      // no | yes
  kTechnicalImpact,  // partial | total
  kMissionImpact,    // low | medium | high
  kInKev,            // no | yes
  kExposure,         // no | yes
};
std::string_view Name(DecisionPoint p);
const std::vector<std::string>& Domain(DecisionPoint p);

struct DecisionTable {
  std::string name;
  std::string source;
  std::vector<DecisionPoint> inputs;
  std::map<std::string, Priority> outcomes;
  struct Row {
    std::vector<std::string> values;
    std::string outcome;
  };
  std::vector<Row> rows;
  // "v1|v2|..." -> index into rows.
  std::unordered_map<std::string, std::size_t> index;
};

struct ScoreWeights {
  double exploitation = 30, exposure = 20, automatable = 10, technical_impact = 10, mission_impact = 15, cvss = 10,
         fix_available = 5;
};

struct RankingPolicy {
  std::array<Duration, 4> deadlines{48 * kHour, 7 * kDay, 30 * kDay, 90 * kDay};  // P1..P4
  double epss_threshold = 0.1;
  std::map<Layer, bool> layer_inherits_exposure;  // false = internal layer
  std::map<Criticality, std::string> criticality_mission;
  std::map<Environment, std::string> environment_cap;
  std::string unknown_asset_mission = "medium";
  std::string unknown_asset_exposure = "no";
  ScoreWeights weights;
  std::vector<DecisionTable> tables;
  std::string file;  // where it came from ("<built-in>" for the default)

  Duration Deadline(Priority p) const { return deadlines[static_cast<std::size_t>(p) - 1]; }
};

// Which findings a policy rule covers, by the owner the asset inventory
// gives them. Fields are glob patterns; an empty field matches anything.
// Shared by deadline rules, SLO scope rules and breaches.
struct ScopeSelector {
  std::string team, service, environment;

  int Specificity() const;  // how many fields are set
  bool Matches(std::string_view team_name, std::string_view service_name, std::string_view environment_name) const;
  bool Matches(const FindingRecord& f) const { return Matches(f.team, f.service, Name(f.environment)); }
  std::string Describe() const;  // "team=payments,environment=prod"; "" when empty
};

// Deadlines for the findings of one scope (set by the SLO policy).
struct DeadlineRule {
  ScopeSelector scope;
  std::array<std::optional<Duration>, 4> deadlines;  // P1..P4; unset = inherit
  std::string origin;                                // "file:line" for explanations
};

struct PolicySet {
  RankingPolicy ranking;
  Inventory inventory;
  // Applied from least to most specific (ties: file order); a rule's unset
  // priorities inherit. Without rules, ranking.deadlines hold.
  std::vector<DeadlineRule> deadline_rules;
  std::string fingerprint;  // hash of every policy input, to detect changes
  std::vector<std::string> files;

  // The remediation deadline of priority `p` for finding `f` (its team,
  // service and environment select the rule).
  Duration Deadline(Priority p, const FindingRecord& f) const;
};

// A capability's policy kinds. LoadPolicy hands it each document of its
// kinds, then calls Finish once (after every file, only when no error was
// found so far) to validate across documents and install what triage needs.
class PolicyExtension {
 public:
  virtual ~PolicyExtension() = default;
  virtual std::vector<std::string> Kinds() const = 0;
  virtual Status AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) = 0;
  virtual Status Finish(PolicySet& set) = 0;
};

// The text of the built-in default ranking policy (policy/ranking.yaml).
std::string_view DefaultRankingPolicyText();

// Loads a policy directory ("" = built-in defaults only). Stops at the first
// error unless `diagnostics` is given, in which case every error found is
// appended there and the result is an error if any was.
Result<PolicySet> LoadPolicy(const std::string& dir, std::vector<Status>* diagnostics = nullptr,
                             const std::vector<PolicyExtension*>& extensions = {});

// Parses one RankingPolicy document (exposed for tests and lint).
Result<RankingPolicy> ParseRankingPolicy(const std::string& text, const std::string& file);

}  // namespace secbudget
