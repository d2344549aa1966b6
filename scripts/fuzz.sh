#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time, seeded with the bundled
# examples (and ../shared/data when present). A crash, leak, hang or
# sanitizer report fails the run and leaves the reproducer in fuzz/artifacts/.
#   scripts/fuzz.sh BUILD_DIR SECONDS_PER_TARGET
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?build directory with fuzz targets}
seconds=${2:-60}
mkdir -p fuzz/artifacts

seed() {  # target -> seed directory
  local dir="fuzz/corpus/$1"
  mkdir -p "$dir"
  case "$1" in
    report)
      cp examples/reports/day1/* examples/reports/day2/* "$dir"/ 2>/dev/null || true
      if [[ -d ../shared/data/scans ]]; then
        find ../shared/data/scans -type f -size -200k | head -80 | while read -r f; do cp "$f" "$dir/$(echo "$f" | md5sum | cut -c1-12)"; done
      fi ;;
    policy) cp examples/policy/*.yaml policy/*.yaml "$dir"/ ;;
    intel) cp examples/intel/* "$dir"/ ;;
    vex) cp tests/data/vex/* "$dir"/ ;;
    sigma)
      cp examples/detect/rules/*.yml "$dir"/
      if [[ -d ../shared/data/sigma/rules ]]; then
        find ../shared/data/sigma/rules -name '*.yml' | head -60 | while read -r f; do cp "$f" "$dir/"; done
      fi ;;
    logs)
      cp examples/detect/cloudtrail.jsonl "$dir"/
      if [[ -d ../shared/data/logs ]]; then
        find ../shared/data/logs -name '*.json*' -size -64k | head -40 | while read -r f; do cp "$f" "$dir/$(echo "$f" | md5sum | cut -c1-12)"; done
      fi ;;
    incident)
      cp examples/policy/incidents.yaml examples/policy/holidays.ics policy/severity.yaml policy/templates/*.md "$dir"/
      cp tests/data/incident/holidays.ics "$dir"/test-holidays.ics ;;
    time) printf '2024-03-01T12:00:00Z' > "$dir/a"; printf '2026-01-21T10:19:22.4+01:00' > "$dir/b"; printf '48h' > "$dir/c" ;;
  esac
  echo "$dir"
}

status=0
for target in report policy intel time vex sigma logs incident; do
  bin="$build/fuzz_$target"
  [[ -x "$bin" ]] || { echo "missing $bin" >&2; exit 1; }
  corpus=$(seed "$target")
  echo "fuzz_$target: ${seconds}s"
  if ! "$bin" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix=fuzz/artifacts/ -print_final_stats=1 2>fuzz/artifacts/$target.log; then
    echo "fuzz_$target failed: see fuzz/artifacts/$target.log" >&2
    tail -30 fuzz/artifacts/$target.log >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" fuzz/artifacts/$target.log | tail -2
  fi
done
exit $status
