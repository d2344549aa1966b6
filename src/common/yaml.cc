#include "common/yaml.h"

#include <fmt/format.h>

#include <map>

#include "common/file.h"
#include "common/strings.h"

namespace secbudget {

Location NodeLocation(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return Location::File(file);
  return Location::File(file, static_cast<std::uint64_t>(mark.line) + 1, static_cast<std::uint64_t>(mark.column) + 1);
}

namespace {

// True for a line that only separates documents ("---", "--- # x", "...").
bool IsDocumentMarker(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line == "..." || line == "---") return true;
  return line.size() > 3 && line.substr(0, 3) == "---" && (line[3] == ' ' || line[3] == '\t');
}

// True when a chunk holds something besides blank lines, comments and markers.
bool HasContent(std::string_view chunk) {
  std::size_t pos = 0;
  while (pos < chunk.size()) {
    std::size_t end = chunk.find('\n', pos);
    if (end == std::string_view::npos) end = chunk.size();
    std::string_view line = chunk.substr(pos, end - pos);
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#' && !IsDocumentMarker(line)) return true;
    pos = end + 1;
  }
  return false;
}

Status YamlError(const std::string& name, const YAML::Mark& mark, std::string msg) {
  if (msg.empty() || msg == "bad file") msg = "malformed YAML (or nesting too deep)";
  return Status::ParseError(fmt::format("invalid YAML: {}", msg))
      .At(Location::File(name, static_cast<std::uint64_t>(mark.line) + 1, static_cast<std::uint64_t>(mark.column) + 1));
}

}  // namespace

// yaml-cpp 0.7's LoadAll loops forever, allocating, on some invalid streams
// (a stray "," at document level: jbeder/yaml-cpp#1040, fixed upstream after
// 0.7 by PR #1319). So documents are split here at "---" lines and each is
// read with YAML::Load, which terminates. Each chunk is preceded by as many
// newlines as lines before it, so that marks keep the file's line numbers.
Result<std::vector<YAML::Node>> ParseYamlDocuments(const std::string& text, const std::string& name) {
  std::vector<YAML::Node> docs;
  std::size_t chunk_start = 0, chunk_line = 0, line_no = 0, pos = 0;
  const auto flush = [&](std::size_t end) -> Status {
    const std::string_view chunk(text.data() + chunk_start, end - chunk_start);
    if (!HasContent(chunk)) return Status::OK();
    std::string padded(chunk_line, '\n');
    padded.append(chunk);
    try {
      YAML::Node node = YAML::Load(padded);
      if (node.IsNull()) {
        const std::string_view trimmed = Trim(chunk);
        if (trimmed != "~" && trimmed != "null" && trimmed != "Null" && trimmed != "NULL") {
          return Status::ParseError("invalid YAML: not a YAML value").At(Location::File(name, chunk_line + 1, 1));
        }
      }
      docs.push_back(std::move(node));
    } catch (const YAML::ParserException& e) {
      return YamlError(name, e.mark, e.msg);
    } catch (const YAML::Exception& e) {
      return YamlError(name, e.mark, e.msg);
    } catch (const std::exception& e) {
      return Status::ParseError(fmt::format("invalid YAML: {}", e.what())).WithFile(name);
    }
    return Status::OK();
  };
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    if (IsDocumentMarker(line)) {
      SB_RETURN_IF_ERROR(flush(pos));
      // A "--- value" line starts the next document with content.
      chunk_start = line.size() > 3 && line.substr(0, 3) == "---" ? pos + 3 : end;
      chunk_line = line_no;
      if (chunk_start == end) {
        chunk_start = std::min(end + 1, text.size());
        chunk_line = line_no + 1;
      }
    }
    ++line_no;
    if (end == text.size()) break;
    pos = end + 1;
  }
  SB_RETURN_IF_ERROR(flush(text.size()));
  return docs;
}

Result<std::vector<YAML::Node>> LoadYamlDocuments(const std::string& path) {
  ReadLimits limits;
  limits.max_bytes = kMaxPolicyBytes;
  SB_ASSIGN_OR_RETURN(std::string text, ReadFile(path, limits));
  return ParseYamlDocuments(text, path);
}

MapReader::MapReader(const YAML::Node& node, std::string file, std::string what)
    : node_(node), file_(std::move(file)), what_(std::move(what)) {
  if (!node_.IsMap()) {
    error_ = Status::SchemaError(fmt::format("{} must be a mapping", what_)).At(NodeLocation(file_, node_));
  }
}

