#include "triage/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/hash.h"
#include "common/strings.h"
#include "common/u64_map.h"
#include "ingest/item_arrays.h"
#include "intel/intel.h"
#include "triage/identity.h"

namespace secbudget {

TimePoint DueOnOpen(TimePoint period_start, Duration deadline) { return period_start + deadline; }

TimePoint DueOnPriorityChange(Priority from, Priority to, TimePoint current_due, TimePoint period_start, TimePoint at,
                              Duration new_deadline) {
  if (static_cast<int>(to) < static_cast<int>(from)) return std::min(current_due, at + new_deadline);
  return period_start + new_deadline;
}

namespace {

constexpr std::size_t kMaxExploitRefs = 5;

// Attributes of an occurrence copied onto a finding: the newest report wins,
// facts it does not state are kept.
void MergeAttributes(const Occurrence& o, const std::string& canonical_id, FindingRecord& f) {
  const auto take = [](std::string& dst, const std::string& src) {
    if (!src.empty()) dst = src;
  };
  if (!canonical_id.empty()) f.vuln_id = canonical_id;
  for (const auto& a : o.aliases) {
    if (a != f.vuln_id && std::find(f.aliases.begin(), f.aliases.end(), a) == f.aliases.end()) f.aliases.push_back(a);
  }
  if (!o.vuln_id.empty() && o.vuln_id != f.vuln_id &&
      std::find(f.aliases.begin(), f.aliases.end(), o.vuln_id) == f.aliases.end()) {
    f.aliases.push_back(o.vuln_id);
  }
  take(f.artifact, o.artifact);
  take(f.package, o.package);
  take(f.ecosystem, o.ecosystem);
  take(f.installed_version, o.installed_version);
  take(f.fixed_version, o.fixed_version);
  take(f.rule_id, o.rule_id);
  take(f.title, o.title);
  take(f.location, o.location);
  take(f.cvss_vector, o.cvss_vector);
  if (o.severity != Severity::kUnknown) f.severity = o.severity;
  if (o.cvss_score >= 0) f.cvss_score = o.cvss_score;
  if (o.fix_available != Tri::kUnknown) f.fix_available = o.fix_available;
  if (o.exploit_available != Tri::kUnknown) f.exploit_available = o.exploit_available;
  if (o.known_exploited != Tri::kUnknown) f.known_exploited = o.known_exploited;
  if (o.epss >= 0) f.report_epss = o.epss;
  for (const auto& r : o.exploit_refs) {
    if (f.exploit_refs.size() < kMaxExploitRefs &&
        std::find(f.exploit_refs.begin(), f.exploit_refs.end(), r) == f.exploit_refs.end()) {
      f.exploit_refs.push_back(r);
    }
  }
  if (o.layer != Layer::kUnknown) f.layer = o.layer;
  const Locator& l = o.locator;
  Locator& m = f.locator;
  take(m.image, l.image);
  take(m.image_tag, l.image_tag);
  take(m.image_digest, l.image_digest);
  take(m.repository, l.repository);
  take(m.provider, l.provider);
  take(m.account, l.account);
  take(m.region, l.region);
  take(m.arn, l.arn);
  take(m.cluster, l.cluster);
  take(m.k8s_namespace, l.k8s_namespace);
  take(m.resource, l.resource);
  take(m.path, l.path);
}

std::string AdvisoryKey(const FindingRecord& f, const std::string& scanner) {
  return f.kind == FindingKind::kVulnerability ? f.vuln_id : scanner + "|" + f.rule_id;
}

// One finding as one scope of the report states it (several occurrences of
// one finding in one scope, e.g. the same package at two paths, are one).
struct Group {
  std::size_t scope = 0;
  std::size_t first = 0;  // index of the first occurrence
  std::size_t count = 0;
  std::uint64_t finding_id = 0;
  std::uint64_t content_hash = 0;
  bool passed = false;  // no occurrence reports it present or held
  bool held = false;    // none reports it present; one holds it
  std::string identity;
  std::string canonical_id;
};

// A scope's sources as read before the transaction, to recognise items by
// digest; Apply reuses them when the scope has not moved since.
struct ScopeSnapshot {
  bool read = false;
  std::string scanner, target;        // the scope it was read for
  std::optional<ScopeRecord> record;  // as it was read; none: a new scope
  U64Map<SourceState> sources;        // by finding id
  std::vector<SourceState> rows;      // the same, in id order when the store kept them so
  U64Map<std::uint64_t> by_digest;    // digest of a present source's item -> finding id
  std::vector<ItemArray> arrays;      // the last report's item arrays, when it kept them
  std::uint64_t array_findings = 0;   // the present findings they stated

  // Whether `now` (read inside the transaction) is the scope this snapshot
  // read: every ingest that writes a scope's sources moves its last report.
  bool Matches(const std::optional<ScopeRecord>& now) const {
    if (!read || record.has_value() != now.has_value()) return false;
    return !record || (record->id == now->id && record->last_report == now->last_report &&
                       record->last_scan_at == now->last_scan_at);
  }
};

bool ById(const SourceState& a, const SourceState& b) { return a.finding_id < b.finding_id; }

struct ScopeState {
  ScopeRecord record;
  bool stale = false;
  U64Map<SourceState> sources;  // by finding id
  // The sources as read, in id order (else empty), while `sources` has not
  // changed: then they are packed again as they are.
  std::vector<SourceState> unchanged;
  U64Set seen;   // present in this report
  U64Set known;  // recognised by digest (ParsedReport::known)
};

}  // namespace

struct Triage::Impl {
  TriageStore& store;
  const PolicySet& policy;
  const Clock& clock;
  ReportParser parser;

