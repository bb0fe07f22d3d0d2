#!/usr/bin/env bash
# ucannon next to its peers (wrk, h2load, and gcannon, oha or bombardier when installed), each
# generator driving the same load at two targets on 127.0.0.1: ucannon-server and a Debian
# nginx that this script configures in a scratch directory. For each case the generators take
# turns in interleaved rounds (A B C, then B C A, ...). The report gives each generator's median
# req/s and the CPU the kernel charged to it (user + sys, from wait4's rusage, taken by the
# cpu_of helper): a generator that needs more CPU per response leaves less of the machine to the
# server it is testing. Bodies of 64 KiB and 1 MiB are then read for GB/s and CPU seconds per GB,
# and the 1 MiB case also runs ucannon with larger --recv-buf sizes.
#
# Usage: benchmarks/peers.sh BUILD_DIR [options]   (BUILD_DIR/examples/ucannon and ucannon-server)
#   UCANNON=path UCANNON_SERVER=path benchmarks/peers.sh [options]   (explicit binaries)
# Options (defaults in brackets; the default run takes about 4 minutes):
#   -c N                 connections, the same for every generator                 [64]
#   -t N                 generator threads, the same for every generator           [1]
#   --seconds S          seconds per run, request cases                            [3]
#   --large-seconds S    seconds per run, body cases                               [2]
#   --rounds R           rounds per case                                           [3]
#   --server-threads N   ucannon-server threads and nginx workers   [the server's CPUs, or 1]
#   --targets LIST       of ucannon-server,nginx                                   [both]
#   --generators LIST    of ucannon,wrk,h2load,gcannon,oha,bombardier    [those installed]
#   --pipelines LIST     pipeline depths of the request cases                      [1,16]
#   --recv-bufs LIST     extra ucannon --recv-buf sizes on the 1 MiB case          [4096, gcannon's size]
#   --no-large           request cases only       --large-only   body cases only
#   --profile            one more run per generator in each request case, under `perf record`
#                        (Debian's linux-perf; root, or kernel.perf_event_paranoid <= 1): where
#                        its CPU per response goes: user space, io_uring, syscalls and epoll,
#                        socket polls, and the rest of the kernel (mostly TCP/IP)
# With two CPUs or more, the servers run on the first half of them and the generators on the
# second half (taskset), so that the generators do not take CPU from the server they measure.
# Exit status: 0 when every run succeeded, 1 when a generator or a server failed, 2 bad usage.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
# shellcheck source=benchmarks/common.sh
source "$(dirname "$0")/common.sh"

build=''
[[ $# -gt 0 && $1 != -* ]] && { build=$1; shift; }
locate_binaries "$build" || usage

conns=64 threads=1 seconds=3 large_seconds=2 rounds=3 server_threads=''
targets=ucannon-server,nginx generators='' pipelines=1,16 recv_bufs=4096
small_cases=1 large_cases=1 profile=0
while [[ $# -gt 0 ]]; do
  case $1 in
    -c) conns=${2:?}; shift ;;
    -t) threads=${2:?}; shift ;;
    --seconds) seconds=${2:?}; shift ;;
    --large-seconds) large_seconds=${2:?}; shift ;;
    --rounds) rounds=${2:?}; shift ;;
    --server-threads) server_threads=${2:?}; shift ;;
    --targets) targets=${2:?}; shift ;;
    --generators) generators=${2:?}; shift ;;
    --pipelines) pipelines=${2:?}; shift ;;
    --recv-bufs) recv_bufs=${2:-}; shift ;;
    --no-large) large_cases=0 ;;
    --large-only) small_cases=0 ;;
    --profile) profile=1 ;;
    -h | --help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
  shift
done

