#include "detect/logsource.h"

#include "common/strings.h"
#include "common/yaml.h"

namespace secbudget::detect {

bool LogType::Serves(const sigma::LogSource& rule) const {
  auto ok = [](const std::string& want, const std::string& have) { return want.empty() || IEquals(want, have); };
  if (rule.category.empty() && rule.product.empty() && rule.service.empty()) return false;
  return ok(rule.category, logsource.category) && ok(rule.product, logsource.product) &&
         ok(rule.service, logsource.service);
}

std::vector<FieldPath> LogType::Map(const std::string& field) const {
  std::vector<FieldPath> out;
  auto it = fields.find(field);
  if (it == fields.end()) {
    out.emplace_back(field);
    return out;
  }
  for (const std::string& raw : it->second) out.emplace_back(raw);
  return out;
}

LogSourceConfig LogSourceConfig::Defaults() {
  LogSourceConfig c;
  LogType ct;
  ct.name = "cloudtrail";
  ct.logsource = {"", "aws", "cloudtrail", "AWS CloudTrail management and data events"};
  ct.recognise = {{{FieldPath("eventName"), "", true}, {FieldPath("eventSource"), "", true}},
                  {{FieldPath("eventName"), "", true}, {FieldPath("eventVersion"), "", true}}};
  ct.time_field = "eventTime";
  ct.entity_fields = {"userIdentity.arn", "sourceIPAddress", "recipientAccountId", "awsRegion"};
  c.types.push_back(std::move(ct));

  LogType k8s;
  k8s.name = "k8s_audit";
  k8s.logsource = {"application", "kubernetes", "audit", "Kubernetes API server audit events"};
  k8s.recognise = {
      {{FieldPath("apiVersion"), "audit.k8s.io/", false}},
      {{FieldPath("kind"), "Event", false}, {FieldPath("verb"), "", true}, {FieldPath("objectRef"), "", true}},
      {{FieldPath("verb"), "", true}, {FieldPath("requestURI"), "", true}}};
  k8s.time_field = "requestReceivedTimestamp";
  k8s.entity_fields = {"user.username", "sourceIPs", "objectRef.namespace"};
  // SigmaHQ's Kubernetes rules name a few fields that audit events keep
  // inside the request object.
  k8s.fields["apiGroup"] = {"objectRef.apiGroup"};
  k8s.fields["capabilities"] = {"requestObject.spec.containers.securityContext.capabilities.add",
                                "requestObject.spec.initContainers.securityContext.capabilities.add"};
  k8s.fields["hostPath"] = {"requestObject.spec.volumes.hostPath.path"};
  c.types.push_back(std::move(k8s));
  return c;
}

int LogSourceConfig::Recognise(const EventView& ev) const {
  if (ev.root.type() != simdjson::dom::element_type::OBJECT) return -1;
  for (std::size_t t = 0; t < types.size(); ++t) {
    for (const auto& clause : types[t].recognise) {
      bool all = true;
      for (const RecogniseClause& rc : clause) {
        bool present = false;
        bool hit = FieldVisitor::Visit(
            ev, rc.field,
            [&](const FieldValue& v) {
              return rc.exists_only || (v.kind == FieldValue::Kind::kString && v.text.starts_with(rc.prefix));
            },
            &present);
        if (!(rc.exists_only ? present : hit)) {
          all = false;
          break;
        }
      }
      if (all && !clause.empty()) return static_cast<int>(t);
    }
  }
  return -1;
}

int LogSourceConfig::Find(const std::string& name) const {
  for (std::size_t t = 0; t < types.size(); ++t) {
    if (types[t].name == name) return static_cast<int>(t);
  }
  return -1;
}

LogSourceLoader::LogSourceLoader() : config_(LogSourceConfig::Defaults()) {}

Status LogSourceLoader::AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) {
  SB_ASSIGN_OR_RETURN(PolicyEnvelope env, ReadPolicyEnvelope(doc, file, kind));
  MapReader spec(env.spec, file, "LogSources spec");
  YAML::Node types = spec.Get("types");
  YAML::Node placeholders = spec.Get("placeholders");
  SB_RETURN_IF_ERROR(spec.Finish());
  if (types.IsDefined()) {
    if (!types.IsSequence()) return Status::SchemaError("'types' must be a list").At(NodeLocation(file, types));
    for (const YAML::Node& t : types) {
      MapReader r(t, file, "log type");
      LogType lt;
      lt.name = r.String("name", true).value_or("");
      if (YAML::Node ls = r.Require("logsource"); ls.IsDefined()) {
        MapReader lr(ls, file, "logsource");
        lt.logsource.category = ToLower(lr.String("category").value_or(""));
        lt.logsource.product = ToLower(lr.String("product").value_or(""));
        lt.logsource.service = ToLower(lr.String("service").value_or(""));
        lt.logsource.definition = lr.String("definition").value_or("");
        SB_RETURN_IF_ERROR(lr.Finish());
      }
      if (YAML::Node rec = r.Get("recognise"); rec.IsDefined()) {
        if (!rec.IsSequence()) return Status::SchemaError("'recognise' must be a list").At(NodeLocation(file, rec));
        for (const YAML::Node& c : rec) {
          MapReader cr(c, file, "recognise clause");
          RecogniseClause rc;
          rc.field = FieldPath(cr.String("field", true).value_or(""));
          if (auto prefix = cr.String("prefix")) {
            rc.prefix = *prefix;
            rc.exists_only = false;
          }
          SB_RETURN_IF_ERROR(cr.Finish());
          lt.recognise.push_back({rc});
        }
      }
      lt.time_field = r.String("time_field").value_or("");
      if (YAML::Node ef = r.Get("entity_fields"); ef.IsDefined()) {
        if (!ef.IsSequence()) {
          return Status::SchemaError("'entity_fields' must be a list").At(NodeLocation(file, ef));
        }
        for (const YAML::Node& f : ef) lt.entity_fields.push_back(YamlScalar(f));
      }
      if (YAML::Node fm = r.Get("fields"); fm.IsDefined()) {
        if (!fm.IsMap()) return Status::SchemaError("'fields' must be a mapping").At(NodeLocation(file, fm));
        for (const auto& kv : fm) {
          std::vector<std::string> raws;
          if (kv.second.IsSequence()) {
            for (const YAML::Node& f : kv.second) raws.push_back(YamlScalar(f));
          } else {
            raws.push_back(YamlScalar(kv.second));
          }
          lt.fields[YamlScalar(kv.first)] = std::move(raws);
        }
      }
      SB_RETURN_IF_ERROR(r.Finish());
      int existing = config_.Find(lt.name);
      if (existing >= 0) {
        config_.types[static_cast<std::size_t>(existing)] = std::move(lt);
      } else {
        config_.types.push_back(std::move(lt));
      }
    }
  }
  if (placeholders.IsDefined()) {
    if (!placeholders.IsMap()) {
      return Status::SchemaError("'placeholders' must map a name to values").At(NodeLocation(file, placeholders));
    }
    for (const auto& kv : placeholders) {
      std::vector<std::string> values;
      if (kv.second.IsSequence()) {
        for (const YAML::Node& v : kv.second) values.push_back(YamlScalar(v));
      } else {
        values.push_back(YamlScalar(kv.second));
      }
      config_.placeholders[YamlScalar(kv.first)] = std::move(values);
    }
  }
  return Status::OK();
}

Status LogSourceLoader::Finish(PolicySet& /*set*/) { return Status::OK(); }

}  // namespace secbudget::detect
