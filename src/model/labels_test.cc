// Labels: a sorted name -> value set whose copies share their entries until
// one of them changes.
#include "model/labels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace secbudget {
namespace {

std::vector<std::string> Names(const Labels& l) {
  std::vector<std::string> out;
  for (const auto& [name, value] : l) out.emplace_back(name);
  return out;
}

TEST(LabelsTest, IteratesInNameOrderWhateverTheOrderOfAdding) {
  Labels l;
  l.emplace("team", "payments");
  l.try_emplace("alertname", std::string("FindingOverdue"));
  l["service"] = "checkout";
  l.insert_or_assign("environment", "prod");
  EXPECT_EQ(Names(l), (std::vector<std::string>{"alertname", "environment", "service", "team"}));
  EXPECT_EQ(l.size(), 4u);
  EXPECT_EQ(l.at("service"), "checkout");
  EXPECT_EQ(l.Get("team"), "payments");
  EXPECT_EQ(l.Get("absent"), "");
  EXPECT_EQ(l.find("absent"), l.end());
  EXPECT_EQ(l.count("team"), 1u);
  EXPECT_THROW((void)l.at("absent"), std::out_of_range);
}

// operator[] assigns (adding the name when absent) and reads like Get; one
// reference assigned to another copies the value, within a set or across.
TEST(LabelsTest, SubscriptAssignsAndReads) {
  Labels a, b;
  a["team"] = "payments";
  a["service"] = std::string(40, 's');  // past std::string's inline capacity
  EXPECT_EQ(std::string_view(a["team"]), "payments");
  EXPECT_TRUE(a["absent"] == "");
  EXPECT_FALSE(a.contains("absent"));  // reading adds nothing
  b["owner"] = a["team"];
  a["copy"] = a["service"];
  a["team"] = "platform";
  EXPECT_EQ(b.Get("owner"), "payments");
  EXPECT_EQ(a.Get("copy"), std::string(40, 's'));
  EXPECT_EQ(a.Get("team"), "platform");
  Labels::ValueRef self = a["team"];
  const Labels::ValueRef& same = self;
  self = same;  // a value assigned to itself stays
  EXPECT_EQ(a.Get("team"), "platform");
  EXPECT_EQ(a.size(), 3u);
}

TEST(LabelsTest, AddsLikeAStdMap) {
  // The same operations on a std::map and on Labels end in the same entries.
  std::map<std::string, std::string, std::less<>> want;
  Labels got;
  const std::vector<std::pair<std::string, std::string>> ops = {
      {"b", "1"}, {"a", "2"}, {"b", "3"}, {"c", "4"}, {"", "5"}, {"aa", "6"}, {"a", "7"}, {"ab", "8"}, {"B", "9"}};
  for (const auto& [k, v] : ops) {
    const bool added = want.emplace(k, v).second;
    EXPECT_EQ(got.emplace(k, v).second, added) << k;
  }
  want.insert_or_assign("c", "40");
  got.insert_or_assign("c", "40");
  want["z"] = "last";
  got["z"] = "last";
  ASSERT_EQ(got.size(), want.size());
  auto w = want.begin();
  for (const auto& [k, v] : got) {
    EXPECT_EQ(k, w->first);
    EXPECT_EQ(v, w->second);
    ++w;
  }
  // The first of equal names wins, as std::map's initializer list.
  const Labels init{{"x", "first"}, {"x", "second"}};
  EXPECT_EQ(init.at("x"), "first");
}

TEST(LabelsTest, CopiesShareUntilOneChanges) {
  Labels a{{"team", "payments"}, {"service", "checkout"}};
  Labels b = a;
  EXPECT_TRUE(b.SharesWith(a));
  b["team"] = "platform";
  EXPECT_FALSE(b.SharesWith(a));
  EXPECT_EQ(a.at("team"), "payments");  // the original is untouched
  EXPECT_EQ(b.at("team"), "platform");
  Labels c = a;
  c.erase("service");
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(c.size(), 1u);
  Labels d = a;
  d.emplace("team", "ignored");  // present: nothing changes, nothing is copied
  EXPECT_TRUE(d.SharesWith(a));
  EXPECT_EQ(a, d);
  EXPECT_NE(a, b);
}

TEST(LabelsTest, EraseReturnsTheNextEntryInNameOrder) {
  Labels l{{"d", "4"}, {"a", "1"}, {"c", "3"}, {"b", "2"}};
  for (auto it = l.begin(); it != l.end();) {
    it = (it->first == "b" || it->first == "d") ? l.erase(it) : std::next(it);
  }
  EXPECT_EQ(Names(l), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(l.at("c"), "3");
  l.emplace("b", "again");
  EXPECT_EQ(Names(l), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(l.erase("absent"), 0u);
  EXPECT_EQ(l.erase("a") + l.erase("b") + l.erase("c"), 3u);
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.begin(), l.end());
}

TEST(LabelsTest, ConvertsToAJsonObject) {
  const Labels l{{"team", "payments"}, {"alertname", "X"}};
  EXPECT_EQ(nlohmann::json(l).dump(), R"({"alertname":"X","team":"payments"})");
  EXPECT_EQ(nlohmann::json(Labels()).dump(), "{}");
}

TEST(LabelsTest, ValueNearFindsTheValueWhateverTheHint) {
  Labels l{{"team", "payments"}, {"alertname", "X"}, {"service", "api"}};
  const std::uint32_t service = LabelNames::Intern("service");
  // The right position, a wrong one and one past the end all find the entry.
  for (std::size_t hint : {1, 0, 7}) {
    const std::optional<std::string_view> v = l.ValueNear(service, hint);
    ASSERT_TRUE(v.has_value()) << hint;
    EXPECT_EQ(*v, "api") << hint;
  }
  EXPECT_FALSE(l.ValueNear(LabelNames::Intern("missing"), 1).has_value());
  EXPECT_FALSE(Labels().ValueNear(LabelNames::Intern("team"), 0).has_value());
}

TEST(LabelNamesTest, OneNumberPerNameInEveryThread) {
  // Threads intern overlapping names in different orders; every thread
  // must get the same number for a name, distinct names distinct numbers,
  // and each number must give its name back.
  constexpr int kThreads = 4, kNames = 300;
  std::vector<std::vector<std::uint32_t>> got(kThreads, std::vector<std::uint32_t>(kNames));
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &got] {
      for (int k = 0; k < kNames; ++k) {
        const int i = (t % 2 == 0) ? k : kNames - 1 - k;
        got[t][i] = LabelNames::Intern("label-names-test-" + std::to_string(i));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::set<std::uint32_t> distinct;
  for (int i = 0; i < kNames; ++i) {
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(got[t][i], got[0][i]) << i;
    EXPECT_NE(got[0][i], 0u);
    distinct.insert(got[0][i]);
    EXPECT_EQ(LabelNames::Text(got[0][i]), "label-names-test-" + std::to_string(i));
    EXPECT_EQ(LabelNames::Intern("label-names-test-" + std::to_string(i)), got[0][i]);
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kNames));
  // An empty name is a name like another.
  EXPECT_EQ(LabelNames::Text(LabelNames::Intern("")), "");
}

TEST(LabelsTest, PickCopiesTheEntriesItIsGiven) {
  Labels l;
  const Labels::value_type entries[] = {{"team", "payments"}, {"alertname", "X"}, {"service", "api"}, {"env", "prod"}};
  l.Assign(entries, std::size(entries));
  // Places in the order added, listed in name order: alertname (1), service (2), team (0).
  const std::uint32_t places[] = {1, 2, 0};
  const Labels picked = l.Pick(places, std::size(places));
  EXPECT_EQ(picked, (Labels{{"team", "payments"}, {"alertname", "X"}, {"service", "api"}}));
  EXPECT_FALSE(picked.SharesWith(l));
  EXPECT_TRUE(l.Pick(places, 0).empty());
  l["team"] = "changed";  // the pick holds its own copy of the values
  EXPECT_EQ(picked.at("team"), "payments");
}

TEST(LabelsTest, AddAbsentAgreesWithTryEmplaceOneByOne) {
  const std::vector<Labels> bases = {Labels(), Labels{{"service", "api"}},
                                     Labels{{"asset", "a1"}, {"team", "payments"}, {"vulnerability", "CVE-1"}},
                                     Labels{{"zone", "z"}, {"alertname", "Given"}, {"kind", "k"}, {"b", "1"}}};
  for (const Labels& base : bases) {
    Labels batch = base, single = base;
    batch.AddAbsent({{"urgency", "page"}, {"alertname", "X"}, {"team", "t"}, {"alertname", "Y"}, {"a", "first"}});
    for (const auto& [k, v] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
             {"urgency", "page"}, {"alertname", "X"}, {"team", "t"}, {"alertname", "Y"}, {"a", "first"}}) {
      single.try_emplace(k, v);
    }
    EXPECT_EQ(batch, single);
    const std::vector<std::string> names = Names(batch);
    EXPECT_EQ(names, Names(single));
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    EXPECT_EQ(base.size() + 4 - (base.contains("alertname") ? 1 : 0) - (base.contains("team") ? 1 : 0), batch.size());
    EXPECT_FALSE(base.contains("urgency"));  // the copy it came from is unchanged
  }
}

std::vector<std::pair<std::string, std::string>> Entries(const Labels& l) {
  return std::vector<std::pair<std::string, std::string>>(l.begin(), l.end());
}

std::vector<std::pair<std::string, std::string>> Entries(const std::map<std::string, std::string>& m) {
  return std::vector<std::pair<std::string, std::string>>(m.begin(), m.end());
}

// Random changes, applied to a Labels and to a std::map, leave both with the
// same entries in the same order; a copy taken before a change keeps what it
// had. Values longer than the short-string buffer, and sets grown past their
// room, move entries between blocks.
TEST(LabelsTest, AgreesWithStdMapUnderRandomChanges) {
  const std::vector<std::string> names = {"a", "alertname", "b", "service", "severity", "team", "z", "zz", "vuln"};
  std::uint64_t state = 42;
  auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  for (int round = 0; round < 200; ++round) {
    Labels l;
    std::map<std::string, std::string> m;
    for (int step = 0; step < 40; ++step) {
      const std::string& name = names[next(names.size())];
      const std::string value = std::string(next(3) == 0 ? 40 : 3, static_cast<char>('a' + next(26)));
      const Labels before = l;
      const auto before_entries = Entries(before);
      switch (next(6)) {
        case 0: EXPECT_EQ(l.emplace(name, value).second, m.emplace(name, value).second); break;
        case 1:
          l.insert_or_assign(name, value);
          m.insert_or_assign(name, value);
          break;
        case 2: EXPECT_EQ(l.erase(name), m.erase(name)); break;
        case 3:
          if (!l.empty() && next(2) == 0) {
            // A value viewing the set's own first entry, assigned.
            const std::string first(l.begin()->second);
            l[name] = l.begin()->second;
            m[name] = first;
          } else {
            l[name] = std::string(l.Get(name)) + value;
            m[name] += value;
          }
          break;
        case 4: {
          // The second value views the set's own first entry (or is "o").
          const std::string& other = names[next(names.size())];
          const std::string other_value(l.empty() ? std::string_view("o") : l.begin()->second);
          l.AddAbsent(
              {{name, value}, {other, l.empty() ? std::string_view("o") : std::string_view(l.begin()->second)}});
          m.emplace(name, value);
          m.emplace(other, other_value);
          break;
        }
        default:
          if (!l.empty()) {
            // A value viewing the set's own entry, added while the set is shared.
            const std::string copy_name = name + "_copy";
            const std::string expected(l.begin()->second);
            l.try_emplace(copy_name, std::string_view(l.begin()->second));
            m.emplace(copy_name, expected);
          }
      }
      ASSERT_EQ(Entries(l), Entries(m)) << "round " << round << " step " << step;
      EXPECT_EQ(Entries(before), before_entries);
      for (const auto& [k, v] : m) EXPECT_EQ(l.Get(k), v);
      for (const std::string& n : names) {  // erased names are absent again, present ones found
        EXPECT_EQ(l.contains(n), m.count(n) == 1) << n;
        EXPECT_EQ(l.find(n) != l.end(), m.count(n) == 1) << n;
      }
      EXPECT_EQ(l.Get("absent"), "");
    }
  }
}

// Assign builds what emplace one by one builds (the first of equal names
// wins), from sets of every size (past the insertion sort's 16), with
// repeated names, long values and room to grow; a copy taken before keeps
// what it had.
TEST(LabelsTest, AssignAgreesWithEmplaceOneByOne) {
  std::uint64_t state = 7;
  auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  std::vector<std::string> pool;
  for (int i = 0; i < 60; ++i)
    pool.push_back((i % 3 == 0 ? "label_" : "") + std::string(1, static_cast<char>('a' + i % 26)) +
                   std::to_string(i / 26));
  for (int round = 0; round < 300; ++round) {
    const std::size_t n = next(round % 10 == 0 ? 40 : 14);
    std::vector<std::string> names, values;
    for (std::size_t i = 0; i < n; ++i) {
      names.push_back(pool[next(round % 2 == 0 ? pool.size() : 12)]);  // odd rounds repeat names
      values.push_back(std::string(next(3) == 0 ? 30 : 2, static_cast<char>('a' + next(26))));
    }
    std::vector<std::pair<std::string_view, std::string_view>> views;
    std::map<std::string, std::string> m;
    for (std::size_t i = 0; i < n; ++i) {
      views.emplace_back(names[i], values[i]);
      m.emplace(names[i], values[i]);
    }
    Labels l{{"old", "entry"}};
    const Labels before = l;
    const std::size_t extra = next(5);
    l.Assign(views.data(), views.size(), extra);
    ASSERT_EQ(Entries(l), Entries(m)) << "round " << round;
    EXPECT_EQ(Entries(before), (std::vector<std::pair<std::string, std::string>>{{"old", "entry"}}));
    for (const auto& [k, v] : m) EXPECT_EQ(l.Get(k), v);
    EXPECT_FALSE(l.contains("old"));
    // The set goes on like any other.
    l.AddAbsent({{"alertname", "A"}, {"team", "t"}});
    m.emplace("alertname", "A");
    m.emplace("team", "t");
    EXPECT_EQ(Entries(l), Entries(m)) << "round " << round;
  }
}

// A set read whole (Assign) with `names` and random values, with room for
// 0 to `extra` - 1 more entries, and the same entries put one by one into
// `m` (where the first of equal names wins).
template <typename Next>
Labels ReadWhole(const std::vector<std::string>& names, Next& next, std::uint64_t extra,
                 std::map<std::string, std::string>* m) {
  std::vector<std::string> values;
  for (std::size_t i = 0; i < names.size(); ++i) values.push_back(std::to_string(next(1000)));
  std::vector<std::pair<std::string_view, std::string_view>> views;
  for (std::size_t i = 0; i < names.size(); ++i) {
    views.emplace_back(names[i], values[i]);
    m->emplace(names[i], values[i]);
  }
  Labels l;
  l.Assign(views.data(), views.size(), next(extra));
  return l;
}

// Sets of a few recurring shapes (Assign keeps the name order of the last
// few and reuses it when the names match position by position), more
// shapes than it keeps, interleaved, with near misses: the same names in
// another order, the last name changed (which moves it in name order), one more or one fewer
// name, and shapes with a repeated name (which must keep the first value).
TEST(LabelsTest, AssignAgreesWithEmplaceWhenShapesRecur) {
  std::uint64_t state = 11;
  auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  const std::vector<std::vector<std::string>> shapes = {
      {"service", "environment", "vulnerability", "package", "priority", "severity", "finding", "asset", "kind"},
      {"environment", "service", "vulnerability", "package", "priority", "severity", "finding", "asset", "kind"},
      {"service", "environment", "vulnerability", "package", "priority", "severity", "finding", "asset", "zone"},
      {"service", "environment", "vulnerability", "package", "priority", "severity", "finding", "asset"},
      {"due_at", "score"},
      {"score", "due_at"},
      {"team", "service", "team"},
      {"b", "a", "c", "a"},
      {"z", "y", "x", "w", "v", "u", "t", "s", "r", "q", "p", "o", "n", "m", "l", "k"},
      {"z", "y", "x", "w", "v", "u", "t", "s", "r", "q", "p", "o", "n", "m", "l", "zz"},
  };
  for (int round = 0; round < 2000; ++round) {
    const std::vector<std::string>& names = shapes[next(round < 1000 ? 3 : shapes.size())];
    std::map<std::string, std::string> m;
    const Labels l = ReadWhole(names, next, 3, &m);
    ASSERT_EQ(Entries(l), Entries(m)) << "round " << round;
  }
}

// Sets of recurring shapes given recurring derived labels (AddAbsent
// repeats what it did to the last sets of a shape without looking names up):
// the result always agrees with std::map, whatever was added, changed or
// erased in between, and sets said to have the same shape hold the same
// names at the same places.
TEST(LabelsTest, AddAbsentAgreesWithEmplaceWhenShapesRecur) {
  std::uint64_t state = 5;
  auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  const std::vector<std::vector<std::string>> shapes = {
      {"service", "environment", "vulnerability", "package", "priority", "team"},
      {"service", "environment", "vulnerability", "package", "priority", "zone"},
      {"environment", "service", "vulnerability", "package", "priority", "team"},
      {"due_at", "score"},
  };
  // Given lists: in another order, with a name the set may hold, twice the
  // same name, a name that sorts first, and none.
  const std::vector<std::vector<std::string>> given = {
      {"alertname", "source", "urgency", "team"},
      {"alertname", "source", "urgency"},
      {"team", "urgency", "source", "alertname"},
      {"summary"},
      {"alertname", "alertname", "aaa"},
      {"zone", "service"},
      {},
  };
  std::vector<Labels> kept;  // earlier sets, to compare shapes with
  for (int round = 0; round < 3000; ++round) {
    const std::vector<std::string>& names = shapes[next(shapes.size())];
    std::map<std::string, std::string> m;
    Labels l = ReadWhole(names, next, 6, &m);
    // Sometimes changed first: a value (keeps the names), a name added or
    // erased (does not).
    switch (next(8)) {
      case 0:
        l.insert_or_assign(names[0], "changed");
        m[names[0]] = "changed";
        break;
      case 1:
        l.emplace("extra", "x");
        m.emplace("extra", "x");
        break;
      case 2:
        l.erase(names[1]);
        m.erase(names[1]);
        break;
      default: break;
    }
    const Labels shared = next(4) == 0 ? l : Labels();  // a shared set is copied before it changes
    for (int times = 0, n = static_cast<int>(next(3)) + 1; times < n; ++times) {
      const std::vector<std::string>& add = given[next(given.size())];
      std::vector<std::string> add_values;
      for (std::size_t i = 0; i < add.size(); ++i) add_values.push_back("v" + std::to_string(next(100)));
      switch (add.size()) {
        case 0: l.AddAbsent({}); break;
        case 1: l.AddAbsent({{add[0], add_values[0]}}); break;
        case 2: l.AddAbsent({{add[0], add_values[0]}, {add[1], add_values[1]}}); break;
        case 3: l.AddAbsent({{add[0], add_values[0]}, {add[1], add_values[1]}, {add[2], add_values[2]}}); break;
        default:
          l.AddAbsent(
              {{add[0], add_values[0]}, {add[1], add_values[1]}, {add[2], add_values[2]}, {add[3], add_values[3]}});
      }
      for (std::size_t i = 0; i < add.size(); ++i) m.emplace(add[i], add_values[i]);
      ASSERT_EQ(Entries(l), Entries(m)) << "round " << round << " addition " << times;
    }
    for (const Labels& other : kept) {
      if (!l.SameShape(other)) continue;
      ASSERT_EQ(l.size(), other.size()) << "round " << round;
      for (std::size_t i = 0; i < l.size(); ++i) ASSERT_EQ(l.Added(i).first, other.Added(i).first) << "round " << round;
    }
    if (kept.size() < 64) {
      kept.push_back(l);
    } else {
      kept[next(kept.size())] = l;
    }
  }
  // Sets of one shape given the same derived labels share their shape; a set
  // given another name, or other names, does not.
  const std::pair<std::string_view, std::string_view> entries[] = {{"service", "api"}, {"team", "web"}};
  Labels a, b, c, d;
  for (Labels* l : {&a, &b, &c, &d}) l->Assign(entries, 2, 4);
  for (Labels* l : {&a, &b, &c}) l->AddAbsent({{"alertname", "A"}, {"source", "s"}});
  EXPECT_TRUE(a.SameShape(b));
  EXPECT_TRUE(b.SameShape(c));
  c.emplace("zone", "z");
  d.AddAbsent({{"alertname", "A"}, {"urgency", "page"}});
  EXPECT_FALSE(a.SameShape(c));
  EXPECT_FALSE(a.SameShape(d));
  EXPECT_FALSE(a.SameShape(Labels()));
}

// AssignSorted takes entries in name order as they are, and entries out of
// order or with a repeated name as Assign would (the first of equal names
// wins); every set it builds agrees with emplace one by one.
TEST(LabelsTest, AssignSortedAgreesWithEmplace) {
  const Labels source{{"aaa", "1"}, {"env", ""}, {"region", "eu-west-1"}, {"team", "web"}, {"zone", "b"}};
  std::vector<Labels::value_type> all(source.begin(), source.end());
  std::uint64_t state = 5;
  const auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<Labels::value_type> picked;
    if (round % 3 == 0) {  // any entries, in any order, some twice
      for (std::size_t k = next(7); k-- > 0;) picked.push_back(all[next(all.size())]);
    } else {  // a subset in name order
      for (const auto& e : all) {
        if (next(2) == 0) picked.push_back(e);
      }
    }
    std::map<std::string, std::string> want;
    for (const auto& [k, v] : picked) want.emplace(k, v);
    Labels l{{"old", "entry"}};
    l.AssignSorted(picked.data(), picked.size());
    ASSERT_EQ(Entries(l), Entries(want)) << "round " << round;
    for (const auto& [k, v] : want) EXPECT_EQ(l.Get(k), v);
    l.emplace("zzz", "added");  // goes on like any other set
    want.emplace("zzz", "added");
    EXPECT_EQ(Entries(l), Entries(want)) << "round " << round;
  }
}

