#include "inventory/inventory.h"

#include <fmt/format.h>

#include <map>

#include "common/strings.h"
#include "common/yaml.h"

namespace secbudget {

const std::vector<std::string>& SelectorKeys() {
  static const std::vector<std::string> kKeys = {"image",     "repository", "account", "arn",      "cluster",
                                                 "namespace", "resource",   "path",    "provider", "region"};
  return kKeys;
}

std::string_view LocatorField(const Locator& l, std::string_view key) {
  if (key == "image") return l.image;
  if (key == "repository") return l.repository;
  if (key == "account") return l.account;
  if (key == "arn") return l.arn;
  if (key == "cluster") return l.cluster;
  if (key == "namespace") return l.k8s_namespace;
  if (key == "resource") return l.resource;
  if (key == "path") return l.path;
  if (key == "provider") return l.provider;
  if (key == "region") return l.region;
  return {};
}

namespace {

std::string KeyList() {
  std::string out;
  for (const auto& k : SelectorKeys()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

Status ReadAsset(const YAML::Node& node, const std::string& file, Asset* asset) {
  MapReader r(node, file, "asset");
  asset->file = file;
  asset->line = static_cast<int>(NodeLocation(file, node).line);
  asset->id = r.String("id", true).value_or("");
  asset->service = r.String("service", true).value_or("");
  asset->team = r.String("team", true).value_or("");
  if (auto env = r.String("environment")) {
    auto parsed = ParseEnvironment(*env);
    if (!parsed)
      r.Fail(r.Get("environment"),
             fmt::format("asset {}: environment \"{}\" is not prod, staging or dev", asset->id, *env));
    else
      asset->environment = *parsed;
  }
  if (auto layer = r.String("layer")) {
    auto parsed = ParseLayer(*layer);
    if (!parsed)
      r.Fail(r.Get("layer"),
             fmt::format("asset {}: layer \"{}\" is not cloud, cluster, container or app", asset->id, *layer));
    else
      asset->layer = *parsed;
  }
  if (auto exposed = r.Bool("internet_exposed")) asset->internet_exposed = *exposed ? Tri::kYes : Tri::kNo;
  if (auto crit = r.String("criticality")) {
    auto parsed = ParseCriticality(*crit);
    if (!parsed)
      r.Fail(r.Get("criticality"),
             fmt::format("asset {}: criticality \"{}\" is not low, medium, high or critical", asset->id, *crit));
    else
      asset->criticality = *parsed;
  }
  const YAML::Node match = r.Require("match");
  if (match.IsDefined() && !match.IsNull()) {
    if (!match.IsSequence()) {
      r.Fail(match, fmt::format("asset {}: match must be a list of selectors", asset->id));
    } else {
      for (const auto& sel_node : match) {
        MapReader sr(sel_node, file, "selector");
        Selector sel;
        if (sel_node.IsMap()) {
          for (auto it = sel_node.begin(); it != sel_node.end(); ++it) {
            const std::string key = it->first.Scalar();
            bool known = false;
            for (const auto& k : SelectorKeys()) known = known || k == key;
            if (!known) {
              sr.Fail(it->first, fmt::format("unknown selector key \"{}\" (expected one of: {})", key, KeyList()));
              continue;
            }
            if (!it->second.IsScalar() || it->second.Scalar().empty()) {
              sr.Fail(it->second, fmt::format("selector {} must be a non-empty string", key));
              continue;
            }
            sel[key] = it->second.Scalar();
            sr.Get(key);
          }
        }
        SB_RETURN_IF_ERROR(sr.Finish());
        if (sel.empty()) r.Fail(sel_node, fmt::format("asset {}: empty selector matches nothing", asset->id));
        asset->selectors.push_back(std::move(sel));
      }
      if (asset->selectors.empty()) r.Fail(match, fmt::format("asset {}: match has no selector", asset->id));
    }
  }
  return r.Finish();
}

// Specificity of a selector: literal (non-wildcard) characters first, then
// the number of keys. An ARN or a full image name outranks a whole account.
std::pair<std::size_t, std::size_t> Specificity(const Selector& sel) {
  std::size_t literal = 0;
  for (const auto& [key, pattern] : sel) {
    for (const char c : pattern) literal += (c != '*' && c != '?');
  }
  return {literal, sel.size()};
}

}  // namespace

Status Inventory::AddDocument(const YAML::Node& doc, const std::string& file) {
  MapReader top(doc, file, "AssetInventory");
  top.Get("apiVersion");
  top.Get("kind");
  top.Get("metadata");
  const YAML::Node spec = top.Require("spec");
  SB_RETURN_IF_ERROR(top.Finish());
  MapReader sr(spec, file, "spec");
  const YAML::Node list = sr.Require("assets");
  SB_RETURN_IF_ERROR(sr.Finish());
  if (!list.IsSequence()) {
    return Status::SchemaError("spec.assets must be a list").At(NodeLocation(file, list));
  }
  for (const auto& node : list) {
    Asset asset;
    SB_RETURN_IF_ERROR(ReadAsset(node, file, &asset));
    assets_.push_back(std::move(asset));
  }
  return Status::OK();
}

Status Inventory::Validate() const {
  std::map<std::string, const Asset*> seen;
  for (const auto& a : assets_) {
    auto [it, inserted] = seen.emplace(a.id, &a);
    if (!inserted) {
      return Status::SchemaError(
                 fmt::format("asset id \"{}\" is also defined at {}:{}", a.id, it->second->file, it->second->line))
          .At(Location::File(a.file, static_cast<std::uint64_t>(a.line)));
    }
  }
  return Status::OK();
}

int Inventory::Match(const Locator& locator) const {
  int best = -1;
  std::pair<std::size_t, std::size_t> best_spec{0, 0};
  for (std::size_t i = 0; i < assets_.size(); ++i) {
    for (const auto& sel : assets_[i].selectors) {
      bool all = true;
      for (const auto& [key, pattern] : sel) {
        const std::string_view value = LocatorField(locator, key);
        if (value.empty() || !GlobMatch(pattern, value)) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      const auto spec = Specificity(sel);
      if (best < 0 || spec > best_spec) {
        best = static_cast<int>(i);
        best_spec = spec;
      }
    }
  }
  return best;
}

}  // namespace secbudget