  // Caches, valid for this Triage's lifetime.
  bool intel_loaded = false;
  std::optional<IntelSource> kev_source, epss_source;
  StringMap<KevEntry> kev;
  StringMap<std::optional<EpssEntry>> epss_cache;
  std::unordered_map<std::uint64_t, int> asset_cache;
  // Advisory texts written by this Triage (key -> hash of the text), so that
  // a CVE seen in a thousand images is written once.
  StringMap<std::uint64_t> advisories_written;

  Impl(TriageStore& s, const PolicySet& p, const Clock& c) : store(s), policy(p), clock(c) {}

  Status LoadIntelMeta() {
    if (intel_loaded) return Status::OK();
    SB_ASSIGN_OR_RETURN(kev_source, store.GetIntelSource("kev"));
    SB_ASSIGN_OR_RETURN(epss_source, store.GetIntelSource("epss"));
    std::vector<KevEntry> entries;
    SB_RETURN_IF_ERROR(store.LoadKev(&entries));
    kev.Clear();
    for (auto& e : entries) {
      const std::string cve = e.cve;
      kev.Insert(cve, std::move(e));
    }
    epss_cache.Clear();
    intel_loaded = true;
    return Status::OK();
  }

  Result<IntelFacts> Intel(const FindingRecord& f) {
    SB_RETURN_IF_ERROR(LoadIntelMeta());
    IntelFacts facts;
    facts.kev_loaded = kev_source.has_value();
    facts.kev_version = kev_source ? kev_source->version : std::string();
    facts.epss_loaded = epss_source.has_value();
    facts.epss_version = epss_source ? epss_source->version : std::string();
    if (f.kind != FindingKind::kVulnerability) return facts;
    std::vector<const std::string*> cves;
    if (IsCveId(f.vuln_id)) cves.push_back(&f.vuln_id);
    for (const auto& a : f.aliases) {
      if (IsCveId(a)) cves.push_back(&a);
    }
    for (const std::string* cve : cves) {
      if (!facts.kev) {
        if (const KevEntry* k = kev.Find(*cve)) facts.kev = *k;
      }
      if (facts.epss_loaded && !facts.epss) {
        std::optional<EpssEntry>* e = epss_cache.Find(*cve);
        if (e == nullptr) {
          SB_ASSIGN_OR_RETURN(auto looked_up, store.LookupEpss(*cve));
          e = epss_cache.Insert(*cve, std::move(looked_up)).first;
        }
        facts.epss = *e;
      }
    }
    return facts;
  }

  const Asset* AssetFor(const Locator& l) {
    if (policy.inventory.empty()) return nullptr;
    FieldHasher h;
    h.Add(l.image).Add(l.repository).Add(l.account).Add(l.arn).Add(l.cluster).Add(l.k8s_namespace).Add(l.resource);
    h.Add(l.path).Add(l.provider).Add(l.region);
    const std::uint64_t key = h.Digest();
    auto it = asset_cache.find(key);
    if (it == asset_cache.end()) it = asset_cache.emplace(key, policy.inventory.Match(l)).first;
    return it->second < 0 ? nullptr : &policy.inventory.assets()[static_cast<std::size_t>(it->second)];
  }

  // Ranks `f` in place (priority, score, asset fields). Due time is the
  // caller's business. `explain` adds the words (for events and display).
  Result<Decision> RankInto(FindingRecord& f, bool explain = false) {
    const Asset* asset = AssetFor(f.locator);
    SB_ASSIGN_OR_RETURN(IntelFacts intel, Intel(f));
    Decision d = Rank(policy.ranking, f, asset, intel, explain);
    d.deadline = policy.Deadline(d.priority, f);
    f.priority = d.priority;
    f.score = d.score;
    f.asset_id = d.asset_id;
    f.service = d.service;
    f.team = d.team;
    f.environment = d.environment;
    return d;
  }

  std::string RankFingerprint() {
    FieldHasher h;
    h.Add(policy.fingerprint);
    if (kev_source) h.Add(kev_source->version).Add(kev_source->loaded_at);
    if (epss_source) h.Add(epss_source->version).Add(epss_source->loaded_at);
    return HexId(h.Digest());
  }

  // Re-ranks `f` at time `at`; appends a priority event when it changes.
  // Returns true when the record changed.
  Result<bool> Rerank(FindingRecord& f, TimePoint at, const std::string& report_id, std::size_t* priority_changes) {
    const Priority before = f.priority;
    const double score_before = f.score;
    const std::string asset_before = f.asset_id;
    SB_ASSIGN_OR_RETURN(Decision d, RankInto(f));
    if (f.status == FindingStatus::kOpen && f.priority != before) {
      SB_ASSIGN_OR_RETURN(d, RankInto(f, /*explain=*/true));
      f.due_at = DueOnPriorityChange(before, f.priority, f.due_at, f.period_start, at, policy.Deadline(f.priority, f));
      EventRecord e;
      e.finding_id = f.id;
      e.at = at;
      e.type = EventType::kPriorityChanged;
      e.report_id = report_id;
      e.priority = f.priority;
      e.previous_priority = before;
      e.due_at = f.due_at;
      e.detail = d.reasons.empty() ? std::string() : d.reasons.front();
      SB_RETURN_IF_ERROR(store.AppendEvent(&e));
      if (priority_changes != nullptr) ++*priority_changes;
      return true;
    }
    return f.priority != before || f.score != score_before || f.asset_id != asset_before;
  }

