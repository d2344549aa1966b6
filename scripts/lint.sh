#!/usr/bin/env bash
# Checks formatting (clang-format) and runs clang-tidy on every source file.
#   scripts/lint.sh [BUILD_DIR]     BUILD_DIR holds compile_commands.json (default build-ci)
#   scripts/lint.sh --fix           reformat in place instead of checking
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t sources < <(git ls-files '*.cc' '*.h' | grep -v '^examples/')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${sources[@]}"
  exit 0
fi
build=${1:-build-ci}

echo "clang-format: ${#sources[@]} files"
clang-format --dry-run -Werror "${sources[@]}"

mapfile -t units < <(git ls-files 'src/*.cc' 'bench/*.cc' 'tests/*.cc' | grep -v '_test\.cc$')
echo "clang-tidy: ${#units[@]} translation units"
printf '%s\n' "${units[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null
