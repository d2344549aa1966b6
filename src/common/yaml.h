// The yaml-cpp adapter: loading with file:line:column errors and a strict
// map reader for policy files. yaml-cpp throws; nothing here lets an
// exception escape. Include this header only in policy loaders (it pulls in
// yaml-cpp).
//
// Limits: a policy file is at most kMaxPolicyBytes; nesting deeper than
// yaml-cpp's own limit (about 500 levels) is reported as a parse error.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace secbudget {

inline constexpr std::size_t kMaxPolicyBytes = 16 * 1024 * 1024;

// Parses every document in a file. Errors carry file:line:column.
Result<std::vector<YAML::Node>> LoadYamlDocuments(const std::string& path);
Result<std::vector<YAML::Node>> ParseYamlDocuments(const std::string& text, const std::string& name);

// 1-based position of a node.
Location NodeLocation(const std::string& file, const YAML::Node& node);

// A scalar's text ("" for maps, sequences and undefined nodes).
std::string YamlScalar(const YAML::Node& n);
// "file:line" of a node, for origins shown in explanations.
std::string NodeOrigin(const std::string& file, const YAML::Node& n);

class MapReader;
// A positive duration (48h, 7d, 2w) under `key`; nullopt when absent or
// invalid (the error is recorded in `r`).
std::optional<Duration> ReadDurationKey(MapReader& r, const std::string& key, bool allow_zero = false);
// A date or time under `key`; -1 when absent; an error when invalid.
Result<TimePoint> ReadTimeKey(MapReader& r, const std::string& key, bool required);

// A list of strings under a node (a lone scalar is a list of one); nothing
// when undefined; an error naming `what` otherwise.
Status ReadStringList(const YAML::Node& n, const std::string& file, const std::string& what,
                      std::vector<std::string>* out);

// The envelope every policy document shares (apiVersion, kind, metadata,
// spec), checked: metadata.name ("" when absent) and the spec.
struct PolicyEnvelope {
  std::string name;
  YAML::Node spec;  // copy-constructed: yaml-cpp's assignment writes into nodes
};
Result<PolicyEnvelope> ReadPolicyEnvelope(const YAML::Node& doc, const std::string& file, const std::string& kind);

// Reads a mapping with a fixed set of keys; unknown and duplicate keys are
// errors (yaml-cpp silently keeps the first of duplicates).
class MapReader {
 public:
  // REQUIRES: node is defined. A non-map node yields an error on Finish().
  MapReader(const YAML::Node& node, std::string file, std::string what);

  // The value of `key` (undefined node if absent).
  YAML::Node Get(const std::string& key);
  // Errors when absent.
  YAML::Node Require(const std::string& key);

  std::optional<std::string> String(const std::string& key, bool required = false);
  std::optional<bool> Bool(const std::string& key);
  std::optional<double> Number(const std::string& key);

  // Records an error about `node` (first error wins).
  void Fail(const YAML::Node& node, const std::string& message);
  // Reports the first error, or an unknown/duplicate key.
  Status Finish();
  bool ok() const { return error_.ok(); }

 private:
  YAML::Node node_;
  std::string file_;
  std::string what_;
  std::set<std::string> known_;
  Status error_;
};

}  // namespace secbudget
