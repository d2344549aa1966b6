// Registration of the `oncall` and `incident` commands. Internal to src/cli.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <vector>

#include "cli/commands.h"

namespace secbudget::cli {

std::function<std::optional<int>(const GlobalOptions&)> AddIncidentCommands(CLI::App& app,
                                                                            std::vector<CLI::App*>* leaves);

}  // namespace secbudget::cli
