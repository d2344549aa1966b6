// Deterministic generators of realistic scanner reports for benchmarks.
// The shapes follow real Trivy JSON (SchemaVersion 2) image reports: OS and
// language results, CVSS per source, references, long descriptions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace secbudget::bench {

// A small, fast, deterministic PRNG (SplitMix64).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next();
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }
  double Unit() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }

 private:
  std::uint64_t state_;
};

struct CorpusSpec {
  std::size_t images = 1000;
  std::size_t vulns_per_image = 500;
  std::size_t cve_pool = 60000;  // distinct CVEs the images draw from
  std::size_t kev_entries = 1600;
  std::uint64_t seed = 42;
};

// The CVE id of pool index i ("CVE-20YY-NNNNN").
std::string CveId(std::size_t i);

// One image's Trivy report. `round` changes the scan time; `change_percent`
// of the vulnerabilities are replaced by others (half removed, half new), as
// a later scan of a patched-and-regressed image would show.
std::string TrivyImageReport(const CorpusSpec& spec, std::size_t image, int round, double change_percent);

// A KEV catalog (JSON) and an EPSS CSV over the CVE pool.
std::string KevCatalog(const CorpusSpec& spec);
std::string EpssCsv(const CorpusSpec& spec);

// An AssetInventory YAML with one asset per image.
std::string AssetInventoryYaml(const CorpusSpec& spec);

// Median of a sample (copies).
double Median(std::vector<double> v);
// Peak resident set size of this process, in MiB.
double PeakRssMiB();
double CurrentRssMiB();

}  // namespace secbudget::bench