  Result<RerankSummary> RerankAll() {
    RerankSummary summary;
    SB_RETURN_IF_ERROR(LoadIntelMeta());
    const TimePoint now = clock.Now();
    std::vector<FindingRecord> open;
    FindingFilter filter;
    filter.status = FindingStatus::kOpen;
    SB_RETURN_IF_ERROR(store.ScanFindings(filter, [&](const FindingRecord& f) {
      open.push_back(f);
      return true;
    }));
    SB_RETURN_IF_ERROR(WithTransaction(store, [&]() -> Status {
      for (auto& f : open) {
        ++summary.examined;
        SB_ASSIGN_OR_RETURN(bool changed, Rerank(f, now, "", &summary.priority_changed));
        if (changed) {
          ++summary.updated;
          SB_RETURN_IF_ERROR(store.UpdateFinding(f));
        }
      }
      return store.SetMeta("rank_fingerprint", RankFingerprint());
    }));
    return summary;
  }

  Result<RerankSummary> EnsureRanked() {
    SB_RETURN_IF_ERROR(LoadIntelMeta());
    SB_ASSIGN_OR_RETURN(auto stored, store.GetMeta("rank_fingerprint"));
    const std::string current = RankFingerprint();
    if (stored && *stored == current) return RerankSummary{};
    if (!stored) {
      // A new database: nothing ranked yet, nothing to redo.
      SB_ASSIGN_OR_RETURN(std::int64_t n, store.CountFindings({}));
      if (n == 0) {
        SB_RETURN_IF_ERROR(WithTransaction(store, [&] { return store.SetMeta("rank_fingerprint", current); }));
        return RerankSummary{};
      }
    }
    return RerankAll();
  }

  // Set by Apply when items recognised by digest cannot be trusted (see
  // Ingest): the transaction rolls back and the report is parsed in full.
  bool need_full_parse = false;
  // Each scope of the report being ingested as read while parsing (by scope
  // index), so that Apply does not read the same sources twice.
  std::vector<ScopeSnapshot> snapshots;

  Result<IngestSummary> Ingest(const std::string& bytes, const std::string& file, const IngestOptions& options);
  // A report whose item arrays were recognised whole states every finding
  // its scope's last scan stated, and only those: the scope's present
  // sources (Apply keeps a report's arrays only then). Lists them as known
  // items; false when they are not as many as the arrays stated.
  bool KnowArrays(ParsedReport& report) const {
    if (snapshots.empty() || !snapshots[0].read) return false;
    const ScopeSnapshot& snap = snapshots[0];
    report.known.clear();
    report.known.reserve(snap.array_findings);
    snap.sources.ForEach([&](std::uint64_t id, const SourceState& state) {
      if (state.present) report.known.push_back(KnownItem{0, state.digest, id});
    });
    return report.known.size() == snap.array_findings;
  }
  Status Apply(ParsedReport& report, const std::string& report_id, const std::string& file, IngestSummary& summary);
};

Triage::Triage(TriageStore& store, const PolicySet& policy, const Clock& clock)
    : impl_(std::make_unique<Impl>(store, policy, clock)) {}
Triage::~Triage() = default;

Result<IngestSummary> Triage::IngestFile(const std::string& path, const IngestOptions& options) {
  SB_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, options.limits));
  return IngestBytes(bytes, path, options);
}

Result<IngestSummary> Triage::IngestBytes(const std::string& bytes, const std::string& file,
                                          const IngestOptions& options) {
  return impl_->Ingest(bytes, file, options);
}

Result<IngestSummary> Triage::Impl::Ingest(const std::string& bytes, const std::string& file,
                                           const IngestOptions& options) {
  IngestSummary summary;
  summary.file = file;
  // The same bytes under another --target or --format are another report.
  // Hash the bytes once, in place: a report may be a gigabyte.
  summary.report_id = ContentId(bytes);
  if (!options.format.empty() || !options.target.empty()) {
    summary.report_id = ContentId(summary.report_id + "\n" + options.format + "\n" + options.target);
  }
  SB_ASSIGN_OR_RETURN(bool seen, store.HasReport(summary.report_id));
  if (seen) {
    summary.duplicate = true;
    return summary;
  }
  ParseOptions popts;
  popts.file = file;
  popts.format = options.format;
  popts.target = options.target;
  // Items each scope's last scan reported exactly as this report does are
  // recognised by digest while parsing and not extracted. The digests are
  // read here, before the transaction; Apply checks every recognised item
  // again inside it and asks for a full parse when anything moved.
  snapshots.clear();
  Status lookup_status;
  const auto snapshot = [&](std::size_t scope_index, const Scope& s) -> ScopeSnapshot* {
    if (!lookup_status.ok()) return nullptr;  // Ingest fails after the parse; stop asking the store
    if (scope_index >= snapshots.size()) snapshots.resize(scope_index + 1);
    ScopeSnapshot& snap = snapshots[scope_index];
    // The head of a report may name another scope than its full parse
    // (members in an odd order): a snapshot serves only the scope it is of.
    if (snap.read && snap.scanner == s.scanner && snap.target == s.target) return &snap;
    snap = ScopeSnapshot();
    snap.read = true;
    snap.scanner = s.scanner;
    snap.target = s.target;
    auto scope = store.GetScope(s.scanner, s.target);
    std::vector<SourceState> sources;
    std::string arrays;
    if (!scope.ok()) {
      lookup_status = std::move(scope).take_status();
    } else if (scope->has_value()) {
      snap.record = std::move(*scope).value();
      lookup_status = store.LoadScopeSources(snap.record->id, &sources, &arrays);
    }
    if (!arrays.empty() && !ingest::DecodeItemArrays(arrays, &snap.arrays, &snap.array_findings)) snap.arrays.clear();
    snap.sources.Reserve(sources.size());
    snap.by_digest.Reserve(sources.size());
    for (const auto& src : sources) {
      snap.sources.Insert(src.finding_id, src);
      if (src.present && src.digest != 0) snap.by_digest.Insert(src.digest, src.finding_id);
    }
    if (std::is_sorted(sources.begin(), sources.end(), ById)) snap.rows = std::move(sources);
    return &snap;
  };
  popts.known = [&](std::size_t scope_index, const Scope& s, std::uint64_t digest, std::uint64_t* finding_id) {
    const ScopeSnapshot* snap = snapshot(scope_index, s);
    const std::uint64_t* id = snap != nullptr ? snap->by_digest.Find(digest) : nullptr;
    if (id == nullptr) return false;
    *finding_id = *id;
    return true;
  };
  popts.item_arrays = [&](const Scope& s) -> const std::vector<ItemArray>* {
    const ScopeSnapshot* snap = snapshot(0, s);
    return snap != nullptr && !snap->arrays.empty() ? &snap->arrays : nullptr;
  };
  SB_ASSIGN_OR_RETURN(ParsedReport report, parser.Parse(bytes, popts));
  SB_RETURN_IF_ERROR(lookup_status);
  if (report.arrays_recognised && !KnowArrays(report)) {
    // The scope's sources are not what its arrays stated: parse in full.
    popts.item_arrays = [](const Scope&) -> const std::vector<ItemArray>* { return nullptr; };
    SB_ASSIGN_OR_RETURN(report, parser.Parse(bytes, popts));
    SB_RETURN_IF_ERROR(lookup_status);
  }
  summary.format = report.format;
  SB_ASSIGN_OR_RETURN(RerankSummary pre, EnsureRanked());
  (void)pre;
  IngestSummary result = summary;
  need_full_parse = false;
  Status st = WithTransaction(store, [&] { return Apply(report, summary.report_id, file, result); });
  if (!st.ok() && need_full_parse) {
    // Rare: another ingest changed a scope between parse and transaction,
    // or a recognised item shares its finding with an extracted one.
    // Nothing is recognised this time, but every item still gets its digest,
    // so that the next scan can recognise it.
    popts.known = [](std::size_t, const Scope&, std::uint64_t, std::uint64_t*) { return false; };
    popts.item_arrays = [](const Scope&) -> const std::vector<ItemArray>* { return nullptr; };  // still located
    snapshots.clear();
    SB_ASSIGN_OR_RETURN(report, parser.Parse(bytes, popts));
    result = summary;
    need_full_parse = false;
    st = WithTransaction(store, [&] { return Apply(report, summary.report_id, file, result); });
  }
  if (!st.ok()) return std::move(st).WithFile(file);
  return result;
}