// Same agrees with == for every length around its word sizes, with the
// difference at every position (the overlapping loads cover each byte).
TEST(LabelsTest, SameAgreesWithEquality) {
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string a(n, 'x');
    EXPECT_TRUE(Labels::Same(a, std::string(n, 'x'))) << n;
    EXPECT_FALSE(Labels::Same(a, std::string(n + 1, 'x'))) << n;
    for (std::size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = 'y';
      EXPECT_FALSE(Labels::Same(a, b)) << n << " " << i;
      EXPECT_FALSE(Labels::Same(b, a)) << n << " " << i;
    }
  }
}

// A hint (one per name, as matchers keep them) left by a set of another
// shape never changes the answer, only where the look-up starts: sets
// with and without shapes, of shapes that lack the name and shapes that
// hold it, interleaved; so does a copy of a hint, which starts afresh.
TEST(LabelsTest, GetWithAHintAgreesWithGet) {
  std::vector<Labels> sets = {
      Labels(),
      Labels{{"service", "api"}, {"team", "web"}},
      Labels{{"team", "pay"}, {"asset", "a1"}, {"service", "db"}, {"urgency", "page"}},
      Labels{{"urgency", "ticket"}},
  };
  // Sets read whole, of three shapes, two of them given derived labels.
  const std::vector<std::vector<Labels::value_type>> read = {
      {{"service", "api"}, {"environment", "prod"}},
      {{"service", "db"}, {"environment", "dev"}, {"asset", "a2"}},
      {{"asset", "a3"}, {"team", "ops"}},
  };
  for (int copy = 0; copy < 3; ++copy) {
    for (std::size_t r = 0; r < read.size(); ++r) {
      Labels l;
      l.Assign(read[r].data(), read[r].size(), 4);
      if (r != 1) l.AddAbsent({{"urgency", "page"}, {"team", "t" + std::to_string(copy)}});
      sets.push_back(l);
    }
  }
  const std::vector<std::string> names = {"service", "team", "urgency", "asset", "environment", "absent", ""};
  std::uint64_t state = 9;
  for (const std::string& name : names) {
    LabelHint hint;
    for (int round = 0; round < 200; ++round) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const Labels& l = sets[(state >> 33) % sets.size()];
      ASSERT_EQ(l.Get(name, hint), l.Get(name)) << name << " round " << round;
      const LabelHint copy = hint;  // NOLINT(performance-unnecessary-copy-initialization): a copy starts afresh
      ASSERT_EQ(l.Get(name, copy), l.Get(name)) << name << " round " << round;
    }
  }
}

}  // namespace
}  // namespace secbudget
