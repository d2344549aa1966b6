// libFuzzer target: every report parser, through content detection and with
// each format forced (the first input byte picks the format), then the whole
// triage pipeline into an in-memory database for inputs that parse (where
// rescans go through item-array recognition too). The item-array lexer runs
// on every input: whatever arrays it locates, skipping exactly those must
// succeed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "ingest/ingest.h"
#include "ingest/item_arrays.h"
#include "store/store.h"
#include "triage/pipeline.h"

namespace {

struct World {
  secbudget::ReportParser parser;
  secbudget::PolicySet policy = secbudget::LoadPolicy("").value();
  secbudget::FixedClock clock{1'700'000'000};
  std::unique_ptr<secbudget::Database> db = secbudget::OpenDatabase(":memory:").value();
  secbudget::Triage triage{*db, policy, clock};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();
  if (size == 0) return 0;
  const auto formats = secbudget::SupportedFormats();
  const std::size_t pick = data[0] % (formats.size() + 1);
  std::string bytes;
  bytes.reserve(size + 64);
  bytes.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  secbudget::ParseOptions options;
  options.file = "fuzz";
  if (pick < formats.size()) options.format = std::string(formats[pick].name);
  static constexpr secbudget::ingest::ItemArrayPath kPath{"Results", "Vulnerabilities"};
  std::vector<secbudget::ItemArray> located, skipped;
  std::string head, envelope;
  (void)secbudget::ingest::HeadDocument(bytes, kPath, &head);
  if (secbudget::ingest::LocateItemArrays(bytes, kPath, &located) &&
      (!secbudget::ingest::SkipItemArrays(bytes, kPath, located, &envelope, &skipped) ||
       skipped.size() != located.size())) {
    __builtin_trap();
  }
  auto parsed = world->parser.Parse(bytes, options);
  if (parsed.ok() && pick == formats.size()) {
    secbudget::IngestOptions ingest;
    auto summary = world->triage.IngestBytes(bytes, "fuzz", ingest);
    (void)summary;
    world->clock.Advance(60);
  }
  return 0;
}
