#!/usr/bin/env bash
# Installs what building and testing uring_cannon needs on Debian 12, skipping what is present.
# Usage: scripts/install-deps.sh [extra-package...]
set -euo pipefail

packages=(g++ clang libclang-rt-14-dev cmake ninja-build meson pkg-config python3
          liburing-dev catch2 libhttp-parser-dev libssl-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
