// `rules check` and `detect`: rendering of the detection engine's results
// (detect/). No detection logic lives here.
#include "cli/detect_commands.h"

#include <fmt/format.h>

#include <iostream>

#include "cli/session.h"
#include "common/strings.h"
#include "common/yaml.h"
#include "detect/alerts.h"
#include "detect/anomaly/anomaly.h"
#include "detect/detector.h"
#include "detect/logsource.h"
#include "detect/sigma/ruleset.h"

namespace secbudget::cli {

namespace {

using nlohmann::json;

struct DetectArgs {
  std::vector<std::string> rules;
  std::vector<std::string> logs;
  std::string detectors;
  std::string log_type;
  int threads = 1;
  bool no_alerts = false;
  bool deliver = false;
  bool show_loaded = false;
  std::size_t limit = 200;
};

// Log types and detectors: the policy directory's (every other kind is
// read and checked too), then --detectors FILE's.
struct DetectConfig {
  PolicyLoaders loaders;
  detect::LogSourceLoader& sources = loaders.sources;
  detect::anomaly::AnomalyLoader& detectors = loaders.detectors;
};

Status LoadDetectConfig(const GlobalOptions& g, const std::string& file, DetectConfig* cfg) {
  SB_ASSIGN_OR_RETURN(PolicySet unused, LoadPolicy(g.policy_dir, nullptr, cfg->loaders.All()));
  (void)unused;
  if (file.empty()) return Status::OK();
  SB_ASSIGN_OR_RETURN(auto docs, LoadYamlDocuments(file));
  for (const YAML::Node& doc : docs) {
    if (!doc.IsMap()) return Status::SchemaError("not a policy document").At(NodeLocation(file, doc));
    const std::string kind = YamlScalar(doc["kind"]);
    if (kind == "LogSources") {
      SB_RETURN_IF_ERROR(cfg->sources.AddDocument(kind, doc, file));
    } else if (kind == "AnomalyDetectors") {
      SB_RETURN_IF_ERROR(cfg->detectors.AddDocument(kind, doc, file));
    } else {
      return Status::SchemaError("--detectors takes AnomalyDetectors and LogSources documents, not '" + kind + "'")
          .At(NodeLocation(file, doc));
    }
  }
  return Status::OK();
}

const char* KindName(detect::sigma::Rule::Kind k) {
  switch (k) {
    case detect::sigma::Rule::Kind::kDetection: return "detection";
    case detect::sigma::Rule::Kind::kCorrelation: return "correlation";
    case detect::sigma::Rule::Kind::kFilter: return "filter";
  }
  return "?";
}

json RuleJson(const detect::sigma::RuleSet& set, int i) {
  const detect::sigma::Rule& r = set.rules()[static_cast<std::size_t>(i)];
  return json{{"id", r.id},           {"title", r.title},        {"kind", KindName(r.kind)}, {"level", r.level},
              {"origin", r.Origin()}, {"routes", set.Routes(i)}, {"author", r.author},       {"alerts", set.Alerts(i)}};
}

int RulesCheck(const GlobalOptions& g, const DetectArgs& a) {
  DetectConfig cfg;
  if (Status st = LoadDetectConfig(g, a.detectors, &cfg); !st.ok()) return ReportError(g, st);
  detect::sigma::RuleSet set(detect::sigma::LoadRules(a.rules, cfg.sources.config().placeholders),
                             cfg.sources.config());
  std::size_t unrouted = 0;
  for (std::size_t i = 0; i < set.rules().size(); ++i) {
    if (set.rules()[i].kind == detect::sigma::Rule::Kind::kDetection && set.Routes(static_cast<int>(i)).empty()) {
      ++unrouted;
    }
  }
  const auto stats = set.Stats();
  if (g.output == OutputFormat::kJson) {
    json loaded = json::array();
    for (std::size_t i = 0; i < set.rules().size(); ++i) loaded.push_back(RuleJson(set, static_cast<int>(i)));
    json rejected = json::array();
    for (const auto& r : set.rejected()) {
      rejected.push_back({{"origin", r.Origin()}, {"title", r.title}, {"id", r.id}, {"reason", r.reason}});
    }
    PrintJson(std::cout, json{{"files", set.files().size()},
                              {"loaded", std::move(loaded)},
                              {"rejected", std::move(rejected)},
                              {"unrouted", unrouted},
                              {"prefilter", {{"indexed", stats.indexed}, {"every_event", stats.unindexed}}}});
  } else {
    Table t{{"RULE", "KIND", "LEVEL", "LOG TYPES", "ORIGIN"}, {}, {0, 4}};
    if (a.show_loaded) {
      for (std::size_t i = 0; i < set.rules().size(); ++i) {
        const auto& r = set.rules()[i];
        t.rows.push_back({r.title, KindName(r.kind), r.level, Join(set.Routes(static_cast<int>(i)), ","), r.Origin()});
      }
      PrintTable(std::cout, t, TerminalWidth());
      std::cout << "\n";
    }
    for (const auto& r : set.rejected()) {
      std::cout << fmt::format("{}: rejected{}: {}\n", r.Origin(), r.title.empty() ? "" : " \"" + r.title + "\"",
                               r.reason);
    }
    std::cout << fmt::format(
        "{} file(s): {} rule(s) loaded, {} rejected; {} detection rule(s) serve no configured log type; "
        "prefilter: {} indexed, {} evaluated on every event\n",
        set.files().size(), set.rules().size(), set.rejected().size(), unrouted, stats.indexed, stats.unindexed);
  }
  return set.rejected().empty() ? kExitOk : kExitInput;
}

int Detect(const GlobalOptions& g, const DetectArgs& a) {
  DetectConfig cfg;
  if (Status st = LoadDetectConfig(g, a.detectors, &cfg); !st.ok()) return ReportError(g, st);
  if (!a.log_type.empty() && cfg.sources.config().Find(a.log_type) < 0) {
    return ReportError(g, Status::InvalidArgument("--log-type: no log type named '" + a.log_type + "'"));
  }
  detect::sigma::RuleSet set(detect::sigma::LoadRules(a.rules, cfg.sources.config().placeholders),
                             cfg.sources.config());
  if (!set.rejected().empty() && !g.quiet) {
    std::cerr << fmt::format("secbudget: {} rule(s) rejected (see `secbudget rules check`)\n", set.rejected().size());
  }
  auto session = OpenSession(g);
  if (!session.ok()) return ReportError(g, session.status());
  detect::anomaly::AnomalyEngine anomalies(cfg.detectors.specs());
  if (Status st = anomalies.Load(*session->db); !st.ok()) return ReportError(g, st);

  detect::DetectOptions opts;
  opts.threads = std::max(1, a.threads);
  opts.log_type = a.log_type;
  opts.default_time = session->clock->Now();
  detect::Detector detector(set, &anomalies, opts);
  std::vector<Alert> alerts;
  json hits = json::array();
  Table t{{"TIME", "LEVEL", "KIND", "RULE / DETECTOR", "ENTITY", "SOURCE"}, {}, {3, 4, 5}};
  std::size_t shown = 0;
  std::size_t total = 0;
  detect::DetectStats stats;
  Status st = detector.Run(
      a.logs,
      [&](const detect::Hit& h) {
        ++total;
        Alert alert = detect::ToAlert(h, set, &anomalies);
        if (shown < a.limit) {
          ++shown;
          std::string entity;
          for (const auto& [k, v] : h.entities) entity += fmt::format("{}{}={}", entity.empty() ? "" : " ", k, v);
          const char* kind = h.kind == detect::Hit::Kind::kSigma         ? "sigma"
                             : h.kind == detect::Hit::Kind::kCorrelation ? "correlation"
                                                                         : "anomaly";
          if (g.output == OutputFormat::kJson) {
            json j{{"time", FormatTime(h.time)},         {"kind", kind},           {"title", alert.name},
                   {"level", alert.labels.Get("level")}, {"labels", alert.labels}, {"annotations", alert.annotations},
                   {"dedup_key", alert.dedup_key}};
            hits.push_back(std::move(j));
          } else {
            t.rows.push_back({FormatTime(h.time), std::string(alert.labels.Get("level")), kind, alert.name,
                              SanitizeForTerminal(entity),
                              h.input.empty() ? "" : fmt::format("{}:{}", h.input, h.line)});
          }
        }
        if (!a.no_alerts) alerts.push_back(std::move(alert));
      },
      &stats);
  if (!st.ok()) return ReportError(g, st);
  if (Status save = anomalies.Save(*session->db); !save.ok()) return ReportError(g, save);
  json pushed;
  json declared = json::array();
  if (!a.no_alerts && !alerts.empty()) {
    const std::size_t n = alerts.size();
    // The severity policy's triggers turn matching alerts into incidents.
    auto incidents = session->incidents->FromAlerts(alerts, session->clock->Now());
    if (!incidents.ok()) return ReportError(g, incidents.status());
    for (const auto& inc : *incidents)
      declared.push_back({{"id", inc.id}, {"severity", inc.severity}, {"title", inc.title}});
    auto run = session->alerts->Push(std::move(alerts), {}, session->clock->Now(), a.deliver);
    if (!run.ok()) return ReportError(g, run.status());
    pushed = json{{"alerts", n}};
  }
  json malformed = json::array();
  for (const auto& m : stats.malformed_samples) {
    malformed.push_back({{"input", m.input}, {"line", m.line}, {"error", m.error}});
  }
  const double mb = static_cast<double>(stats.bytes) / 1e6;
  if (g.output == OutputFormat::kJson) {
    PrintJson(std::cout, json{{"events", stats.events},
                              {"bytes", stats.bytes},
                              {"seconds", stats.seconds},
                              {"malformed", stats.malformed},
                              {"malformed_lines", std::move(malformed)},
                              {"unrecognised", stats.unrecognised},
                              {"per_log_type", stats.per_type},
                              {"rules_loaded", set.rules().size()},
                              {"rules_rejected", set.rejected().size()},
                              {"hits", total},
                              {"hits_shown", std::move(hits)},
                              {"pushed_to_alerting", pushed},
                              {"incidents_declared", declared}});
  } else {
    if (!t.rows.empty()) PrintTable(std::cout, t, TerminalWidth());
    if (total > shown) std::cout << fmt::format("... {} more (--limit)\n", total - shown);
    std::cout << fmt::format(
        "{} event(s) in {} input(s), {:.1f} MB in {:.2f}s; {} hit(s); {} malformed line(s); "
        "{} event(s) of no known log type\n",
        stats.events, stats.inputs, mb, stats.seconds, total, stats.malformed, stats.unrecognised);
    for (const auto& m : stats.malformed_samples) {
      std::cout << fmt::format("  malformed: {}:{}: {}\n", m.input, m.line, m.error);
    }
    if (!pushed.is_null()) {
      std::cout << fmt::format("{} alert(s) handed to alerting{}\n", pushed["alerts"].get<std::size_t>(),
                               a.deliver ? " and delivered" : " (`secbudget alerts deliver` sends them)");
    }
    for (const auto& d : declared) {
      std::cout << fmt::format("declared incident {} [{}] {} (severity policy trigger)\n", d["id"].get<std::string>(),
                               d["severity"].get<std::string>(), SanitizeForTerminal(d["title"].get<std::string>()));
    }
  }
  return kExitOk;
}

}  // namespace

std::function<std::optional<int>(const GlobalOptions&)> AddDetectCommands(CLI::App& app,
                                                                          std::vector<CLI::App*>* leaves) {
  auto args = std::make_shared<DetectArgs>();
  auto* rules = app.add_subcommand("rules", "Sigma rules: check what loads and why the rest is rejected");
  rules->require_subcommand(1);
  rules->fallthrough();
  auto* check = rules->add_subcommand("check", "list every rule loaded and every rule rejected, with file:line");
  check->add_option("paths", args->rules, "rule files or directories (recursive)")->required();
  check->add_option("--detectors", args->detectors, "a YAML file of LogSources / AnomalyDetectors documents");
  check->add_flag("--list", args->show_loaded, "also list every loaded rule and the log types it serves");
  check->footer(
      "\nExit status: 0 when every rule loads, 1 when any is rejected.\n"
      "Examples:\n  secbudget rules check rules/\n  secbudget rules check --list ../sigma/rules/cloud/aws\n"
      "  secbudget rules check rules/ -o json | jq '.rejected[]'");

  auto* det = app.add_subcommand("detect", "run Sigma rules, correlations and anomaly detectors over logs");
  det->add_option("--rules", args->rules, "rule file or directory (repeatable)")
      ->required()
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  det->add_option("logs", args->logs, "log files: JSON lines, .gz, CloudTrail Records files; - = stdin")->required();
  det->add_option("--detectors", args->detectors, "a YAML file of AnomalyDetectors / LogSources documents");
  det->add_option("--log-type", args->log_type, "treat every event as this log type (cloudtrail, k8s_audit, ...)");
  det->add_option("--threads", args->threads, "worker threads (default 1)");
  det->add_option("--limit", args->limit, "hits to print (default 200); all are counted and alerted");
  det->add_flag("--no-alerts", args->no_alerts, "only print; do not hand hits to alerting");
  det->add_flag("--deliver", args->deliver, "deliver the resulting notifications now");
  det->footer(R"(
Events are recognised as CloudTrail or Kubernetes audit (or a LogSources type
from the policy directory) and run against the rules whose logsource they
serve. Hits become alerts (source=detect) routed like every other alert.
Anomaly detectors' learned state is kept in the database between runs.

Examples:
  secbudget detect --rules sigma/rules/cloud/aws cloudtrail/*.json.gz
  zcat audit.log.gz | secbudget detect --rules sigma/rules/application/kubernetes -
  secbudget --policy policy/ detect --rules rules/ --detectors detectors.yaml logs.jsonl -o json)");
  for (CLI::App* c : {check, det}) {
    c->fallthrough();
    leaves->push_back(c);
  }
  return [=](const GlobalOptions& g) -> std::optional<int> {
    if (*check) return RulesCheck(g, *args);
    if (*det) return Detect(g, *args);
    return std::nullopt;
  };
}

}  // namespace secbudget::cli
