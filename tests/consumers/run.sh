#!/usr/bin/env bash
# Builds and runs tests/consumers/main.cpp against uring_cannon in every supported way:
# an installed CMake package, add_subdirectory, pkg-config, a meson subproject, single_include.
# Usage: tests/consumers/run.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
work=$2
here=$src/tests/consumers
rm -rf "$work" && mkdir -p "$work"
quiet() { "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log"; return 1; }; }
check() { echo "  $1: $("$2")"; }

# Install from a build of the library alone.
quiet cmake -S "$src" -B "$work/lib" -G Ninja -DURING_CANNON_BUILD_TESTS=OFF \
  -DURING_CANNON_BUILD_EXAMPLES=OFF -DURING_CANNON_BUILD_BENCHMARKS=OFF -DCMAKE_INSTALL_PREFIX="$work/prefix"
quiet cmake --install "$work/lib"

quiet cmake -S "$here/find_package" -B "$work/find_package" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/find_package"
check find_package "$work/find_package/consumer"

quiet cmake -S "$here/add_subdirectory" -B "$work/add_subdirectory" -G Ninja -DURING_CANNON_SOURCE="$src"
quiet cmake --build "$work/add_subdirectory"
check add_subdirectory "$work/add_subdirectory/consumer"

export PKG_CONFIG_PATH="$work/prefix/share/pkgconfig"
# shellcheck disable=SC2046
quiet g++ "$here/main.cpp" $(pkg-config --cflags --libs uring_cannon) -o "$work/pkg_config_consumer"
check pkg-config "$work/pkg_config_consumer"

mkdir -p "$work/meson_src/subprojects"
cp "$here/meson_subproject/meson.build" "$work/meson_src/"
cp "$here/main.cpp" "$work/"
ln -s "$src" "$work/meson_src/subprojects/uring_cannon"
quiet meson setup "$work/meson_build" "$work/meson_src"
quiet meson compile -C "$work/meson_build"
check "meson subproject" "$work/meson_build/consumer"

quiet g++ -std=c++20 -I "$src/single_include" "$here/main.cpp" -luring -pthread -o "$work/single_include_consumer"
check single_include "$work/single_include_consumer"
