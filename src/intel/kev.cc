#include <fmt/format.h>
#include <simdjson.h>

#include "common/strings.h"
#include "intel/intel.h"

namespace secbudget {

bool IsCveId(std::string_view id) {
  if (id.size() < 13 || !IStartsWith(id, "CVE-")) return false;
  for (size_t i = 4; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8) {
      if (c != '-') return false;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

IntelKind DetectIntel(const std::string& bytes) {
  std::string_view head(bytes.data(), std::min<std::size_t>(bytes.size(), 4096));
  head = Trim(head);
  if (StartsWith(head, "#model_version") || IStartsWith(head, "cve,epss")) return IntelKind::kEpss;
  if (StartsWith(head, "{") && head.find("\"catalogVersion\"") != std::string_view::npos) return IntelKind::kKev;
  if (StartsWith(head, "{") && bytes.find("\"vulnerabilities\"") != std::string::npos &&
      bytes.find("\"cveID\"") != std::string::npos) {
    return IntelKind::kKev;
  }
  return IntelKind::kUnknown;
}

namespace {

std::string Field(simdjson::dom::object o, std::string_view key) {
  std::string_view s;
  if (o[key].get(s) != simdjson::SUCCESS) return {};
  return std::string(s);
}

}  // namespace

Result<KevCatalog> ParseKev(const std::string& bytes, const std::string& file) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const bool padded = bytes.capacity() >= bytes.size() + simdjson::SIMDJSON_PADDING;
  if (auto err = parser.parse(bytes.data(), bytes.size(), !padded).get(root); err != simdjson::SUCCESS) {
    return Status::ParseError(fmt::format("invalid JSON: {}", simdjson::error_message(err))).WithFile(file);
  }
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) {
    return Status::SchemaError("expected the KEV catalog object").At(Location{file, 0, 0, "/"});
  }
  KevCatalog out;
  out.source.name = "kev";
  out.source.file = file;
  out.source.version = Field(obj, "catalogVersion");
  if (auto t = ParseTime(Field(obj, "dateReleased")); t.ok()) out.source.released = *t;
  simdjson::dom::array vulns;
  if (obj["vulnerabilities"].get(vulns) != simdjson::SUCCESS) {
    return Status::SchemaError("missing \"vulnerabilities\" array").At(Location{file, 0, 0, "/vulnerabilities"});
  }
  std::size_t i = 0;
  for (simdjson::dom::element v : vulns) {
    const std::string ptr = fmt::format("/vulnerabilities/{}", i++);
    simdjson::dom::object vo;
    if (v.get(vo) != simdjson::SUCCESS) return Status::SchemaError("expected an object").At(Location{file, 0, 0, ptr});
    KevEntry e;
    e.cve = ToUpper(Field(vo, "cveID"));
    if (!IsCveId(e.cve)) {
      return Status::SchemaError(fmt::format("cveID \"{}\" is not a CVE id", e.cve))
          .At(Location{file, 0, 0, ptr + "/cveID"});
    }
    e.vendor = Field(vo, "vendorProject");
    e.product = Field(vo, "product");
    e.name = Field(vo, "vulnerabilityName");
    auto added = ParseTime(Field(vo, "dateAdded"));
    if (!added.ok()) {
      return Status::SchemaError(fmt::format("dateAdded: {}", added.status().message()))
          .At(Location{file, 0, 0, ptr + "/dateAdded"});
    }
    e.date_added = *added;
    if (const std::string due_text = Field(vo, "dueDate"); !due_text.empty()) {
      auto due = ParseTime(due_text);
      if (!due.ok()) {
        return Status::SchemaError(fmt::format("dueDate: {}", due.status().message()))
            .At(Location{file, 0, 0, ptr + "/dueDate"});
      }
      e.due_date = *due;
    }
    e.ransomware = IEquals(Field(vo, "knownRansomwareCampaignUse"), "Known");
    out.entries.push_back(std::move(e));
  }
  out.source.entries = static_cast<std::int64_t>(out.entries.size());
  return out;
}

}  // namespace secbudget
