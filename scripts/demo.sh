#!/usr/bin/env bash
# Installs what is missing, builds ucannon and ucannon-server, starts the server on a free
# 127.0.0.1 port, runs ucannon against it and stops the server.
# Usage: scripts/demo.sh [ucannon flags...]   (default: -c 64 -t 1 -d 5s on /health)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release \
  -DURING_CANNON_BUILD_TESTS=OFF -DURING_CANNON_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release --target ucannon ucannon-server

log=$(mktemp)
build/release/examples/ucannon-server --port 0 >"$log" &
server=$!
trap 'kill -INT $server 2>/dev/null; wait $server 2>/dev/null; cat "$log" | tail -n +2; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.1; done
address=$(awk '/^listening on/ {print $NF; exit}' "$log")
[ -n "$address" ] || { echo "ucannon-server did not start" >&2; exit 1; }
echo "ucannon-server on $address"
echo
if [ $# -eq 0 ]; then set -- -c 64 -t 1 -d "${DEMO_SECONDS:-5}s"; fi
build/release/examples/ucannon "http://$address/health" "$@"