Status Triage::Impl::Apply(ParsedReport& report, const std::string& report_id, const std::string& file,
                           IngestSummary& summary) {
  const TimePoint t = report.scan_time.value_or(clock.Now());
  summary.scan_time = t;
  summary.scan_time_from_report = report.scan_time.has_value();
  std::size_t array_items = 0;
  for (const ItemArray& a : report.item_arrays) array_items += a.items;
  // Recognised arrays list one known item per finding they state, which
  // may be fewer than their items (one package at two paths).
  summary.occurrences = report.occurrences.size() + (report.arrays_recognised ? array_items : report.known.size());
  summary.skipped = report.skipped;
  summary.warnings = report.warnings;

  // Scopes: load the last scan's state of each.
  std::vector<ScopeState> scopes(report.scopes.size());
  for (std::size_t i = 0; i < report.scopes.size(); ++i) {
    const Scope& s = report.scopes[i];
    ScopeState& state = scopes[i];
    SB_ASSIGN_OR_RETURN(auto existing, store.GetScope(s.scanner, s.target));
    if (existing && existing->last_scan_at > t) {
      state.stale = true;
      state.record = *existing;
      ++summary.stale_scopes;
      summary.warnings.push_back(
          fmt::format("{} {}: this report ({}) is older than the last scan ({}): it changes nothing there", s.scanner,
                      s.target, FormatTime(t), FormatTime(existing->last_scan_at)));
      continue;
    }
    state.record = existing.value_or(ScopeRecord{});
    state.record.scanner = s.scanner;
    state.record.target = s.target;
    state.record.complete = s.complete;
    state.record.last_scan_at = t;
    state.record.last_report = report_id;
    SB_RETURN_IF_ERROR(store.UpsertScope(&state.record));
    if (i < snapshots.size() && snapshots[i].scanner == s.scanner && snapshots[i].target == s.target &&
        snapshots[i].Matches(existing)) {
      state.sources = std::move(snapshots[i].sources);  // read before the transaction; nothing moved since
      state.unchanged = std::move(snapshots[i].rows);
      continue;
    }
    std::vector<SourceState> sources;
    SB_RETURN_IF_ERROR(store.LoadScopeSources(state.record.id, &sources, nullptr));
    state.sources.Reserve(sources.size());
    for (const auto& src : sources) state.sources.Insert(src.finding_id, src);
  }

  // Items recognised by digest: unchanged, if the scope still holds them so.
  const auto full_parse = [&](std::string_view why) {
    need_full_parse = true;
    return Status::Conflict(fmt::format("items recognised by digest: {}; parsing again in full", why));
  };
  {
    // Room in each scope's sets for what this report states.
    std::vector<std::size_t> stated(scopes.size(), 0);
    for (const KnownItem& k : report.known) ++stated[k.scope_index];
    for (std::size_t i = 0; i < scopes.size(); ++i) scopes[i].known.Reserve(stated[i]);
    for (const Occurrence& o : report.occurrences) ++stated[o.scope_index];
    for (std::size_t i = 0; i < scopes.size(); ++i) scopes[i].seen.Reserve(stated[i]);
  }
  for (const KnownItem& k : report.known) {
    ScopeState& scope = scopes[k.scope_index];
    if (scope.stale) continue;
    const SourceState* state = scope.sources.Find(k.finding_id);
    if (state == nullptr || !state->present || state->digest != k.digest) {
      return full_parse("the scope changed since they were read");
    }
    if (!scope.known.Insert(k.finding_id)) return full_parse("two items of one finding");
    scope.seen.Insert(k.finding_id);
    ++summary.findings;
    ++summary.unchanged;
    ++summary.recognised;
  }
  if (report.arrays_recognised) {
    summary.recognised = array_items;  // not one of them was parsed
    summary.arrays_recognised = report.item_arrays.size();
  }

  // Group occurrences by (scope, finding).
  std::vector<Group> groups;
  groups.reserve(report.occurrences.size());
  U64Map<std::size_t> group_index;  // hash(scope, id) -> group
  group_index.Reserve(report.occurrences.size());
  for (std::size_t i = 0; i < report.occurrences.size(); ++i) {
    const Occurrence& o = report.occurrences[i];
    if (scopes[o.scope_index].stale) continue;
    const Identity id = ComputeIdentity(o, report.scopes[o.scope_index]);
    const std::uint64_t key = id.id ^ (0x9e3779b97f4a7c15ULL * (o.scope_index + 1));
    const std::uint64_t content = ContentHash(o);
    auto [index, inserted] = group_index.Insert(key, groups.size());
    if (inserted) {
      Group g;
      g.scope = o.scope_index;
      g.first = i;
      g.count = 1;
      g.finding_id = id.id;
      g.content_hash = content;
      g.passed = o.passed && !o.held;
      g.held = o.held;
      g.identity = id.text;
      g.canonical_id = id.canonical_vuln_id;
      groups.push_back(std::move(g));
    } else {
      Group& g = groups[*index];
      ++g.count;
      g.content_hash += content;  // order-independent
      // Precedence: present > held > passed (and the first occurrence of
      // the strongest kind carries the attributes).
      const bool present = !o.passed && !o.held;
      const bool group_present = !g.passed && !g.held;
      if (present && !group_present) {
        g.passed = g.held = false;
        g.first = i;
      } else if (o.held && g.passed) {
        g.passed = false;
        g.held = true;
        g.first = i;
      }
    }
  }

  // Write in key order: sources are keyed by (scope, finding), and events
  // are indexed by finding, so sorted writes append to B-tree pages instead
  // of splitting pages all over. Ties keep their order: the first of two
  // identities that hash to one id keeps taking it. The groups stay where
  // they are; their order is sorted (a group is two strings and more).
  struct Place {
    std::size_t scope;
    std::uint64_t finding_id;
    std::size_t index;
  };
  std::vector<Place> order(groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) order[i] = Place{groups[i].scope, groups[i].finding_id, i};
  std::sort(order.begin(), order.end(), [](const Place& a, const Place& b) {
    if (a.scope != b.scope) return a.scope < b.scope;
    return a.finding_id != b.finding_id ? a.finding_id < b.finding_id : a.index < b.index;
  });

  const auto write_advisory = [&](const FindingRecord& f, const Occurrence& o, const std::string& scanner) -> Status {
    if (o.title.empty() && o.description.empty()) return Status::OK();
    std::string key = AdvisoryKey(f, scanner);
    FieldHasher h;
    h.Add(o.title).Add(o.description);
    for (const auto& r : o.references) h.Add(r);
    const std::uint64_t text_hash = h.Digest();
    auto [written, inserted] = advisories_written.Insert(key, text_hash);
    if (!inserted && *written == text_hash) return Status::OK();
    *written = text_hash;
    return store.UpsertAdvisory(AdvisoryRecord{std::move(key), o.title, std::string(o.description), o.references});
  };
  const auto append = [&](EventType type, const FindingRecord& f, std::string detail) -> Status {
    EventRecord e;
    e.finding_id = f.id;
    e.at = t;
    e.type = type;
    e.report_id = report_id;
    if (type == EventType::kOpened || type == EventType::kReopened) {
      e.priority = f.priority;
      e.due_at = f.due_at;
    }
    e.detail = std::move(detail);
    return store.AppendEvent(&e);
  };

  // Present findings.
  std::vector<std::pair<std::size_t, std::uint64_t>> explicit_passes;  // (scope, finding)
  // Ids already taken, per artifact id prefix, loaded when first needed. The
  // identity texts stay in `identity_rows` and in `groups` meanwhile.
  std::vector<std::vector<std::pair<std::uint64_t, std::string>>> identity_rows;
  std::unordered_map<std::uint64_t, U64Map<std::string_view>> known_ids;
  for (const Place& place : order) {
    Group& g = groups[place.index];
    ScopeState& scope = scopes[g.scope];
    const Scope& s = report.scopes[g.scope];
    const Occurrence& o = report.occurrences[g.first];
    // A finding's items must all be recognised or all extracted: a group
    // without the recognised ones would not be the finding the report states.
    if (scope.known.Contains(g.finding_id)) return full_parse("a finding with items both recognised and not");
    // The digest a present source keeps: its item's, when it has only one.
    const std::uint64_t digest = g.count == 1 ? o.digest : 0;
    const auto keep_digest = [&](SourceState& state) -> Status {
      if (state.digest == digest) return Status::OK();
      state.digest = digest;
      scope.unchanged.clear();
      return store.SetSourceDigest(scope.record.id, g.finding_id, digest);
    };
    if (g.passed) {
      explicit_passes.emplace_back(g.scope, g.finding_id);
      continue;
    }
    if (g.held) {
      // Neither open nor closed: keep whatever this scope knew.
      scope.seen.Insert(g.finding_id);
      continue;
    }
    ++summary.findings;
    SourceState* source = scope.sources.Find(g.finding_id);
    if (source != nullptr && source->present && source->content_hash == g.content_hash) {
      scope.seen.Insert(g.finding_id);
      ++summary.unchanged;
      SB_RETURN_IF_ERROR(keep_digest(*source));
      continue;  // nothing else to write
    }
    // Resolve the stored id: probe past findings of other identities that
    // took this id first. Known ids come from one range query per artifact.
    const std::uint64_t prefix = g.finding_id & kArtifactMask;
    auto known_it = known_ids.find(prefix);
    if (known_it == known_ids.end()) {
      auto& rows = identity_rows.emplace_back();
      SB_RETURN_IF_ERROR(store.ListIdentities(prefix, prefix | ~kArtifactMask, &rows));
      known_it = known_ids.emplace(prefix, U64Map<std::string_view>()).first;
      known_it->second.Reserve(rows.size());
      for (const auto& [id, text] : rows) known_it->second.Insert(id, text);
    }
    auto& known = known_it->second;
    bool exists = false;
    for (int probe = 0;; ++probe) {
      const std::string_view* k = known.Find(g.finding_id);
      if (k == nullptr) break;
      if (*k == g.identity) {
        exists = true;
        break;
      }
      if (probe == 64) return Status::Conflict(fmt::format("no free id for finding \"{}\"", g.identity));
      g.finding_id = NextCandidateId(g.finding_id);
    }
    if (!exists) known.Insert(g.finding_id, g.identity);
    if (scope.known.Contains(g.finding_id)) return full_parse("a finding with items both recognised and not");
    source = scope.sources.Find(g.finding_id);
    scope.seen.Insert(g.finding_id);
    if (source != nullptr && source->present && source->content_hash == g.content_hash) {
      ++summary.unchanged;
      SB_RETURN_IF_ERROR(keep_digest(*source));
      continue;
    }
    SourceRecord src;
    src.finding_id = g.finding_id;
    src.scope_id = scope.record.id;
    src.present = true;
    src.first_seen = t;
    src.changed_at = t;
    src.content_hash = g.content_hash;
    src.report_id = report_id;
    src.pointer = o.pointer;
    src.digest = digest;
    std::optional<FindingRecord> existing;
    if (exists) {
      SB_ASSIGN_OR_RETURN(existing, store.GetFinding(g.finding_id));
    }
    const std::string where = s.scanner + " " + s.target;
    if (!existing) {
      FindingRecord f;
      f.id = g.finding_id;
      f.identity = g.identity;
      f.kind = o.kind;
      MergeAttributes(o, g.canonical_id, f);
      if (g.count > 1) f.location += fmt::format(" (+{} more)", g.count - 1);
      f.status = FindingStatus::kOpen;
      f.first_seen = f.period_start = f.status_since = f.updated_at = t;
      f.content_hash = g.content_hash;
      SB_RETURN_IF_ERROR(RankInto(f).take_status());
      f.due_at = DueOnOpen(t, policy.Deadline(f.priority, f));
      SB_RETURN_IF_ERROR(store.InsertFinding(f));
      SB_RETURN_IF_ERROR(append(EventType::kOpened, f, "first reported by " + where));
      SB_RETURN_IF_ERROR(write_advisory(f, o, s.scanner));
      ++summary.opened;
      if (f.asset_id.empty()) ++summary.unmatched;
    } else {
      FindingRecord f = std::move(*existing);
      // A scanner may report later what another scan saw earlier.
      f.first_seen = std::min(f.first_seen, t);
      MergeAttributes(o, g.canonical_id, f);
      if (g.count > 1 && f.location.find(" (+") == std::string::npos)
        f.location += fmt::format(" (+{} more)", g.count - 1);
      f.content_hash = g.content_hash;
      f.updated_at = t;
      if (f.status == FindingStatus::kFixed) {
        f.status = FindingStatus::kOpen;
        f.period_start = f.status_since = t;
        SB_RETURN_IF_ERROR(RankInto(f).take_status());
        f.due_at = DueOnOpen(t, policy.Deadline(f.priority, f));
        SB_RETURN_IF_ERROR(append(EventType::kReopened, f, "reported again by " + where));
        ++summary.reopened;
      } else {
        SB_RETURN_IF_ERROR(Rerank(f, t, report_id, nullptr).take_status());
        if (source == nullptr) {
          SB_RETURN_IF_ERROR(append(EventType::kSourceAdded, f, "also reported by " + where));
        }
        ++summary.changed;
      }
      SB_RETURN_IF_ERROR(store.UpdateFinding(f));
      SB_RETURN_IF_ERROR(write_advisory(f, o, s.scanner));
    }
    SB_RETURN_IF_ERROR(store.UpsertSource(src));  // keeps a stored first_seen
    scope.sources[g.finding_id] = SourceState{g.finding_id, true, g.content_hash, digest};
    scope.unchanged.clear();
  }

  // Absent findings: explicit passes anywhere, and omissions in complete scopes.
  std::vector<std::tuple<std::size_t, std::uint64_t, std::string>> absent;
  for (const auto& [scope_index, finding_id] : explicit_passes) {
    ScopeState& scope = scopes[scope_index];
    if (scope.seen.Contains(finding_id)) continue;  // also reported present: present wins
    const SourceState* state = scope.sources.Find(finding_id);
    if (state == nullptr || !state->present) continue;
    scope.seen.Insert(finding_id);
    absent.emplace_back(scope_index, finding_id, "reported as passed or resolved by");
  }
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    ScopeState& scope = scopes[i];
    if (scope.stale || !report.scopes[i].complete) continue;
    scope.sources.ForEach([&](std::uint64_t finding_id, const SourceState& state) {
      if (state.present && !scope.seen.Contains(finding_id))
        absent.emplace_back(i, finding_id, "absent from the latest scan by");
    });
  }
  std::sort(absent.begin(), absent.end());
  for (const auto& [scope_index, finding_id, why] : absent) {
    ScopeState& scope = scopes[scope_index];
    const Scope& s = report.scopes[scope_index];
    SourceRecord src;
    src.finding_id = finding_id;
    src.scope_id = scope.record.id;
    src.present = false;
    src.changed_at = t;
    src.content_hash = scope.sources[finding_id].content_hash;
    src.report_id = report_id;
    SB_RETURN_IF_ERROR(store.UpsertSource(src));
    SourceState& state = scope.sources[finding_id];
    scope.unchanged.clear();
    state.present = false;
    state.digest = src.digest;  // none: the row keeps none either
    SB_ASSIGN_OR_RETURN(std::int64_t still, store.CountPresentSources(finding_id));
    SB_ASSIGN_OR_RETURN(auto existing, store.GetFinding(finding_id));
    if (!existing) continue;
    FindingRecord f = std::move(*existing);
    const std::string detail = fmt::format("{} {} {}", why, s.scanner, s.target);
    if (still == 0 && f.status == FindingStatus::kOpen) {
      f.status = FindingStatus::kFixed;
      f.status_since = f.updated_at = t;
      SB_RETURN_IF_ERROR(store.UpdateFinding(f));
      SB_RETURN_IF_ERROR(append(EventType::kFixed, f, detail));
      ++summary.fixed;
    } else if (still > 0) {
      SB_RETURN_IF_ERROR(
          append(EventType::kSourceAbsent, f, detail + fmt::format(" ({} other source(s) still report it)", still)));
    }
  }

  // The report's item arrays, kept for its scope's next scan when they state
  // exactly the scope's present sources: every item of the report is in
  // them, none is held, and the scope is complete (so whatever they do not
  // state is closed). An identical next set of arrays then states the same
  // present sources, unchanged, with the same digests.
  std::string arrays;
  if (scopes.size() == 1 && !scopes[0].stale && report.scopes[0].complete && !report.item_arrays.empty() &&
      summary.skipped == 0 && explicit_passes.empty() && array_items == summary.occurrences) {
    std::size_t present = 0;
    scopes[0].sources.ForEach([&](std::uint64_t, const SourceState& state) { present += state.present ? 1 : 0; });
    if (present == summary.findings) arrays = ingest::EncodeItemArrays(report.item_arrays, present);
  }

  // Each scope's sources as they now stand, in one piece for its next scan.
  std::vector<SourceState> packed;
  for (const ScopeState& scope : scopes) {
    if (scope.stale) continue;
    if (!scope.unchanged.empty() && scope.unchanged.size() == scope.sources.size()) {
      SB_RETURN_IF_ERROR(store.SaveScopeSources(scope.record.id, report_id, scope.unchanged, arrays));
      continue;
    }
    packed.clear();
    packed.reserve(scope.sources.size());
    scope.sources.ForEach([&](std::uint64_t, const SourceState& state) { packed.push_back(state); });
    // In id order, so that a scan that changed nothing packs the same bytes.
    std::sort(packed.begin(), packed.end(), ById);
    SB_RETURN_IF_ERROR(store.SaveScopeSources(scope.record.id, report_id, packed, arrays));
  }

  ReportRecord rec;
  rec.id = report_id;
  rec.file = file;
  rec.format = report.format;
  rec.scanner_version = report.scanner_version;
  rec.scan_time = t;
  rec.ingested_at = clock.Now();
  rec.occurrences = static_cast<std::int64_t>(summary.occurrences);
  rec.opened = static_cast<std::int64_t>(summary.opened);
  rec.reopened = static_cast<std::int64_t>(summary.reopened);
  rec.fixed = static_cast<std::int64_t>(summary.fixed);
  rec.changed = static_cast<std::int64_t>(summary.changed);
  rec.unchanged = static_cast<std::int64_t>(summary.unchanged);
  rec.skipped = static_cast<std::int64_t>(summary.skipped);
  rec.warnings = summary.warnings;
  return store.InsertReport(rec);
}

