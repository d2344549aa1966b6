#!/usr/bin/env bash
# Quickstart 2: install what is missing, build, and run every test:
#   1. release build with -Werror, unit + end-to-end tests (ctest)
#   2. ASan + UBSan build, the same tests
#   3. clang-format and clang-tidy checks
#   4. every fuzz target for a short bounded time (libFuzzer)
#   5. the benchmark, once, on a small corpus (a smoke run, never timed)
# Environment: FUZZ_SECONDS (default 20 per target), JOBS (default: cores).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-20}

step() { echo; echo "== $*"; }

step "dependencies"
scripts/deps.sh --test

step "release build (-Werror) and tests"
cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSECBUDGET_WERROR=ON >/dev/null
cmake --build build-ci -j "$jobs"
ctest --test-dir build-ci -j "$jobs" --output-on-failure

step "ASan + UBSan build and tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSECBUDGET_WERROR=ON -DSECBUDGET_SANITIZE=ON \
  -DSECBUDGET_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j "$jobs" --output-on-failure

step "formatting and static analysis"
scripts/lint.sh build-ci

step "fuzzing, ${fuzz_seconds}s per target"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSECBUDGET_FUZZ=ON \
  -DSECBUDGET_TESTS=OFF -DSECBUDGET_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$jobs"
scripts/fuzz.sh build-fuzz "$fuzz_seconds"

step "benchmark smoke run"
build-ci/bench_ingest --images 20 --vulns 100 --repeat 1
build-ci/bench_slo --findings 20000 --services 50 --repeat 1
build-ci/bench_alert --alerts 20000 --suppressions 1000 --repeat 1
build-ci/bench_detect --mb 20 --repeat 1
build-ci/bench_incident --incidents 100 --entries 10 --repeat 1

echo
echo "all tests passed"
