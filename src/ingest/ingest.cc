#include "ingest/ingest.h"

#include <fmt/format.h>

#include <array>

#include "ingest/item_arrays.h"
#include "ingest/json_util.h"
#include "ingest/parsers/parsers.h"

namespace secbudget {

namespace {

struct FormatEntry {
  FormatInfo info;
  bool (*detect)(json::element);
  Status (*parse)(json::element, const ParseOptions&, ParsedReport&);
  // Where the format's item arrays are, for those whose parser reports them
  // (ParsedReport::item_arrays); null for the others.
  const ingest::ItemArrayPath* items = nullptr;
};

constexpr ingest::ItemArrayPath kTrivyItems{"Results", "Vulnerabilities"};

// Detection order matters only where shapes could overlap; each detector is
// specific enough that at most one matches the samples we know.
const std::array<FormatEntry, 8>& Registry() {
  static const std::array<FormatEntry, 8> kFormats = {{
      {{"sarif", "SARIF 2.1.0 from any tool (CodeQL, Semgrep, Checkov, gitleaks, ...)"},
       ingest::DetectSarif,
       ingest::ParseSarif},
      {{"trivy",
        "Trivy JSON: image, filesystem, repository and Kubernetes reports (vulnerabilities, misconfigurations, "
        "secrets)"},
       ingest::DetectTrivy,
       ingest::ParseTrivy,
       &kTrivyItems},
      {{"trivy-operator",
        "Trivy Operator CRD reports (Vulnerability, ConfigAudit, ExposedSecret, RbacAssessment, ClusterCompliance)"},
       ingest::DetectTrivyOperator,
       ingest::ParseTrivyOperator},
      {{"grype", "Grype JSON (images and directories)"}, ingest::DetectGrype, ingest::ParseGrype},
      {{"asff", "AWS Security Finding Format (Security Hub, Inspector, GuardDuty, Config, Prowler ASFF)"},
       ingest::DetectAsff,
       ingest::ParseAsff},
      {{"prowler", "Prowler OCSF JSON (Detection Finding) and Prowler v3 JSON"},
       ingest::DetectProwler,
       ingest::ParseProwler},
      {{"kubescape", "Kubescape JSON"}, ingest::DetectKubescape, ingest::ParseKubescape},
      {{"osv-scanner", "OSV-Scanner JSON"}, ingest::DetectOsv, ingest::ParseOsv},
  }};
  return kFormats;
}

}  // namespace

std::vector<FormatInfo> SupportedFormats() {
  std::vector<FormatInfo> out;
  for (const auto& f : Registry()) out.push_back(f.info);
  return out;
}

struct ReportParser::Impl {
  simdjson::dom::parser parser;

  Result<json::element> Load(const std::string& bytes, const std::string& file) {
    if (bytes.capacity() < bytes.size() + simdjson::SIMDJSON_PADDING) {
      return Status::Internal("input buffer lacks simdjson padding").WithFile(file);
    }
    if (parser.max_depth() != kMaxJsonDepth || parser.capacity() < bytes.size()) {
      if (parser.allocate(std::max<std::size_t>(bytes.size(), 1 << 16), kMaxJsonDepth) != simdjson::SUCCESS) {
        return Status::LimitExceeded("cannot allocate parser memory for this report").WithFile(file);
      }
    }
    json::element root;
    const auto err = parser.parse(bytes.data(), bytes.size(), false).get(root);
    if (err == simdjson::SUCCESS) return root;
    if (err == simdjson::DEPTH_ERROR) {
      return Status::LimitExceeded(fmt::format("JSON nesting deeper than {} levels", kMaxJsonDepth)).WithFile(file);
    }
    if (err == simdjson::EMPTY) return Status::ParseError("file is empty").WithFile(file);
    std::string detail;
    Location loc = JsonSyntaxErrorLocation(bytes, file, &detail);
    if (detail.empty()) detail = simdjson::error_message(err);
    return Status::ParseError(fmt::format("invalid JSON: {}", detail)).At(std::move(loc));
  }

