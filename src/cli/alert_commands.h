// Registration of the `alerts` and `suppressions` commands. Internal to src/cli.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <vector>

#include "cli/commands.h"

namespace secbudget::cli {

// Adds the commands to `app` (their leaf commands to `leaves`) and returns
// the function that runs the chosen one after parsing (nullopt: none chosen).
std::function<std::optional<int>(const GlobalOptions&)> AddAlertCommands(CLI::App& app, std::vector<CLI::App*>* leaves);

}  // namespace secbudget::cli
