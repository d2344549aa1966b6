#include "common/u64_map.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

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

struct Keyed {
  std::string key;
  int value = 0;
};
std::string_view KeyOfKeyed(const Keyed& k) { return k.key; }
using Table = KeyedTable<Keyed, &KeyOfKeyed>;

// Random adds, finds and erases against std::map, over a pool of `pool`
// keys with at most `max_live` in the table at once. Tables are small (16-256
// slots), so runs of occupied slots are long and erases shift entries across
// the end of the slot array; addresses must survive every shift and rehash.
void AddFindEraseAgainstStdMap(std::size_t pool, std::size_t max_live, int steps) {
  Table t;
  std::map<std::string, std::pair<int, Keyed*>> ref;
  std::mt19937_64 rng(pool);
  std::vector<std::string> keys = {"", "a", std::string(1, '\0'), std::string(40, 'k')};
  for (std::size_t i = 0; keys.size() < pool; ++i) keys.push_back(fmt::format("a/{}", i));
  keys.resize(pool);
  for (int step = 0; step < steps; ++step) {
    const std::string& key = keys[rng() % keys.size()];
    const auto op = rng() % 3;
    if (op == 0 && (ref.size() < max_live || ref.count(key) != 0)) {
      const int value = static_cast<int>(rng() % 1000);
      std::pair<Keyed*, bool> result;
      if (value % 2 == 0) {
        result = t.FindOrAdd(key, [&](Keyed& k) {
          k.key = key;
          k.value = value;
        });
      } else {
        // Made whole, from a text the key views and `make` moves from.
        std::string owned = key;
        int made = 0;
        result = t.FindOrMake(owned, [&] {
          ++made;
          return Keyed{std::move(owned), value};
        });
        EXPECT_EQ(made, result.second ? 1 : 0) << key;  // made only when added
      }
      const auto [obj, added] = result;
      const auto [it, ref_added] = ref.try_emplace(key, value, obj);
      ASSERT_EQ(added, ref_added) << key;
      EXPECT_EQ(obj->key, key);
      EXPECT_EQ(obj, it->second.second) << key;  // the same object, wherever its slot went
      EXPECT_EQ(obj->value, it->second.first);
    } else if (op == 1) {
      Keyed* found = t.Find(key);
      const auto it = ref.find(key);
      ASSERT_EQ(found != nullptr, it != ref.end()) << key;
      if (found != nullptr) {
        t.Erase(found);
        ref.erase(it);
      }
    } else {
      Keyed* found = t.Find(key);
      const auto it = ref.find(key);
      ASSERT_EQ(found != nullptr, it != ref.end()) << key;
      if (found != nullptr) {
        EXPECT_EQ(found->value, it->second.first);
      }
    }
    ASSERT_EQ(t.size(), ref.size());
  }
  // Every key left is found, and iteration visits each object once.
  for (const auto& [k, v] : ref) {
    EXPECT_EQ(t.Find(k), v.second) << k;
  }
  std::map<std::string, int> seen;
  t.ForEach([&](const Keyed& k) { EXPECT_TRUE(seen.emplace(k.key, k.value).second) << k.key; });
  EXPECT_EQ(seen.size(), ref.size());
  // Moved whole, the objects stay where they were.
  Table moved = std::move(t);
  for (const auto& [k, v] : ref) {
    EXPECT_EQ(moved.Find(k), v.second) << k;
  }
  EXPECT_EQ(t.size(), 0u);  // NOLINT(bugprone-use-after-move): a moved-from table is empty
  EXPECT_EQ(t.Find("a"), nullptr);
}

// At most seven keys at once keep the table at 16 slots: runs wrap around
// the end of the slot array all the time, from every home slot.
TEST(KeyedTable, AgreesWithStdMapInASmallTable) { AddFindEraseAgainstStdMap(300, 7, 200000); }
TEST(KeyedTable, AgreesWithStdMapWhileGrowing) { AddFindEraseAgainstStdMap(124, 124, 20000); }

// Thousands of keys added, then all erased in a random order, then added
// again: erases leave no trace that lengthens later probes or loses a key.
TEST(KeyedTable, EmptiesAndRefills) {
  Table t;
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back(fmt::format("alert-{}", i));
  for (int round = 0; round < 2; ++round) {
    for (const std::string& k : keys) {
      ASSERT_TRUE(t.FindOrAdd(k, [&](Keyed& o) { o.key = k; }).second);
    }
    EXPECT_EQ(t.size(), keys.size());
    std::mt19937_64 rng(round);
    std::shuffle(keys.begin(), keys.end(), rng);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      Keyed* found = t.Find(keys[i]);
      ASSERT_NE(found, nullptr) << keys[i];
      t.Erase(found);
      if (i % 500 == 0) {
        for (std::size_t j = i + 1; j < keys.size(); ++j) {
          ASSERT_NE(t.Find(keys[j]), nullptr) << keys[j];
        }
      }
    }
    EXPECT_TRUE(t.empty());
  }
}

}  // namespace
}  // namespace secbudget
