// The item-array lexer against documents whose arrays are known by
// construction, including the strings and member names meant to fool it.
#include "ingest/item_arrays.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <random>
#include <string>
#include <vector>

#include "common/hash.h"

namespace secbudget::ingest {
namespace {

constexpr ItemArrayPath kPath{"Results", "Vulnerabilities"};

// A document assembled from pieces, remembering where its item arrays are.
struct Doc {
  std::string text;
  std::vector<std::string> arrays;  // each item array's exact bytes, in order
  Doc& Raw(const std::string& s) {
    text += s;
    return *this;
  }
  Doc& Items(const std::string& s) {
    arrays.push_back(s);
    text += s;
    return *this;
  }
};

// Two results, with strings that look like structure to a careless lexer.
Doc Tricky() {
  Doc d;
  d.Raw(R"({"SchemaVersion": 2, "Note": "\"Results\": [{\"Vulnerabilities\": [1]}]",)")
      .Raw(R"( "Metadata": {"Results": [{"Vulnerabilities": [9]}], "x\\": "a\\\\"},)")
      .Raw("\n \"Results\" :\t[ {\"Target\": \"img:1 (debian 12)\", \"Vulnerabilities\" : ")
      .Items(
          R"([{"VulnerabilityID": "CVE-1", "Description": "ends in \\\"], \"Vulnerabilities\": [\\", "n": [1, {"a": []}]},)"
          R"( {"VulnerabilityID": "CVE-2", "Title": "}{][", "x": null, "y": -1.5e3, "z": true}])")
      .Raw(R"(, "Misconfigurations": [{"ID": "A"}]}, {"Target": "app.jar", "Class": "lang-pkgs", "Vulnerabilities":)")
      .Items("[\n  {\"VulnerabilityID\": \"GHSA-1\"}\n]")
      .Raw("}, {\"Target\": \"none\", \"Vulnerabilities\": null}, {\"Vulnerabilities\": {\"not\": \"an array\"}}")
      .Raw("], \"Trailer\": [\"Vulnerabilities\"]}  \n");
  return d;
}

bool ValidJson(const std::string& s) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  return parser.parse(s).get(root) == simdjson::SUCCESS;
}

std::vector<std::string> Spans(const std::string& text, const std::vector<ItemArray>& arrays) {
  std::vector<std::string> out;
  for (const ItemArray& a : arrays) out.push_back(text.substr(a.begin, a.end - a.begin));
  return out;
}

TEST(ItemArraysTest, LocatesExactlyTheArraysAtThePath) {
  const Doc d = Tricky();
  ASSERT_TRUE(ValidJson(d.text));
  std::vector<ItemArray> found;
  ASSERT_TRUE(LocateItemArrays(d.text, kPath, &found));
  EXPECT_EQ(Spans(d.text, found), d.arrays);
  for (const ItemArray& a : found) EXPECT_EQ(a.hash, Hash64(d.text.substr(a.begin, a.end - a.begin)));
}

TEST(ItemArraysTest, HeadDocumentStopsAtTheFirstArrayAndClosesWhatIsOpen) {
  const Doc d = Tricky();
  std::string head;
  ASSERT_TRUE(HeadDocument(d.text, kPath, &head));
  const std::size_t first = d.text.find(d.arrays[0]);
  EXPECT_EQ(head, d.text.substr(0, first) + "[]}]}");
  EXPECT_TRUE(ValidJson(head));
  std::string none;
  EXPECT_FALSE(HeadDocument(R"({"Results": [{"Target": "x"}]})", kPath, &none));
  EXPECT_FALSE(HeadDocument(R"([{"Results": [{"Vulnerabilities": []}]}])", kPath, &none));  // not an object
}

TEST(ItemArraysTest, SkippingReplacesEachExpectedArrayWithAnEmptyOne) {
  const Doc d = Tricky();
  std::vector<ItemArray> expected;
  ASSERT_TRUE(LocateItemArrays(d.text, kPath, &expected));
  for (ItemArray& a : expected) a.context = a.begin * 7 + 1;  // copied through
  std::string envelope;
  std::vector<ItemArray> found;
  ASSERT_TRUE(SkipItemArrays(d.text, kPath, expected, &envelope, &found));
  std::string want = d.text;
  for (auto a = expected.rbegin(); a != expected.rend(); ++a) want.replace(a->begin, a->end - a->begin, "[]");
  EXPECT_EQ(envelope, want);
  EXPECT_TRUE(ValidJson(envelope));
  ASSERT_EQ(found.size(), expected.size());
  for (std::size_t i = 0; i < found.size(); ++i) {
    EXPECT_EQ(found[i].begin, expected[i].begin);
    EXPECT_EQ(found[i].end, expected[i].end);
    EXPECT_EQ(found[i].context, expected[i].context);
  }

  // The same arrays elsewhere in a new envelope (a longer tag) still match.
  std::string moved = d.text;
  moved.replace(moved.find("img:1 "), 6, "img:1.0.1 ");
  ASSERT_TRUE(SkipItemArrays(moved, kPath, expected, &envelope, &found));
  EXPECT_EQ(found[0].begin, expected[0].begin + 4);
  EXPECT_NE(envelope.find("img:1.0.1 (debian 12)"), std::string::npos);
}

