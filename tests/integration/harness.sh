#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shared set-up of the integration tests, sourced by each test_*.sh. Every
# test gets its own database in the fixture's cluster, its own xuejid on a
# free loopback port with test certificates, and helpers to run the real
# client. On failure the tail of the daemon's log is printed.
set -euo pipefail

: "${XUEJI_BUILD_DIR:?run through ctest}"
: "${XUEJI_SOURCE_DIR:?run through ctest}"
PYTHON3=${PYTHON3:-python3}
XUEJID="$XUEJI_BUILD_DIR/server/xuejid"
XUEJI="$XUEJI_BUILD_DIR/client/xueji"
H_PASSWORD="test-password-1"
H_TEST=$(basename "$0" .sh)
H_TMP=$(mktemp -d "/tmp/xueji-${H_TEST}.XXXXXX")
H_DB="xj_${H_TEST#test_}_$$"
H_SERVER_PID=""
H_PORT=""
H_FAILED=0

# shellcheck disable=SC1091
source "$XUEJI_BUILD_DIR/pg.env"
export PGHOST PGPORT PGUSER=postgres

h_log() { printf '# %s\n' "$*" >&2; }

h_fail() {
    printf 'FAIL: %s\n' "$*" >&2
    H_FAILED=1
    exit 1
}

h_assert_eq() {
    [[ "$1" == "$2" ]] || h_fail "$3: expected [$1], got [$2]"
}

h_assert_contains() {
    [[ "$1" == *"$2"* ]] || h_fail "$3: [$2] not found in output: $1"
}

h_assert_not_contains() {
    [[ "$1" != *"$2"* ]] || h_fail "$3: [$2] unexpectedly in output: $1"
}

h_psql() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$H_DB" -c "$1"
}

h_cleanup() {
    local rc=$?
    local server_rc=0

    if [[ -n "$H_SERVER_PID" ]] && kill -0 "$H_SERVER_PID" 2>/dev/null; then
        kill -TERM "$H_SERVER_PID" 2>/dev/null || true
        wait "$H_SERVER_PID" || server_rc=$?
        if [[ $server_rc -ne 0 ]]; then
            printf 'FAIL: xuejid exited with status %d after SIGTERM\n' \
                "$server_rc" >&2
            rc=1
        fi
    fi
    if [[ $rc -ne 0 || $H_FAILED -ne 0 ]]; then
        if [[ -f "$H_TMP/xuejid.log" ]]; then
            printf -- '--- last lines of xuejid.log ---\n' >&2
            tail -n 60 "$H_TMP/xuejid.log" >&2
        fi
    fi
    dropdb --if-exists "$H_DB" 2>/dev/null || true
    rm -rf "$H_TMP"
    exit "$rc"
}
trap h_cleanup EXIT

# Test certificates are made once per build directory.
h_certs() {
    H_CERTS="$XUEJI_BUILD_DIR/test-certs"
    (
        flock 9
        "$XUEJI_SOURCE_DIR/deploy/certs.sh" "$H_CERTS" >/dev/null
    ) 9>"$XUEJI_BUILD_DIR/test-certs.lock"
}

h_free_port() {
    "$PYTHON3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Writes the daemon configuration for this test; extra lines may follow.
h_write_config() {
    H_PORT=$(h_free_port)
    cat >"$H_TMP/xuejid.conf" <<CONF
[xuejid]
listen_address = 127.0.0.1
port = $H_PORT
tls_cert = $H_CERTS/server.pem
tls_key = $H_CERTS/server.key
database = host=$PGHOST port=$PGPORT user=postgres dbname=$H_DB
db_pool_size = 2
workers = 2
log_level = info
stats_interval = 0
CONF
}

h_xuejid() {
    "$XUEJID" -c "$H_TMP/xuejid.conf" "$@"
}

# Creates the database, migrates it and loads Henan (41) with its cities
# and counties.
h_init_db() {
    h_certs
    createdb "$H_DB"
    h_write_config
    h_xuejid migrate >/dev/null
    h_xuejid load-divisions --province 41 >/dev/null
}

h_add_school() {
    h_xuejid add-school --code "$1" --name "$2" --county "$3" --phone "$4" \
        >/dev/null
}

h_add_account() {
    XUEJID_PASSWORD="$H_PASSWORD" h_xuejid add-account --user "$1" \
        --org "$2" --role "$3" >/dev/null
}

h_start_server() {
    "$XUEJID" -c "$H_TMP/xuejid.conf" serve "$@" >>"$H_TMP/xuejid.log" 2>&1 &
    H_SERVER_PID=$!
    for _ in $(seq 1 100); do
        if h_client_anonymous ping >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$H_SERVER_PID" 2>/dev/null || h_fail "xuejid exited at start"
        sleep 0.1
    done
    h_fail "xuejid did not answer ping within 10 seconds"
}

h_client_anonymous() {
    "$XUEJI" --server "127.0.0.1:$H_PORT" --ca "$H_CERTS/ca.pem" "$@"
}

# h_client USER ARGS...: runs xueji logged in as USER.
h_client() {
    local user=$1
    shift
    XUEJI_PASSWORD="$H_PASSWORD" HOME="$H_TMP" \
        "$XUEJI" --server "127.0.0.1:$H_PORT" --ca "$H_CERTS/ca.pem" \
        --user "$user" "$@"
}

# Runs a command and stores its exit status in H_RC, output in H_OUT and
# standard error in H_ERR, without tripping set -e.
h_run() {
    set +e
    H_OUT=$("$@" 2>"$H_TMP/stderr")
    H_RC=$?
    set -e
    H_ERR=$(cat "$H_TMP/stderr")
}

# Python helper for JSON checks: h_json 'expression over data' < json
h_json() {
    "$PYTHON3" -c "import json, sys
data = json.load(sys.stdin)
print($1)"
}
