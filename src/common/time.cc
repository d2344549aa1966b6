#include "common/time.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

namespace secbudget {

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

namespace {

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

Civil CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`.
bool Digits(std::string_view s, size_t& pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  out = v;
  return true;
}

}  // namespace

Result<TimePoint> ParseTime(std::string_view text) {
  const auto bad = [&] {
    return Status::ParseError(fmt::format("invalid time \"{}\": expected RFC 3339 such as 2024-03-01T12:00:00Z", text));
  };
  size_t pos = 0;
  unsigned year = 0, month = 0, day = 0;
  if (!Digits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' || !Digits(text, pos, 2, month) ||
      pos >= text.size() || text[pos++] != '-' || !Digits(text, pos, 2, day)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return bad();
  unsigned hour = 0, minute = 0, second = 0;
  std::int64_t offset = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return bad();
    ++pos;
    if (!Digits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' || !Digits(text, pos, 2, minute)) {
      return bad();
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!Digits(text, pos, 2, second)) return bad();
    }
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      const size_t start = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
      if (pos == start) return bad();
    }
    if (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos < text.size()) {
      const char z = text[pos];
      if (z == 'Z' || z == 'z') {
        ++pos;
      } else if (z == '+' || z == '-') {
        ++pos;
        unsigned oh = 0, om = 0;
        if (!Digits(text, pos, 2, oh)) return bad();
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (pos < text.size() && !Digits(text, pos, 2, om)) return bad();
        if (oh > 23 || om > 59) return bad();
        offset = (static_cast<std::int64_t>(oh) * 60 + om) * 60;
        if (z == '-') offset = -offset;
      } else {
        return bad();
      }
    }
    if (pos != text.size()) return bad();
    if (hour > 23 || minute > 59 || second > 60) return bad();
  }
  const std::int64_t days = DaysFromCivil(year, month, day);
  return days * kDay + hour * 3600 + minute * 60 + second - offset;
}

std::string FormatTime(TimePoint t) {
  std::int64_t days = t / kDay;
  std::int64_t rem = t % kDay;
  if (rem < 0) {
    rem += kDay;
    --days;
  }
  const Civil c = CivilFromDays(days);
  if (c.year < 0 || c.year > 9999) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, rem / 3600, (rem / 60) % 60,
                       rem % 60);
  }
  // The digits written directly: this runs for every decision, event and
  // row that carries a time, and fmt parses its format string each call.
  char out[20] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0', '0', ':', '0', '0', ':', '0', '0', 'Z'};
  const auto put = [&](std::size_t end, std::int64_t v, int width) {
    for (int i = 0; i < width; ++i, v /= 10) out[end - static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
  };
  put(3, c.year, 4);
  put(6, c.month, 2);
  put(9, c.day, 2);
  put(12, rem / 3600, 2);
  put(15, (rem / 60) % 60, 2);
  put(18, rem % 60, 2);
  return std::string(out, sizeof(out));
}

std::string FormatDate(TimePoint t) {
  std::int64_t days = t / kDay;
  if (t % kDay < 0) --days;
  const Civil c = CivilFromDays(days);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

Result<Duration> ParseDuration(std::string_view text) {
  const auto bad = [&] {
    return Status::ParseError(fmt::format("invalid duration \"{}\": expected e.g. 48h, 7d, 90m or 1d12h", text));
  };
  if (text.empty()) return bad();
  Duration total = 0;
  size_t pos = 0;
  bool any = false;
  while (pos < text.size()) {
    const size_t start = pos;
    std::int64_t n = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      n = n * 10 + (text[pos] - '0');
      if (n > 100'000'000) return bad();
      ++pos;
    }
    if (pos == start) return bad();
    Duration unit = kHour;  // a bare number is hours
    if (pos < text.size()) {
      switch (text[pos]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = kHour; break;
        case 'd': unit = kDay; break;
        case 'w': unit = 7 * kDay; break;
        default: return bad();
      }
      ++pos;
    } else if (any) {
      return bad();  // "1d12" is ambiguous
    }
    total += n * unit;
    any = true;
  }
  return total;
}

std::string FormatDuration(Duration d) {
  std::string sign;
  if (d < 0) {
    sign = "-";
    d = -d;
  }
  const Duration days = d / kDay, hours = (d % kDay) / kHour, minutes = (d % kHour) / 60;
  if (days > 0) return hours > 0 ? fmt::format("{}{}d {}h", sign, days, hours) : fmt::format("{}{}d", sign, days);
  if (hours > 0)
    return minutes > 0 ? fmt::format("{}{}h {}m", sign, hours, minutes) : fmt::format("{}{}h", sign, hours);
  if (minutes > 0) return fmt::format("{}{}m", sign, minutes);
  return fmt::format("{}{}s", sign, d);
}

}  // namespace secbudget