TEST(ItemArraysTest, SkippingFailsAtAnyDifference) {
  const Doc d = Tricky();
  std::vector<ItemArray> expected;
  ASSERT_TRUE(LocateItemArrays(d.text, kPath, &expected));
  std::string envelope;
  std::vector<ItemArray> found;
  // One byte inside an array.
  std::string changed = d.text;
  changed[changed.find("CVE-2")] = 'X';
  EXPECT_FALSE(SkipItemArrays(changed, kPath, expected, &envelope, &found));
  EXPECT_TRUE(envelope.empty());
  EXPECT_TRUE(found.empty());
  // An item more (the array is longer than expected).
  changed = d.text;
  changed.replace(changed.find("\"GHSA-1\"}"), 9, "\"GHSA-1\"}, {}");
  EXPECT_FALSE(SkipItemArrays(changed, kPath, expected, &envelope, &found));
  // Fewer arrays than expected, or more.
  std::vector<ItemArray> one(expected.begin(), expected.begin() + 1);
  EXPECT_FALSE(SkipItemArrays(d.text, kPath, one, &envelope, &found));
  std::vector<ItemArray> three = expected;
  three.push_back(expected[1]);
  EXPECT_FALSE(SkipItemArrays(d.text, kPath, three, &envelope, &found));
  // A length that runs past the end of the document.
  std::vector<ItemArray> long_one = expected;
  long_one[1].end = long_one[1].begin + d.text.size();
  EXPECT_FALSE(SkipItemArrays(d.text, kPath, long_one, &envelope, &found));
}

TEST(ItemArraysTest, EscapedOrRepeatedMemberNamesAreLexedAsWritten) {
  // An escaped name is not the raw name: the lexer does not match it (the
  // parser would, so the counts differ and triage parses in full).
  std::vector<ItemArray> found;
  ASSERT_TRUE(LocateItemArrays(R"({"Result\u0073": [{"Vulnerabilities": [1]}]})", kPath, &found));
  EXPECT_TRUE(found.empty());
  ASSERT_TRUE(LocateItemArrays(R"({"Results": [{"Vulnerabilitie\u0073": [1]}]})", kPath, &found));
  EXPECT_TRUE(found.empty());
  // Repeated members are all reported (the parser reads only the first).
  ASSERT_TRUE(LocateItemArrays(R"({"Results": [{"Vulnerabilities": [1], "Vulnerabilities": [2]}]})", kPath, &found));
  EXPECT_EQ(found.size(), 2u);
  ASSERT_TRUE(LocateItemArrays(R"({"Results": [{"Vulnerabilities": [1]}], "Results": [{"Vulnerabilities": [2]}]})",
                               kPath, &found));
  EXPECT_EQ(found.size(), 2u);
  // Only at the path: not deeper, not in other lists.
  ASSERT_TRUE(LocateItemArrays(R"({"Results": [{"Vulnerabilities": [{"Vulnerabilities": [3]}]}],
                                   "Other": [{"Vulnerabilities": [4]}], "Vulnerabilities": [5]})",
                               kPath, &found));
  EXPECT_EQ(found.size(), 1u);
}

TEST(ItemArraysTest, MalformedInputIsRejectedWithoutReadingPastIt) {
  const Doc d = Tricky();
  std::vector<ItemArray> found;
  // Every proper prefix is incomplete: rejected (and never read past; the
  // sanitizer build checks that).
  for (std::size_t n = 0; n + 4 < d.text.size(); ++n) {
    const std::string prefix = d.text.substr(0, n);
    EXPECT_FALSE(LocateItemArrays(prefix, kPath, &found)) << n;
    EXPECT_TRUE(found.empty());
  }
  for (const char* bad : {"", "   ", "[]", "\"Results\"", "{\"a\" 1}", "{\"a\": 1,}", "{\"a\": }",
                          "{\"Results\": [{} {}]}", "{\"a\": 1} x", "{\"a\": \"unclosed}", "{\"a\": \"\\\"}", "{,}",
                          "{\"a\": 1]", "{\"a\": [[1]}", "{\"Results\": [{\"Vulnerabilities\": [{]}]}"}) {
    EXPECT_FALSE(LocateItemArrays(bad, kPath, &found)) << bad;
  }
  // Off the path, only brackets and strings are followed: what is between
  // them is for simdjson to judge (an envelope with it is not parsed).
  EXPECT_TRUE(LocateItemArrays("{\"a\": [1 2, {]}}", kPath, &found));
  // Nesting past kMaxJsonDepth.
  std::string deep = "{\"a\": " + std::string(300, '[') + std::string(300, ']') + "}";
  EXPECT_FALSE(LocateItemArrays(deep, kPath, &found));
  std::string shallow = "{\"a\": " + std::string(200, '[') + std::string(200, ']') + "}";
  EXPECT_TRUE(LocateItemArrays(shallow, kPath, &found));
}

