// The persistence port of the slo capability: finding lifecycles (read from
// the findings' append-only events) and budget events (breaches). slo owns
// this interface; the store module implements it.
//
// Contract: LoadLifecycle returns only the lifecycle events (opened,
// reopened, priority changed, fixed) with at <= until, grouped per finding
// in the order they were appended. Budget events are append-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/types.h"
#include "slo/budget.h"

namespace secbudget {

// Which findings: exact values; empty = any.
struct UnitFilter {
  std::string team, service, environment;
};

// A unit: the findings of one (team, service, environment).
struct UnitKey {
  std::string team, service;
  Environment environment = Environment::kUnknown;

  std::string Describe() const;  // "payments/payments-api (prod)"
};

struct LifecycleData {
  std::vector<UnitKey> units;
  // Per finding: its unit and its events [first_event, first_event + count).
  struct Finding {
    std::uint64_t id = 0;
    std::uint32_t unit = 0;
    std::uint32_t first_event = 0;
    std::uint32_t event_count = 0;
  };
  std::vector<Finding> findings;
  std::vector<LifecycleEvent> events;
};

enum class BudgetEventType : std::uint8_t { kBreachDeclared, kBreachResolved };
std::string_view Name(BudgetEventType t);

struct BudgetEventRecord {
  std::int64_t seq = 0;  // assigned by the store
  TimePoint at = 0;
  BudgetEventType type = BudgetEventType::kBreachDeclared;
  std::string breach_id;
  // The scope a breach covers (declared events; empty = any).
  std::string team, service, environment;
  std::string summary;
  std::string actor;
};

class SloStore {
 public:
  virtual ~SloStore() = default;
  virtual Status LoadLifecycle(const UnitFilter& filter, TimePoint until, LifecycleData* out) = 0;
  virtual Status AppendBudgetEvent(BudgetEventRecord* event) = 0;
  virtual Status ListBudgetEvents(std::vector<BudgetEventRecord>* out) = 0;
};

}  // namespace secbudget
