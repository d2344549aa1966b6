#include "test_util.h"

#include <unistd.h>

#include <atomic>
#include <fstream>

namespace secbudget::testing {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("secbudget-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  const auto p = path_ / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

std::string SourceDir() { return SB_SOURCE_DIR; }

std::string SharedDataDir() {
  if (const char* env = std::getenv("SECBUDGET_SHARED_DATA"); env != nullptr && *env != '\0') return env;
  return SB_SHARED_DATA_DIR;
}

bool HaveSharedData() { return std::filesystem::is_directory(SharedDataDir() + "/scans"); }

std::string Padded(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 64);
  out.append(s);
  return out;
}

}  // namespace secbudget::testing