Result<IntelSummary> Triage::LoadIntelFile(const std::string& path) {
  ReadLimits limits;
  limits.max_bytes = kMaxIntelBytes;
  SB_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, limits));
  IntelSummary summary;
  summary.file = path;
  const TimePoint now = impl_->clock.Now();
  switch (DetectIntel(bytes)) {
    case IntelKind::kKev: {
      SB_ASSIGN_OR_RETURN(KevCatalog cat, ParseKev(bytes, path));
      cat.source.loaded_at = now;
      summary.feed = "kev";
      summary.version = cat.source.version;
      summary.entries = cat.entries.size();
      SB_RETURN_IF_ERROR(
          WithTransaction(impl_->store, [&] { return impl_->store.ReplaceKev(cat.entries, cat.source); }));
      break;
    }
    case IntelKind::kEpss: {
      SB_ASSIGN_OR_RETURN(EpssScores scores, ParseEpss(bytes, path));
      scores.source.loaded_at = now;
      summary.feed = "epss";
      summary.version = scores.source.version;
      summary.entries = scores.entries.size();
      SB_RETURN_IF_ERROR(
          WithTransaction(impl_->store, [&] { return impl_->store.ReplaceEpss(scores.entries, scores.source); }));
      break;
    }
    case IntelKind::kUnknown:
      return Status::UnknownFormat("neither a CISA KEV catalog (JSON) nor an EPSS file (CSV)").WithFile(path);
  }
  impl_->intel_loaded = false;  // reload caches
  SB_ASSIGN_OR_RETURN(RerankSummary r, impl_->EnsureRanked());
  summary.reranked = r.priority_changed;
  return summary;
}

