// Stable finding identity. A finding's id is a 64-bit hash of a canonical
// identity string built only from fields that do not change between scans --
// never from free text (titles, messages, descriptions):
//
//   vulnerability     "vuln|<artifact>|<ecosystem>|<package>|<canonical id>"
//                     The canonical id is the CVE when the id or an alias is
//                     one (the smallest, if several), so GHSA-x with alias
//                     CVE-y from one scanner and CVE-y from another are one
//                     finding. Package names are normalised (see
//                     NormalizePackage). Scanner and version are not part of
//                     it: two scanners, one finding.
//   other kinds       "<kind>|<scanner>|<artifact>|<rule id>|<fingerprint>"
//                     The fingerprint is the tool's stable id (SARIF
//                     fingerprints, ASFF Id, OCSF finding uid) or a
//                     location without line numbers (Trivy misconfigurations,
//                     secrets).
//
// The artifact is what the finding is in: "image:docker.io/library/nginx"
// (registry/repository, no tag or digest: a new build of the same image keeps
// its findings), "repo:github.com/acme/api", "k8s:<cluster>/<ns>/<kind>/<name>",
// "aws:<arn>".
#pragma once

#include <cstdint>
#include <string>

#include "model/finding.h"

namespace secbudget {

// Finding ids: the top 24 bits hash the artifact, the low 40 bits the whole
// identity text, so that one artifact's findings are neighbours on disk.
inline constexpr std::uint64_t kArtifactMask = 0xFFFFFF0000000000ULL;

struct Identity {
  std::uint64_t id = 0;
  std::string text;
  std::string canonical_vuln_id;  // vulnerabilities only
};

Identity ComputeIdentity(const Occurrence& occ, const Scope& scope);

// The id to try when `id` is taken by a finding with another identity
// (linear probing within the artifact's id range).
std::uint64_t NextCandidateId(std::uint64_t id);

// The CVE among `id` and `aliases` (smallest by year then number), else `id`
// itself, upper-cased for CVE/GHSA prefixes.
std::string CanonicalVulnId(const std::string& id, const std::vector<std::string>& aliases);

// Package names as scanners of one ecosystem would agree on them: lower case;
// PyPI "_" and "." as "-"; Maven as "group:artifact" (from the purl when the
// name lacks the group).
std::string NormalizePackage(const std::string& ecosystem, const std::string& name, const std::string& purl = {});

// Hash of the attributes a report states about a finding (severity, scores,
// versions, exploit facts, title, location, locator). Equal hashes mean the
// report changed nothing about the finding.
std::uint64_t ContentHash(const Occurrence& occ);

}  // namespace secbudget
