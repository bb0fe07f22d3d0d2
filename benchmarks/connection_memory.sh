#!/usr/bin/env bash
# What one connection costs ucannon in memory: resident set per connection at 1 000 and 10 000
# connections against ucannon-server on 127.0.0.1, idle and busy.
#   busy: gcannon's closed loop, every connection with a request in flight (/health, -p 1);
#   idle: the connections are open but nearly silent: --rate 1, one request per second in all.
# For each run the script waits until every connection is open, lets it settle, then reads
# ucannon's VmRSS and VmHWM from /proc and its on-CPU time from /proc/PID/task/*/schedstat over
# a steady window; then it stops ucannon with SIGINT. A run with -c 1 in the same mode is the
# baseline subtracted before dividing by the connections. For idle runs the CPU column must be
# about zero: connections that wait cost no CPU. What the kernel holds for the sockets is not in
# ucannon's resident set: its slab growth (TCP sockets, their inodes and files, both ends,
# system-wide; needs root to read /proc/slabinfo) is shown beside it for scale.
#
# Usage: benchmarks/connection_memory.sh BUILD_DIR [counts=1000,10000]   (about 1 minute)
#   UCANNON=path UCANNON_SERVER=path benchmarks/connection_memory.sh '' [counts]
# Settings (environment): SETTLE_SECONDS (1), WINDOW_SECONDS (3), SERVER_THREADS (1).
# Exit status: 0 when every run opened all its connections, 1 otherwise.
set -euo pipefail
# shellcheck source=benchmarks/common.sh
source "$(dirname "$0")/common.sh"

build=${1:-}
locate_binaries "$build" || {
  echo "usage: $0 BUILD_DIR [counts=1000,10000]   (or set UCANNON and UCANNON_SERVER)" >&2
  exit 2
}
IFS=, read -r -a counts <<<"${2:-1000,10000}"
settle=${SETTLE_SECONDS:-1} window=${WINDOW_SECONDS:-3} server_threads=${SERVER_THREADS:-1}

# Each connection is a descriptor at both ends (two processes, each with its own limit).
largest=1
for n in "${counts[@]}"; do (( n > largest )) && largest=$n; done
wanted=$(( largest + 256 ))
hard=$(ulimit -Hn)
if [[ $hard != unlimited ]] && (( hard < wanted )); then
  ulimit -Hn "$wanted" 2>/dev/null || true  # root may raise it, up to fs.nr_open
  hard=$(ulimit -Hn)
fi
soft=$(ulimit -Sn)
if [[ $soft != unlimited ]] && (( soft < wanted )); then
  if [[ $hard == unlimited ]] || (( hard >= wanted )); then ulimit -n "$wanted"; else ulimit -n "$hard"; fi
fi
fd_limit=$(ulimit -n)
ports=$(awk '{print $2 - $1 + 1}' /proc/sys/net/ipv4/ip_local_port_range)

work=$(mktemp -d)
server='' load=''
cleanup() {
  [[ -n $load ]] && kill -INT "$load" 2>/dev/null && wait "$load" 2>/dev/null
  [[ -n $server ]] && kill -INT "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# With two CPUs or more the server and ucannon run on separate halves, as in peers.sh.
split_cpus server ucannon

"${server_pin[@]}" "$server_bin" --port 0 --threads "$server_threads" --quiet >"$work/server.log" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/server.log" && break; sleep 0.1; done
address=$(awk '/^listening on/ {print $NF; exit}' "$work/server.log")
[[ -n $address ]] || { echo "ucannon-server did not start" >&2; exit 1; }
url="http://$address/health"

status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }
# On-CPU nanoseconds of every thread of PID (io_uring's workers are threads of it too).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
# Open sockets of PID.
sockets_of() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' 2>/dev/null | wc -l; }
# Bytes in the kernel's slabs for TCP sockets (both ends of every connection, system-wide):
# the socket, its inode and its file. Empty when /proc/slabinfo is not readable (not root).
slab_bytes() {
  awk '$1 == "TCP" || $1 == "sock_inode_cache" || $1 == "filp" {s += $2 * $4} END {if (NR) printf "%.0f\n", s}' \
    /proc/slabinfo 2>/dev/null || true
}