Result<RerankSummary> Triage::Rerank() {
  impl_->intel_loaded = false;
  return impl_->RerankAll();
}

Result<RerankSummary> Triage::EnsureRanked() { return impl_->EnsureRanked(); }

Result<std::uint64_t> Triage::ResolveId(const std::string& id_or_prefix) {
  const std::string prefix = ToLower(Trim(id_or_prefix));
  if (prefix.size() < 4) return Status::InvalidArgument("give at least 4 hex digits of a finding id");
  std::vector<std::uint64_t> ids;
  SB_RETURN_IF_ERROR(impl_->store.FindIdsByPrefix(prefix, 3, &ids));
  if (ids.empty()) return Status::NotFound(fmt::format("no finding with id {}", prefix));
  if (ids.size() > 1) {
    return Status::InvalidArgument(
        fmt::format("id prefix {} is ambiguous ({}, {}, ...): give more digits", prefix, HexId(ids[0]), HexId(ids[1])));
  }
  return ids.front();
}

Result<Explanation> Triage::Explain(const std::string& id_or_prefix) {
  SB_ASSIGN_OR_RETURN(std::uint64_t id, ResolveId(id_or_prefix));
  SB_ASSIGN_OR_RETURN(auto found, impl_->store.GetFinding(id));
  if (!found) return Status::NotFound(fmt::format("no finding with id {}", HexId(id)));
  Explanation ex;
  ex.now = impl_->clock.Now();
  ex.finding = std::move(*found);
  const Asset* asset = impl_->AssetFor(ex.finding.locator);
  if (asset != nullptr) ex.asset = *asset;
  SB_ASSIGN_OR_RETURN(ex.intel, impl_->Intel(ex.finding));
  ex.decision = Rank(impl_->policy.ranking, ex.finding, asset, ex.intel);
  SB_RETURN_IF_ERROR(impl_->store.ListSources(id, &ex.sources));
  SB_RETURN_IF_ERROR(impl_->store.ScanEvents(id, [&](const EventRecord& e) {
    ex.events.push_back(e);
    return true;
  }));
  std::string scanner = ex.sources.empty() ? std::string() : ex.sources.front().scanner;
  SB_ASSIGN_OR_RETURN(ex.advisory, impl_->store.GetAdvisory(AdvisoryKey(ex.finding, scanner)));
  return ex;
}

