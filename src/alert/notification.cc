#include "alert/notification.h"

#include <array>

namespace secbudget {

namespace {

constexpr std::array<std::string_view, 3> kOutboxStates = {"pending", "delivered", "dead"};
constexpr std::array<std::string_view, 9> kOutcomes = {
    "pending", "paged", "ticketed", "digested", "grouped", "inhibited", "suppressed", "shed", "resolved_unsent"};

template <typename E, std::size_t N>
std::optional<E> ParseName(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view Name(OutboxState s) { return kOutboxStates[static_cast<std::size_t>(s)]; }
std::optional<OutboxState> ParseOutboxState(std::string_view s) { return ParseName<OutboxState>(kOutboxStates, s); }
std::string_view Name(AlertOutcome o) { return kOutcomes[static_cast<std::size_t>(o)]; }
std::optional<AlertOutcome> ParseAlertOutcome(std::string_view s) { return ParseName<AlertOutcome>(kOutcomes, s); }

}  // namespace secbudget
