// Status updates and postmortems are rendered from the timeline through
// Mustache templates (kainjow-mustache): `{{name}}` inserts a value as
// written (no HTML escaping: the output is Markdown), `{{#list}}...{{/list}}`
// repeats per item or shows when true, `{{^x}}...{{/x}}` shows when x is
// empty or false. The context is JSON; docs/incidents.md lists its fields.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"

namespace secbudget::incident {

// Checks that `text` is a valid template; the error names `name`.
Status CheckTemplate(const std::string& text, const std::string& name);

// Renders `text` with `context` (an object).
Result<std::string> RenderTemplate(const std::string& text, const nlohmann::json& context, const std::string& name);

}  // namespace secbudget::incident