Result<VerifySummary> Triage::Verify() {
  struct Replayed {
    FindingStatus status = FindingStatus::kOpen;
    Priority priority = Priority::kP4;
    TimePoint due_at = 0;
    TimePoint period_start = 0;
    TimePoint status_since = 0;
    bool opened = false;
  };
  VerifySummary out;
  std::unordered_map<std::uint64_t, Replayed> state;
  std::vector<std::string>& bad = out.mismatches;
  constexpr std::size_t kMaxReported = 50;
  const auto complain = [&](std::string msg) {
    if (bad.size() < kMaxReported) bad.push_back(std::move(msg));
  };
  SB_RETURN_IF_ERROR(impl_->store.ScanEvents(0, [&](const EventRecord& e) {
    ++out.events;
    Replayed& r = state[e.finding_id];
    switch (e.type) {
      case EventType::kOpened:
      case EventType::kReopened:
        if (e.type == EventType::kOpened && r.opened)
          complain(fmt::format("{}: opened twice (seq {})", HexId(e.finding_id), e.seq));
        if (e.type == EventType::kReopened && r.status != FindingStatus::kFixed) {
          complain(fmt::format("{}: reopened while open (seq {})", HexId(e.finding_id), e.seq));
        }
        r.opened = true;
        r.status = FindingStatus::kOpen;
        r.priority = e.priority.value_or(Priority::kP4);
        r.due_at = e.due_at;
        r.period_start = r.status_since = e.at;
        break;
      case EventType::kFixed:
        r.status = FindingStatus::kFixed;
        r.status_since = e.at;
        break;
      case EventType::kPriorityChanged:
        r.priority = e.priority.value_or(r.priority);
        r.due_at = e.due_at;
        break;
      case EventType::kSourceAdded:
      case EventType::kSourceAbsent: break;
    }
    return true;
  }));
  SB_RETURN_IF_ERROR(impl_->store.ScanFindings({}, [&](const FindingRecord& f) {
    ++out.findings;
    const auto it = state.find(f.id);
    if (it == state.end() || !it->second.opened) {
      complain(fmt::format("{}: stored but never opened in the event log", HexId(f.id)));
      return true;
    }
    const Replayed& r = it->second;
    if (r.status != f.status)
      complain(fmt::format("{}: status {} but events say {}", HexId(f.id), Name(f.status), Name(r.status)));
    if (r.status_since != f.status_since)
      complain(fmt::format("{}: status since {} but events say {}", HexId(f.id), FormatTime(f.status_since),
                           FormatTime(r.status_since)));
    if (f.status == FindingStatus::kOpen) {
      if (r.priority != f.priority)
        complain(fmt::format("{}: priority {} but events say {}", HexId(f.id), Name(f.priority), Name(r.priority)));
      if (r.due_at != f.due_at)
        complain(fmt::format("{}: due {} but events say {}", HexId(f.id), FormatTime(f.due_at), FormatTime(r.due_at)));
      if (r.period_start != f.period_start)
        complain(fmt::format("{}: open since {} but events say {}", HexId(f.id), FormatTime(f.period_start),
                             FormatTime(r.period_start)));
    }
    return true;
  }));
  return out;
}

Result<Decision> Triage::Decide(const FindingRecord& finding) {
  const Asset* asset = impl_->AssetFor(finding.locator);
  SB_ASSIGN_OR_RETURN(IntelFacts intel, impl_->Intel(finding));
  Decision d = Rank(impl_->policy.ranking, finding, asset, intel, /*explain=*/true);
  d.deadline = impl_->policy.Deadline(d.priority, finding);
  return d;
}

}  // namespace secbudget
