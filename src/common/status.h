// Status and Result<T>: the one error model of secbudget.
//
// Expected failures (bad input, I/O, not found, conflict) are values, never
// exceptions. A Status carries a stable code, a message meant for a user, and
// an optional location (file and line, or file and JSON pointer) so that every
// error a user sees names where it happened.
//
// Exceptions from third-party libraries (yaml-cpp, nlohmann::json) are caught
// in the adapter that calls them and turned into a Status there; none crosses
// a module boundary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace secbudget {

// Stable error codes. Their names appear in JSON output and in docs/errors.md:
// never renumber or rename one.
enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,  // bad command-line usage or option value
  kParseError,       // input is not valid JSON/YAML/CSV
  kSchemaError,      // valid syntax, wrong shape or value
  kUnknownFormat,    // a report whose format cannot be recognised
  kLimitExceeded,    // size, depth or count limit reached
  kNotFound,
  kAlreadyExists,
  kConflict,  // would contradict stored state
  kIoError,
  kStoreError,  // the database refused an operation
  kInternal,
  kRefused,  // well-formed, but the policy or the current state refuses it
};

std::string_view StatusCodeName(StatusCode code);

// Where an error happened. All parts are optional; `pointer` is an RFC 6901
// JSON pointer, `line`/`column` are 1-based.
struct Location {
  std::string file;
  std::uint64_t line = 0;
  std::uint64_t column = 0;
  std::string pointer;

  static Location Pointer(std::string p) {
    Location loc;
    loc.pointer = std::move(p);
    return loc;
  }
  static Location File(std::string f, std::uint64_t line_no = 0, std::uint64_t col = 0) {
    Location loc;
    loc.file = std::move(f);
    loc.line = line_no;
    loc.column = col;
    return loc;
  }

  bool empty() const { return file.empty() && line == 0 && pointer.empty(); }
  // "file:12:3", "file#/Results/0/Severity", "file" or "".
  std::string ToString() const;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status ParseError(std::string msg) { return {StatusCode::kParseError, std::move(msg)}; }
  static Status SchemaError(std::string msg) { return {StatusCode::kSchemaError, std::move(msg)}; }
  static Status UnknownFormat(std::string msg) { return {StatusCode::kUnknownFormat, std::move(msg)}; }
  static Status LimitExceeded(std::string msg) { return {StatusCode::kLimitExceeded, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {StatusCode::kAlreadyExists, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg)}; }
  static Status IoError(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }
  static Status StoreError(std::string msg) { return {StatusCode::kStoreError, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  static Status Refused(std::string msg) { return {StatusCode::kRefused, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const Location& location() const { return location_; }

  // Returns a copy with the location set (keeps fields of an existing
  // location that `loc` leaves empty).
  Status At(Location loc) &&;
  Status WithFile(std::string file) &&;
  // Prepends context: "while X: message".
  Status Context(std::string_view what) &&;

  // "file:12: parse-error: message" (location omitted when empty).
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  Location location_;
};

// Result<T>: either a value or a non-OK Status. REQUIRES: a Status given to
// the constructor is not OK.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  Status take_status() && { return ok() ? Status::OK() : std::get<Status>(std::move(data_)); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace secbudget

// Early-return helpers, LevelDB style.
#define SB_CONCAT_INNER(a, b) a##b
#define SB_CONCAT(a, b) SB_CONCAT_INNER(a, b)

#define SB_RETURN_IF_ERROR(expr) SB_RETURN_IF_ERROR_IMPL(SB_CONCAT(sb_status_, __COUNTER__), expr)
#define SB_RETURN_IF_ERROR_IMPL(var, expr) \
  do {                                     \
    ::secbudget::Status var = (expr);      \
    if (!var.ok()) return var;             \
  } while (0)

#define SB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)      \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).take_status(); \
  lhs = std::move(tmp).value()

// Expands to several statements: never use it as the body of an unbraced if.
#define SB_ASSIGN_OR_RETURN(lhs, expr) SB_ASSIGN_OR_RETURN_IMPL(SB_CONCAT(sb_result_, __COUNTER__), lhs, expr)
