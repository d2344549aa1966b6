#!/usr/bin/env bash
# End-to-end tests of the secbudget binary on the bundled examples:
# exit codes, output formats, error messages, the day-1/day-2 story.
#   tests/cli_test.sh BINARY SOURCE_DIR
set -uo pipefail
sb_bin=${1:?binary}
src=${2:?source dir}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SECBUDGET_DB="$work/t.db" SECBUDGET_POLICY="$src/examples/policy"
failures=0
pass() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; failures=$((failures + 1)); }

# expect NAME CODE CMD...: runs CMD, stores stdout/stderr, checks the exit code.
expect() {
  local name=$1 code=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [[ $rc -eq $code ]]; then pass "$name (exit $rc)"; else fail "$name: exit $rc, expected $code; stderr: $(head -3 "$work/err")"; fi
}
contains() {  # FILE TEXT NAME
  if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3: '$2' not in $(basename "$1"): $(head -5 "$1")"; fi
}
json_query() {  # PYTHON-EXPR on the parsed stdout
  python3 -c "import json,sys; d=json.load(open('$work/out')); print($1)"
}

# Help and usage.
expect "help lists examples" 0 "$sb_bin" --help
contains "$work/out" "Examples:" "main help has examples"
expect "ingest help" 0 "$sb_bin" ingest --help
contains "$work/out" "--target" "ingest help documents --target"
expect "unknown option is a usage error" 2 "$sb_bin" findings --no-such-option
expect "bad --now is a usage error" 2 "$sb_bin" --now yesterday findings
contains "$work/err" "invalid time" "--now error says why"
expect "version" 0 "$sb_bin" version
contains "$work/out" "allocator " "version names the allocator"

# Policy.
expect "lint the example policy" 0 "$sb_bin" lint
contains "$work/out" "8 asset(s)" "lint counts the assets"
mkdir -p "$work/badpolicy"
printf 'apiVersion: secbudget.dev/v1\nkind: AssetInventory\nspec:\n  assets:\n    - id: x\n      service: s\n      team: t\n      environment: prood\n      match:\n        - image: x\n' > "$work/badpolicy/a.yaml"
expect "lint rejects a bad policy" 1 "$sb_bin" lint "$work/badpolicy"
contains "$work/err" "a.yaml:8:" "lint error names file:line"
expect "lint --output json" 1 "$sb_bin" lint "$work/badpolicy" -o json
[[ $(json_query 'd["ok"], d["errors"][0]["line"]') == "False 8" ]] && pass "lint json has ok and line" || fail "lint json: $(cat "$work/out")"

