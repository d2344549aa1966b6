// Reading input files with enforced limits. Transparently decompresses gzip
// (detected from the magic bytes, not the file name).
#pragma once

#include <cstddef>
#include <string>

#include "common/status.h"

namespace secbudget {

struct ReadLimits {
  // Largest file accepted, after decompression. Reports above this are
  // refused with kLimitExceeded before anything is parsed.
  std::size_t max_bytes = std::size_t{1} << 30;  // 1 GiB
  // Extra zeroed bytes allocated past the end (simdjson needs 64).
  std::size_t padding = 64;
};

// Reads a whole file ("-" means standard input). The returned string's
// capacity is at least size() + limits.padding.
Result<std::string> ReadFile(const std::string& path, const ReadLimits& limits = {});

// Decompresses gzip data held in memory, refusing output beyond max_bytes
// (a gzip bomb is a limit error, not an allocation failure).
Result<std::string> Gunzip(const std::string& data, std::size_t max_bytes, std::size_t padding = 64);

bool LooksGzipped(const std::string& data);

// Writes `data` to `path` atomically (temp file + rename).
Status WriteFileAtomic(const std::string& path, const std::string& data);

}  // namespace secbudget
