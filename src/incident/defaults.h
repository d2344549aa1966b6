// The built-in severity policy and status-update templates, compiled in
// from policy/severity.yaml and policy/templates/ (the files users copy to
// change them).
#pragma once

#include <string_view>

namespace secbudget::incident {

inline constexpr std::string_view kTemplateNames[] = {"engineering", "executives", "press", "postmortem"};

std::string_view DefaultSeverityPolicyText();
// The built-in template `name` (one of kTemplateNames), "" for another name.
std::string_view DefaultTemplate(std::string_view name);

}  // namespace secbudget::incident
