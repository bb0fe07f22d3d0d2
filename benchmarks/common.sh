# What the benchmark scripts share: sourced by peers.sh, scaling.sh and connection_memory.sh. It
# defines functions and runs nothing.

# locate_binaries BUILD_DIR: sets ucannon and server_bin from $UCANNON and $UCANNON_SERVER, else
# BUILD_DIR/examples; fails when either is not an executable.
locate_binaries() {
  ucannon=${UCANNON:-${1:+$1/examples/ucannon}}
  server_bin=${UCANNON_SERVER:-${1:+$1/examples/ucannon-server}}
  [[ -x ${ucannon:-} && -x ${server_bin:-} ]]
}

# split_cpus SERVER_NAME LOAD_NAME: with two allowed CPUs or more (and taskset), the servers get
# the first half and the load the second, so that the load never takes CPU from the server it
# measures. Sets server_pin and load_pin (command prefixes, empty when not pinned),
# server_cpu_count and load_cpu_count, and pinning (a line for the report, naming both sides).
split_cpus() {
  local -a cpus
  read -r -a cpus <<<"$(awk '/^Cpus_allowed_list/ {
    n = split($2, parts, ",")
    for (i = 1; i <= n; ++i) {
      if (split(parts[i], r, "-") == 2) for (c = r[1]; c <= r[2]; ++c) printf "%d ", c
      else printf "%d ", parts[i]
    }
  }' /proc/self/status)"
  server_pin=() load_pin=()
  if (( ${#cpus[@]} >= 2 )) && command -v taskset >/dev/null; then
    local half=$(( ${#cpus[@]} / 2 )) server_cpus load_cpus
    server_cpus=$(IFS=,; echo "${cpus[*]:0:half}")
    load_cpus=$(IFS=,; echo "${cpus[*]:half}")
    server_pin=(taskset -c "$server_cpus") load_pin=(taskset -c "$load_cpus")
    server_cpu_count=$half load_cpu_count=$(( ${#cpus[@]} - half ))
    pinning="$1 on CPU $server_cpus, $2 on CPU $load_cpus (taskset)"
  else
    server_cpu_count=${#cpus[@]} load_cpu_count=${#cpus[@]}
    pinning="not pinned: one CPU (or no taskset), $1 and $2 share it"
  fi
}

# find_cpu_of BUILD_DIR WORK_DIR: sets cpu_of to the helper built with the project, or compiles
# benchmarks/cpu_of.cpp into WORK_DIR when the build has none.
find_cpu_of() {
  cpu_of=${1:+$1/benchmarks/cpu_of}
  [[ -x ${cpu_of:-} ]] && return 0
  cpu_of=$2/cpu_of
  "${CXX:-c++}" -std=c++20 -O2 "$(dirname "${BASH_SOURCE[0]}")/cpu_of.cpp" -o "$cpu_of" ||
    { echo "cannot compile benchmarks/cpu_of.cpp (set CXX)" >&2; exit 1; }
}

# The median of a space-separated list, for awk programs: awk "$awk_median"'...program...'.
awk_median='
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; ++i) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; --j) a[j + 1] = a[j]; a[j + 1] = t }
    if (n == 0) return 0
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }'
