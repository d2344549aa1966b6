// Registration of the `rules` and `detect` commands. Internal to src/cli.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <vector>

#include "cli/commands.h"

namespace secbudget::cli {

std::function<std::optional<int>(const GlobalOptions&)> AddDetectCommands(CLI::App& app,
                                                                          std::vector<CLI::App*>* leaves);

}  // namespace secbudget::cli
