#include "cli/output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <ostream>

#include "common/strings.h"

namespace secbudget::cli {

std::size_t DisplayWidth(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

namespace {

std::string Cut(const std::string& s, std::size_t width) {
  if (DisplayWidth(s) <= width) return s;
  if (width == 0) return {};
  // Cut to width-1 code points, then add an ellipsis.
  std::size_t count = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (count == width - 1) break;
      ++count;
    }
  }
  return s.substr(0, i) + "\xE2\x80\xA6";
}

}  // namespace

void PrintTable(std::ostream& out, const Table& table, std::size_t width) {
  const std::size_t cols = table.header.size();
  std::vector<std::size_t> w(cols, 0);
  const auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < cols && c < row.size(); ++c)
      w[c] = std::max(w[c], DisplayWidth(SanitizeForTerminal(row[c])));
  };
  measure(table.header);
  for (const auto& row : table.rows) measure(row);
  if (width > 0) {
    std::size_t total = 0;
    for (auto x : w) total += x + 2;
    // Shrink flexible columns, widest first, down to 12 characters each.
    while (total > width) {
      std::size_t best = cols;
      for (auto c : table.flexible) {
        if (c < cols && w[c] > 12 && (best == cols || w[c] > w[best])) best = c;
      }
      if (best == cols) break;
      const std::size_t cut = std::min(total - width, w[best] - 12);
      w[best] -= cut;
      total -= cut;
    }
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < cols; ++c) {
      std::string cell = c < row.size() ? Cut(SanitizeForTerminal(row[c]), w[c]) : std::string();
      line += cell;
      if (c + 1 < cols) line += std::string(w[c] - DisplayWidth(cell) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  print_row(table.header);
  for (const auto& row : table.rows) print_row(row);
}

void PrintCsv(std::ostream& out, const Table& table) {
  const auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (const char c : s) {
      if (c == '"') q += '"';
      q += c;
    }
    return q + "\"";
  };
  const auto row_out = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c) out << (c > 0 ? "," : "") << field(row[c]);
    out << "\r\n";
  };
  row_out(table.header);
  for (const auto& row : table.rows) row_out(row);
}

void PrintJson(std::ostream& out, const nlohmann::json& value) {
  out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

std::size_t TerminalWidth() {
  if (isatty(STDOUT_FILENO) == 0) return 0;
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 100;
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) != 0; }

}  // namespace secbudget::cli