  // ParseOptions::item_arrays: the report parsed without its item arrays,
  // when each is the scope's last scan's, byte for byte. False leaves `out`
  // to be discarded and the report to a full parse, which says what is wrong
  // with it if anything is.
  bool Recognise(const std::string& bytes, const ParseOptions& options, ParsedReport* out);
  // Parses a small document of our own making (the head or the envelope)
  // with `entry`'s parser; when `detect`, false unless the content is
  // detected as that format. (The head is not: members after the item
  // arrays, such as Trivy's SchemaVersion in a report with sorted keys, are
  // missing from it. The envelope has every member and must be.)
  bool ParseSmall(std::string& doc, const FormatEntry& entry, const ParseOptions& options, bool detect,
                  ParsedReport* out);
  // After a full parse: where the item arrays the parser walked are in the
  // bytes. Clears them when not asked to, or when the bytes do not show the
  // same arrays the parser walked.
  void LocateArrays(const std::string& bytes, const FormatEntry& entry, const ParseOptions& options,
                    ParsedReport& report);

  std::string head, envelope;  // reused between reports
  std::vector<ItemArray> found;
};

ReportParser::ReportParser() : impl_(std::make_unique<Impl>()) {}
ReportParser::~ReportParser() = default;

namespace {

// Empty documents (`null`, `[]`, `{}`) say nothing about their scanner.
bool IsEmptyDocument(json::element root) {
  if (root.is_null()) return true;
  if (root.is_array()) return json::array(root).size() == 0;
  if (root.is_object()) return json::object(root).size() == 0;
  return false;
}

const FormatEntry* DetectEntry(json::element root) {
  for (const auto& f : Registry()) {
    if (f.detect(root)) return &f;
  }
  return nullptr;
}

}  // namespace

bool ReportParser::Impl::ParseSmall(std::string& doc, const FormatEntry& entry, const ParseOptions& options,
                                    bool detect, ParsedReport* out) {
  doc.reserve(doc.size() + simdjson::SIMDJSON_PADDING);
  auto root = Load(doc, options.file);
  if (!root.ok()) return false;
  if (detect && options.format.empty() && DetectEntry(*root) != &entry) return false;
  if (IsEmptyDocument(*root)) return false;
  *out = ParsedReport();
  out->format = std::string(entry.info.name);
  return entry.parse(*root, options, *out).ok();
}

bool ReportParser::Impl::Recognise(const std::string& bytes, const ParseOptions& options, ParsedReport* out) {
  for (const FormatEntry& entry : Registry()) {
    if (entry.items == nullptr || (!options.format.empty() && options.format != entry.info.name)) continue;
    // The head names the scope; the scope's last scan says which arrays to
    // expect; the envelope (everything but those arrays) is parsed in full.
    ParsedReport head_report;
    if (!ingest::HeadDocument(bytes, *entry.items, &head) || !ParseSmall(head, entry, options, false, &head_report) ||
        head_report.scopes.size() != 1) {
      continue;
    }
    const std::vector<ItemArray>* last = options.item_arrays(head_report.scopes[0]);
    if (last == nullptr || last->empty() || !ingest::SkipItemArrays(bytes, *entry.items, *last, &envelope, &found) ||
        !ParseSmall(envelope, entry, options, true, out)) {
      continue;
    }
    // The same scope, nothing but the arrays to take items from, and each
    // array where the parser reads it with the same context as last time.
    const Scope& a = head_report.scopes[0];
    bool same = out->scopes.size() == 1 && out->scopes[0].scanner == a.scanner && out->scopes[0].target == a.target &&
                out->occurrences.empty() && out->known.empty() && out->skipped == 0 &&
                out->item_arrays.size() == found.size();
    for (std::size_t i = 0; same && i < found.size(); ++i) {
      same = out->item_arrays[i].items == 0 && out->item_arrays[i].context == found[i].context;
    }
    if (!same) continue;
    out->item_arrays = found;
    out->arrays_recognised = true;
    return true;
  }
  return false;
}

void ReportParser::Impl::LocateArrays(const std::string& bytes, const FormatEntry& entry, const ParseOptions& options,
                                      ParsedReport& report) {
  if (!options.item_arrays || entry.items == nullptr || report.item_arrays.empty() ||
      !ingest::LocateItemArrays(bytes, *entry.items, &found) || found.size() != report.item_arrays.size()) {
    report.item_arrays.clear();
    return;
  }
  for (std::size_t i = 0; i < found.size(); ++i) {
    report.item_arrays[i].begin = found[i].begin;
    report.item_arrays[i].end = found[i].end;
    report.item_arrays[i].hash = found[i].hash;
  }
}

Result<std::string> ReportParser::Detect(const std::string& bytes, const std::string& file) {
  SB_ASSIGN_OR_RETURN(json::element root, impl_->Load(bytes, file));
  const FormatEntry* entry = DetectEntry(root);
  return entry == nullptr ? std::string() : std::string(entry->info.name);
}

Result<ParsedReport> ReportParser::Parse(const std::string& bytes, const ParseOptions& options) {
  if (options.item_arrays) {
    ParsedReport recognised;
    if (impl_->Recognise(bytes, options, &recognised)) return recognised;
  }
  SB_ASSIGN_OR_RETURN(json::element root, impl_->Load(bytes, options.file));
  const FormatEntry* entry = nullptr;
  if (!options.format.empty()) {
    for (const auto& f : Registry()) {
      if (f.info.name == options.format) entry = &f;
    }
    if (entry == nullptr) {
      return Status::InvalidArgument(fmt::format("unknown format \"{}\" (see `secbudget formats`)", options.format));
    }
  } else {
    entry = DetectEntry(root);
  }
  ParsedReport report;
  if (IsEmptyDocument(root)) {
    report.format = entry != nullptr ? std::string(entry->info.name) : "empty";
    report.warnings.push_back("the report is empty: it states no finding and closes none");
    return report;
  }
  if (entry == nullptr) {
    return Status::UnknownFormat(
               "not a report format secbudget knows (run `secbudget formats`; force one with --format)")
        .WithFile(options.file);
  }
  report.format = std::string(entry->info.name);
  Status st = entry->parse(root, options, report);
  if (!st.ok()) return std::move(st).WithFile(options.file);
  for (const auto& occ : report.occurrences) report.skipped += occ.held ? 1 : 0;
  impl_->LocateArrays(bytes, *entry, options, report);
  if (report.occurrences.size() + report.known.size() > kMaxOccurrences) {
    return Status::LimitExceeded(fmt::format("more than {} findings in one report", kMaxOccurrences))
        .WithFile(options.file);
  }
  return report;
}

namespace ingest {

std::size_t AddScope(ParsedReport& out, std::string scanner, std::string target, bool complete) {
  for (std::size_t i = 0; i < out.scopes.size(); ++i) {
    if (out.scopes[i].scanner == scanner && out.scopes[i].target == target) return i;
  }
  out.scopes.push_back(Scope{std::move(scanner), std::move(target), complete});
  return out.scopes.size() - 1;
}

void SkipItem(ParsedReport& out, std::string_view pointer, std::string_view why) {
  ++out.skipped;
  out.skipped_reason = "items without an identifier";
  constexpr std::size_t kMaxItemWarnings = 20;
  if (out.skipped <= kMaxItemWarnings) {
    out.warnings.push_back(fmt::format("{}: {}; item skipped", pointer.empty() ? "/" : pointer, why));
  } else if (out.skipped == kMaxItemWarnings + 1) {
    out.warnings.push_back("more items skipped; warnings stop here");
  }
}

Status ExpectRoot(element root, bool object_ok, bool array_ok) {
  if ((object_ok && root.is_object()) || (array_ok && root.is_array())) return Status::OK();
  const std::string_view want = object_ok && array_ok ? "an object or an array" : object_ok ? "an object" : "an array";
  return Status::SchemaError(
             fmt::format("the document is of type {}, expected {} for this format", json::TypeName(root.type()), want))
      .At(Location::Pointer("/"));
}

bool IsMeaningfulTarget(std::string_view target) {
  target = Trim(target);
  return !target.empty() && target != "." && target != "./" && target != "\".\"" && target != "/";
}

}  // namespace ingest

}  // namespace secbudget
