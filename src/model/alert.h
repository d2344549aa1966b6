// The one alert model. Every capability that wants a human's attention
// (SLO burn and budget state now; new findings, detections and incidents
// later) emits an Alert; routing, grouping, capacity and delivery (the
// alerting capability) consume them without knowing where they came from.
//
// Two alerts with the same dedup_key are the same alert: re-evaluating a
// condition that still holds yields the same key, so delivery can group and
// deduplicate (as Alertmanager's fingerprint and PagerDuty's dedup_key do).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "model/labels.h"

namespace secbudget {

// How soon a human must look: page now, a ticket for working hours, or a
// line in the team's digest.
enum class Urgency : std::uint8_t { kPage, kTicket, kDigest };
std::string_view Name(Urgency u);
std::optional<Urgency> ParseUrgency(std::string_view s);

// The fields a flush reads for every alert of a group (key, label sets,
// rank) come first and share a cache line; the texts a notification copies
// follow (alert/engine.h lays out its entries the same way).
struct Alert {
  std::string dedup_key;  // stable identity of the condition
  // Labels identify and route (team, service, environment, tier, ...);
  // annotations carry the figures and words (remaining budget, burn rate,
  // time to exhaustion, reasons).
  Labels labels;
  Labels annotations;
  // Orders alerts of the same urgency when capacity runs out: higher ranks
  // are delivered first (a finding's score, a burn tier's weight).
  double rank = 0;
  Urgency urgency = Urgency::kTicket;
  std::string source;   // "slo", "triage", "detect", "incident"
  std::string name;     // "SLOBurnRate", "SLOBudgetExhausted", ...
  std::string summary;  // one line a human reads first
  std::string owner;    // the owning team ("" = unowned: routing decides)
  TimePoint starts_at = 0;
};

}  // namespace secbudget
