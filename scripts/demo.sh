#!/usr/bin/env bash
# Installs what is missing, builds, starts the bundled server on a free 127.0.0.1 port, drives
# load at it for a few seconds, prints the result and stops the server.
# Until the ucannon CLI lands, the echo example pair does this job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release \
  -DURING_CANNON_BUILD_TESTS=OFF -DURING_CANNON_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release --target echo_server echo_client

log=$(mktemp)
build/release/examples/echo_server --port 0 >"$log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do grep -q listening "$log" && break; sleep 0.1; done
address=$(awk '/listening on/ {print $NF}' "$log")
[ -n "$address" ] || { echo "echo_server did not start" >&2; exit 1; }
echo "echo_server on $address"
build/release/examples/echo_client "$address" --conns 64 --seconds "${DEMO_SECONDS:-3}"
