#include "common/shared_text.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace secbudget {
namespace {

TEST(SharedTextTest, CopiesShareTheBytesAndOutliveTheOriginal) {
  std::string source = "waiting for its group's first notification (group_wait)";
  std::vector<SharedText> copies;
  {
    const SharedText original(source);
    source.assign(source.size(), 'x');  // the text is a copy, not a view of `source`
    EXPECT_EQ(original, "waiting for its group's first notification (group_wait)");
    for (int i = 0; i < 3; ++i) copies.push_back(original);
    EXPECT_EQ(copies[0].data(), original.data());  // shared, not copied
  }
  for (const SharedText& c : copies) EXPECT_EQ(c.view(), "waiting for its group's first notification (group_wait)");
  // Assigned over, moved from, and assigned to itself.
  copies[1] = SharedText("other");
  EXPECT_EQ(copies[1], "other");
  EXPECT_EQ(copies[2], copies[0]);
  SharedText moved = std::move(copies[0]);
  EXPECT_TRUE(copies[0].empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(moved, copies[2]);
  const SharedText& same = moved;
  moved = same;
  EXPECT_EQ(moved, copies[2]);
}

TEST(SharedTextTest, StaticTextsAreHeldByViewAndCompareByContent) {
  static constexpr std::string_view kWords = "resolved before its group's first notification";
  const SharedText a = SharedText::Static(kWords);
  EXPECT_EQ(a.data(), kWords.data());
  const SharedText b(kWords);
  EXPECT_NE(b.data(), kWords.data());
  EXPECT_EQ(a, b);  // same bytes elsewhere
  EXPECT_FALSE(a == SharedText("resolved"));
  EXPECT_TRUE(SharedText().empty());
  EXPECT_TRUE(SharedText(std::string_view()).empty());
  EXPECT_EQ(SharedText(), "");
  EXPECT_EQ(SharedText("g"), std::string("g"));
  std::ostringstream os;
  os << a;
  EXPECT_EQ(os.str(), kWords);
}

}  // namespace
}  // namespace secbudget
