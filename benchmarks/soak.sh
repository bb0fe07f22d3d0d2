#!/usr/bin/env bash
# Soak: ucannon at full load against ucannon-server on 127.0.0.1 for ten minutes, reconnecting
# every 10 requests (-r 10), printing ucannon's resident memory and open descriptors every 10 s
# from /proc. Both must stay flat: a leak of memory, sockets or ring state shows as a slope.
# Not run in CI.
#
# Usage: benchmarks/soak.sh BUILD_DIR        (uses BUILD_DIR/examples/ucannon and ucannon-server)
#   UCANNON=path UCANNON_SERVER=path benchmarks/soak.sh   (explicit binaries instead)
# Settings (environment): SOAK_SECONDS (600), SOAK_INTERVAL (10), SOAK_CONNECTIONS (64),
#   SOAK_THREADS (1), SOAK_SERVER_THREADS (1), SOAK_PATH (/health), SOAK_RECONNECT (10).
# Exits 1 when the descriptors or the memory grew past the tolerance printed at the end.
set -euo pipefail

build=${1:-}
ucannon=${UCANNON:-${build:+$build/examples/ucannon}}
server_bin=${UCANNON_SERVER:-${build:+$build/examples/ucannon-server}}
[[ -x ${ucannon:-} && -x ${server_bin:-} ]] || {
  echo "usage: $0 BUILD_DIR   (or set UCANNON and UCANNON_SERVER to the two binaries)" >&2
  exit 2
}
seconds=${SOAK_SECONDS:-600} interval=${SOAK_INTERVAL:-10}
conns=${SOAK_CONNECTIONS:-64} threads=${SOAK_THREADS:-1} server_threads=${SOAK_SERVER_THREADS:-1}
path=${SOAK_PATH:-/health} reconnect=${SOAK_RECONNECT:-10}

work=$(mktemp -d)
server=''
load=''
cleanup() {
  [[ -n $load ]] && kill -INT "$load" 2>/dev/null && wait "$load" 2>/dev/null
  [[ -n $server ]] && kill -INT "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$server_bin" --port 0 --threads "$server_threads" --quiet >"$work/server.log" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/server.log" && break; sleep 0.1; done
address=$(awk '/^listening on/ {print $NF; exit}' "$work/server.log")
[[ -n $address ]] || { echo "ucannon-server did not start" >&2; exit 1; }
url="http://$address$path"

# HOME in the scratch directory: the soak run does not land in the user's run history.
HOME="$work" "$ucannon" "$url" -c "$conns" -t "$threads" -d "$seconds" -r "$reconnect" --warmup 0 --json \
  >"$work/result.json" 2>"$work/stderr.log" &
load=$!
echo "soak: $url, $conns connections, $threads thread(s), -r $reconnect, ${seconds}s; sampling every ${interval}s"
printf '%8s %12s %8s\n' elapsed rss_kib fds

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

samples_rss=() samples_fd=()
start=$SECONDS
next=$interval
while kill -0 "$load" 2>/dev/null; do
  if (( SECONDS - start >= next )); then
    rss=$(rss_kib "$load") fds=$(fd_count "$load")
    [[ -z $rss ]] && break  # exited between the check and the read
    samples_rss+=("$rss") samples_fd+=("$fds")
    printf '%7ss %12s %8s\n' "$((SECONDS - start))" "$rss" "$fds"
    next=$((next + interval))
  fi
  sleep 0.2
done
wait "$load" && status=0 || status=$?
load=''

echo "ucannon exited with $status"
if [[ -s $work/stderr.log ]]; then echo "ucannon stderr:"; cat "$work/stderr.log"; fi
awk -F'[:,]' '/"(rps|responses|reconnects)"/ {gsub(/[ "]/, "", $1); gsub(/ /, "", $2); printf "  %s %s\n", $1, $2}
              /"errors"/ {print "  " $0}' "$work/result.json"

(( ${#samples_rss[@]} >= 2 )) || { echo "too few samples to judge (run longer than two intervals)"; exit "$status"; }
# The first sample is taken after the connections, buffers and histograms exist: later ones are
# compared with it. Descriptors may dip while -r closes and reopens sockets, never climb.
verdict=$(printf '%s %s\n' "$(IFS=,; echo "${samples_rss[*]}")" "$(IFS=,; echo "${samples_fd[*]}")" | awk -v conns="$conns" '{
  n = split($1, rss, ","); split($2, fd, ",")
  rmin = rmax = rss[1]; fmin = fmax = fd[1]
  for (i = 2; i <= n; ++i) {
    if (rss[i] < rmin) rmin = rss[i]; if (rss[i] > rmax) rmax = rss[i]
    if (fd[i] < fmin) fmin = fd[i]; if (fd[i] > fmax) fmax = fd[i]
  }
  rss_ok = rmax <= rss[1] * 1.10 + 1024   # 10% (and 1 MiB) over the first sample
  fd_ok = fmax <= fd[1] + conns           # at most every connection mid-reconnect
  printf "rss first %d KiB, min %d, max %d, last %d: %s\n", rss[1], rmin, rmax, rss[n], rss_ok ? "flat" : "GREW"
  printf "fds first %d, min %d, max %d, last %d: %s\n", fd[1], fmin, fmax, fd[n], fd_ok ? "flat" : "GREW"
  exit !(rss_ok && fd_ok)
}') && flat=0 || flat=1
echo "$verdict"
(( status == 0 && flat == 0 ))