work=$(mktemp -d)
chmod 755 "$work"  # nginx's workers run as nobody when we are root: they read files in here
servers=()
cleanup() {
  local pid
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the CPU-time helper, and CPUs: servers on the first half, generators on the second -----------
find_cpu_of "$build" "$work"
split_cpus servers generators
generator_pin=("${load_pin[@]}")
if (( ${#server_pin[@]} > 0 )); then server_threads=${server_threads:-$server_cpu_count}; else server_threads=${server_threads:-1}; fi

# --- generators -----------------------------------------------------------------------------------
if [[ -z $generators ]]; then
  generators=ucannon
  for g in wrk h2load gcannon oha bombardier; do
    if command -v "$g" >/dev/null; then generators+=,$g; else echo "note: $g is not installed: skipped"; fi
  done
fi
IFS=, read -r -a generator_list <<<"$generators"
for g in "${generator_list[@]}"; do
  case $g in
    ucannon) ;;
    wrk | h2load | gcannon) command -v "$g" >/dev/null || { echo "$g is not installed" >&2; exit 2; } ;;
    oha | bombardier)
      command -v "$g" >/dev/null || { echo "$g is not installed" >&2; exit 2; }
      command -v jq >/dev/null || { echo "$g's JSON report needs jq" >&2; exit 2; } ;;
    *) echo "unknown generator $g" >&2; exit 2 ;;
  esac
done

# wrk's own numbers are rounded ("43.07MB read"): a done() hook prints the exact totals. Pipelining
# is wrk's usual script: request() returns `depth` requests in one string, and wrk counts them.
cat >"$work/wrk_summary.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_SUMMARY requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
{
  cat <<'EOF'
init = function(args)
  local batch = {}
  for i = 1, tonumber(args[1]) do batch[i] = wrk.format() end
  pipelined = table.concat(batch)
end
request = function() return pipelined end
EOF
  cat "$work/wrk_summary.lua"
} >"$work/wrk_pipeline.lua"

# --profile splits kernel time by symbol, so it needs kernel samples with names: perf falls back
# to user space only (with a warning) when kernel.perf_event_paranoid is above 1, and shows raw
# addresses when kernel.kptr_restrict hides the symbols from us.
if (( profile )); then
  command -v perf >/dev/null || { echo "--profile needs perf (apt-get install linux-perf)" >&2; exit 2; }
  if ! perf record -q -e cpu-clock -o "$work/probe.data" -- true >/dev/null 2>"$work/probe.err"; then
    { echo "--profile: perf record does not work here:"; cat "$work/probe.err"; } >&2
    exit 2
  fi
  if (( EUID != 0 )) && (( $(cat /proc/sys/kernel/perf_event_paranoid) > 1 )); then
    echo "--profile needs kernel samples: run as root, or set kernel.perf_event_paranoid to 1 or below" >&2
    exit 2
  fi
fi

# --- targets --------------------------------------------------------------------------------------
wait_for_port() {  # PORT PID: true once something accepts on 127.0.0.1:PORT
  for _ in $(seq 100); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start_ucannon_server() {
  "${server_pin[@]}" "$server_bin" --port 0 --threads "$server_threads" --quiet >"$work/ucannon-server.log" 2>&1 &
  servers+=($!)
  local pid=$!
  for _ in $(seq 100); do grep -q '^listening on' "$work/ucannon-server.log" && break; sleep 0.1; done
  ucannon_server_address=$(awk '/^listening on/ {print $NF; exit}' "$work/ucannon-server.log")
  if [[ -z $ucannon_server_address ]] || ! kill -0 "$pid" 2>/dev/null; then
    { echo "ucannon-server did not start:"; cat "$work/ucannon-server.log"; } >&2
    exit 1
  fi
  ucannon_server_pid=$pid
}

# nginx from the distribution, kept to the scratch directory: -p, -c and -e, and a pid file and
# temp paths there, so that it writes nothing under /var or /run even as root.
start_nginx() {
  local n=$work/nginx
  mkdir -p "$n/www" "$n/tmp"
  head -c 65536 /dev/urandom >"$n/www/64K"
  head -c 1048576 /dev/urandom >"$n/www/1M"
  chmod 755 "$n" "$n/www" && chmod 644 "$n/www/"*
  local port
  for _ in 1 2 3 4 5; do
    # Below the ephemeral range, so no generator's connection can hold it; busy ones are skipped.
    port=$(( 20000 + RANDOM % 10000 ))
    ss -Htln 2>/dev/null | awk '{print $4}' | grep -q ":$port\$" && continue
    cat >"$n/nginx.conf" <<EOF
daemon off;
worker_processes $server_threads;
pid $n/nginx.pid;
error_log $n/error.log warn;
events { worker_connections 65536; }
http {
  access_log off;
  client_body_temp_path $n/tmp;
  proxy_temp_path $n/tmp;
  fastcgi_temp_path $n/tmp;
  uwsgi_temp_path $n/tmp;
  scgi_temp_path $n/tmp;
  keepalive_requests 4000000000;
  keepalive_timeout 300s;
  sendfile on;
  server {
    listen 127.0.0.1:$port;
    location = /small { default_type text/plain; return 200 "Hello, World!"; }
    location / { root $n/www; }
  }
}
EOF
    "${server_pin[@]}" nginx -p "$n" -c "$n/nginx.conf" -e "$n/error.log" >"$n/stdout.log" 2>&1 &
    local pid=$!
    if wait_for_port "$port" "$pid"; then
      servers+=("$pid")
      nginx_pid=$pid nginx_address=127.0.0.1:$port
      return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  { echo "nginx did not start:"; cat "$n/error.log" "$n/stdout.log"; } >&2
  exit 1
}

IFS=, read -r -a target_list <<<"$targets"
for t in "${target_list[@]}"; do
  case $t in
    ucannon-server) start_ucannon_server ;;
    nginx) command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx)" >&2; exit 2; }
           start_nginx ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