YAML::Node MapReader::Get(const std::string& key) {
  known_.insert(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  try {
    const YAML::Node& cnode = node_;
    YAML::Node v = cnode[key];
    return v;
  } catch (const YAML::Exception&) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
}

YAML::Node MapReader::Require(const std::string& key) {
  YAML::Node v = Get(key);
  if (!v.IsDefined() || v.IsNull()) Fail(node_, fmt::format("{}: missing required key \"{}\"", what_, key));
  return v;
}

std::optional<std::string> MapReader::String(const std::string& key, bool required) {
  YAML::Node v = required ? Require(key) : Get(key);
  if (!v.IsDefined() || v.IsNull()) return std::nullopt;
  if (!v.IsScalar()) {
    Fail(v, fmt::format("{}.{} must be a string", what_, key));
    return std::nullopt;
  }
  return v.Scalar();
}

std::optional<bool> MapReader::Bool(const std::string& key) {
  YAML::Node v = Get(key);
  if (!v.IsDefined() || v.IsNull()) return std::nullopt;
  const std::string s = v.IsScalar() ? v.Scalar() : std::string();
  if (s == "true" || s == "True" || s == "yes") return true;
  if (s == "false" || s == "False" || s == "no") return false;
  Fail(v, fmt::format("{}.{} must be true or false", what_, key));
  return std::nullopt;
}

std::optional<double> MapReader::Number(const std::string& key) {
  YAML::Node v = Get(key);
  if (!v.IsDefined() || v.IsNull()) return std::nullopt;
  try {
    if (v.IsScalar()) return v.as<double>();
  } catch (const YAML::Exception&) {
  }
  Fail(v, fmt::format("{}.{} must be a number", what_, key));
  return std::nullopt;
}

void MapReader::Fail(const YAML::Node& node, const std::string& message) {
  if (error_.ok()) error_ = Status::SchemaError(message).At(NodeLocation(file_, node));
}

Status MapReader::Finish() {
  if (!error_.ok()) return error_;
  std::map<std::string, int> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (++seen[key] > 1) {
      return Status::SchemaError(fmt::format("{}: duplicate key \"{}\"", what_, key))
          .At(NodeLocation(file_, it->first));
    }
    if (!known_.count(key)) {
      std::vector<std::string> names(known_.begin(), known_.end());
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      return Status::SchemaError(fmt::format("{}: unknown key \"{}\" (expected one of: {})", what_, key, list))
          .At(NodeLocation(file_, it->first));
    }
  }
  return Status::OK();
}

std::string YamlScalar(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : std::string(); }

std::string NodeOrigin(const std::string& file, const YAML::Node& n) {
  return fmt::format("{}:{}", file, NodeLocation(file, n).line);
}

std::optional<Duration> ReadDurationKey(MapReader& r, const std::string& key, bool allow_zero) {
  const YAML::Node n = r.Get(key);
  if (!n.IsDefined()) return std::nullopt;
  auto d = ParseDuration(YamlScalar(n));
  if (!d.ok() || (*d == 0 && !allow_zero)) {
    r.Fail(n, fmt::format("{}: \"{}\" is not a {}duration (48h, 7d, 2w)", key, YamlScalar(n),
                          allow_zero ? "" : "positive "));
    return std::nullopt;
  }
  return *d;
}

Result<TimePoint> ReadTimeKey(MapReader& r, const std::string& key, bool required) {
  const YAML::Node n = required ? r.Require(key) : r.Get(key);
  if (!n.IsDefined()) return TimePoint{-1};
  auto t = ParseTime(YamlScalar(n));
  if (!t.ok()) {
    r.Fail(n, fmt::format("{}: \"{}\" is not a date or time (2026-12-01 or 2026-12-01T12:00:00Z)", key, YamlScalar(n)));
    return TimePoint{-1};
  }
  return *t;
}

Result<PolicyEnvelope> ReadPolicyEnvelope(const YAML::Node& doc, const std::string& file, const std::string& kind) {
  MapReader top(doc, file, kind);
  top.Get("apiVersion");
  top.Get("kind");
  const YAML::Node meta = top.Get("metadata");
  const YAML::Node spec = top.Require("spec");
  SB_RETURN_IF_ERROR(top.Finish());
  std::string name;
  if (meta.IsDefined() && meta.IsMap() && meta["name"].IsDefined()) name = YamlScalar(meta["name"]);
  return PolicyEnvelope{std::move(name), spec};
}

Status ReadStringList(const YAML::Node& n, const std::string& file, const std::string& what,
                      std::vector<std::string>* out) {
  if (!n.IsDefined()) return Status::OK();
  if (n.IsScalar()) {
    out->push_back(n.Scalar());
    return Status::OK();
  }
  if (!n.IsSequence()) return Status::SchemaError(what + " must be a list of strings").At(NodeLocation(file, n));
  for (const auto& item : n) {
    if (!item.IsScalar()) return Status::SchemaError(what + " must be a list of strings").At(NodeLocation(file, item));
    out->push_back(item.Scalar());
  }
  return Status::OK();
}

}  // namespace secbudget
