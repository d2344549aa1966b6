// The asset inventory: which service and team own what a finding is in, its
// environment, architecture layer, internet exposure and business
// criticality. Defined in policy files of kind AssetInventory:
//
//   apiVersion: secbudget.dev/v1
//   kind: AssetInventory
//   spec:
//     assets:
//       - id: payments-api
//         service: payments
//         team: payments
//         environment: prod        # prod | staging | dev
//         layer: app               # cloud | cluster | container | app
//         internet_exposed: true   # true | false; omitted = unknown
//         criticality: high        # low | medium | high | critical
//         match:                   # any selector; all keys of one selector
//           - image: "ghcr.io/acme/payments-api"
//           - {cluster: prod-eks, namespace: payments}
//
// Selector keys are Locator fields (image, repository, account, arn, cluster,
// namespace, resource, path, provider, region); values are globs.
// Matching: the most specific matching selector wins (more literal, i.e.
// non-wildcard, characters, then more keys); ties go to the asset defined
// first. A finding that
// matches nothing is reported as unmatched, never guessed.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "model/asset.h"
#include "model/finding.h"

namespace YAML {
class Node;
}

namespace secbudget {

class Inventory {
 public:
  // Adds the assets of one AssetInventory document. Errors carry file:line.
  Status AddDocument(const YAML::Node& doc, const std::string& file);
  // Errors on duplicate asset ids across documents.
  Status Validate() const;

  // Index into assets() of the best match, or -1.
  int Match(const Locator& locator) const;
  const std::vector<Asset>& assets() const { return assets_; }
  bool empty() const { return assets_.empty(); }

 private:
  std::vector<Asset> assets_;
};

// Selector keys, for validation and docs.
const std::vector<std::string>& SelectorKeys();

// The value of a Locator field by selector key ("" for unknown keys).
std::string_view LocatorField(const Locator& locator, std::string_view key);

}  // namespace secbudget
