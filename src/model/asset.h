// Assets from the inventory, and threat-intelligence records.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/time.h"
#include "model/types.h"

namespace secbudget {

// One selector: every attribute must match (AND); an asset matches a finding
// when any of its selectors matches (OR). Keys are Locator field names
// (image, repository, account, arn, cluster, namespace, resource, path,
// provider, region); values are globs.
using Selector = std::map<std::string, std::string>;

struct Asset {
  std::string id;
  std::string service;
  std::string team;
  Environment environment = Environment::kUnknown;
  Layer layer = Layer::kUnknown;
  Tri internet_exposed = Tri::kUnknown;
  Criticality criticality = Criticality::kUnknown;
  std::vector<Selector> selectors;
  std::string file;  // where it was defined
  int line = 0;
};

struct KevEntry {
  std::string cve;
  std::string vendor;
  std::string product;
  std::string name;
  TimePoint date_added = 0;
  TimePoint due_date = 0;
  bool ransomware = false;  // knownRansomwareCampaignUse == "Known"
};

struct EpssEntry {
  std::string cve;
  double epss = 0;
  double percentile = 0;
};

// What is known about an intel feed in the store: kept apart so that "never
// loaded" is not confused with "not listed".
struct IntelSource {
  std::string name;        // "kev" or "epss"
  std::string version;     // KEV catalogVersion, EPSS model version
  TimePoint released = 0;  // KEV dateReleased, EPSS score_date
  TimePoint loaded_at = 0;
  std::int64_t entries = 0;
  std::string file;
};

}  // namespace secbudget
