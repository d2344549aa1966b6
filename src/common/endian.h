// 64-bit little-endian fields in byte strings that are stored (packed scope
// sources, kept item arrays): the same bytes on every host.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace secbudget {

inline void StoreLE64(char* p, std::uint64_t v) {
  if constexpr (std::endian::native != std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof v);
}

inline void AppendLE64(std::string& out, std::uint64_t v) {
  char bytes[sizeof v];
  StoreLE64(bytes, v);
  out.append(bytes, sizeof bytes);
}

inline std::uint64_t LoadLE64(const char* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native != std::endian::little) v = __builtin_bswap64(v);
  return v;
}

}  // namespace secbudget
