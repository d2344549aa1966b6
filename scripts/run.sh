#!/usr/bin/env bash
# Quickstart 1: install what is missing, build, and run secbudget on the
# bundled example data (an embedded SQLite file in ./demo/).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
# Its own build directory: reconfiguring build/ (the developers' tree, with
# tests) as Release without tests would leave stale test binaries behind.
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSECBUDGET_TESTS=OFF >/dev/null
cmake --build build-release --target secbudget

mkdir -p demo
rm -f demo/secbudget.db demo/secbudget.db-wal demo/secbudget.db-shm demo/alerts-*.jsonl
sb() { build-release/secbudget --db demo/secbudget.db --policy examples/policy "$@"; }

echo
echo "== validate the policy directory (assets, ranking and SLO policy)"
sb lint
echo
echo "== load threat intelligence (CISA KEV, FIRST EPSS)"
sb --now 2026-11-02T12:00:00Z intel load examples/intel/known_exploited_vulnerabilities.json examples/intel/epss_scores.csv
echo
echo "== day 1: ingest eight reports from seven scanners"
sb --now 2026-11-02T12:00:00Z ingest examples/reports/day1/*
echo
echo "== the ranked queue on 2026-11-03, with the top reason for each finding"
sb --now 2026-11-03T09:00:00Z findings
echo
echo "== day 2: rescans of the payments-api image and the AWS account"
sb --now 2026-11-09T12:00:00Z ingest examples/reports/day2/*
echo
echo "== fixed since day 1"
sb --now 2026-11-09T12:00:00Z findings --status fixed
echo
first=$(sb --now 2026-11-09T12:00:00Z findings -o csv --priority P1 | sed -n 2p | cut -d, -f1)
echo "== why is ${first} first?"
sb --now 2026-11-09T12:00:00Z explain "$first"
echo
echo "== remediation SLOs on 2026-11-20: budget per team/service/environment"
sb --now 2026-11-20T12:00:00Z slo status
echo
echo "== burn-rate and budget alerts"
sb --now 2026-11-20T12:00:00Z slo alerts
echo
echo "== release gates: payments is frozen; checkout ships under a documented exception"
sb --now 2026-11-20T12:00:00Z gate --service payments || true
sb --now 2026-11-20T12:00:00Z gate --service checkout
echo
echo "== alerting: evaluate at 12:00 (pages go at once), again at 12:01 (tickets after group_wait)"
sb --now 2026-11-20T12:00:00Z alerts run
sb --now 2026-11-20T12:01:00Z alerts run
echo
echo "== noise removed: raw alerts versus what interrupted people"
sb --now 2026-11-20T12:06:00Z alerts report --since 7d
echo
echo "== accepted risk under review"
sb --now 2026-11-20T12:06:00Z suppressions review
echo
echo "== detection: our example Sigma rules, a correlation and an anomaly detector over CloudTrail"
sb rules check examples/detect/rules
sb --now 2026-11-20T12:10:00Z detect --rules examples/detect/rules --detectors examples/detect/detectors.yaml \
  examples/detect/cloudtrail.jsonl
echo
echo "== incident command: who is on duty; the incidents alerting and detection declared (severity policy triggers)"
sb --now 2026-11-20T12:10:00Z oncall who
sb --now 2026-11-20T12:10:00Z incident list
echo
echo "== a breach declared by hand: the member on duty commands, SEV1 passes command to the CTO"
sb --now 2026-11-20T12:15:00Z incident declare --title "Card tokens read with a leaked deploy key" -s SEV2 \
  --scope service=payments --breach --detected 2026-11-20T11:50:00Z --by alice
id=$(sb --now 2026-11-20T12:15:00Z incident list -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
sb --now 2026-11-20T12:20:00Z incident log "$id" -k observation "deploy key used from 203.0.113.7 to read the token vault" --by carol
sb --now 2026-11-20T12:25:00Z incident severity "$id" SEV1 --reason "customer card tokens read" --by lee
sb --now 2026-11-20T12:26:00Z incident role "$id" communications erin --by dana.cto
sb --now 2026-11-20T12:30:00Z incident log "$id" -k decision "revoke every deploy key of the payments account" --by dana.cto
sb --now 2026-11-20T12:31:00Z incident log "$id" -k note --public "We are investigating unusual access to our payment service." --by erin
echo
echo "== the update for executives, rendered from the timeline"
sb --now 2026-11-20T12:40:00Z incident update "$id" -a executives
echo
echo "== resolved: the postmortem draft (demo/postmortem.md) and the metrics"
sb --now 2026-11-20T12:50:00Z incident status "$id" mitigated --note "keys revoked" --by carol
sb --now 2026-11-20T13:00:00Z incident action-item "$id" "alert on deploy-key use from new networks" --owner carol --by dana.cto
sb --now 2026-11-20T16:00:00Z incident resolve "$id" --summary "Leaked deploy key revoked; 12 customers informed" \
  --postmortem demo/postmortem.md --by dana.cto
sb --now 2026-11-20T17:00:00Z incident metrics
echo
echo "Notifications: demo/alerts-*.jsonl (Alertmanager webhook JSON, one per line)."
echo "Database: demo/secbudget.db. Try: build-release/secbudget --db demo/secbudget.db --policy examples/policy findings --help"
