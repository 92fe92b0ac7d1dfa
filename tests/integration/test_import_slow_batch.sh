#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A batch that waits longer than idle_timeout for the duplicate-check
# locks, held here by another session, does not make its connection
# idle: the import ends normally once the locks are free.
source "$(dirname "$0")/harness.sh"

h_init_db
printf 'idle_timeout = 1\n' >>"$H_TMP/xuejid.conf"
h_add_school 4101020001 "慢批一小" 410102 0371-60000001
h_add_account school1 4101020001 school
h_start_server
"$PYTHON3" "$XUEJI_SOURCE_DIR/tests/data/gen_students.py" bulk --province 41 \
    --count 20 --seed 41 --out "$H_TMP/few.csv"

# Every bucket of dedup_lock, for three seconds.
psql -X -q -d "$H_DB" -c "BEGIN; SELECT count(pg_advisory_xact_lock(7001, b))
    FROM generate_series(0, 1023) AS b; SELECT pg_sleep(3); COMMIT;" \
    >/dev/null 2>&1 &
locker=$!
for _ in $(seq 1 100); do
    [[ $(h_psql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") -ge 1024 ]] && break
    sleep 0.05
done
h_run h_client school1 --json import "$H_TMP/few.csv"
wait "$locker" || true
h_assert_eq 0 "$H_RC" "import behind the held locks: $H_ERR"
h_assert_eq 20 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" "rows created"
h_assert_not_contains "$(cat "$H_TMP/xuejid.log")" "idle timeout" \
    "the connection was not closed as idle"
