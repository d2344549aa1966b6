// Locating a report's item arrays in its bytes, without parsing them.
//
// Most of a scanner report is its item arrays: Trivy's
// Results[].Vulnerabilities hold kilobytes of advisory text per item, while
// the rest (the artifact, the scan time, each result's target) is a few
// hundred bytes. When a scope is scanned again and nothing changed, each
// array is byte for byte what the last scan sent, even when the scan time and
// the image tag in the rest are new. Triage then recognises the arrays by
// length and hash and parses only the rest, with each array emptied
// (docs/lifecycle.md, "Unchanged item arrays").
//
// The scanner here is a JSON lexer that tracks only what it must: strings
// (with their escapes), brackets and the member names on the way down to an
// item array. It validates nothing else; every document it produces is
// parsed by simdjson afterwards, and every way it can be fooled (escaped
// member names, duplicate members, arrays that are not where the parser
// looks) ends in a count or context that does not match, and so in a full
// parse. Nesting is bounded by kMaxJsonDepth, as the parser's is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/finding.h"

namespace secbudget::ingest {

// Where a format keeps its item arrays: the member `member` of each object
// in the array that is the root object's member `list`. Trivy:
// {"list": "Results", "member": "Vulnerabilities"}.
struct ItemArrayPath {
  std::string_view list;
  std::string_view member;
};

// The document up to its first item array, then "[]" and the brackets that
// close what is open there: a small document with the same root members
// before the list (for Trivy reports, the artifact and the scan time).
// False when there is no item array or the bytes are not shaped so.
bool HeadDocument(std::string_view bytes, const ItemArrayPath& path, std::string* out);

// Every item array's byte range and hash, in document order. False when the
// bytes are not a JSON object as far as the lexer can tell.
bool LocateItemArrays(std::string_view bytes, const ItemArrayPath& path, std::vector<ItemArray>* out);

// Expects the i-th item array to be `expected[i]`'s bytes (same length, same
// hash) and jumps over it without reading it as JSON. Writes the document
// with every item array as "[]" to `envelope`, and their ranges and hashes
// (context and items copied from `expected`) to `found`. False at the first
// array that differs, or when the document has more or fewer arrays.
bool SkipItemArrays(std::string_view bytes, const ItemArrayPath& path, const std::vector<ItemArray>& expected,
                    std::string* envelope, std::vector<ItemArray>* found);

// The arrays' lengths, hashes, contexts and item counts, with a count the
// caller keeps beside them (triage: the findings they state), for the store.
std::string EncodeItemArrays(const std::vector<ItemArray>& arrays, std::uint64_t count);
// False (and `out` empty) unless `bytes` is EncodeItemArrays' output.
bool DecodeItemArrays(std::string_view bytes, std::vector<ItemArray>* out, std::uint64_t* count);

// From a container's opening bracket at `open` to one past its closing one,
// counting brackets outside strings and nothing else (npos if unclosed or
// nested deeper than `depth_left`). In a valid document that is the
// container's end; every document the callers act on is then parsed by
// simdjson. SkipContainer reads 16 bytes at a time where it can;
// SkipContainerScalar reads byte by byte, and the two agree (tested).
std::size_t SkipContainer(std::string_view bytes, std::size_t open, std::size_t depth_left);
std::size_t SkipContainerScalar(std::string_view bytes, std::size_t open, std::size_t depth_left);

}  // namespace secbudget::ingest
