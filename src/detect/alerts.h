// Detection hits as alerts of the one alert model (model/alert.h), so that
// routing, grouping, capacity, suppressions and delivery treat them like
// every other alert.
//
// name = the rule's title (or the detector's name); labels: source=detect,
// kind (sigma | correlation | anomaly), rule_id, level, log_type, the ATT&CK
// tactics and techniques of the rule's tags, and the entity fields; the
// annotations carry the rule's author (the Detection Rule License asks for
// attribution), description, references, the matched event and, for
// anomalies, what was expected and what was seen. Urgency follows the level:
// critical and high page, medium tickets, low and informational go to the
// digest. The dedup key is the rule plus the entity values, so repeats of
// the same activity by the same principal are one alert.
#pragma once

#include <vector>

#include "detect/anomaly/anomaly.h"
#include "detect/detector.h"
#include "detect/sigma/ruleset.h"
#include "model/alert.h"

namespace secbudget::detect {

Alert ToAlert(const Hit& hit, const sigma::RuleSet& rules, const anomaly::AnomalyEngine* anomalies);

// The level of a hit ("" for none).
const std::string& HitLevel(const Hit& hit, const sigma::RuleSet& rules, const anomaly::AnomalyEngine* anomalies);
// The rule title or detector name.
const std::string& HitTitle(const Hit& hit, const sigma::RuleSet& rules, const anomaly::AnomalyEngine* anomalies);

}  // namespace secbudget::detect