# measure MODE CONNECTIONS: prints "rss_kib hwm_kib cpu_ms_per_s kernel_bytes responses errors"
# (kernel_bytes: slab growth, "-" when unknown) or fails with a reason.
measure() {
  local mode=$1 n=$2
  local -a extra=()
  [[ $mode == idle ]] && extra=(--rate 1)
  local slab_before
  slab_before=$(slab_bytes)
  HOME=$work "${load_pin[@]}" "$ucannon" "$url" -c "$n" -t 1 -d 10m --warmup 0 --json "${extra[@]}" \
    >"$work/result.json" 2>"$work/stderr.log" &
  load=$!
  local waited=0
  until (( $(sockets_of "$load") >= n )); do
    kill -0 "$load" 2>/dev/null || break
    (( waited >= 300 )) && break  # 30 s
    sleep 0.1
    waited=$((waited + 1))
  done
  local open
  open=$(sockets_of "$load")
  sleep "$settle"
  local cpu_start cpu_end rss hwm slab
  cpu_start=$(cpu_ns "$load")
  sleep "$window"
  cpu_end=$(cpu_ns "$load")
  rss=$(status_kib "$load" VmRSS) hwm=$(status_kib "$load" VmHWM) slab=$(slab_bytes)
  kill -INT "$load" 2>/dev/null || true
  wait "$load" || true
  load=''
  local responses errors
  responses=$(awk -F': ' '/^  "responses": / {sub(/,$/, "", $2); print $2}' "$work/result.json")
  errors=$(awk '/^  "errors": / {gsub(/[^0-9 ]/, " "); print $1 + $2 + $3}' "$work/result.json")
  if [[ -z $rss ]] || (( open < n )); then
    echo "only $open of $n connections opened; ucannon said: $(head -c 300 "$work/stderr.log")" \
         "errors: $(grep -h '"error_classes"' "$work/result.json" 2>/dev/null)" >&2
    return 1
  fi
  local cpu_ms_per_s
  cpu_ms_per_s=$(awk -v d=$((cpu_end - cpu_start)) -v w="$window" 'BEGIN {printf "%.2f", d / w / 1e6}')
  local kernel=-
  [[ -n $slab && -n $slab_before ]] && kernel=$(( slab - slab_before ))
  echo "$rss $hwm $cpu_ms_per_s $kernel ${responses:-0} ${errors:-0}"
}

echo "connection_memory: ucannon -t 1 against $url (server threads $server_threads); $pinning"
echo "descriptor limit $fd_limit per process, $ports ephemeral ports; settle ${settle}s, window ${window}s"
echo "rss/hwm = ucannon's VmRSS/VmHWM in the window; per conn = (rss - the -c 1 run's rss) / connections;"
echo "cpu = ucannon's on-CPU time during the window, ms per second; kernel = growth of the TCP socket,"
echo "  socket inode and file slabs per connection, both ends (system-wide, so roughly)"
printf '%-5s %7s %9s %9s %11s %10s %12s %10s %7s\n' mode conns 'rss KiB' 'hwm KiB' 'B per conn' 'cpu ms/s' 'kernel B/conn' responses errors
failed=0
for mode in idle busy; do
  if ! base=$(measure "$mode" 1); then echo "$mode baseline failed" >&2; failed=1; continue; fi
  read -r base_rss base_hwm base_cpu _ base_responses base_errors <<<"$base"
  printf '%-5s %7d %9d %9d %11s %10s %12s %10d %7d\n' "$mode" 1 "$base_rss" "$base_hwm" '(baseline)' "$base_cpu" \
    - "$base_responses" "$base_errors"
  for n in "${counts[@]}"; do
    if (( n + 64 > fd_limit )); then
      printf '%-5s %7d  skipped: needs %d descriptors, the limit is %d\n' "$mode" "$n" $((n + 64)) "$fd_limit"
      failed=1
      continue
    fi
    if (( n > ports )); then
      printf '%-5s %7d  skipped: %d ephemeral ports for one client address (use --bind)\n' "$mode" "$n" "$ports"
      failed=1
      continue
    fi
    if ! row=$(measure "$mode" "$n" 2>"$work/why"); then
      printf '%-5s %7d  FAILED: %s\n' "$mode" "$n" "$(cat "$work/why")"
      failed=1
      continue
    fi
    read -r rss hwm cpu kernel responses errors <<<"$row"
    per=$(awk -v r="$rss" -v b="$base_rss" -v n="$n" 'BEGIN {printf "%.0f", (r - b) * 1024 / n}')
    [[ $kernel != - ]] && kernel=$(awk -v k="$kernel" -v n="$n" 'BEGIN {printf "%.0f", k / n}')
    printf '%-5s %7d %9d %9d %11s %10s %12s %10d %7d\n' "$mode" "$n" "$rss" "$hwm" "$per" "$cpu" "$kernel" "$responses" "$errors"
  done
done
exit "$failed"
