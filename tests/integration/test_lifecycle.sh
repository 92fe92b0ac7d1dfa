#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Operator life cycle: migrate twice, reload on SIGHUP, a daemon against an
# unmigrated database refuses to start with a hint, and SIGTERM stops the
# daemon cleanly.
source "$(dirname "$0")/harness.sh"

h_certs
createdb "$H_DB"
h_write_config

h_run "$XUEJID" -c "$H_TMP/xuejid.conf" serve
h_assert_eq 1 "$H_RC" "serve on an empty database"
h_assert_contains "$H_ERR" "xuejid migrate" "hint to migrate"

h_run h_xuejid migrate
h_assert_eq 0 "$H_RC" "first migrate"
h_run h_xuejid migrate
h_assert_eq 0 "$H_RC" "second migrate"
versions=$(h_psql "SELECT count(*) FROM schema_migration")
h_run h_xuejid migrate
h_assert_eq "$versions" "$(h_psql "SELECT count(*) FROM schema_migration")" \
    "migrate twice applies nothing twice"

h_run h_xuejid load-divisions --province 41
h_assert_eq 0 "$H_RC" "load divisions"
h_run h_xuejid load-divisions --province 41
h_assert_eq 0 "$H_RC" "load divisions again"
h_assert_eq 1 "$(h_psql "SELECT count(*) FROM organisation WHERE code = '41'")" \
    "province stored once"
h_run h_xuejid add-school --code 12345 --name x --county 410102
h_assert_eq 2 "$H_RC" "bad school code"
h_assert_contains "$H_ERR" "10-digit" "school code message"
h_run h_xuejid add-school --code 4101029999 --name x --county 990101
h_assert_eq 1 "$H_RC" "unknown county"

h_start_server
kill -HUP "$H_SERVER_PID"
sleep 0.5
h_run h_client_anonymous ping
h_assert_eq 0 "$H_RC" "ping after SIGHUP"
h_assert_contains "$(cat "$H_TMP/xuejid.log")" "TLS certificate reloaded" "reload logged"

# SIGTERM during an import: the batch running finishes, the connection
# starts no new one, and the client's count of stored rows is exact.
h_add_school 4101020001 "停机一小" 410102 0371-60000001
h_add_account school1 4101020001 school
"$PYTHON3" "$XUEJI_SOURCE_DIR/tests/data/gen_students.py" bulk --province 41 \
    --count 4000 --seed 13 --out "$H_TMP/long.csv"
h_client school1 import --batch-size 10 "$H_TMP/long.csv" \
    >"$H_TMP/long.out" 2>"$H_TMP/long.err" &
client_pid=$!
for _ in $(seq 1 100); do
    [[ $(h_psql "SELECT count(*) FROM student") -gt 0 ]] && break
    sleep 0.05
done
kill -TERM "$H_SERVER_PID"
rc=0
wait "$H_SERVER_PID" || rc=$?
H_SERVER_PID=""
h_assert_eq 0 "$rc" "exit status after SIGTERM"
h_assert_contains "$(cat "$H_TMP/xuejid.log")" "xuejid stopped" "stop logged"
client_rc=0
timeout 60 tail --pid="$client_pid" -f /dev/null || true
wait "$client_pid" || client_rc=$?
stored=$(h_psql "SELECT count(*) FROM student")
h_log "rows stored before the stop: $stored of 4000"
# 400 batches take far longer than the one running at the signal.
[[ $stored -lt 4000 ]] ||
    h_fail "the import went on to the end while the server shut down"
h_assert_eq 5 "$client_rc" "client exit status when cut off"
h_assert_contains "$(cat "$H_TMP/long.err")" "$stored of 4000 rows were stored" \
    "client counts the stored rows exactly"
h_assert_contains "$(cat "$H_TMP/xuejid.log")" \
    "request rejected while shutting down" "new batch refused"

# Ctrl-C during an import: the client sends no batch after it, reads the
# replies to the batches in flight and prints how many rows are stored,
# with the shell's status for SIGINT. Run again, the import finishes.
h_start_server
h_add_school 4101020002 "中断一小" 410102 0371-60000002
h_add_account school2 4101020002 school
# The client itself, not h_client, whose subshell would take the signal.
XUEJI_PASSWORD="$H_PASSWORD" HOME="$H_TMP" "$XUEJI" --server "127.0.0.1:$H_PORT" \
    --ca "$H_CERTS/ca.pem" --user school2 import --batch-size 10 \
    "$H_TMP/long.csv" >"$H_TMP/int.out" 2>"$H_TMP/int.err" &
client_pid=$!
school2=$(h_psql "SELECT id FROM organisation WHERE code = '4101020002'")
for _ in $(seq 1 100); do
    [[ $(h_psql "SELECT count(*) FROM student WHERE school_id = $school2") -gt 0 ]] && break
    sleep 0.05
done
kill -INT "$client_pid"
client_rc=0
wait "$client_pid" || client_rc=$?
h_assert_eq 130 "$client_rc" "client status after Ctrl-C"
stored=$(h_psql "SELECT count(*) FROM student WHERE school_id = $school2")
[[ $stored -lt 4000 ]] || h_fail "the import went on to the end after Ctrl-C"
h_assert_contains "$(cat "$H_TMP/int.err")" "the import was interrupted" \
    "client says the import was interrupted"
h_assert_contains "$(cat "$H_TMP/int.err")" "$stored of 4000 rows were stored" \
    "client counts the stored rows after Ctrl-C"
h_run h_client school2 --json import --batch-size 500 "$H_TMP/long.csv"
h_assert_eq 0 "$H_RC" "import run again after Ctrl-C: $H_ERR"
h_assert_eq "$((4000 - stored))" "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" \
    "the rest created"
