// Members, the one-walk reader, against object[key] look-ups.
#include "ingest/json_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace secbudget::json {
namespace {

TEST(MembersTest, FindsWhatALookUpPerNameFinds) {
  // Random objects over a few names (repeated names included, values of
  // every kind), read for four distinct names in a random order, some
  // absent.
  const std::vector<std::string> pool = {"a", "b", "ab", "ba", "Title", "Titles", "PkgName", "PkgPath", "x\"y", ""};
  const std::vector<std::string> values = {"\"one\"",          "2",    "true", "null", "[\"r\"]",
                                           "{\"PURL\":\"p\"}", "\"\"", "3.5"};
  std::mt19937 rng(7);
  simdjson::dom::parser parser;
  int repeated = 0, absent = 0;
  for (int round = 0; round < 500; ++round) {
    std::string text = "{";
    const int members = static_cast<int>(rng() % 8);
    std::vector<std::string> names_in;
    for (int i = 0; i < members; ++i) {
      const std::string& name = pool[rng() % pool.size()];
      const std::string escaped = name == "x\"y" ? "x\\\"y" : name;
      text += (i > 0 ? "," : "") + ("\"" + escaped + "\":") + values[rng() % values.size()];
      if (std::find(names_in.begin(), names_in.end(), name) != names_in.end()) ++repeated;
      names_in.push_back(name);
    }
    text += "}";
    element doc;
    ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
    const object obj = Obj(doc);
    std::vector<std::string_view> asked(pool.begin(), pool.end());
    std::shuffle(asked.begin(), asked.end(), rng);
    asked.resize(4);
    const MemberNames names{asked[0], asked[1], asked[2], asked[3]};
    const Members m(obj, names);
    for (std::size_t i = 0; i < asked.size(); ++i) {
      element want;
      const bool present = obj[asked[i]].get(want) == simdjson::SUCCESS;
      if (!present) ++absent;
      ASSERT_EQ(m[i] != nullptr, present) << text << " " << asked[i];
      if (!present) continue;
      // The same value: the same place in the parsed document.
      EXPECT_EQ(simdjson::to_string(*m[i]), simdjson::to_string(want)) << text << " " << asked[i];
      EXPECT_EQ(Str(m[i]), Str(obj, asked[i]));
      EXPECT_EQ(View(m[i]), View(obj, asked[i]));
      EXPECT_EQ(StrArray(m[i]), StrArray(obj, asked[i]));
    }
  }
  EXPECT_GT(repeated, 50);
  EXPECT_GT(absent, 200);
}

TEST(MembersTest, TheFirstOfARepeatedNameIsFound) {
  simdjson::dom::parser parser;
  element doc;
  ASSERT_EQ(parser.parse(std::string(R"({"Title":"first","Other":1,"Title":"second"})")).get(doc), simdjson::SUCCESS);
  const MemberNames names{"Other", "Title", "Missing"};
  const Members m(Obj(doc), names);
  EXPECT_EQ(Str(m[1]), "first");
  EXPECT_EQ(Str(m[0]), "1");
  EXPECT_EQ(m[2], nullptr);
  EXPECT_EQ(Str(m[2]), "");
  // A container where text is wanted is an error naming the member.
  ASSERT_EQ(parser.parse(std::string(R"({"Title":["x"]})")).get(doc), simdjson::SUCCESS);
  const MemberNames title{"Title"};
  const Members t(Obj(doc), title);
  const auto text = Text(t[0], "/Results/0", "Title");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().location().pointer, "/Results/0/Title");
}

TEST(MembersTest, NamesThatShareASlotAreAllFound) {
  // Same length, first and last character: one hash slot, found by probing.
  simdjson::dom::parser parser;
  element doc;
  ASSERT_EQ(parser.parse(std::string(R"({"azb":3,"ayb":2,"axb":1,"awb":0,"avb":9})")).get(doc), simdjson::SUCCESS);
  const MemberNames names{"axb", "ayb", "azb", "awb", "aub"};
  const Members m(Obj(doc), names);
  EXPECT_EQ(Str(m[0]), "1");
  EXPECT_EQ(Str(m[1]), "2");
  EXPECT_EQ(Str(m[2]), "3");
  EXPECT_EQ(Str(m[3]), "0");
  EXPECT_EQ(m[4], nullptr);
  EXPECT_EQ(names.Find("avb"), -1);
  EXPECT_EQ(names.Find("azb"), 2);
}

}  // namespace
}  // namespace secbudget::json
