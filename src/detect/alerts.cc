#include "detect/alerts.h"

#include <cctype>

#include "common/hash.h"
#include "common/strings.h"

namespace secbudget::detect {

namespace {

const std::string kEmpty;

Urgency UrgencyFor(const std::string& level) {
  if (level == "critical" || level == "high") return Urgency::kPage;
  if (level == "medium") return Urgency::kTicket;
  return Urgency::kDigest;
}

double RankFor(const std::string& level) {
  if (level == "critical") return 4;
  if (level == "high") return 3;
  if (level == "medium") return 2;
  if (level == "low") return 1;
  return 0;
}

std::string LabelName(std::string_view field) {
  std::string out;
  for (char c : field) out += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '_';
  return out;
}

}  // namespace

const std::string& HitLevel(const Hit& hit, const sigma::RuleSet& rules, const anomaly::AnomalyEngine* anomalies) {
  if (hit.kind == Hit::Kind::kAnomaly) {
    return anomalies != nullptr ? anomalies->specs()[static_cast<std::size_t>(hit.detector)].level : kEmpty;
  }
  return rules.rules()[static_cast<std::size_t>(hit.rule)].level;
}

const std::string& HitTitle(const Hit& hit, const sigma::RuleSet& rules, const anomaly::AnomalyEngine* anomalies) {
  if (hit.kind == Hit::Kind::kAnomaly) {
    return anomalies != nullptr ? anomalies->specs()[static_cast<std::size_t>(hit.detector)].name : kEmpty;
  }
  return rules.rules()[static_cast<std::size_t>(hit.rule)].title;
}

Alert ToAlert(const Hit& hit, const sigma::RuleSet& rules, const anomaly::AnomalyEngine* anomalies) {
  Alert a;
  a.source = "detect";
  a.name = HitTitle(hit, rules, anomalies);
  const std::string& level = HitLevel(hit, rules, anomalies);
  a.urgency = UrgencyFor(level);
  a.rank = RankFor(level);
  a.starts_at = hit.time;
  a.labels["source"] = "detect";
  a.labels["alertname"] = a.name;
  a.labels["log_type"] = hit.log_type;
  if (!level.empty()) a.labels["level"] = level;
  std::string key;
  std::string who;
  for (const auto& [field, value] : hit.entities) {
    a.labels[LabelName(field)] = value;
    key.append(field).append("=").append(value).append(";");
    if (who.empty()) who = value;
  }
  if (hit.kind == Hit::Kind::kAnomaly) {
    const anomaly::DetectorSpec& d = anomalies->specs()[static_cast<std::size_t>(hit.detector)];
    a.labels["kind"] = "anomaly";
    a.labels["detector"] = d.name;
    a.annotations["detector_type"] = std::string(anomaly::Name(d.type));
    a.annotations["expected"] = hit.expected;
    a.annotations["seen"] = hit.seen;
    a.dedup_key = "detect:anomaly:" + d.name + ":" + ContentId(key).substr(0, 16);
    a.summary = d.name + ": " + hit.seen + " for " + who + " (expected " + hit.expected + ")";
  } else {
    const sigma::Rule& r = rules.rules()[static_cast<std::size_t>(hit.rule)];
    const bool corr = hit.kind == Hit::Kind::kCorrelation;
    a.labels["kind"] = corr ? "correlation" : "sigma";
    a.labels["rule_id"] = r.Key();
    std::vector<std::string> tactics;
    std::vector<std::string> techniques;
    for (const std::string& t : r.tags) {
      if (!IStartsWith(t, "attack.")) continue;
      std::string rest = t.substr(7);
      if ((rest[0] == 't' || rest[0] == 'T') && rest.size() > 1 && std::isdigit(static_cast<unsigned char>(rest[1]))) {
        techniques.push_back(ToUpper(rest));
      } else {
        tactics.push_back(rest);
      }
    }
    if (!tactics.empty()) a.labels["attack_tactic"] = Join(tactics, ",");
    if (!techniques.empty()) a.labels["attack_technique"] = Join(techniques, ",");
    if (!r.author.empty()) a.annotations["author"] = r.author;
    a.annotations["attribution"] = "Sigma rule \"" + r.title + "\"" + (r.author.empty() ? "" : " by " + r.author) +
                                   (r.license.empty() ? "" : " (" + r.license + ")");
    if (!r.description.empty()) a.annotations["description"] = Ellipsize(Trim(r.description), 500);
    if (!r.references.empty()) a.annotations["reference"] = r.references.front();
    if (!r.falsepositives.empty()) a.annotations["falsepositives"] = Join(r.falsepositives, "; ");
    a.annotations["rule_origin"] = r.Origin();
    if (corr) {
      a.annotations["correlation"] = std::string(sigma::Name(r.correlation.type)) + " " +
                                     r.correlation.condition.ToString() + " within " +
                                     FormatDuration(r.correlation.timespan);
      a.annotations["value"] = std::to_string(hit.value);
      a.annotations["matches"] = std::to_string(hit.matches);
      a.annotations["window_start"] = FormatTime(hit.first);
    }
    a.dedup_key =
        std::string("detect:") + (corr ? "correlation:" : "sigma:") + r.Key() + ":" + ContentId(key).substr(0, 16);
    a.summary = r.title + (who.empty() ? "" : " — " + who) + " (" + hit.log_type + ")";
  }
  if (!hit.event.empty()) a.annotations["event"] = Ellipsize(hit.event, 4096);
  if (!hit.input.empty()) a.annotations["source_line"] = hit.input + ":" + std::to_string(hit.line);
  return a;
}

}  // namespace secbudget::detect
