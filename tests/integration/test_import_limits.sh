#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The client sizes import batches to the server's max_batch_rows, which
# the server announces in its hello reply, whatever --batch-size says.
source "$(dirname "$0")/harness.sh"

h_init_db
printf 'max_batch_rows = 7\n' >>"$H_TMP/xuejid.conf"
h_add_school 4101020001 "限额一小" 410102 0371-60000001
h_add_account school1 4101020001 school
h_start_server

gen="$XUEJI_SOURCE_DIR/tests/data/gen_students.py"
"$PYTHON3" "$gen" bulk --province 41 --count 50 --seed 12 --out "$H_TMP/small.csv"
h_run h_client school1 --json import "$H_TMP/small.csv"
h_assert_eq 0 "$H_RC" "import with the default batch size: $H_ERR"
h_assert_eq 50 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" \
    "every row stored in batches of 7"
h_assert_eq 8 "$(h_psql "SELECT count(*) FROM audit_log WHERE action = 'import'")" \
    "one audited batch per 7 rows"
h_assert_not_contains "$(cat "$H_TMP/xuejid.log")" "a batch must have" \
    "no batch over the limit reached the server"
