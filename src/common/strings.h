// Small string helpers used across modules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace secbudget {

std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
bool IStartsWith(std::string_view s, std::string_view prefix);  // ASCII case-insensitive
bool IEquals(std::string_view a, std::string_view b);
bool IContains(std::string_view haystack, std::string_view needle);
std::string_view Trim(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

// Glob match with `*` (any run, including empty) and `?` (one character).
// Case-sensitive; linear time in practice (greedy with backtracking to the
// last star only).
bool GlobMatch(std::string_view pattern, std::string_view text);

// Orders version strings the way most ecosystems do: digit runs compare as
// numbers, other runs as text ("1.10.0" > "1.9.2", "2.0.0-rc1" > "2.0.0" is
// NOT handled: pre-release rules differ per ecosystem). Returns <0, 0, >0.
int CompareVersions(std::string_view a, std::string_view b);

// Escapes a JSON pointer token (RFC 6901: ~ -> ~0, / -> ~1).
std::string EscapePointerToken(std::string_view token);

// Truncates to at most `max` bytes of text without splitting a UTF-8
// sequence, then appends "…" (3 bytes) when it cut.
std::string Ellipsize(std::string_view s, size_t max);

// Replaces control characters (newlines, tabs, escapes) with spaces, so that
// text from a report cannot forge lines or terminal escapes in our output.
std::string SanitizeForTerminal(std::string_view s);

}  // namespace secbudget