TEST(ItemArraysTest, EncodingRoundTripsAndRejectsDamage) {
  const std::vector<ItemArray> arrays = {{10, 250, 0x1122334455667788ULL, 42, 3}, {300, 302, 7, ~0ULL, 0}};
  const std::string bytes = EncodeItemArrays(arrays, 5);
  std::vector<ItemArray> back;
  std::uint64_t count = 0;
  ASSERT_TRUE(DecodeItemArrays(bytes, &back, &count));
  EXPECT_EQ(count, 5u);
  ASSERT_EQ(back.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back[i].end - back[i].begin, arrays[i].end - arrays[i].begin);
    EXPECT_EQ(back[i].hash, arrays[i].hash);
    EXPECT_EQ(back[i].context, arrays[i].context);
    EXPECT_EQ(back[i].items, arrays[i].items);
  }
  EXPECT_FALSE(DecodeItemArrays("", &back, &count));
  EXPECT_FALSE(DecodeItemArrays(bytes.substr(0, 5), &back, &count));
  EXPECT_FALSE(DecodeItemArrays(bytes.substr(0, bytes.size() - 1), &back, &count));
  EXPECT_TRUE(back.empty());
  std::string other_format = bytes;
  other_format[0] = 9;
  EXPECT_FALSE(DecodeItemArrays(other_format, &back, &count));
}

// The old scan, kept as the reference: a string ends at a quote preceded by
// an even run of backslashes; brackets count outside strings.
std::size_t ReferenceSkip(std::string_view b, std::size_t open, std::size_t depth_left) {
  std::size_t depth = 0;
  for (std::size_t i = open; i < b.size(); ++i) {
    if (b[i] == '"') {
      std::size_t q = i + 1;
      for (;; ++q) {
        if (q >= b.size()) return std::string_view::npos;
        if (b[q] != '"') continue;
        std::size_t run = q;
        while (run > i + 1 && b[run - 1] == '\\') --run;
        if ((q - run) % 2 == 0) break;
      }
      i = q;
    } else if (b[i] == '[' || b[i] == '{') {
      if (++depth > depth_left) return std::string_view::npos;
    } else if ((b[i] == ']' || b[i] == '}') && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

TEST(ItemArraysTest, BlockScanAgreesWithTheByteScan) {
  // Random documents from the characters the scan looks at, dense enough
  // that quotes, escapes and brackets fall on both sides of every 64-byte
  // block boundary; each is scanned from every opening bracket.
  std::mt19937 rng(20261125);
  // Half the documents have no backslash, so that whole blocks take the
  // fast path; the others have one in about every 64 bytes.
  const std::string alphabet = "\"\"[]{}abcdefgh ,:";
  std::size_t closed = 0, checked = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string doc(1 + rng() % 300, ' ');
    const bool escapes = round % 2 == 1;
    for (char& c : doc) c = escapes && rng() % 64 == 0 ? '\\' : alphabet[rng() % alphabet.size()];
    const std::size_t depth_left = 1 + rng() % 40;
    for (std::size_t open = 0; open < doc.size(); ++open) {
      if (doc[open] != '[' && doc[open] != '{') continue;
      const std::size_t want = ReferenceSkip(doc, open, depth_left);
      ASSERT_EQ(SkipContainerScalar(doc, open, depth_left), want) << doc << " from " << open;
      ASSERT_EQ(SkipContainer(doc, open, depth_left), want) << doc << " from " << open;
      ++checked;
      if (want != std::string_view::npos) ++closed;
    }
  }
  // Both outcomes were exercised, many times.
  EXPECT_GT(closed, 1000u);
  EXPECT_GT(checked - closed, 1000u);
  // Long strings without escapes (the fast path) around a bracket pair.
  const std::string text(100, 'x');
  const std::string doc = "[\"" + text + "]\", {\"" + text + "\\\"\": [\"" + text + "\"]}]";
  EXPECT_EQ(SkipContainer(doc, 0, 8), doc.size());
  EXPECT_EQ(SkipContainer(doc + "]", 0, 8), doc.size());
  EXPECT_EQ(SkipContainer(doc, 0, 1), std::string_view::npos);  // the object inside is one too deep
}

}  // namespace
}  // namespace secbudget::ingest
