#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A database migrated by an earlier release takes the new migrations and
# works: here one at schema version 3, as the release before the new
# import path left it. Applied migration files never change, because a
# database that ran them would not run them again. The hash list below
# fails the test when one is edited. A change to the schema goes into a
# new numbered file, whose hash is then added to the list.
source "$(dirname "$0")/harness.sh"

sql_dir="$XUEJI_SOURCE_DIR/server/sql"
h_run bash -c "cd '$sql_dir' && sha256sum --quiet -c '$XUEJI_SOURCE_DIR/tests/integration/migrations.sha256'"
h_assert_eq 0 "$H_RC" "applied migration files unchanged: $H_OUT $H_ERR"
for file in "$sql_dir"/[0-9][0-9][0-9]_*.sql; do
    grep -q " ${file##*/}\$" "$XUEJI_SOURCE_DIR/tests/integration/migrations.sha256" ||
        h_fail "${file##*/} has no hash in tests/integration/migrations.sha256"
done

# Schema version 3, applied the way xuejid migrate applies a file.
h_certs
createdb "$H_DB"
h_write_config
h_psql "CREATE TABLE schema_migration (version integer PRIMARY KEY,
        name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
for file in 001_initial.sql 002_dedup.sql 003_handling.sql; do
    { echo "BEGIN;"; cat "$sql_dir/$file"
      echo "INSERT INTO schema_migration (version, name) VALUES (${file:0:3}, '$file');"
      echo "COMMIT;"; } | psql -X -q -v ON_ERROR_STOP=1 -d "$H_DB" >/dev/null ||
        h_fail "applying $file by hand failed"
done
h_run h_xuejid migrate
h_assert_eq 0 "$H_RC" "migrate from version 3: $H_ERR"
h_assert_contains "$H_OUT$H_ERR" "(was 3)" "migrate starts from version 3"
h_xuejid load-divisions --province 41 >/dev/null
h_add_school 4101020001 "升级一小" 410102 0371-60000001
h_add_account school1 4101020001 school
h_start_server

"$PYTHON3" "$XUEJI_SOURCE_DIR/tests/data/gen_students.py" bulk --province 41 \
    --count 200 --seed 31 --out "$H_TMP/after.csv"
h_run h_client school1 --json import --batch-size 50 "$H_TMP/after.csv"
h_assert_eq 0 "$H_RC" "import after the upgrade: $H_ERR"
h_assert_eq 200 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" "rows created"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM student_number_history")" \
    "an import writes no number history after the upgrade"
