// Stable, fast hashes (XXH3 from Debian's libxxhash). Finding identities and
// content fingerprints are stored in the database, so these functions must
// never change their output: the golden values in hash_test.cc pin them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace secbudget {

std::uint64_t Hash64(std::string_view data);

// Hash over a sequence of fields: each field is hashed with the running value
// as its seed, so field boundaries matter (("ab","c") != ("a","bc")). No
// allocation: it sits on the hot path of ingest.
class FieldHasher {
 public:
  FieldHasher& Add(std::string_view field);
  FieldHasher& Add(std::int64_t value);
  FieldHasher& Add(double value);
  std::uint64_t Digest() const { return state_; }

 private:
  std::uint64_t state_ = 0x5ec0b0d9e7a1c3f5ULL;
};

// std::hash over string views, marked transparent: a map keyed by
// std::string with it (and std::equal_to<>) is searched by a string_view,
// without building a string per look-up.
struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// 16 lowercase hex digits.
std::string HexId(std::uint64_t id);
// Parses 1-16 hex digits; false on anything else.
bool ParseHexId(std::string_view text, std::uint64_t& out);

// SHA-256 would be the natural choice for report identity, but the only
// requirement is "same bytes, same id" with negligible collisions: a 128-bit
// XXH3 digest, as 32 hex digits.
std::string ContentId(std::string_view bytes);

}  // namespace secbudget
