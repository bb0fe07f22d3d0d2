#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_*.cpp) and runs each for a bounded time on a copy
# of its seed corpus (tests/fuzz/corpus/<target>/). Fails when any target fails to build or finds
# a crash, a sanitizer report or a broken invariant; prints the executions each target managed.
#   tests/fuzz/run.sh BUILD_DIR SECONDS_PER_TARGET
# Needs clang++ with libFuzzer (Debian: clang-14, libclang-rt-14-dev). A target that includes
# <http_parser.h> is linked with -lhttp_parser (Debian: libhttp-parser-dev).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS_PER_TARGET" >&2
  exit 2
fi
mkdir -p "$1"
build=$(cd "$1" && pwd)
seconds=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

cxx=${CXX_FUZZ:-clang++}
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=function -I include)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# A binary is rebuilt when its source or any header is newer.
needs_build() { # binary source
  [ ! -x "$1" ] || [ "$2" -nt "$1" ] || [ -n "$(find include -newer "$1" -name '*.hpp' -print -quit)" ]
}

shopt -s nullglob
sources=(tests/fuzz/fuzz_*.cpp)
if [ ${#sources[@]} -eq 0 ]; then
  echo "no fuzz targets in tests/fuzz" >&2
  exit 1
fi

failed=()
summary=()
for source in "${sources[@]}"; do
  target=$(basename "$source" .cpp)
  binary=$build/$target
  libs=(-luring)
  grep -q '#include <http_parser.h>' "$source" && libs+=(-lhttp_parser)
  if needs_build "$binary" "$source"; then
    echo "building $target"
    if ! "$cxx" "${flags[@]}" "$source" "${libs[@]}" -o "$binary"; then
      failed+=("$target (build)")
      continue
    fi
  fi

  # libFuzzer adds what it finds to the first corpus directory: give it a scratch copy.
  corpus=$build/corpus/$target
  rm -rf "$corpus"
  mkdir -p "$corpus" "$build/artifacts"
  if [ -d "tests/fuzz/corpus/$target" ]; then
    cp -R "tests/fuzz/corpus/$target/." "$corpus/"
  else
    echo "warning: no seed corpus in tests/fuzz/corpus/$target" >&2
  fi

  log=$build/$target.log
  echo "running $target for ${seconds}s"
  if "$binary" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$target-" "$corpus" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    summary+=("$(printf '%-40s %12s execs in %ss' "$target" "${execs:-?}" "$seconds")")
  else
    echo "---- $target failed; the end of its log ($log):" >&2
    tail -n 40 "$log" >&2
    failed+=("$target")
  fi
done

echo
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "all ${#sources[@]} fuzz targets ran clean"
