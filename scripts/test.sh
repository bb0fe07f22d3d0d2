#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test:
#   gcc       CMake, g++, -Werror, the whole suite
#   sanitize  CMake, clang++, AddressSanitizer + UndefinedBehaviorSanitizer, the whole suite
#   thread    CMake, clang++, ThreadSanitizer: the multi-threaded paths (engine, ucannon, server)
#   meson     meson, clang++, -Werror, the whole suite
#   consumers find_package, add_subdirectory, pkg-config and a meson subproject, each built and run
#   fuzz      every libFuzzer target, a bounded run on its seed corpus
# Usage: scripts/test.sh [stage...]   (default: all of them, in that order)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
stages=("$@")
if [ ${#stages[@]} -eq 0 ]; then
  stages=(gcc sanitize thread meson consumers)
  [ -x tests/fuzz/run.sh ] && stages+=(fuzz)  # the fuzz targets come with the protocol layer
fi

scripts/install-deps.sh
# Optional: headless Chromium renders the --report page in one test, and nginx is an https
# target in another; a test whose program is missing says so and skips.
scripts/install-deps.sh chromium nginx || echo "chromium or nginx could not be installed: their checks will skip"

banner() { printf '\n==== %s ====\n' "$*"; }

cmake_suite() { # name compiler extra-cmake-args...
  local dir=build/$1 cxx=$2; shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DURING_CANNON_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 300)
}

for stage in "${stages[@]}"; do
  start=$SECONDS
  case $stage in
    gcc)
      banner "g++ build and tests"
      cmake_suite gcc g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo ;;
    sanitize)
      banner "clang++ with ASan + UBSan"
      export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
      cmake_suite sanitize clang++ -DCMAKE_BUILD_TYPE=Debug -DURING_CANNON_SANITIZE=address,undefined \
        -DURING_CANNON_BUILD_BENCHMARKS=OFF
      unset ASAN_OPTIONS UBSAN_OPTIONS ;;
    thread)
      banner "clang++ with ThreadSanitizer: engine, ucannon and ucannon-server"
      dir=build/thread
      cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DURING_CANNON_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
        -DURING_CANNON_SANITIZE=thread -DURING_CANNON_BUILD_BENCHMARKS=OFF >/dev/null
      cmake --build "$dir" -j "$jobs" --target uring_cannon_tests ucannon ucannon-server
      # The bundled binaries are built with TSan too, and a report makes them exit non-zero.
      # Run from the source tree: the report test leaves its pages in the build folder instead.
      TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 URING_CANNON_TEST_ARTIFACTS="$PWD/$dir/tests/report-artifacts" \
        "$dir/tests/uring_cannon_tests" "[load],[ucannon],[ucannon-server],[echo],[scheduler]" ;;
    meson)
      banner "meson with clang++"
      if [ ! -d build/meson ]; then
        CXX=clang++ meson setup build/meson -Dwerror=true -Dbuildtype=debugoptimized | tail -3
      fi
      meson compile -C build/meson -j "$jobs"
      meson test -C build/meson --num-processes "$jobs" --print-errorlogs ;;
    consumers)
      banner "consumers: find_package, add_subdirectory, pkg-config, meson subproject"
      tests/consumers/run.sh "$root" "$root/build/consumers" ;;
    fuzz)
      banner "fuzz targets (bounded)"
      tests/fuzz/run.sh "$root/build/fuzz" "${FUZZ_SECONDS:-12}" ;;
    *) echo "unknown stage: $stage" >&2; exit 2 ;;
  esac
  echo "---- $stage passed in $((SECONDS - start))s"
done
echo
echo "all stages passed: ${stages[*]}"
