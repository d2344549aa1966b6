#include "common/u64_map.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

namespace secbudget {
namespace {

// Against std::map as the reference, over keys that collide in the low
// bits, sequential keys, and the extremes.
TEST(U64Map, AgreesWithStdMap) {
  U64Map<int> m;
  std::map<std::uint64_t, int> ref;
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> keys = {0, 1, 2, ~0ULL, ~0ULL - 1, 1ULL << 63};
  for (int i = 0; i < 2000; ++i) keys.push_back(static_cast<std::uint64_t>(i) << 40);  // same low bits
  for (int i = 0; i < 2000; ++i) keys.push_back(rng());
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const auto [v, inserted] = m.Insert(keys[i], static_cast<int>(i));
      const bool ref_inserted = ref.emplace(keys[i], static_cast<int>(i)).second;
      ASSERT_EQ(inserted, ref_inserted) << keys[i];
      EXPECT_EQ(*v, ref[keys[i]]);
    }
  }
  EXPECT_EQ(m.size(), ref.size());
  for (const auto& [k, v] : ref) {
    ASSERT_NE(m.Find(k), nullptr) << k;
    EXPECT_EQ(*m.Find(k), v);
  }
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t k = rng();
    EXPECT_EQ(m.Contains(k), ref.count(k) > 0);
  }
  std::map<std::uint64_t, int> seen;
  m.ForEach([&](std::uint64_t k, int v) { EXPECT_TRUE(seen.emplace(k, v).second); });
  EXPECT_EQ(seen, ref);
  m[12345] += 5;
  EXPECT_EQ(*m.Find(12345), 5);
  m.Clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.Find(0), nullptr);
  EXPECT_TRUE(m.Insert(0, 1).second);
}

TEST(U64Set, InsertsOnce) {
  U64Set s;
  EXPECT_FALSE(s.Contains(0));
  EXPECT_TRUE(s.Insert(0));
  EXPECT_FALSE(s.Insert(0));
  EXPECT_TRUE(s.Contains(0));
  EXPECT_EQ(s.size(), 1u);
}

// Against std::map, over CVE-like keys, prefixes of one another, the empty
// key and keys that differ in one byte; through growth and Clear.
TEST(StringMap, AgreesWithStdMap) {
  StringMap<int> m;
  std::map<std::string, int> ref;
  std::vector<std::string> keys = {"", "a", "ab", "abc", std::string(1, '\0'), std::string("a\0b", 3)};
  for (int i = 0; i < 3000; ++i) keys.push_back(fmt::format("CVE-{}-{:04}", 1999 + i % 27, i));
  for (int i = 0; i < 300; ++i) keys.push_back(std::string(static_cast<std::size_t>(i), 'x'));
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const auto [v, inserted] = m.Insert(keys[i], static_cast<int>(i));
      ASSERT_EQ(inserted, ref.emplace(keys[i], static_cast<int>(i)).second) << keys[i];
      EXPECT_EQ(*v, ref[keys[i]]);
    }
  }
  EXPECT_EQ(m.size(), ref.size());
  for (const auto& [k, v] : ref) {
    const int* found = m.Find(k);
    ASSERT_NE(found, nullptr) << k;
    EXPECT_EQ(*found, v);
  }
  EXPECT_EQ(m.Find("CVE-1999-0001x"), nullptr);
  EXPECT_EQ(m.Find("b"), nullptr);
  *m.Find("ab") = -1;
  EXPECT_EQ(*m.Find("ab"), -1);
  m.Clear();
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.Find(""), nullptr);
  EXPECT_EQ(m.Find("abc"), nullptr);
  EXPECT_TRUE(m.Insert("abc", 7).second);
  EXPECT_EQ(*m.Find("abc"), 7);
}

}  // namespace
}  // namespace secbudget
