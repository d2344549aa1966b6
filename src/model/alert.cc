#include "model/alert.h"

#include "common/strings.h"

namespace secbudget {

std::string_view Name(Urgency u) {
  switch (u) {
    case Urgency::kPage: return "page";
    case Urgency::kTicket: return "ticket";
    case Urgency::kDigest: return "digest";
  }
  return "ticket";
}

std::optional<Urgency> ParseUrgency(std::string_view s) {
  // The usual spellings first, without building a lowered copy.
  if (s == "page") return Urgency::kPage;
  if (s == "ticket") return Urgency::kTicket;
  if (s == "digest") return Urgency::kDigest;
  const std::string l = ToLower(Trim(s));
  if (l == "page") return Urgency::kPage;
  if (l == "ticket") return Urgency::kTicket;
  if (l == "digest") return Urgency::kDigest;
  return std::nullopt;
}

}  // namespace secbudget
