#include "common/hash.h"

#include <gtest/gtest.h>

namespace secbudget {
namespace {

// Finding ids and content fingerprints are stored: these values must never
// change, or every database would see its findings as new.
TEST(HashTest, GoldenValuesAreStable) {
  EXPECT_EQ(HexId(Hash64("secbudget")), "7699e087e41581a7");
  FieldHasher h;
  h.Add("a").Add(std::int64_t{42}).Add(1.5);
  EXPECT_EQ(HexId(h.Digest()), "c0465ad02e1101c6");
  EXPECT_EQ(ContentId("hello"), "b5e9c1ad071b3e7fc779cfaa5e523818");
}

TEST(HashTest, FieldBoundariesMatter) {
  FieldHasher a, b, c;
  a.Add("ab").Add("c");
  b.Add("a").Add("bc");
  c.Add("abc").Add("");
  EXPECT_NE(a.Digest(), b.Digest());
  EXPECT_NE(a.Digest(), c.Digest());
  FieldHasher empty1, empty2;
  empty2.Add("");
  EXPECT_NE(empty1.Digest(), empty2.Digest());
}

TEST(HashTest, HexIdsRoundTrip) {
  std::uint64_t v = 0;
  ASSERT_TRUE(ParseHexId(HexId(0xdeadbeef01234567ULL), v));
  EXPECT_EQ(v, 0xdeadbeef01234567ULL);
  EXPECT_TRUE(ParseHexId("ABCD", v));
  EXPECT_EQ(v, 0xabcdu);
  EXPECT_FALSE(ParseHexId("", v));
  EXPECT_FALSE(ParseHexId("xyz", v));
  EXPECT_FALSE(ParseHexId("00000000000000000", v));  // 17 digits
}

}  // namespace
}  // namespace secbudget
