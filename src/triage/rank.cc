#include "triage/rank.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "common/strings.h"
#include "model/cvss.h"

namespace secbudget {

const std::string& Decision::Value(DecisionPoint p) const {
  static const std::string kEmpty;
  for (const auto& in : inputs) {
    if (in.point == p) return in.value;
  }
  return kEmpty;
}

namespace {

int MissionLevel(const std::string& m) { return m == "high" ? 2 : (m == "medium" ? 1 : 0); }

std::string Percent(double p) { return fmt::format("{:.1f}", p * 100.0); }

struct Derived {
  Decision::Input exploitation{DecisionPoint::kExploitation, "none", ""};
  Decision::Input automatable{DecisionPoint::kAutomatable, "no", ""};
  Decision::Input technical_impact{DecisionPoint::kTechnicalImpact, "partial", ""};
  Decision::Input mission_impact{DecisionPoint::kMissionImpact, "medium", ""};
  Decision::Input in_kev{DecisionPoint::kInKev, "no", ""};
  Decision::Input exposure{DecisionPoint::kExposure, "no", ""};
  double epss = -1;
};

void DeriveExploitation(const RankingPolicy& policy, const FindingRecord& f, const IntelFacts& intel, Derived& d,
                        bool explain) {
  if (intel.kev) d.in_kev.value = "yes";
  d.epss = intel.epss ? intel.epss->epss : f.report_epss;
  auto& e = d.exploitation;
  enum class Why { kKev, kThreat, kReported, kRefs, kExploitFlag, kEpss, kSecret, kNone } why = Why::kNone;
  if (intel.kev) {
    e.value = "active";
    why = Why::kKev;
  } else if (f.known_exploited == Tri::kYes || f.kind == FindingKind::kThreat) {
    e.value = "active";
    why = f.kind == FindingKind::kThreat ? Why::kThreat : Why::kReported;
  } else if (!f.exploit_refs.empty()) {
    e.value = "public poc";
    why = Why::kRefs;
  } else if (f.exploit_available == Tri::kYes) {
    e.value = "public poc";
    why = Why::kExploitFlag;
  } else if (d.epss >= 0 && d.epss >= policy.epss_threshold) {
    e.value = "public poc";
    why = Why::kEpss;
  } else if (f.kind == FindingKind::kSecret) {
    e.value = "public poc";
    why = Why::kSecret;
  } else {
    e.value = "none";
  }
  if (!explain) return;
  if (intel.kev) {
    d.in_kev.evidence = fmt::format("in CISA KEV since {}{}", FormatDate(intel.kev->date_added),
                                    intel.kev->ransomware ? " (known ransomware use)" : "");
  } else if (intel.kev_loaded) {
    d.in_kev.evidence = fmt::format("not in CISA KEV (catalog {})", intel.kev_version);
  } else {
    d.in_kev.evidence = "KEV never loaded: listing unknown (run `secbudget intel load`)";
  }
  std::string epss_words;
  if (intel.epss) {
    epss_words = fmt::format("EPSS {:.3f}, percentile {}", intel.epss->epss, Percent(intel.epss->percentile));
  } else if (f.report_epss >= 0) {
    epss_words = fmt::format("EPSS {:.3f} (from the report)", f.report_epss);
  } else if (f.kind == FindingKind::kVulnerability) {
    epss_words = intel.epss_loaded ? "no EPSS score" : "EPSS never loaded";
  }
  switch (why) {
    case Why::kKev: e.evidence = d.in_kev.evidence; break;
    case Why::kThreat: e.evidence = "attacker activity detected"; break;
    case Why::kReported: e.evidence = "the scanner reports exploitation in the wild"; break;
    case Why::kRefs: e.evidence = fmt::format("public exploit: {}", f.exploit_refs.front()); break;
    case Why::kExploitFlag: e.evidence = "the scanner reports a public exploit"; break;
    case Why::kEpss: e.evidence = fmt::format("{} >= {:.2f} threshold", epss_words, policy.epss_threshold); break;
    case Why::kSecret: e.evidence = "a leaked credential needs no exploit"; break;
    case Why::kNone:
      e.evidence = "no known exploitation";
      if (!epss_words.empty()) e.evidence += fmt::format(" ({})", epss_words);
      if (!intel.kev_loaded && f.kind == FindingKind::kVulnerability) e.evidence += "; KEV never loaded";
      break;
  }
}

// The metrics DeriveVectorFacts reads, from one pass over the vector (a
// CvssMetric call per metric walked it up to eight times per finding).
struct VectorMetrics {
  std::string_view av, ac, pr, ui, at, au, c, i, vc, vi;

