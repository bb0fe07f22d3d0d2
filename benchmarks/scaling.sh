#!/usr/bin/env bash
# How ucannon scales with its threads: req/s and CPU per response at -t 1, 2, 4, ... against
# ucannon-server on 127.0.0.1. The server runs on the first half of the CPUs with a thread per CPU,
# ucannon on the second half, and each thread count runs in interleaved rounds (1 2 4, then
# 2 4 1, ...) with the same connections. Scaling means something only while the server keeps up,
# so each row also shows how busy the server's CPUs were: a row whose server was near its limit
# measured the server, and is marked so.
#
# Usage: benchmarks/scaling.sh BUILD_DIR [options]       (BUILD_DIR/examples/ucannon, ucannon-server)
#   UCANNON=path UCANNON_SERVER=path benchmarks/scaling.sh '' [options]
# Options (defaults in brackets):
#   --threads LIST       ucannon thread counts          [1, 2, 4, ... up to ucannon's CPUs, and 2]
#   -c N                 connections in all, for every thread count                      [256]
#   --pipelines LIST     pipeline depths                                                 [1,16]
#   --seconds S          seconds per run                                                 [3]
#   --rounds R           rounds                                                          [3]
#   --server-threads N   ucannon-server threads                     [the server's CPUs]
# On a 2-CPU machine ucannon has one CPU, so -t 2 shares it: the rows then show what a second
# thread costs, not how it scales. Exit status: 0 when every run succeeded, 1 otherwise, 2 usage.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
# shellcheck source=benchmarks/common.sh
source "$(dirname "$0")/common.sh"

build=''
[[ $# -gt 0 && $1 != -* ]] && { build=$1; shift; }
locate_binaries "$build" || usage

thread_counts='' conns=256 pipelines=1,16 seconds=3 rounds=3 server_threads=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --threads) thread_counts=${2:?}; shift ;;
    -c) conns=${2:?}; shift ;;
    --pipelines) pipelines=${2:?}; shift ;;
    --seconds) seconds=${2:?}; shift ;;
    --rounds) rounds=${2:?}; shift ;;
    --server-threads) server_threads=${2:?}; shift ;;
    -h | --help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
  shift
done

