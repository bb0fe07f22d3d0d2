#!/usr/bin/env bash
# ucannon and wrk in turns against one ucannon-server on 127.0.0.1, same load, interleaved rounds.
# Usage: benchmarks/compare_generators.sh BUILD_DIR [rounds=5] [seconds=5] [connections=64] [path=/health]
# Needs wrk (apt-get install wrk). Prints each run's req/s and the median ratio ucannon/wrk.
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [rounds] [seconds] [connections] [path]}
rounds=${2:-5} seconds=${3:-5} conns=${4:-64} path=${5:-/health}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

log=$(mktemp)
"$build/examples/ucannon-server" --port 0 --quiet >"$log" &
server=$!
trap 'kill -INT $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.1; done
address=$(awk '/^listening on/ {print $NF; exit}' "$log")
url="http://$address$path"
echo "target $url, $conns connections, 1 thread each, ${seconds}s per run, $rounds rounds"

ucannon_rps() { "$build/examples/ucannon" "$url" -c "$conns" -t 1 -d "$seconds" --json |
                  awk -F'[:,]' '/"rps"/ {gsub(/ /, "", $2); print $2}'; }
wrk_rps() { wrk -t1 -c"$conns" -d"${seconds}s" "$url" | awk '/Requests\/sec/ {print $2}'; }

ratios=()
for round in $(seq "$rounds"); do
  if (( round % 2 )); then u=$(ucannon_rps); w=$(wrk_rps); else w=$(wrk_rps); u=$(ucannon_rps); fi
  r=$(awk -v u="$u" -v w="$w" 'BEGIN {printf "%.3f", u / w}')
  ratios+=("$r")
  printf 'round %d: ucannon %10.0f req/s   wrk %10.0f req/s   ratio %s\n' "$round" "$u" "$w" "$r"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median ratio ucannon/wrk: %s (min %s, max %s)\n", a[int((NR+1)/2)], a[1], a[NR]}'