# Day 1.
expect "load intel" 0 "$sb_bin" --now 2026-11-02T12:00:00Z intel load "$src/examples/intel/known_exploited_vulnerabilities.json" "$src/examples/intel/epss_scores.csv"
contains "$work/out" "CISA KEV 2026.11.01 with 12 entries" "KEV loaded"
expect "intel status" 0 "$sb_bin" intel status -o json
[[ $(json_query 'd["kev"]["entries"], d["epss"]["entries"]') == "12 27" ]] && pass "intel status counts" || fail "intel status: $(cat "$work/out")"
expect "ingest day 1" 0 "$sb_bin" --now 2026-11-02T12:00:00Z ingest "$src"/examples/reports/day1/*
contains "$work/out" "8 report(s) ingested" "all eight day-1 reports ingested"
expect "re-ingest is a no-op" 0 "$sb_bin" --now 2026-11-02T12:00:00Z ingest "$src/examples/reports/day1/trivy-payments-api.json"
contains "$work/out" "already ingested" "duplicate recognised"
expect "findings json" 0 "$sb_bin" --now 2026-11-03T09:00:00Z findings -o json
[[ $(json_query 'len(d["findings"])') == "36" ]] && pass "36 open findings" || fail "open findings: $(json_query 'len(d["findings"])')"
top=$(json_query 'd["findings"][0]["vulnerability"]')
[[ $top == "CVE-2021-44228" ]] && pass "Log4Shell ranks first" || fail "top finding is $top"
[[ $(json_query 'd["findings"][0]["priority"], d["findings"][0]["reasons"][0]') == "P1 in CISA KEV since 2021-12-10 (known ransomware use)" ]] \
  && pass "top finding has its KEV reason" || fail "reasons: $(json_query 'd["findings"][0]["reasons"]')"
[[ $(json_query 'sorted(set(f["priority"] for f in d["findings"]))') == "['P1', 'P2', 'P3', 'P4']" ]] && pass "all priorities used" || fail "priorities"
id=$(json_query 'd["findings"][0]["id"]')
expect "findings csv" 0 "$sb_bin" findings -o csv --priority P1
[[ $(head -1 "$work/out" | tr -d '\r') == "ID,PRI,SCORE,DUE,WHAT,WHERE,OWNER,WHY" ]] && pass "csv header" || fail "csv header: $(head -1 "$work/out")"
expect "filter by team" 0 "$sb_bin" findings --team payments -o json
[[ $(json_query 'all(f["team"] == "payments" for f in d["findings"]) and len(d["findings"]) > 0') == "True" ]] && pass "team filter" || fail "team filter"
expect "bad priority is a usage error" 2 "$sb_bin" findings --priority P9
expect "explain by prefix" 0 "$sb_bin" --now 2026-11-03T09:00:00Z explain "${id:0:8}"
contains "$work/out" "table cisa-coordinator row 35 -> act (P1)" "explain shows the table row"
contains "$work/out" "grype" "explain lists the grype source"
contains "$work/out" "trivy" "explain lists the trivy source"
expect "explain json" 0 "$sb_bin" explain "$id" -o json
[[ $(json_query 'len(d["sources"]), d["decision"]["inputs"]["exposure"]["value"]') == "2 yes" ]] && pass "explain json: two sources, exposed" || fail "explain json"
expect "explain unknown id" 1 "$sb_bin" explain ffffffffffffffff
expect "explain too short" 2 "$sb_bin" explain ab

# Day 2: Log4Shell is fixed once both scanners rescan.
expect "ingest day 2" 0 "$sb_bin" --now 2026-11-09T12:00:00Z ingest "$src"/examples/reports/day2/*
contains "$work/out" "fixed 5" "five findings fixed on day 2"
expect "fixed findings" 0 "$sb_bin" findings --status fixed -o json
[[ $(json_query '"CVE-2021-44228" in [f.get("vulnerability") for f in d["findings"]]') == "True" ]] && pass "Log4Shell fixed" || fail "Log4Shell not fixed"
expect "verify replays the event log" 0 "$sb_bin" verify
contains "$work/out" "current state equals the replayed event log" "verify result"
expect "reports list" 0 "$sb_bin" reports -o json
[[ $(json_query 'len(d)') == "11" ]] && pass "eleven reports recorded" || fail "reports: $(json_query 'len(d)')"

# A rescan whose vulnerability lists did not change is recognised without
# parsing them (a database of its own: the state above stays as it is).
sed 's/"CreatedAt": "2026-11-09T06:12:51/"CreatedAt": "2026-11-10T06:12:51/' \
  "$src/examples/reports/day2/trivy-payments-api.json" > "$work/trivy-rescan.json"
expect "first scan" 0 "$sb_bin" --db "$work/rescan.db" ingest "$src/examples/reports/day2/trivy-payments-api.json"
expect "rescan" 0 "$sb_bin" --db "$work/rescan.db" ingest "$work/trivy-rescan.json" -o json
[[ $(json_query 'd["reports"][0]["arrays_recognised"] > 0 and d["reports"][0]["unchanged"] == d["reports"][0]["findings"] > 0') == "True" ]] \
  && pass "unchanged item arrays recognised whole" || fail "rescan: $(json_query 'd["reports"][0]')"

# Bad input: named file and place, non-zero exit, nothing written.
printf '{"SchemaVersion": 2, "ArtifactName": "x",\n  "Results": [ {"Target": ' > "$work/truncated.json"
before=$("$sb_bin" reports -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect "truncated report rejected" 1 "$sb_bin" ingest "$work/truncated.json"
contains "$work/err" "truncated.json:2:" "syntax error names file:line"
after=$("$sb_bin" reports -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $before == "$after" ]] && pass "nothing written for a rejected report" || fail "reports $before -> $after"
printf '{"SchemaVersion": 2, "ArtifactName": "x", "ArtifactType": "container_image", "Results": "oops"}' > "$work/schema.json"
expect "schema error rejected" 1 "$sb_bin" ingest "$work/schema.json"
contains "$work/err" "schema.json#/Results" "schema error names the JSON pointer"
printf '{"hello": "world"}' > "$work/unknown.json"
expect "unknown format rejected" 1 "$sb_bin" ingest "$work/unknown.json"
contains "$work/err" "unknown-format" "unknown format code"
expect "forced wrong format is an error, not a crash" 1 "$sb_bin" ingest --format grype "$work/unknown.json"
head -c 3000000 /dev/zero > "$work/big.json"
expect "size limit" 1 "$sb_bin" ingest --max-report-size 1000000 "$work/big.json"
contains "$work/err" "limit-exceeded" "size limit error code"
expect "missing file" 1 "$sb_bin" ingest "$work/nope.json"
contains "$work/err" "nope.json" "missing file named"
expect "json errors" 1 "$sb_bin" ingest "$work/truncated.json" -o json
[[ $(json_query 'd["reports"][0]["error"]["code"], d["reports"][0]["error"]["line"]') == "parse-error 2" ]] && pass "json error object" || fail "json error: $(cat "$work/out")"
expect "stdin ingest" 0 sh -c "\"$sb_bin\" ingest - < \"$src/examples/reports/day1/kubescape-prod-eks.json\""
expect "bad intel file" 1 "$sb_bin" intel load "$work/unknown.json"
expect "formats" 0 "$sb_bin" formats -o json
[[ $(json_query 'len(d)') == "8" ]] && pass "eight formats" || fail "formats"

# Remediation SLOs, the gate and breaches (state: day 1 and day 2 ingested).
at=2026-11-20T12:00:00Z
expect "slo status" 0 "$sb_bin" slo status --at $at
contains "$work/out" "payments (prod)" "status lists the payments unit"
expect "slo status json" 0 "$sb_bin" slo status --at $at -o json
[[ $(json_query '[u["state"] for u in d if u["service"]=="payments"][0], [u["objective"] for u in d if u["service"]=="payments"][0]') == "exhausted 0.99" ]] && pass "payments exhausted at its 99% objective" || fail "slo status json: $(head -c 400 "$work/out")"
[[ $(json_query 'all(u["good"] + u["bad"] == u["total"] for u in d)') == "True" ]] && pass "good + bad = total per unit" || fail "totals"
expect "bad --scope is a usage error" 2 "$sb_bin" slo status --scope colour=blue
expect "history csv" 0 "$sb_bin" slo status --scope service=payments --history --from 2026-11-01 --to 2026-11-10 -o csv
[[ $(wc -l < "$work/out") -eq 11 ]] && pass "ten daily rows and a header" || fail "history rows: $(wc -l < "$work/out")"
expect "slo alerts json" 0 "$sb_bin" slo alerts --at $at -o json
[[ $(json_query 'sorted(set(a["source"] for a in d)), all(a["dedup_key"] for a in d)') == "['slo'] True" ]] && pass "alerts are slo records with dedup keys" || fail "alerts: $(head -c 300 "$work/out")"
expect "openslo export" 0 "$sb_bin" slo export --at $at
contains "$work/out" "apiVersion: openslo/v1" "export is OpenSLO v1"
contains "$work/out" "budgetingMethod: Occurrences" "export states the budgeting method"
expect "gate fails on an exhausted budget" 1 "$sb_bin" gate --service payments --at $at
contains "$work/out" "gate FAIL" "gate says FAIL"
expect "gate json" 1 "$sb_bin" gate --service payments --at $at -o json
[[ $(json_query 'd["decision"], len(d["reasons"]) > 0') == "fail True" ]] && pass "gate json has decision and reasons" || fail "gate json"
expect "security fixes still ship" 0 "$sb_bin" gate --service payments --security-fix --at $at
expect "a valid exception lets checkout through" 0 "$sb_bin" gate --service checkout --at $at -o json
[[ $(json_query 'd["exception"]["owner"]') == "carol@acme.example" ]] && pass "exception owner reported" || fail "exception: $(head -c 300 "$work/out")"
expect "the expired exception does not" 1 "$sb_bin" gate --service checkout --at 2026-11-28T00:00:00Z
contains "$work/out" "expired" "expiry noted"
expect "declare a breach" 0 "$sb_bin" breach declare --scope service=batch --summary "cryptominer found on a batch node" --by dave --at 2026-11-21T00:00:00Z
expect "breach list" 0 "$sb_bin" breach list -o json
[[ $(json_query 'd[0]["id"], d[0]["resolved"]') == "breach-1 None" ]] && pass "breach recorded" || fail "breach list"
expect "status during the breach" 0 "$sb_bin" slo status --scope service=batch --at 2026-11-22T00:00:00Z -o json
[[ $(json_query 'd[0]["effective_remaining_budget"] <= 0, len(d[0]["active_breaches"])') == "True 1" ]] && pass "breach zeroes the budget" || fail "breach status"
expect "resolve the breach" 0 "$sb_bin" breach resolve breach-1 --at 2026-11-23T00:00:00Z
expect "resolving twice is refused" 1 "$sb_bin" breach resolve breach-1 --at 2026-11-24T00:00:00Z
mkdir -p "$work/badslo"
printf 'apiVersion: secbudget.dev/v1\nkind: GateException\nspec:\n  service: api\n  owner: a\n  reason: r\n  created: 2026-11-01\n  expires: 2027-06-01\n' > "$work/badslo/ex.yaml"
expect "lint rejects a too-long exception" 1 "$sb_bin" lint "$work/badslo"
contains "$work/err" "ex.yaml:1" "exception error names file:line"

# Alerting (state: day 1 and day 2 ingested). The example policy's receivers
# append JSON lines under demo/, relative to the working directory.
mkdir -p "$work/alerting/demo"
pushd "$work/alerting" >/dev/null
expect "alerts run" 0 "$sb_bin" --now 2026-11-20T12:00:00Z alerts run -o json
[[ $(json_query 'd["decisions"].get("paged",0) >= 1, d["decisions"].get("suppressed",0) >= 1, [a["action"] for a in d["audit"]]') == "True True ['created']" ]] && pass "first run pages, suppresses and audits the suppression" || fail "alerts run: $(head -c 600 "$work/out")"
[[ $(json_query 'd["firing"]["gate"], d["firing"]["slo"]') == "3 4" ]] && pass "closed gates and SLO alerts come from one status pass" || fail "gate/slo firing: $(head -c 300 "$work/out")"
[[ $(json_query '[(i["severity"], i["title"][:5]) for i in d["incidents_declared"]]') == "[('SEV2', 'P2 ar')]" ]] && pass "a GuardDuty threat in prod declares a SEV2 incident (trigger)" || fail "alerts run incidents: $(json_query 'd["incidents_declared"]')"
expect "alerts run after group_wait" 0 "$sb_bin" --now 2026-11-20T12:01:00Z alerts run -o json
[[ $(json_query 'len(d["incidents_declared"])') == "0" ]] && pass "the open incident holds its alert" || fail "redeclared: $(json_query 'd["incidents_declared"]')"
[[ $(json_query 'd["decisions"].get("ticketed",0) > 0, d["delivery"]["sent"] > 0, d["delivery"]["dead"]') == "True True 0" ]] && pass "tickets delivered after group_wait" || fail "second run: $(head -c 600 "$work/out")"
if python3 -c "import json,sys; ls=[json.loads(l) for l in open('demo/alerts-security.jsonl')]; assert ls and all(l['version']=='4' and l['alerts'] for l in ls)"; then pass "jsonl receiver got Alertmanager v4 lines"; else fail "jsonl sink"; fi
expect "alerts report" 0 "$sb_bin" --now 2026-11-20T12:06:00Z alerts report --since 7d -o json
[[ $(json_query 'd["total"]["raw"] > d["total"]["interruptions"] > 0, d["total"]["by_reason"]["suppressed"] > 0') == "True True" ]] && pass "report: fewer interruptions than raw alerts" || fail "alerts report: $(head -c 600 "$work/out")"
expect "alerts report table" 0 "$sb_bin" --now 2026-11-20T12:06:00Z alerts report
contains "$work/out" "all teams" "report has a total row"
expect "team digest" 0 "$sb_bin" --now 2026-11-20T12:06:00Z alerts digest --team data-platform
contains "$work/out" "# Digest for data-platform" "digest is Markdown"
expect "alerts list" 0 "$sb_bin" alerts list --team payments -o json
[[ $(json_query 'len(d) > 0 and all(a["team"]=="payments" for a in d)') == "True" ]] && pass "alerts list filters by team" || fail "alerts list"
expect "outbox" 0 "$sb_bin" alerts outbox -o json
[[ $(json_query 'len(d) > 0 and all(e["state"]=="delivered" for e in d)') == "True" ]] && pass "outbox all delivered" || fail "outbox: $(head -c 300 "$work/out")"
expect "suppressions review" 0 "$sb_bin" --now 2026-11-20T12:06:00Z suppressions review -o json
[[ $(json_query '[(s["id"], s["state"], s["hits"] > 0) for s in d["suppressions"]]') == "[('batch-base-image-vendor-wait', 'expiring_soon', True)]" ]] && pass "review: expiring soon with hits" || fail "review: $(head -c 400 "$work/out")"
expect "suppressions audit" 0 "$sb_bin" suppressions audit -o json
[[ $(json_query '[e["action"] for e in d]') == "['created']" ]] && pass "audit trail has the creation" || fail "audit"
expect "after expiry the owner is alerted" 0 "$sb_bin" --now 2026-11-24T09:00:00Z alerts run -o json
[[ $(json_query '[a["action"] for a in d["audit"]], d["firing"]["suppression"]') == "['expired'] 1" ]] && pass "expiry audited and alerted" || fail "expiry: $(head -c 400 "$work/out")"
mkdir -p "$work/vexpolicy" && cp "$src"/examples/policy/*.yaml "$src"/examples/policy/*.ics "$work/vexpolicy/"
expect "import OpenVEX" 0 "$sb_bin" --now 2026-11-20T12:00:00Z suppressions import-vex "$src/tests/data/vex/openvex-acme.json" --owner payments --approver ciso@acme.example --expires 30d --out "$work/vexpolicy/vex.yaml" -o json
[[ $(json_query 'd["format"], d["suppressions"] > 0') == "openvex True" ]] && pass "VEX statements imported" || fail "import-vex: $(head -c 300 "$work/out")"
expect "imported suppressions lint" 0 "$sb_bin" lint "$work/vexpolicy"
printf '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [' > "$work/bad-vex.json"
expect "truncated VEX is rejected" 1 "$sb_bin" suppressions import-vex "$work/bad-vex.json" --owner a --approver b --expires 30d --out "$work/never.yaml"
contains "$work/err" "bad-vex.json" "VEX error names the file"
[[ ! -e "$work/never.yaml" ]] && pass "nothing written on bad VEX" || fail "bad VEX wrote a file"
mkdir -p "$work/badalert" && printf 'apiVersion: secbudget.dev/v1\nkind: AlertRouting\nspec:\n  route: {receiver: nobody}\n' > "$work/badalert/a.yaml"
expect "lint rejects a route to an unknown receiver" 1 "$sb_bin" lint "$work/badalert"
contains "$work/err" "nobody" "routing error names the receiver"
popd >/dev/null

# Detection: Sigma rules, a correlation, an anomaly detector, malformed lines.
det="$src/examples/detect"
expect "rules check loads the example rules" 0 "$sb_bin" rules check "$det/rules"
contains "$work/out" "4 rule(s) loaded, 0 rejected" "rules check counts loaded and rejected"
printf 'title: broken\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|contans: x\n  condition: sel\n' > "$work/bad_rule.yml"
expect "rules check rejects an unknown modifier" 1 "$sb_bin" rules check "$work/bad_rule.yml"
contains "$work/out" "bad_rule.yml:5: rejected \"broken\"" "rejection names file:line and title"
contains "$work/out" "unknown modifier 'contans'" "rejection says why"
export SECBUDGET_DB="$work/detect.db"
expect "detect over example CloudTrail" 0 "$sb_bin" --now 2026-11-20T11:00:00Z detect --rules "$det/rules" --detectors "$det/detectors.yaml" "$det/cloudtrail.jsonl" -o json
[[ $(json_query 'd["events"], d["hits"], d["malformed"], d["malformed_lines"][0]["line"]') == "12 4 1 5" ]] && pass "detect: 12 events, 4 hits, malformed line 5 reported" || fail "detect figures: $(head -c 400 "$work/out")"
[[ $(json_query 'sorted(h["kind"] for h in d["hits_shown"])') == "['anomaly', 'correlation', 'sigma', 'sigma']" ]] && pass "sigma, correlation and anomaly hits" || fail "hit kinds: $(head -c 300 "$work/out")"
[[ $(json_query '[h for h in d["hits_shown"] if h["kind"]=="sigma"][0]["annotations"]["author"]') == "secbudget examples" ]] && pass "hits carry the rule author" || fail "author missing"
[[ $(json_query 'd["pushed_to_alerting"]["alerts"]') == "4" ]] && pass "hits enter the alert model" || fail "not pushed to alerting"
expect "alerts list shows detections" 0 "$sb_bin" --now 2026-11-20T11:00:00Z alerts list -o json
contains "$work/out" "Console password guessing" "correlation alert is held by alerting"
gzip -c "$det/cloudtrail.jsonl" > "$work/ct.jsonl.gz"
expect "detect streams gzip from stdin" 0 bash -c "\"$sb_bin\" --now 2026-11-20T11:00:00Z detect --no-alerts --rules \"$det/rules\" --detectors \"$det/detectors.yaml\" - < \"$work/ct.jsonl.gz\" -o json"
[[ $(json_query 'd["hits"]') == "3" ]] && pass "anomaly state persisted: the new region is known on the second run" || fail "second run hits: $(head -c 300 "$work/out")"
export SECBUDGET_DB="$work/t.db"

# Incident command: the roster, incidents from detections, the timeline,
# status updates, the postmortem, metrics (examples/policy/incidents.yaml).
expect "oncall who on a Friday" 0 "$sb_bin" oncall who --at 2026-11-27T12:00:00Z -o json
friday=$(json_query 'd["on_duty"]["member"]')
expect "oncall who on the Saturday after" 0 "$sb_bin" oncall who --at 2026-11-28T12:00:00Z -o json
[[ $(json_query 'd["on_duty"]["member"]') == "$friday" ]] && pass "Friday's member holds the weekend" || fail "weekend duty: $(cat "$work/out")"
expect "oncall who on the Monday after" 0 "$sb_bin" oncall who --at 2026-11-30T12:00:00Z -o json
[[ $(json_query 'd["on_duty"]["member"]') != "$friday" && $(json_query 'd["leader"]') == "lee" ]] && pass "duty advances on Monday; lee leads" || fail "monday duty: $(cat "$work/out")"
expect "oncall who in the winter break" 0 "$sb_bin" oncall who --at 2026-12-25T12:00:00Z -o json
[[ $(json_query 'd["on_duty"]["date"]') == "2026-12-23" ]] && pass "holidays from the .ics extend the slot before" || fail "holiday: $(cat "$work/out")"
expect "oncall schedule as iCalendar" 0 "$sb_bin" oncall schedule --from 2026-12-01T09:00:00Z --to 2026-12-08 --ics -
[[ $(grep -c "BEGIN:VEVENT" "$work/out") == 5 ]] && pass "one VEVENT per working day" || fail "ics: $(head -20 "$work/out")"
expect "oncall schedule shows the override" 0 "$sb_bin" oncall schedule --from 2026-12-04T10:00:00Z --to 2026-12-04T11:00:00Z -o json
[[ $(json_query 'd[0]["member"], d[0]["assigned"]') == "erin dave" ]] && pass "override: erin serves dave's day" || fail "override: $(cat "$work/out")"
expect "oncall fairness" 0 "$sb_bin" oncall fairness --term 2027-H1 -o json
[[ $(json_query 'sorted(set(r["assigned"] for r in d))') == "[32]" ]] && pass "2027-H1: 32 duties each" || fail "fairness: $(cat "$work/out")"
mkdir -p "$work/badroster" && printf 'apiVersion: secbudget.dev/v1\nkind: OnCallRoster\nspec:\n  leader: lee\n  members: [lee, amy]\n  terms:\n    - {name: t, start: 2026-01-01, members: [amy, lee]}\n' > "$work/badroster/r.yaml"
expect "lint rejects a leader on duty" 1 "$sb_bin" lint "$work/badroster"
contains "$work/err" "r.yaml:7" "roster error names file:line"

export SECBUDGET_DB="$work/incidents.db"
expect "detect declares incidents by trigger" 0 "$sb_bin" --now 2026-11-20T11:00:00Z detect --rules "$det/rules" --detectors "$det/detectors.yaml" "$det/cloudtrail.jsonl" -o json
[[ $(json_query 'len(d["incidents_declared"])') == "3" ]] && pass "3 high/critical detections, 3 incidents" || fail "declared: $(json_query 'd["incidents_declared"]')"
expect "detect again declares nothing new" 0 "$sb_bin" --now 2026-11-20T11:05:00Z detect --rules "$det/rules" --detectors "$det/detectors.yaml" "$det/cloudtrail.jsonl" -o json
[[ $(json_query 'len(d["incidents_declared"])') == "0" ]] && pass "open incidents hold their alerts" || fail "redeclared: $(json_query 'd["incidents_declared"]')"
expect "alerts run sees the unacknowledged incidents" 0 "$sb_bin" --now 2026-11-20T11:06:00Z alerts run --no-deliver -o json
[[ $(json_query 'd["firing"]["incident"]') == "3" ]] && pass "3 IncidentUnacknowledged pages" || fail "incident alerts: $(json_query 'd["firing"]')"
expect "acknowledge one" 0 "$sb_bin" --now 2026-11-20T11:07:00Z incident ack INC-0001 --by bob
expect "alerts run again" 0 "$sb_bin" --now 2026-11-20T11:08:00Z alerts run --no-deliver -o json
[[ $(json_query 'd["firing"]["incident"]') == "2" ]] && pass "an acknowledged incident stops paging" || fail "after ack: $(json_query 'd["firing"]')"
expect "ingest day-1 reports" 0 "$sb_bin" ingest "$src"/examples/reports/day1/*
expect "declare by hand" 0 "$sb_bin" --now 2026-11-23T10:00:00Z incident declare --title "Card tokens read with a leaked key" -s SEV3 --scope service=payments --breach --detected 2026-11-23T09:30:00Z --by alice -o json
id=$(json_query 'd["id"]')
[[ $id == INC-0004 && $(json_query 'd["commander"]') == "carol" && $(json_query 'd["breach"]') == "True" ]] && pass "declared $id, carol on duty commands" || fail "declare: $(head -c 300 "$work/out")"
expect "log an observation" 0 "$sb_bin" --now 2026-11-23T10:05:00Z incident log "$id" -k observation "key used from 203.0.113.7" --by carol
expect "log a public note" 0 "$sb_bin" --now 2026-11-23T10:06:00Z incident log "$id" --public "We are investigating unusual account activity." --by erin
expect "raise to SEV1" 0 "$sb_bin" --now 2026-11-23T10:10:00Z incident severity "$id" SEV1 --reason "customer data read" --by carol -o json
[[ $(json_query 'd["commander"]') == "dana.cto" ]] && pass "SEV1 passes command to the executive" || fail "escalation: $(json_query 'd["commander"]')"
expect "handoff below the level is refused" 1 "$sb_bin" --now 2026-11-23T10:11:00Z incident handoff "$id" --to bob --by dana.cto
contains "$work/err" "SEV1 is commanded by the executive or someone more senior" "refusal cites the policy"
expect "executive update" 0 "$sb_bin" --now 2026-11-23T10:20:00Z incident update "$id" -a executives
contains "$work/out" "# SEV1 incident: Card tokens read with a leaked key" "executive update rendered"
expect "press update" 0 "$sb_bin" --now 2026-11-23T10:20:00Z incident update "$id" -a press --publish
contains "$work/out" "We are investigating unusual account activity." "press sees public notes"
! grep -q "203.0.113.7" "$work/out" && pass "press never sees internal observations" || fail "press update leaks"
expect "breach freezes the gate" 1 "$sb_bin" --now 2026-11-23T10:30:00Z gate --service payments -o json
contains "$work/out" "Card tokens read with a leaked key" "the gate names the breach"
expect "resolve drafts the postmortem" 0 "$sb_bin" --now 2026-11-23T14:00:00Z incident resolve "$id" --summary "key revoked" --postmortem "$work/pm.md" --by dana.cto
contains "$work/pm.md" "*Full blameless review* — due 2026-11-28" "SEV1 postmortem is a full review due in 5 days"
contains "$work/pm.md" "| Acknowledged | 2026-11-23T10:00:00Z | 30m |" "postmortem times from detection"
expect "show -o json" 0 "$sb_bin" --now 2026-11-23T15:00:00Z incident show "$id" -o json
[[ $(json_query 'd["status"], len(d["timeline"])') == "resolved 8" ]] && pass "timeline of 8 entries" || fail "show: $(json_query 'd["status"], len(d["timeline"])')"
expect "a drill" 0 "$sb_bin" --now 2026-11-24T10:00:00Z incident declare --title "Tabletop" -s SEV4 --drill
expect "metrics" 0 "$sb_bin" --now 2026-11-30T00:00:00Z incident metrics -o json
[[ $(json_query 'd["drills_excluded"], d["total"]["incidents"], d["by_severity"][0]["key"], d["by_severity"][0]["mttr_seconds"]') == "1 4 SEV1 16200" ]] && pass "metrics: 4 incidents, drill excluded, SEV1 MTTR 4h30m" || fail "metrics: $(head -c 400 "$work/out")"
expect "unknown severity" 2 "$sb_bin" incident declare --title x -s SEV9
contains "$work/err" "SEV1, SEV2, SEV3, SEV4" "unknown severity lists the levels"
expect "unknown incident" 1 "$sb_bin" incident show INC-0099
export SECBUDGET_DB="$work/t.db"

echo
if [[ $failures -eq 0 ]]; then echo "all CLI tests passed"; else echo "$failures CLI test(s) failed"; fi
exit $(( failures > 0 ))
