#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the whole test suite: installs missing packages, builds the normal
# and the AddressSanitizer + UndefinedBehaviorSanitizer build, starts one
# throwaway PostgreSQL cluster on a private port, runs every ctest suite
# in both builds against it, and stops the cluster.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${XUEJI_JOBS:-2}

"$top/deploy/packages.sh"

build() {
    local dir=$1
    shift
    cmake -S "$top" -B "$dir" -DXUEJI_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}
build "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
build "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DXUEJI_SANITIZE=ON

cluster=$(mktemp -d /tmp/xueji-tests.XXXXXX)
port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
    "$top/tests/pg.sh" stop "$cluster" >/dev/null 2>&1 || true
    rm -rf "$cluster"
}
trap cleanup EXIT
"$top/tests/pg.sh" start "$cluster" "$port" >/dev/null
export XUEJI_TEST_PGHOST=127.0.0.1 XUEJI_TEST_PGPORT=$port

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for dir in build build-asan; do
    echo "== ctest in $dir"
    (cd "$top/$dir" && ctest --output-on-failure -j "$jobs") || status=1
done
exit $status
