#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Starts (start) or stops (stop) the throwaway PostgreSQL cluster shared by
# the integration tests of one build directory, and writes its address to
# $XUEJI_BUILD_DIR/pg.env. When XUEJI_TEST_PGHOST and XUEJI_TEST_PGPORT
# are set, that cluster is used and nothing is started or stopped.
set -euo pipefail

: "${XUEJI_BUILD_DIR:?set by ctest}"
: "${XUEJI_SOURCE_DIR:?set by ctest}"
env_file="$XUEJI_BUILD_DIR/pg.env"
# The cluster lives under /tmp because the postgres account must be able
# to reach it, which a checkout under /root does not allow.
cluster_dir="/tmp/xueji-test-pg-$(printf '%s' "$XUEJI_BUILD_DIR" | md5sum | cut -c1-12)"

case "${1:-}" in
start)
    if [[ -n "${XUEJI_TEST_PGHOST:-}" && -n "${XUEJI_TEST_PGPORT:-}" ]]; then
        printf 'PGHOST=%s\nPGPORT=%s\nPG_EXTERNAL=1\n' \
            "$XUEJI_TEST_PGHOST" "$XUEJI_TEST_PGPORT" >"$env_file"
        exit 0
    fi
    port=$("${PYTHON3:-python3}" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$XUEJI_SOURCE_DIR/tests/pg.sh" start "$cluster_dir" "$port" >/dev/null
    printf 'PGHOST=%s\nPGPORT=%s\nPG_EXTERNAL=0\nPG_DIR=%s\n' \
        "127.0.0.1" "$port" "$cluster_dir" >"$env_file"
    ;;
stop)
    if [[ -f "$env_file" ]] && grep -q '^PG_EXTERNAL=0' "$env_file"; then
        "$XUEJI_SOURCE_DIR/tests/pg.sh" stop "$cluster_dir" >/dev/null || true
        rm -rf "$cluster_dir"
    fi
    rm -f "$env_file"
    ;;
*)
    echo "usage: pg_fixture.sh start|stop" >&2
    exit 2
    ;;
esac
