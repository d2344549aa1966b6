#!/usr/bin/env bash
# Installs the Debian 12 packages secbudget needs, only those missing.
#   scripts/deps.sh          build and run
#   scripts/deps.sh --test   also what the tests need (clang for libFuzzer, linters)
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config ccache libsimdjson-dev libyaml-cpp-dev libcli11-dev libfmt-dev libre2-dev
          libcpp-httplib-dev libical-dev libkainjow-mustache-dev
          nlohmann-json3-dev libsqlite3-dev zlib1g-dev libxxhash-dev libmimalloc-dev)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(libgtest-dev libgmock-dev clang libclang-rt-14-dev clang-format clang-tidy python3 sqlite3 jq)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
  # A fresh machine may have no package lists yet.
  $sudo apt-get update >/dev/null
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
