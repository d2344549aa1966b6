// Internal to ingest: the per-format parsers. Each Detect* looks at the
// document's shape only; each Parse* appends to `out` and returns an error
// with a JSON pointer on malformed input.
#pragma once

#include "ingest/json_util.h"
#include "model/finding.h"

namespace secbudget::ingest {

using json::element;

// Adds a scope (deduplicated) and returns its index.
std::size_t AddScope(ParsedReport& out, std::string scanner, std::string target, bool complete);

// Skips one item that lacks what makes it a finding (an id), with a warning
// naming its pointer. Structural errors are not skipped: they fail the report.
void SkipItem(ParsedReport& out, std::string_view pointer, std::string_view why);

// A schema error unless the document root has one of the expected types
// (a forced --format can meet any document).
Status ExpectRoot(element root, bool object_ok, bool array_ok);

// A target usable as a lifecycle scope: not empty and not "." (a directory
// name that says nothing about what was scanned).
bool IsMeaningfulTarget(std::string_view target);

bool DetectTrivy(element root);
Status ParseTrivy(element root, const ParseOptions& options, ParsedReport& out);

bool DetectTrivyOperator(element root);
Status ParseTrivyOperator(element root, const ParseOptions& options, ParsedReport& out);

bool DetectGrype(element root);
Status ParseGrype(element root, const ParseOptions& options, ParsedReport& out);

bool DetectSarif(element root);
Status ParseSarif(element root, const ParseOptions& options, ParsedReport& out);

bool DetectAsff(element root);
Status ParseAsff(element root, const ParseOptions& options, ParsedReport& out);

bool DetectProwler(element root);  // OCSF Detection Findings and Prowler v3 JSON
Status ParseProwler(element root, const ParseOptions& options, ParsedReport& out);

bool DetectKubescape(element root);
Status ParseKubescape(element root, const ParseOptions& options, ParsedReport& out);

bool DetectOsv(element root);
Status ParseOsv(element root, const ParseOptions& options, ParsedReport& out);

}  // namespace secbudget::ingest