  // The field of a metric name, if it is one of these.
  std::string_view* Slot(std::string_view name) {
    if (name.size() == 1) return name[0] == 'C' ? &c : name[0] == 'I' ? &i : nullptr;
    if (name.size() != 2) return nullptr;
    switch (name[0]) {
      case 'A':
        return name[1] == 'V' ? &av : name[1] == 'C' ? &ac : name[1] == 'T' ? &at : name[1] == 'u' ? &au : nullptr;
      case 'P': return name[1] == 'R' ? &pr : nullptr;
      case 'U': return name[1] == 'I' ? &ui : nullptr;
      case 'V': return name[1] == 'C' ? &vc : name[1] == 'I' ? &vi : nullptr;
      default: return nullptr;
    }
  }

  explicit VectorMetrics(std::string_view vec) {
    ForEachCvssMetric(vec, [this](std::string_view name, std::string_view value) {
      std::string_view* slot = Slot(name);
      // The first occurrence counts, as with CvssMetric.
      if (slot != nullptr && slot->data() == nullptr) *slot = value;
      return true;
    });
  }
};

// What a CVSS vector says of automatable and technical impact, for the last
// few vectors seen without words: findings of one scan share a handful of
// vectors, and reading one costs more than the rest of a ranking.
struct VectorFacts {
  std::string vector;
  bool automatable = false, total = false;
};

void DeriveVectorFacts(const FindingRecord& f, Derived& d, bool explain) {
  auto& a = d.automatable;
  auto& t = d.technical_impact;
  const std::string_view vec = f.cvss_vector;
  thread_local std::array<VectorFacts, 8> recent;
  thread_local std::size_t next = 0;
  if (!explain && !vec.empty()) {
    for (const VectorFacts& r : recent) {
      if (r.vector == vec) {
        a.value = r.automatable ? "yes" : "no";
        t.value = r.total ? "total" : "partial";
        return;
      }
    }
  }
  // Remembered when the vector alone decided (CVSS v2 and later).
  const auto remember = [&] {
    if (explain || vec.empty()) return;
    VectorFacts& r = recent[next++ % recent.size()];
    r.vector.assign(vec);
    r.automatable = a.value == "yes";
    r.total = t.value == "total";
  };
  const VectorMetrics m(vec);
  const std::string_view av = m.av;
  const int version = StartsWith(vec, "CVSS:4") ? 4 : StartsWith(vec, "CVSS:3") ? 3 : (!av.empty() ? 2 : 0);
  if (version >= 3) {
    const std::string_view ac = m.ac, pr = m.pr, ui = m.ui;
    const bool noat = version < 4 || m.at == "N";
    a.value = av == "N" && ac == "L" && pr == "N" && ui == "N" && noat ? "yes" : "no";
    const bool c = (version == 4 ? m.vc : m.c) == "H";
    const bool i = (version == 4 ? m.vi : m.i) == "H";
    t.value = c && i ? "total" : "partial";
    remember();
    if (explain) {
      a.evidence = a.value == "yes" ? "automatable: network, low complexity, no privileges, no user interaction"
                                    : fmt::format("not automatable (AV:{} AC:{} PR:{} UI:{})", av, ac, pr, ui);
      t.evidence = t.value == "total" ? "total technical impact (confidentiality and integrity high)"
                                      : "partial technical impact";
    }
    return;
  }
  if (version == 2) {
    const std::string_view ac = m.ac, au = m.au;
    a.value = av == "N" && ac == "L" && au == "N" ? "yes" : "no";
    t.value = m.c == "C" && m.i == "C" ? "total" : "partial";
    remember();
    if (explain) {
      a.evidence = fmt::format("{} (CVSS v2 AV:{} AC:{} Au:{})", a.value == "yes" ? "automatable" : "not automatable",
                               av, ac, au);
      t.evidence = fmt::format("{} technical impact (CVSS v2)", t.value);
    }
    return;
  }
  if (f.kind == FindingKind::kSecret) {
    a.value = "yes";
    t.value = f.severity >= Severity::kHigh ? "total" : "partial";
    if (explain) {
      a.evidence = "leaked credentials are harvested by automated scanning";
      t.evidence = fmt::format("{} technical impact ({} severity credential)", t.value, Name(f.severity));
    }
    return;
  }
  a.value = "no";
  t.value = f.severity == Severity::kCritical ? "total" : "partial";
  if (explain) {
    a.evidence = "automatable unknown (no CVSS vector): assumed no";
    t.evidence = fmt::format("{} technical impact (from {} severity; no CVSS vector)", t.value, Name(f.severity));
  }
}

void DeriveAssetFacts(const RankingPolicy& policy, const FindingRecord& f, const Asset* asset, Derived& d,
                      Decision& out, bool explain) {
  auto& m = d.mission_impact;
  auto& x = d.exposure;
  if (asset == nullptr) {
    m.value = policy.unknown_asset_mission;
    if (explain) m.evidence = fmt::format("no asset matched: business impact unknown, assumed {}", m.value);
    x.value = policy.unknown_asset_exposure;
    if (explain)
      x.evidence =
          fmt::format("no asset matched: exposure unknown, assumed {}", x.value == "yes" ? "exposed" : "not exposed");
    return;
  }
  out.asset_id = asset->id;
  out.service = asset->service;
  out.team = asset->team;
  out.environment = asset->environment;
  const auto crit = policy.criticality_mission.find(asset->criticality);
  std::string level = crit != policy.criticality_mission.end() ? crit->second : policy.unknown_asset_mission;
  std::string why = explain ? fmt::format("criticality {}", Name(asset->criticality)) : std::string();
  if (const auto cap = policy.environment_cap.find(asset->environment); cap != policy.environment_cap.end()) {
    if (MissionLevel(cap->second) < MissionLevel(level)) {
      level = cap->second;
      if (explain) why += fmt::format(", capped to {} in {}", level, Name(asset->environment));
    }
  }
  m.value = level;
  if (explain) m.evidence = fmt::format("{}; {} (asset {})", Name(asset->environment), why, asset->id);
  const Layer layer = f.layer != Layer::kUnknown ? f.layer : asset->layer;
  const auto inherits = policy.layer_inherits_exposure.find(layer);
  const bool layer_inherits = inherits == policy.layer_inherits_exposure.end() || inherits->second;
  if (!layer_inherits) {
    x.value = "no";
    if (explain) x.evidence = fmt::format("{} layer: internal, not directly reachable from the internet", Name(layer));
  } else if (asset->internet_exposed == Tri::kYes) {
    x.value = "yes";
    if (explain) x.evidence = fmt::format("internet-exposed {} layer (asset {})", Name(layer), asset->id);
  } else if (asset->internet_exposed == Tri::kNo) {
    x.value = "no";
    if (explain) x.evidence = fmt::format("asset {} is not internet-exposed", asset->id);
  } else {
    x.value = policy.unknown_asset_exposure;
    if (explain)
      x.evidence = fmt::format("asset {} does not say whether it is internet-exposed: assumed {}", asset->id,
                               x.value == "yes" ? "exposed" : "not exposed");
  }
}

double CvssComponent(const FindingRecord& f) {
  if (f.cvss_score >= 0) return std::min(f.cvss_score, 10.0) / 10.0;
  switch (f.severity) {
    case Severity::kCritical: return 0.95;
    case Severity::kHigh: return 0.8;
    case Severity::kMedium: return 0.55;
    case Severity::kLow: return 0.25;
    default: return 0.0;
  }
}

}  // namespace

Decision Rank(const RankingPolicy& policy, const FindingRecord& f, const Asset* asset, const IntelFacts& intel,
              bool explain) {
  Decision out;
  Derived d;
  DeriveExploitation(policy, f, intel, d, explain);
  DeriveVectorFacts(f, d, explain);
  DeriveAssetFacts(policy, f, asset, d, out, explain);
  out.inputs = {d.exploitation, d.exposure, d.automatable, d.technical_impact, d.mission_impact, d.in_kev};

  // Tables.
  bool first = true;
  std::string key;
  for (const auto& table : policy.tables) {
    key.clear();
    for (auto p : table.inputs) {
      if (!key.empty()) key += '|';
      key += out.Value(p);
    }
    const auto it = table.index.find(key);
    if (it == table.index.end()) continue;  // unreachable for a validated policy
    const auto& row = table.rows[it->second];
    const Priority p = table.outcomes.at(row.outcome);
    if (explain) out.hits.push_back({table.name, it->second, row.outcome, p});
    if (first || static_cast<int>(p) < static_cast<int>(out.priority)) out.priority = p;
    first = false;
  }
  out.deadline = policy.Deadline(out.priority);

  // Score within the priority.
  const ScoreWeights& w = policy.weights;
  const double epss = std::clamp(d.epss, 0.0, 1.0);
  double exploit = 0.5 * epss;
  if (d.exploitation.value == "active")
    exploit = 1.0;
  else if (d.exploitation.value == "public poc")
    exploit = 0.6 + 0.4 * epss;
  const double mission = d.mission_impact.value == "high" ? 1.0 : (d.mission_impact.value == "medium" ? 0.5 : 0.2);
  const double fix = f.fix_available == Tri::kYes ? 1.0 : (f.fix_available == Tri::kUnknown ? 0.5 : 0.0);
  const double total =
      w.exploitation + w.exposure + w.automatable + w.technical_impact + w.mission_impact + w.cvss + w.fix_available;
  double score = w.exploitation * exploit + w.exposure * (d.exposure.value == "yes" ? 1.0 : 0.0) +
                 w.automatable * (d.automatable.value == "yes" ? 1.0 : 0.0) +
                 w.technical_impact * (d.technical_impact.value == "total" ? 1.0 : 0.0) + w.mission_impact * mission +
                 w.cvss * CvssComponent(f) + w.fix_available * fix;
  if (total > 0) score = score * 100.0 / total;
  out.score = std::round(score * 10.0) / 10.0;

  if (!explain) return out;
  // Reasons, most decisive first: exploitation when there is any, then
  // exposure when exposed, then business impact.
  if (d.exploitation.value != "none") {
    out.reasons.push_back(d.exploitation.evidence);
    out.reasons.push_back(d.exposure.evidence);
    out.reasons.push_back(d.mission_impact.evidence);
  } else if (d.exposure.value == "yes") {
    out.reasons.push_back(d.exposure.evidence);
    out.reasons.push_back(d.mission_impact.evidence);
    out.reasons.push_back(d.exploitation.evidence);
  } else {
    out.reasons.push_back(d.mission_impact.evidence);
    out.reasons.push_back(d.exposure.evidence);
    out.reasons.push_back(d.exploitation.evidence);
  }
  out.reasons.push_back(d.automatable.evidence);
  out.reasons.push_back(d.technical_impact.evidence);
  if (f.fix_available == Tri::kYes) {
    out.reasons.push_back(f.fixed_version.empty() ? "fix available"
                                                  : fmt::format("fix available: {}", f.fixed_version));
  } else if (f.fix_available == Tri::kNo && f.kind == FindingKind::kVulnerability) {
    out.reasons.push_back("no fix available yet");
  }
  std::vector<std::string> tables;
  for (const auto& h : out.hits) tables.push_back(fmt::format("{} -> {} ({})", h.table, h.outcome, Name(h.priority)));
  out.reasons.push_back(Join(tables, "; "));
  return out;
}

}  // namespace secbudget
