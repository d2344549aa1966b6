#include "common/status.h"

#include <fmt/format.h>

namespace secbudget {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid-argument";
    case StatusCode::kParseError: return "parse-error";
    case StatusCode::kSchemaError: return "schema-error";
    case StatusCode::kUnknownFormat: return "unknown-format";
    case StatusCode::kLimitExceeded: return "limit-exceeded";
    case StatusCode::kNotFound: return "not-found";
    case StatusCode::kAlreadyExists: return "already-exists";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kRefused: return "refused";
    case StatusCode::kIoError: return "io-error";
    case StatusCode::kStoreError: return "store-error";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Location::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += fmt::format(":{}", line);
    if (column > 0) out += fmt::format(":{}", column);
  }
  if (!pointer.empty()) out += "#" + pointer;
  return out;
}

Status Status::At(Location loc) && {
  if (loc.file.empty()) loc.file = std::move(location_.file);
  if (loc.line == 0) {
    loc.line = location_.line;
    loc.column = location_.column;
  }
  if (loc.pointer.empty()) loc.pointer = std::move(location_.pointer);
  location_ = std::move(loc);
  return std::move(*this);
}

Status Status::WithFile(std::string file) && {
  if (location_.file.empty()) location_.file = std::move(file);
  return std::move(*this);
}

Status Status::Context(std::string_view what) && {
  message_ = fmt::format("{}: {}", what, message_);
  return std::move(*this);
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string where = location_.ToString();
  if (where.empty()) return fmt::format("{}: {}", StatusCodeName(code_), message_);
  return fmt::format("{}: {}: {}", where, StatusCodeName(code_), message_);
}

}  // namespace secbudget
