// Log types: how an input event is recognised, which Sigma logsource it
// serves, where its time is, and how rule field names map onto its raw
// fields. Built-in types cover CloudTrail and Kubernetes audit; a policy
// document of kind LogSources adds types or replaces built-in ones:
//
//   apiVersion: secbudget.dev/v1
//   kind: LogSources
//   spec:
//     types:
//       - name: k8s_audit
//         logsource: {category: application, product: kubernetes, service: audit}
//         recognise: [{field: apiVersion, prefix: audit.k8s.io/}]   # any clause; all keys of one
//         time_field: requestReceivedTimestamp
//         entity_fields: [user.username, sourceIPs, objectRef.namespace]
//         fields:                          # Sigma field -> raw field(s)
//           apiGroup: objectRef.apiGroup
//     placeholders:                        # values for the `expand` modifier
//       admins: [alice, bob]
//
// Routing: a rule serves a log type when each of category, product and
// service that the rule names equals the type's (case-insensitively).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "detect/event.h"
#include "detect/sigma/rule.h"
#include "detect/sigma/value.h"
#include "triage/policy.h"

namespace secbudget::detect {

struct RecogniseClause {
  FieldPath field;
  std::string prefix;  // "" = the field exists
  bool exists_only = true;
};

struct LogType {
  std::string name;
  sigma::LogSource logsource;
  // Any clause recognises the event; within a clause, every field must hold.
  std::vector<std::vector<RecogniseClause>> recognise;
  std::string time_field;
  std::vector<std::string> entity_fields;
  std::map<std::string, std::vector<std::string>, std::less<>> fields;  // sigma name -> raw paths

  bool Serves(const sigma::LogSource& rule) const;
  // Raw paths for a Sigma field name (the name itself when unmapped).
  std::vector<FieldPath> Map(const std::string& field) const;
};

struct LogSourceConfig {
  std::vector<LogType> types;  // recognition is tried in this order
  sigma::Placeholders placeholders;

  // Built-in cloudtrail and k8s_audit types.
  static LogSourceConfig Defaults();
  // Index of the first type that recognises `root` (-1 = none).
  int Recognise(const EventView& ev) const;
  int Find(const std::string& name) const;
};

// PolicyExtension for kind LogSources (and AnomalyDetectors, see anomaly/).
class LogSourceLoader : public PolicyExtension {
 public:
  LogSourceLoader();
  std::vector<std::string> Kinds() const override { return {"LogSources"}; }
  Status AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) override;
  Status Finish(PolicySet& set) override;

  const LogSourceConfig& config() const { return config_; }

 private:
  LogSourceConfig config_;
};

}  // namespace secbudget::detect
