#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Accounts: wrong passwords and unknown users get the same error; repeated
# failures lock the account for a while; a school sees only its own
# problems; a county account cannot import.
source "$(dirname "$0")/harness.sh"

h_init_db
h_add_school 4101020001 "测试一小" 410102 0371-60000001
h_add_school 4101020002 "测试二小" 410102 0371-60000002
h_add_account school1 4101020001 school
h_add_account school2 4101020002 school
h_add_account county1 410102 county
h_start_server

"$PYTHON3" "$XUEJI_SOURCE_DIR/tests/data/gen_students.py" bulk --province 41 \
    --count 6 --seed 7 --out "$H_TMP/a.csv"
# The same students at both schools: every row becomes a county duplicate.
h_run h_client school1 import "$H_TMP/a.csv"
h_assert_eq 0 "$H_RC" "import at school 1"
h_run h_client school2 import "$H_TMP/a.csv"
h_assert_eq 0 "$H_RC" "import at school 2"

h_run env XUEJI_PASSWORD=wrong-password "$XUEJI" --server "127.0.0.1:$H_PORT" \
    --ca "$H_CERTS/ca.pem" --user school1 problems
h_assert_eq 4 "$H_RC" "exit status for a wrong password"
wrong=$H_ERR
h_run env XUEJI_PASSWORD=wrong-password "$XUEJI" --server "127.0.0.1:$H_PORT" \
    --ca "$H_CERTS/ca.pem" --user nobody problems
h_assert_eq 4 "$H_RC" "exit status for an unknown user"
h_assert_eq "$wrong" "$H_ERR" "same message for unknown user and wrong password"
h_assert_contains "$wrong" "wrong user name or password" "generic message"

# School 1 sees its six problems and none of school 2's students.
h_run h_client school1 --json problems
h_assert_eq 0 "$H_RC" "problems of school 1"
count=$(h_json 'len(data)' <<<"$H_OUT")
h_assert_eq 6 "$count" "school 1 problem count"
others=$(h_json 'sum(1 for p in data if p["counterpart_school"] != "测试二小")' \
    <<<"$H_OUT")
h_assert_eq 0 "$others" "every counterpart of school 1 is school 2"
own_ids=$(h_psql "SELECT string_agg(id::text, ',' ORDER BY id) FROM student
                  WHERE school_id = (SELECT id FROM organisation
                                     WHERE code = '4101020001')")
listed=$(h_json '",".join(str(p["student_id"]) for p in sorted(data, key=lambda p: p["student_id"]))' <<<"$H_OUT")
h_assert_eq "$own_ids" "$listed" "school 1 lists only its own students"
h_assert_not_contains "$H_OUT" "$(h_psql "SELECT id_number FROM student LIMIT 1")" \
    "full ID numbers never leave the server"

# The county sees both schools' problems but may not import.
h_run h_client county1 --json problems
count=$(h_json 'len(data)' <<<"$H_OUT")
h_assert_eq 12 "$count" "county sees the problems of both schools"
h_run h_client county1 import "$H_TMP/a.csv"
h_assert_eq 4 "$H_RC" "county import is denied"
h_assert_contains "$H_ERR" "role" "denial names the role"

# Five failures in a row lock the account, even for the right password.
for _ in 1 2 3 4 5; do
    XUEJI_PASSWORD=wrong-password "$XUEJI" --server "127.0.0.1:$H_PORT" \
        --ca "$H_CERTS/ca.pem" --user school2 ping >/dev/null 2>&1 || true
    env XUEJI_PASSWORD=wrong-password "$XUEJI" --server "127.0.0.1:$H_PORT" \
        --ca "$H_CERTS/ca.pem" --user school2 problems >/dev/null 2>&1 || true
done
h_run h_client school2 problems
h_assert_eq 4 "$H_RC" "locked account refuses the right password"
h_assert_contains "$H_ERR" "too many failed logins" "lock message"