work=$(mktemp -d)
server=''
cleanup() {
  [[ -n $server ]] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the CPU-time helper, and CPUs: the server on the first half, ucannon on the second ---------
find_cpu_of "$build" "$work"
split_cpus ucannon-server ucannon
server_threads=${server_threads:-$server_cpu_count}
if [[ -z $thread_counts ]]; then
  thread_counts=1
  for (( t = 2; t <= load_cpu_count; t *= 2 )); do thread_counts+=,$t; done
  [[ $thread_counts == 1 ]] && thread_counts=1,2  # one CPU for ucannon: show what a second thread costs
fi
IFS=, read -r -a threads_list <<<"$thread_counts"
IFS=, read -r -a depth_list <<<"$pipelines"

"${server_pin[@]}" "$server_bin" --port 0 --threads "$server_threads" --quiet >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/server.log" && break; sleep 0.1; done
address=$(awk '/^listening on/ {print $NF; exit}' "$work/server.log")
[[ -n $address ]] && kill -0 "$server" 2>/dev/null || { echo "ucannon-server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
url="http://$address/health"

ticks=$(getconf CLK_TCK)
server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }  # every thread of the server

# run THREADS DEPTH: prints "responses elapsed_s user_us sys_us server_busy_percent", or fails.
run() {
  local before after status=0
  before=$(server_cpu_ticks)
  "${load_pin[@]}" "$cpu_of" "$work/cpu" timeout -k 5 $(( seconds + 30 )) \
    env HOME="$work" "$ucannon" "$url" -c "$conns" -t "$1" -p "$2" -d "${seconds}s" --warmup 0 --json \
    >"$work/out.json" 2>"$work/err" || status=$?
  after=$(server_cpu_ticks)
  local parsed
  parsed=$(awk '
    function value(line) { sub(/^[^:]*: */, "", line); sub(/,$/, "", line); return line }
    /^  "responses": / { responses = value($0) }
    /^  "elapsed_sec": / { elapsed = value($0) }
    /^  "errors": / { gsub(/[^0-9 ]/, " "); errors = $1 + $2 + $3 }
    END { if (responses > 0 && errors == 0) print responses, elapsed }' "$work/out.json")
  if (( status != 0 )) || [[ -z $parsed ]]; then
    { echo "FAILED: ucannon -t $1 -p $2 (exit $status):"; tail -n 5 "$work/out.json" "$work/err"; } >&2
    return 1
  fi
  local user sys
  read -r user sys <<<"$(awk '{for (i = 1; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] } print v["user_us"], v["sys_us"]}' "$work/cpu")"
  awk -v p="$parsed" -v u="$user" -v s="$sys" -v b="$before" -v a="$after" -v hz="$ticks" -v n="$server_cpu_count" '
    BEGIN { split(p, f, " "); printf "%s %s %s %s %.0f\n", f[1], f[2], u, s, (a - b) / hz / (f[2] * n) * 100 }'
}

cat <<EOF
scaling: ucannon against $url, ucannon-server with $server_threads thread(s)
$(nproc) CPUs; $pinning
$conns connections at every thread count; $rounds rounds of ${seconds}s, thread counts interleaved
columns: medians over the rounds; vs -t 1 = req/s over the median of -t 1 (per round); cpu = user +
  sys of ucannon (wait4); server busy = the server's CPU time over its CPUs' time in the run
  (near 100%: the server was the limit, and the row measures it)
EOF

failures=0
for depth in "${depth_list[@]}"; do
  records=$work/records.$depth
  : >"$records"
  n=${#threads_list[@]}
  for round in $(seq "$rounds"); do
    for i in $(seq 0 $(( n - 1 ))); do
      t=${threads_list[$(( (i + round - 1) % n ))]}
      if result=$(run "$t" "$depth"); then echo "$t $round $result" >>"$records"; else failures=$((failures + 1)); fi
      kill -0 "$server" 2>/dev/null || { echo "ucannon-server died" >&2; exit 1; }
    done
  done
  echo
  echo "== -p $depth"
  awk -v order="$thread_counts" -v cpus="$load_cpu_count" "$awk_median"'
    {
      t = $1; r = $2; rps[t, r] = $3 / $4
      list[t, "rps"] = list[t, "rps"] " " rps[t, r]
      list[t, "cpr"] = list[t, "cpr"] " " ($5 + $6) / $3
      list[t, "busy"] = list[t, "busy"] " " $7
      rounds_of[t] = rounds_of[t] " " r
    }
    END {
      printf "  %7s %11s %6s %8s %11s %11s %11s\n", "threads", "req/s", "spread", "vs -t 1", "per thread", "cpu us/resp", "server busy"
      n = split(order, ts, ",")
      for (i = 1; i <= n; ++i) {
        t = ts[i]
        if (rounds_of[t] == "") { printf "  %7s (no successful run)\n", t; continue }
        ratios = ""
        m = split(rounds_of[t], rs, " ")
        for (k = 1; k <= m; ++k) if ((1, rs[k]) in rps) ratios = ratios " " rps[t, rs[k]] / rps[1, rs[k]]
        split(list[t, "rps"], xs, " "); lo = hi = xs[1]; for (k in xs) { if (xs[k] < lo) lo = xs[k]; if (xs[k] > hi) hi = xs[k] }
        m_rps = median(list[t, "rps"]); busy = median(list[t, "busy"])
        note = busy >= 90 ? "  (server-bound)" : ""
        if (t > cpus) note = note "  (more threads than ucannon'"'"'s " cpus " CPU(s))"
        printf "  %7s %11.0f %5.0f%% %8s %11.0f %11.2f %10.0f%%%s\n", t, m_rps, (hi - lo) / m_rps * 100,
               ratios == "" ? "-" : sprintf("%.2fx", median(ratios)), m_rps / t, median(list[t, "cpr"]), busy, note
      }
    }' "$records"
done

echo
if (( failures > 0 )); then echo "$failures run(s) failed (see above)"; exit 1; fi
echo "all runs succeeded"
