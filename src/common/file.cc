#include "common/file.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

namespace secbudget {

bool LooksGzipped(const std::string& data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b;
}

Result<std::string> Gunzip(const std::string& data, std::size_t max_bytes, std::size_t padding) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip wrapper only; 32 would also accept zlib.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("zlib initialisation failed");
  std::string out;
  out.reserve(std::min<std::size_t>(data.size() * 4, max_bytes) + padding);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    const std::size_t produced = sizeof buf - zs.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&zs);
      return Status::LimitExceeded(fmt::format("decompressed size exceeds the limit of {} bytes", max_bytes));
    }
    out.append(buf, produced);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members (as `cat a.gz b.gz` makes) continue.
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
      continue;
    }
    if (zs.avail_in == 0 && produced == 0) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return Status::ParseError(zs.msg != nullptr ? fmt::format("gzip data is corrupt: {}", zs.msg)
                                                : std::string("gzip data is truncated or corrupt"));
  }
  out.reserve(out.size() + padding);
  return out;
}

Result<std::string> ReadFile(const std::string& path, const ReadLimits& limits) {
  std::string data;
  if (path == "-") {
    char buf[1 << 16];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      const auto n = static_cast<std::size_t>(std::cin.gcount());
      if (data.size() + n > limits.max_bytes) {
        return Status::LimitExceeded(fmt::format("input exceeds the limit of {} bytes", limits.max_bytes))
            .WithFile(path);
      }
      data.append(buf, n);
    }
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return Status::IoError("is a directory").WithFile(path);
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return Status::IoError(std::strerror(errno)).WithFile(path);
    struct Closer {
      std::FILE* f;
      ~Closer() { std::fclose(f); }
    } closer{f};
    if (std::fseek(f, 0, SEEK_END) == 0) {
      const long size = std::ftell(f);
      if (size > 0 && static_cast<std::size_t>(size) > limits.max_bytes) {
        return Status::LimitExceeded(
                   fmt::format("file is {} bytes, over the limit of {} bytes", size, limits.max_bytes))
            .WithFile(path);
      }
      if (size > 0) data.reserve(static_cast<std::size_t>(size) + limits.padding);
      std::fseek(f, 0, SEEK_SET);
    }
    char buf[1 << 16];
    while (true) {
      const std::size_t n = std::fread(buf, 1, sizeof buf, f);
      if (n == 0) break;
      if (data.size() + n > limits.max_bytes) {
        return Status::LimitExceeded(fmt::format("file exceeds the limit of {} bytes", limits.max_bytes))
            .WithFile(path);
      }
      data.append(buf, n);
    }
    if (std::ferror(f)) return Status::IoError(std::strerror(errno)).WithFile(path);
  }
  if (LooksGzipped(data)) {
    auto unzipped = Gunzip(data, limits.max_bytes, limits.padding);
    if (!unzipped.ok()) return std::move(unzipped).take_status().WithFile(path);
    return unzipped;
  }
  data.reserve(data.size() + limits.padding);
  return data;
}

Status WriteFileAtomic(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError(std::strerror(errno)).WithFile(tmp);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return Status::IoError("write failed").WithFile(tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IoError(ec.message()).WithFile(path);
  return Status::OK();
}

}  // namespace secbudget