done

# --- one run --------------------------------------------------------------------------------------
# run_generator GEN URL PIPELINE SECONDS: runs one generator pinned, under cpu_of and a time limit,
# and prints "responses bytes elapsed_s user_us sys_us maxrss_kib"; on a failure it prints why to
# stderr and returns 1.
run_generator() {
  local gen=$1 url=$2 depth=$3 secs=$4
  local out=$work/run.out err=$work/run.err usage=$work/run.cpu
  local -a cmd
  case $gen in
    ucannon | ucannon/rb* | ucannon/batch)
      cmd=(env HOME="$work" "$ucannon" "$url" -c "$conns" -t "$threads" -d "${secs}s" -p "$depth" --warmup 0 --json)
      [[ $gen == ucannon/rb* ]] && cmd+=(--recv-buf "${gen#ucannon/rb}")
      [[ $gen == ucannon/batch ]] && cmd+=(--batch-refill) ;;
    gcannon) cmd=(gcannon "$url" -c "$conns" -t "$threads" -d "$secs" -p "$depth" --json) ;;
    wrk)
      if (( depth > 1 )); then cmd=(wrk -c "$conns" -t "$threads" -d "${secs}s" --timeout 10s -s "$work/wrk_pipeline.lua" "$url" -- "$depth")
      else cmd=(wrk -c "$conns" -t "$threads" -d "${secs}s" --timeout 10s -s "$work/wrk_summary.lua" "$url"); fi ;;
    h2load) cmd=(h2load --h1 -c "$conns" -t "$threads" -D "$secs" -m "$depth" "$url") ;;
    oha) cmd=(oha --no-tui -j -z "${secs}s" -c "$conns" "$url") ;;
    bombardier) cmd=(bombardier -c "$conns" -d "${secs}s" -l -o json -p result "$url") ;;
  esac
  local status=0
  local -a profiler=()
  # perf runs on the generator's CPUs too, so that its own work never takes the server's CPU.
  [[ -n ${perf_data:-} ]] && profiler=("${generator_pin[@]}" perf record -q -e cpu-clock -o "$perf_data" --)
  "${profiler[@]}" "${generator_pin[@]}" "$cpu_of" "$usage" timeout -k 5 $(( secs + 30 )) "${cmd[@]}" >"$out" 2>"$err" || status=$?
  local parsed=''
  case $gen in
    ucannon* | gcannon)
      parsed=$(awk '
        function value(line) { sub(/^[^:]*: */, "", line); sub(/,$/, "", line); return line }
        /^  "responses": / { responses = value($0) }
        /^  "bytes_read": / { bytes = value($0) }
        /^  "elapsed_sec": / { elapsed = value($0) }
        /^  "errors": / { gsub(/[^0-9 ]/, " "); errors = $1 + $2 + $3 }
        END { if (responses > 0 && errors == 0) print responses, bytes, elapsed }' "$out") ;;
    wrk)
      parsed=$(awk '/^WRK_SUMMARY/ {
          for (i = 2; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
          if (v["requests"] > 0 && v["connect"] + v["write"] + v["status"] + v["timeout"] == 0)
            print v["requests"], v["bytes"], v["duration_us"] / 1e6
        }' "$out") ;;
    h2load)
      parsed=$(awk '
        /^finished in/ { elapsed = $3; sub(/s,$/, "", elapsed) }
        /^requests:/ { succeeded = $8; failed = $10 + $12 + $14 }
        /^status codes:/ { failed += $5 + $7 + $9 }
        /^traffic:/ { bytes = $3; gsub(/[()]/, "", bytes) }
        END { if (succeeded > 0 && failed == 0) print succeeded, bytes, elapsed }' "$out") ;;
    oha)
      parsed=$(jq -r '[(.statusCodeDistribution | add), .summary.totalData, .summary.total] | @tsv' "$out" 2>/dev/null |
               awk '$1 > 0 {print $1, $2, $3}') ;;
    bombardier)
      parsed=$(jq -r '.result | [.req2xx, .bytesRead, .timeTakenSeconds, .req1xx + .req3xx + .req4xx + .req5xx + .others] | @tsv' "$out" 2>/dev/null |
               awk '$1 > 0 && $4 == 0 {print $1, $2, $3}') ;;
  esac
  if (( status != 0 )) || [[ -z $parsed ]]; then
    { echo "FAILED: $gen $url -p $depth (exit $status):"; tail -n 5 "$out" "$err" 2>/dev/null; } >&2
    return 1
  fi
  local cpu
  cpu=$(awk '{for (i = 1; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] } print v["user_us"], v["sys_us"], v["maxrss_kib"]}' "$usage")
  echo "$parsed $cpu"
}

