// The severity policy: what each incident severity level means and what it
// sets in motion. One document per policy directory (the built-in default
// of four levels when absent):
//
//   apiVersion: secbudget.dev/v1
//   kind: SeverityPolicy
//   spec:
//     executives: [dana]              # who commands at `commander: executive`
//     levels:                         # most severe first
//       - name: SEV1
//         description: Confirmed breach of customer data, or production down
//         criteria: [customer data exposed, all customers affected]
//         commander: executive        # duty | leader | executive: the least
//                                     # senior commander this level needs
//         executives: [dana]          # optional: this level's own chain
//         roles: [communications, scribe]   # roles to fill beyond the commander
//         teams: [platform, legal]    # teams pulled in
//         notify: [ciso]              # people told when the level is reached
//         update_every: 30m           # status-update cadence (absent: none)
//         audiences: [engineering, executives, press]
//         postmortem: {type: full, due: 5d}   # full | lightweight | none
//         action_items_due: 14d       # default due date of action items
//     triggers:                       # alerts that declare incidents
//       - matchers: ['source="detect"', 'level="critical"']
//         severity: SEV2
//         breach: false               # a confirmed compromise: budget to zero
//     templates:                      # Mustache (Markdown) files, relative to
//       engineering: templates/engineering.md   # this file; built-ins for
//       executives: templates/executives.md     # those not given
//       press: templates/press.md
//       postmortem: templates/postmortem.md
//
// docs/incidents.md documents every key and the variables templates see.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alert/matcher.h"
#include "common/status.h"
#include "common/time.h"
#include "triage/policy.h"

namespace secbudget::incident {

// Who may command an incident, least senior first.
enum class CommanderClass : std::uint8_t { kDuty, kLeader, kExecutive };
std::string_view Name(CommanderClass c);

enum class Audience : std::uint8_t { kEngineering, kExecutives, kPress };
std::string_view Name(Audience a);
std::optional<Audience> ParseAudience(std::string_view s);
inline constexpr Audience kAudiences[] = {Audience::kEngineering, Audience::kExecutives, Audience::kPress};

enum class PostmortemType : std::uint8_t { kNone, kLightweight, kFull };
std::string_view Name(PostmortemType t);

struct SeverityLevel {
  std::string name;
  std::string description;
  std::vector<std::string> criteria;
  CommanderClass commander = CommanderClass::kDuty;
  std::vector<std::string> executives;  // empty: the policy's
  std::vector<std::string> roles, teams, notify;
  Duration update_every = 0;  // 0: no cadence
  std::vector<Audience> audiences;
  PostmortemType postmortem = PostmortemType::kNone;
  Duration postmortem_due = 0;
  Duration action_items_due = 14 * kDay;
  std::string origin;  // file:line
};

struct IncidentTrigger {
  std::vector<Matcher> matchers;
  std::string severity;
  bool breach = false;
  std::string origin;
};

struct SeverityPolicy {
  std::vector<SeverityLevel> levels;  // most severe first
  std::vector<std::string> executives;
  std::vector<IncidentTrigger> triggers;
  std::map<std::string, std::string> templates;  // name -> template text (user's; built-ins otherwise)
  std::string origin;                            // file, or "<built-in>"

  // The level named `name` (case-insensitive), or null.
  const SeverityLevel* Find(std::string_view name) const;
  // 0 for the most severe level; levels.size() for an unknown name.
  std::size_t RankOf(std::string_view name) const;
  // The executives who command at `level` (its own, else the policy's).
  const std::vector<std::string>& ExecutivesFor(const SeverityLevel& level) const;
  // The first trigger matching `labels`, or null.
  const IncidentTrigger* TriggerFor(const Labels& labels) const;
  // The template text for `name` (engineering, executives, press, postmortem).
  const std::string& Template(const std::string& name) const;
};

// The built-in default: SEV1..SEV4.
const SeverityPolicy& DefaultSeverityPolicy();

// Parses one SeverityPolicy document (its templates read relative to `file`).
Result<SeverityPolicy> ParseSeverityPolicy(const YAML::Node& doc, const std::string& file);

// The policy-directory extension for SeverityPolicy (at most one).
class SeverityPolicyLoader : public PolicyExtension {
 public:
  std::vector<std::string> Kinds() const override { return {"SeverityPolicy"}; }
  Status AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) override;
  Status Finish(PolicySet& set) override;

  // The loaded policy, or the built-in default.
  const SeverityPolicy& policy() const { return policy_ ? *policy_ : DefaultSeverityPolicy(); }

 private:
  std::optional<SeverityPolicy> policy_;
};

}  // namespace secbudget::incident
