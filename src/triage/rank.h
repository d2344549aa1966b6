// Risk ranking: an explainable decision per finding.
//
// Inputs are derived from the finding, the matched asset and threat
// intelligence (docs/ranking.md has the full rules):
//   exploitation      active: in CISA KEV, or the report says exploited in the
//                     wild, or it is a threat detection; public poc: a public
//                     exploit is referenced, or EPSS >= the policy threshold,
//                     or a leaked secret; otherwise none
//   automatable       CVSS AV:N/AC:L/PR:N/UI:N (v4 also AT:N); a leaked secret
//   technical_impact  total when CVSS C:H and I:H (v4 VC:H and VI:H), else
//                     partial; without a vector, total for critical severity
//   mission_impact    asset criticality, capped by its environment
//   in_kev            listed in the loaded KEV catalog
//   exposure          the asset is internet-exposed and the finding's layer
//                     inherits exposure (app and cloud do; container and
//                     cluster do not)
// Each decision table of the policy maps its inputs to an outcome and a
// priority; the most urgent priority wins. The score (0-100) orders findings
// within a priority.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/asset.h"
#include "model/finding.h"
#include "triage/policy.h"

namespace secbudget {

// What threat intelligence says about one finding. `*_loaded` false means
// the feed was never loaded: "never checked" is kept apart from "not listed".
struct IntelFacts {
  bool kev_loaded = false;
  std::string kev_version;
  std::optional<KevEntry> kev;
  bool epss_loaded = false;
  std::string epss_version;
  std::optional<EpssEntry> epss;
};

struct Decision {
  Priority priority = Priority::kP4;
  double score = 0;
  Duration deadline = 0;

  // Input values, as the tables spell them, and the evidence for each.
  struct Input {
    DecisionPoint point;
    std::string value;
    std::string evidence;
  };
  std::vector<Input> inputs;

  struct TableHit {
    std::string table;
    std::size_t row = 0;  // 0-based row of the table
    std::string outcome;
    Priority priority = Priority::kP4;
  };
  std::vector<TableHit> hits;

  // Short sentences, most decisive first, for tables and `explain`.
  std::vector<std::string> reasons;

  // The matched asset (empty id when none).
  std::string asset_id, service, team;
  Environment environment = Environment::kUnknown;

  const std::string& Value(DecisionPoint p) const;
};

// REQUIRES: policy.tables is non-empty and every table complete (as
// LoadPolicy guarantees). With `explain` false, the words (evidence,
// reasons) and the table hits are left empty: the ingest hot path needs
// only priority and score.
Decision Rank(const RankingPolicy& policy, const FindingRecord& finding, const Asset* asset, const IntelFacts& intel,
              bool explain = true);

}  // namespace secbudget