# --- cases ----------------------------------------------------------------------------------------
records=$work/records  # case|generator|round|responses|bytes|elapsed_s|user_us|sys_us|maxrss_kib
: >"$records"
failures=0

# run_case ID SECONDS URL DEPTH PID GENERATOR...: the rounds of one case, order rotated each round.
run_case() {
  local id=$1 secs=$2 url=$3 depth=$4 pid=$5
  shift 5
  local -a gens=("$@")
  local n=${#gens[@]} round i g result
  for round in $(seq "$rounds"); do
    for i in $(seq 0 $((n - 1))); do
      g=${gens[$(( (i + round - 1) % n ))]}
      if result=$(run_generator "$g" "$url" "$depth" "$secs"); then
        echo "$id|$g|$round|${result// /|}" >>"$records"
      else
        failures=$((failures + 1))
      fi
      kill -0 "$pid" 2>/dev/null || { echo "the server of $url died" >&2; exit 1; }
    done
  done
}

# The medians of each generator over the rounds, and the median of its per-round ratios to the
# reference generator (ucannon, else the first one). kind: requests or bodies.
report_case() {
  local id=$1 kind=$2
  awk -F'|' -v id="$id" -v kind="$kind" -v order="$3" "$awk_median"'
    function add(name, key, v) { series[name, key] = series[name, key] " " v }
    $1 == id {
      g = $2; r = $3; cpu_s = ($7 + $8) / 1e6
      rps[g, r] = $4 / $6; gbs[g, r] = $5 / $6 / 1e9
      cpr[g, r] = cpu_s * 1e6 / $4; cpg[g, r] = cpu_s / ($5 / 1e9)
      add(g, "rps", rps[g, r]); add(g, "gbs", gbs[g, r]); add(g, "cpu", cpu_s)
      add(g, "cpr", cpr[g, r]); add(g, "cpg", cpg[g, r]); add(g, "rss", $9 / 1024)
      seen[g, r] = 1; rounds_of[g] = rounds_of[g] " " r
    }
    END {
      n = split(order, gens, ",")
      ref = gens[1]; for (i = 1; i <= n; ++i) if (gens[i] == "ucannon") ref = "ucannon"
      if (kind == "requests")
        printf "  %-14s %11s %6s %7s %10s %12s %8s %8s %9s\n", "generator", "req/s", "spread", "cpu s", "cpu us/resp", "resp/cpu-s", "rss MiB", "req/s:uc", "cpu/r:uc"
      else
        printf "  %-14s %7s %6s %9s %7s %9s %11s %8s %7s %8s\n", "generator", "GB/s", "spread", "req/s", "cpu s", "cpu s/GB", "cpu us/resp", "rss MiB", "GB/s:uc", "cpu/GB:uc"
      for (i = 1; i <= n; ++i) {
        g = gens[i]
        if (rounds_of[g] == "") { printf "  %-14s (no successful run)\n", g; continue }
        ratio_a = ratio_b = ""
        m = split(rounds_of[g], rs, " ")
        for (k = 1; k <= m; ++k) {
          r = rs[k]
          if (!((ref, r) in seen)) continue
          if (kind == "requests") { ratio_a = ratio_a " " rps[g, r] / rps[ref, r]; ratio_b = ratio_b " " cpr[g, r] / cpr[ref, r] }
          else { ratio_a = ratio_a " " gbs[g, r] / gbs[ref, r]; ratio_b = ratio_b " " cpg[g, r] / cpg[ref, r] }
        }
        main = kind == "requests" ? series[g, "rps"] : series[g, "gbs"]
        split(main, xs, " "); lo = hi = xs[1]; for (k in xs) { if (xs[k] < lo) lo = xs[k]; if (xs[k] > hi) hi = xs[k] }
        spread = median(main) > 0 ? sprintf("%.0f%%", (hi - lo) / median(main) * 100) : "-"
        if (kind == "requests")
          printf "  %-14s %11.0f %6s %7.2f %10.2f %12.0f %8.1f %8.2f %9.2f\n", g, median(series[g, "rps"]), spread,
                 median(series[g, "cpu"]), median(series[g, "cpr"]), 1e6 / median(series[g, "cpr"]),
                 median(series[g, "rss"]), median(ratio_a), median(ratio_b)
        else
          printf "  %-14s %7.2f %6s %9.0f %7.2f %9.3f %11.1f %8.1f %7.2f %8.2f\n", g, median(series[g, "gbs"]), spread,
                 median(series[g, "rps"]), median(series[g, "cpu"]), median(series[g, "cpg"]), median(series[g, "cpr"]),
                 median(series[g, "rss"]), median(ratio_a), median(ratio_b)
      }
    }' "$records"
}

# profile_case ID SECONDS URL DEPTH GENERATOR...: one more run of each generator under perf, and
# where its CPU per response goes. perf's samples give the shares; the total is the median CPU per
# response of the case's timed rounds, since sampling itself costs CPU. Shares are self time by
# symbol: io_recv's share is io_uring's own work, not the TCP receive it calls. Socket polls
# (tcp_poll) are how either interface learns a socket is ready, so they count with the interface.
profile_case() {
  local id=$1 secs=$2 url=$3 depth=$4 g per_resp
  shift 4
  echo "  where the CPU per response goes (us; shares from perf record -e cpu-clock, one more run each):"
  printf "  %-14s %7s %7s %9s %15s %8s %13s\n" generator total user io_uring "syscalls+epoll" polls "TCP/IP, rest"
  for g in "$@"; do
    per_resp=$(awk -F'|' -v id="$id" -v g="$g" "$awk_median"'
      $1 == id && $2 == g { list = list " " ($7 + $8) / $4 }
      END { if (list != "") print median(list) }' "$records")
    [[ -n $per_resp ]] || continue
    if ! perf_data=$work/perf.data run_generator "$g" "$url" "$depth" "$secs" >/dev/null; then
      failures=$((failures + 1))
      continue
    fi
    { perf report -i "$work/perf.data" --stdio --no-children --sort dso,sym -q -g none 2>"$work/perf.err" || true; } |
      awk -v g="$g" -v per_resp="$per_resp" -v errors="$work/perf.err" '
      $1 ~ /%$/ {
        share = $1; sub(/%/, "", share); sym = $NF; total += share
        if ($3 == "[k]") { kernel += share; if (sym ~ /^0x[0-9a-f]+$/) unnamed += share }
        if ($3 != "[k]") user += share
        else if (sym ~ /^(__)?io_|^io_uring|^tctx_task_work|^task_work_run/) ring += share
        else if (sym ~ /^(do_syscall_64|entry_SYSCALL|syscall_exit|__x64_sys_|__do_sys_|ksys_|vfs_read|vfs_write|sock_read_iter|sock_write_iter|rw_verify_area|security_file_permission|(__)?fdget|fget|(__)?fput|do_epoll|ep_|__ep_|epoll)/) calls += share
        else if (sym ~ /^(sock_poll|tcp_poll|tcp_stream_is_readable)$/) polls += share
        else rest += share
      }
      END {
        if (total <= 0) {
          printf "  %-14s (no samples:", g
          while ((getline line < errors) > 0) printf " %s", line
          print ")"
          exit
        }
        if (kernel <= 0) { printf "  %-14s (no kernel samples: perf saw user space only)\n", g; exit }
        if (unnamed > kernel / 2) { printf "  %-14s (kernel symbols hidden: see kernel.kptr_restrict)\n", g; exit }
        f = per_resp / total
        printf "  %-14s %7.2f %7.2f %9.2f %15.2f %8.2f %13.2f\n", g, per_resp, user * f, ring * f, calls * f, polls * f, rest * f
      }'
  done
}

cat <<EOF
peers: $conns connections, $threads generator thread(s), server threads/workers $server_threads, $rounds rounds
$(nproc) CPUs; $pinning
generators: ${generator_list[*]}
columns: medians over the rounds; spread = (max - min) / median of the first column; cpu = user + sys
  of the generator process (wait4); ratios (:uc) are the medians of each round's ratio to ucannon.
EOF

url_of() {  # TARGET KIND(small|64K|1M)
  case $1 in
    ucannon-server) case $2 in small) echo "http://$ucannon_server_address/health" ;; *) echo "http://$ucannon_server_address/bin/$2" ;; esac ;;
    nginx) case $2 in small) echo "http://$nginx_address/small" ;; *) echo "http://$nginx_address/$2" ;; esac ;;
  esac
}
pid_of() { case $1 in ucannon-server) echo "$ucannon_server_pid" ;; nginx) echo "$nginx_pid" ;; esac; }

