#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two schools of different counties import the same ID numbers at the
# same moment, in small batches so that their transactions interleave.
# Every shared ID number must end with an open problem on both sides.
source "$(dirname "$0")/harness.sh"

h_init_db
h_add_school 4101020001 "并发一小" 410102 0371-60000001
h_add_school 4103020001 "并发二小" 410302 0379-60000002
h_add_account school1 4101020001 school
h_add_account school2 4103020001 school
h_start_server

for round in 1 2 3; do
    "$PYTHON3" "$XUEJI_SOURCE_DIR/tests/data/gen_students.py" bulk \
        --province 41 --count 400 --seed "$round" --out "$H_TMP/r$round.csv"
    h_client school1 import --batch-size 20 "$H_TMP/r$round.csv" \
        >"$H_TMP/one.out" 2>&1 &
    one=$!
    h_client school2 import --batch-size 20 "$H_TMP/r$round.csv" \
        >"$H_TMP/two.out" 2>&1 &
    two=$!
    wait "$one" || h_fail "round $round: import at school 1 failed: $(cat "$H_TMP/one.out")"
    wait "$two" || h_fail "round $round: import at school 2 failed: $(cat "$H_TMP/two.out")"
done

students=$(h_psql "SELECT count(*) FROM student")
h_assert_eq 2400 "$students" "students stored"
# Students without an ID number (about 1% of the generated ones) pair up
# by name, gender and birth date instead.
missing=$(h_psql "SELECT count(*) FROM student s WHERE NOT EXISTS (
                    SELECT 1 FROM problem p WHERE p.student_id = s.id
                    AND p.status = 'open'
                    AND p.kind = CASE WHEN s.id_number = '' THEN 'ngb_dup'
                                      ELSE 'id_dup_province' END)")
h_assert_eq 0 "$missing" "students without their cross-county problem"
problems=$(h_psql "SELECT count(*) FROM problem WHERE status = 'open'")
h_assert_eq 2400 "$problems" "one open problem per student"
