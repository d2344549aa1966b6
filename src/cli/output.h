// Rendering for the CLI: aligned text tables, CSV (RFC 4180) and JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace secbudget::cli {

enum class OutputFormat { kTable, kJson, kCsv };

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // Columns that may be cut to fit the terminal width, widest first.
  std::vector<std::size_t> flexible;
};

// Writes `table` aligned, cutting flexible columns to `width` (0 = no limit).
void PrintTable(std::ostream& out, const Table& table, std::size_t width);
void PrintCsv(std::ostream& out, const Table& table);
void PrintJson(std::ostream& out, const nlohmann::json& value);

// Terminal width of stdout, or 0 when it is not a terminal.
std::size_t TerminalWidth();
bool StderrIsTerminal();

// Display width of UTF-8 text (code points; good enough for our output).
std::size_t DisplayWidth(const std::string& s);

}  // namespace secbudget::cli