# One untimed second per target, so that the first timed run does not meet a cold server.
for t in "${target_list[@]}"; do run_generator "${generator_list[0]}" "$(url_of "$t" small)" 1 1 >/dev/null || true; done

case_number=0
if (( small_cases )); then
  IFS=, read -r -a depth_list <<<"$pipelines"
  for t in "${target_list[@]}"; do
    for depth in "${depth_list[@]}"; do
      case_number=$((case_number + 1))
      url=$(url_of "$t" small)
      echo
      echo "== $t, small responses ($url), -p $depth, ${seconds}s runs"
      gens=()
      for g in "${generator_list[@]}"; do
        if (( depth > 1 )) && [[ $g == oha || $g == bombardier ]]; then echo "  ($g cannot pipeline: skipped)"; continue; fi
        gens+=("$g")
      done
      # ucannon/batch: ucannon --batch-refill, which sends the next batch when the whole pipeline
      # is answered, as wrk does (ucannon's default replaces each answer at once, as gcannon does).
      if (( depth > 1 )) && [[ " ${gens[*]} " == *" ucannon "* ]]; then gens+=("ucannon/batch"); fi
      run_case "c$case_number" "$seconds" "$url" "$depth" "$(pid_of "$t")" "${gens[@]}"
      report_case "c$case_number" requests "$(IFS=,; echo "${gens[*]}")"
      if (( profile )); then profile_case "c$case_number" "$seconds" "$url" "$depth" "${gens[@]}"; fi
    done
  done
fi

if (( large_cases )); then
  IFS=, read -r -a extra_bufs <<<"$recv_bufs"
  for t in "${target_list[@]}"; do
    for size in 64K 1M; do
      case_number=$((case_number + 1))
      url=$(url_of "$t" "$size")
      gens=("${generator_list[@]}")
      if [[ $size == 1M ]]; then
        for b in "${extra_bufs[@]}"; do [[ -n $b ]] && gens+=("ucannon/rb$b"); done
      fi
      echo
      echo "== $t, $size bodies ($url), -p 1, ${large_seconds}s runs; ucannon/rbN = ucannon --recv-buf N (default: automatic)"
      run_case "c$case_number" "$large_seconds" "$url" 1 "$(pid_of "$t")" "${gens[@]}"
      report_case "c$case_number" bodies "$(IFS=,; echo "${gens[*]}")"
    done
  done
fi

echo
if (( failures > 0 )); then echo "$failures run(s) failed (see above)"; exit 1; fi
echo "all runs succeeded"
