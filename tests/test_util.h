// Helpers shared by tests: temporary directories, fixed clocks, paths.
#pragma once

#include <filesystem>
#include <string>

namespace secbudget::testing {

// A directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  // Writes `content` to `name` (creating parent directories) and returns its path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// The project's source tree and the shared public data (may be absent).
std::string SourceDir();
std::string SharedDataDir();
bool HaveSharedData();

// A string with simdjson padding capacity, as ReadFile returns.
std::string Padded(const std::string& s);

}  // namespace secbudget::testing

// Skips the current test when ../shared/data is missing.
#define SB_REQUIRE_SHARED_DATA()                                                     \
  do {                                                                               \
    if (!::secbudget::testing::HaveSharedData()) {                                   \
      GTEST_SKIP() << "../shared/data not present: real-world sample tests skipped"; \
    }                                                                                \
  } while (0)
