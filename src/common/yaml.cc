#include "common/yaml.h"

#include <fmt/format.h>

#include <map>

#include "common/file.h"

namespace secbudget {

Location NodeLocation(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return Location::File(file);
  return Location::File(file, static_cast<std::uint64_t>(mark.line) + 1, static_cast<std::uint64_t>(mark.column) + 1);
}

Result<std::vector<YAML::Node>> ParseYamlDocuments(const std::string& text, const std::string& name) {
  try {
    return YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    std::string msg = e.msg;
    if (msg.empty() || msg == "bad file") msg = "malformed YAML (or nesting too deep)";
    return Status::ParseError(fmt::format("invalid YAML: {}", msg))
        .At(Location::File(name, static_cast<std::uint64_t>(e.mark.line) + 1, static_cast<std::uint64_t>(e.mark.column) + 1));
  } catch (const YAML::Exception& e) {
    return Status::ParseError(fmt::format("invalid YAML: {}", e.msg)).WithFile(name);
  } catch (const std::exception& e) {
    return Status::ParseError(fmt::format("invalid YAML: {}", e.what())).WithFile(name);
  }
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
      return Status::SchemaError(fmt::format("{}: duplicate key \"{}\"", what_, key)).At(NodeLocation(file_, it->first));
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

}  // namespace secbudget
