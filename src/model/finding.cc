#include "model/finding.h"

#include "common/strings.h"

namespace secbudget {

std::string_view Name(EventType t) {
  switch (t) {
    case EventType::kOpened: return "opened";
    case EventType::kFixed: return "fixed";
    case EventType::kReopened: return "reopened";
    case EventType::kPriorityChanged: return "priority_changed";
    case EventType::kSourceAdded: return "source_added";
    case EventType::kSourceAbsent: return "source_absent";
  }
  return "opened";
}

std::optional<EventType> ParseEventType(std::string_view s) {
  for (auto t : {EventType::kOpened, EventType::kFixed, EventType::kReopened, EventType::kPriorityChanged,
                 EventType::kSourceAdded, EventType::kSourceAbsent}) {
    if (s == Name(t)) return t;
  }
  return std::nullopt;
}

}  // namespace secbudget
