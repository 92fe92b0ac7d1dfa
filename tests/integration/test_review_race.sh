#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Decisions at the same moment. Two reviewers deciding one case give one
# decision and one clear error naming the winner. Two counties approving
# the attestations of both sides of a pair both succeed. A school deleting
# its record while the county approves the change of the counterpart, or
# while the other school deletes the counterpart, gives one outcome and a
# clear conflict, in either order, and never a deadlock. A transaction of
# psql holds the contended lock until both requests wait for it, so the
# two really meet at the lock.
source "$(dirname "$0")/harness.sh"
source "$(dirname "$0")/handling_lib.sh"

hx_setup
ev="$HX_EVIDENCE"
A1=4101020001 A2=4101020002 B1=4103020001

r1=$(hx_id 410102 20150501 011)
r2=$(hx_id 410102 20150502 011)
r2_fixed=$(hx_id 410102 20150502 031)
r3=$(hx_id 410102 20150503 011)
w1=$(hx_id 410102 20150504 011)
w1_fixed=$(hx_id 410302 20150504 011)
w2=$(hx_id 410102 20150505 011)
w2_fixed=$(hx_id 410302 20150505 011)
w3=$(hx_id 410102 20150506 011)
w4=$(hx_id 410102 20150507 011)
hx_csv "$H_TMP/a.csv" \
    "$(hx_row 孙一 1 20150501 1 "$r1")" \
    "$(hx_row 孙二 1 20150502 1 "$r2")" \
    "$(hx_row 孙三 1 20150503 1 "$r3")"
hx_csv "$H_TMP/w.csv" \
    "$(hx_row 周一 1 20150504 1 "$w1")" \
    "$(hx_row 吴一 1 20150505 1 "$w2")" \
    "$(hx_row 郑一 1 20150506 1 "$w3")" \
    "$(hx_row 王一 1 20150507 1 "$w4")"
hx_import school-a1 "$H_TMP/a.csv"
hx_import school-a2 "$H_TMP/a.csv"
hx_import school-a1 "$H_TMP/w.csv"
hx_import school-b1 "$H_TMP/w.csv"

# race CASE_ID ARGS_ONE ARGS_TWO: county-a runs "review ARGS_ONE" and
# county-a2 "review ARGS_TWO" on CASE_ID while the case row is locked,
# then the lock is released. Sets RC_ONE, RC_TWO, OUT_ONE and OUT_TWO.
race() {
    local case_id=$1 one two
    read -r -a one <<<"$2"
    read -r -a two <<<"$3"
    hx_hold "SELECT id FROM handling_case WHERE id = $case_id FOR UPDATE"
    hx_client_bg county-a "$H_TMP/one.out" review "${one[@]}" "$case_id"
    local pid_one=$HX_BG_PID
    hx_client_bg county-a2 "$H_TMP/two.out" review "${two[@]}" "$case_id"
    local pid_two=$HX_BG_PID
    hx_wait_lock_waiters 2
    hx_release
    hx_wait_rc "$pid_one"
    RC_ONE=$HX_RC
    hx_wait_rc "$pid_two"
    RC_TWO=$HX_RC
    OUT_ONE=$(cat "$H_TMP/one.out")
    OUT_TWO=$(cat "$H_TMP/two.out")
}

# check_one_winner CASE_ID VERB: exactly one reviewer decided, the other
# got the error naming the winner, and the case names the winner.
check_one_winner() {
    local case_id=$1 verb=$2 winner loser_out
    if [[ $RC_ONE == 0 && $RC_TWO == 1 ]]; then
        winner=county-a
        loser_out=$OUT_TWO
        h_assert_contains "$OUT_ONE" "Case $case_id: $verb." "winner's output"
    elif [[ $RC_ONE == 1 && $RC_TWO == 0 ]]; then
        winner=county-a2
        loser_out=$OUT_ONE
        h_assert_contains "$OUT_TWO" "Case $case_id: $verb." "winner's output"
    else
        h_fail "case $case_id: exit statuses $RC_ONE and $RC_TWO," \
            "expected one 0 and one 1: $OUT_ONE / $OUT_TWO"
    fi
    h_assert_contains "$loser_out" \
        "xueji: case $case_id was already $verb by $winner at" \
        "loser's error names the decision and the winner"
    h_assert_eq "$verb|$winner" \
        "$(h_psql "SELECT c.status || '|' || a.username FROM handling_case c
                   JOIN account a ON a.id = c.decided_by
                   WHERE c.id = $case_id")" "case records the winner"
}

# ---- two approvals of an attestation ------------------------------------
p=$(hx_problem 孙一 id_dup_county "$A1")
h_run h_client school-a1 problems attest "$p" --reason "ours" \
    --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "attestation filed: $H_ERR"
c=$(hx_case "$p")
race "$c" approve approve
check_one_winner "$c" approved
h_assert_eq 1 "$(hx_audit_count approve_attest "$(hx_student 孙一 "$A1")")" \
    "one approval audited"
h_assert_eq 1 "$(h_psql "SELECT count(*) FROM attested_pair
                        WHERE case_id = $c")" "one attested pair"

# ---- two approvals of a change ------------------------------------------
p=$(hx_problem 孙二 id_dup_county "$A1")
h_run h_client school-a1 problems change "$p" --id-number "$r2_fixed" \
    --reason "typo" --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "change filed: $H_ERR"
c=$(hx_case "$p")
race "$c" approve approve
check_one_winner "$c" approved
student=$(hx_student 孙二 "$A1")
h_assert_eq 1 "$(hx_audit_count approve_change "$student")" \
    "one change approval audited"
h_assert_eq "$r2_fixed" "$(h_psql "SELECT id_number FROM student
                                  WHERE id = $student")" "change applied once"
h_assert_eq 2 "$(h_psql "SELECT count(*) FROM student_number_history
                        WHERE student_id = $student")" \
    "numbers L and G, nothing twice"

# ---- an approval and a rejection ----------------------------------------
p=$(hx_problem 孙三 id_dup_county "$A2")
h_run h_client school-a2 problems attest "$p" --reason "ours" \
    --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "attestation filed: $H_ERR"
c=$(hx_case "$p")
race "$c" approve "reject --opinion 证明不全"
student=$(hx_student 孙三 "$A2")
decisions=$(h_psql "SELECT count(*) FROM audit_log
                    WHERE action IN ('approve_attest', 'reject_attest')
                      AND object_id = $student")
h_assert_eq 1 "$decisions" "one decision audited"
if [[ $RC_ONE == 0 ]]; then
    check_one_winner "$c" approved
    h_assert_eq "resolved/attested" "$(hx_status "$p")" "approval won"
else
    check_one_winner "$c" rejected
    h_assert_eq "rejected/" "$(hx_status "$p")" "rejection won"
fi

# ---- both sides of a pair attested and approved at once -----------------
# Each approval stores an attested pair that refers to the other record,
# and only one of the two may take the G number of the shared ID number.
mine=$(hx_problem 王一 id_dup_province "$A1")
theirs=$(hx_problem 王一 id_dup_province "$B1")
h_run h_client school-a1 problems attest "$mine" --reason "ours" \
    --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "attestation at 甲一小: $H_ERR"
h_run h_client school-b1 problems attest "$theirs" --reason "ours" \
    --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "attestation at 乙一小: $H_ERR"
case_a=$(hx_case "$mine")
case_b=$(hx_case "$theirs")
hx_hold "SELECT id FROM handling_case WHERE id IN ($case_a, $case_b)
         FOR UPDATE"
hx_client_bg county-a "$H_TMP/one.out" review approve "$case_a"
pid_one=$HX_BG_PID
hx_client_bg county-b "$H_TMP/two.out" review approve "$case_b"
pid_two=$HX_BG_PID
hx_wait_lock_waiters 2
hx_release
hx_wait_rc "$pid_one"
rc_one=$HX_RC
hx_wait_rc "$pid_two"
rc_two=$HX_RC
h_assert_eq 0 "$rc_one" "approval in 410102: $(cat "$H_TMP/one.out")"
h_assert_eq 0 "$rc_two" "approval in 410302: $(cat "$H_TMP/two.out")"
h_assert_eq "resolved/attested resolved/attested" \
    "$(hx_status "$mine") $(hx_status "$theirs")" "both sides attested"
h_assert_eq 2 "$(h_psql "SELECT count(*) FROM attested_pair
                        WHERE case_id IN ($case_a, $case_b)")" \
    "both pairs remembered"
h_assert_eq "1 1" \
    "$(h_psql "SELECT count(*) FILTER (WHERE student_number = 'G$w4') || ' '
                      || count(*) FILTER (WHERE student_number LIKE 'L%')
               FROM student WHERE name = '王一'")" \
    "one G number for the shared ID number, the other record keeps L"

# ---- deletion first, then the approval of the counterpart's change ------
# Both need the duplicate-check lock of the shared ID number, which psql
# holds until both wait for it.
keep=$(hx_problem 周一 id_dup_province "$B1")
gone=$(hx_problem 周一 id_dup_province "$A1")
h_run h_client school-b1 problems change "$keep" --id-number "$w1_fixed" \
    --reason "Luoyang number" --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "change filed: $H_ERR"
c=$(hx_case "$keep")
hx_hold "SELECT pg_advisory_xact_lock(7001, hashtext('$w1') & 1023)"
hx_client_bg school-a1 "$H_TMP/delete.out" problems delete "$gone" \
    --reason "left"
delete_pid=$HX_BG_PID
hx_wait_lock_waiters 1
hx_client_bg county-b "$H_TMP/approve.out" review approve "$c"
approve_pid=$HX_BG_PID
hx_wait_lock_waiters 2
hx_release
hx_wait_rc "$delete_pid"
delete_rc=$HX_RC
hx_wait_rc "$approve_pid"
approve_rc=$HX_RC
h_assert_eq 0 "$delete_rc" "deletion first: $(cat "$H_TMP/delete.out")"
h_assert_eq 1 "$approve_rc" "approval after the deletion"
h_assert_contains "$(cat "$H_TMP/approve.out")" \
    "case $c is closed and cannot be decided" \
    "approval finds the case closed by the deletion"
h_assert_eq "closed" "$(h_psql "SELECT status FROM handling_case
                               WHERE id = $c")" "case closed"
h_assert_eq "resolved/cleared" "$(hx_status "$keep")" "counterpart cleared"
h_assert_eq "$w1" "$(h_psql "SELECT id_number FROM student
                            WHERE id = $(hx_student 周一 "$B1")")" \
    "change not applied"

# ---- the approval first, then the deletion ------------------------------
keep=$(hx_problem 吴一 id_dup_province "$B1")
gone=$(hx_problem 吴一 id_dup_province "$A1")
h_run h_client school-b1 problems change "$keep" --id-number "$w2_fixed" \
    --reason "Luoyang number" --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "change filed: $H_ERR"
c=$(hx_case "$keep")
hx_hold "SELECT pg_advisory_xact_lock(7001, hashtext('$w2') & 1023)"
hx_client_bg county-b "$H_TMP/approve.out" review approve "$c"
approve_pid=$HX_BG_PID
hx_wait_lock_waiters 1
hx_client_bg school-a1 "$H_TMP/delete.out" problems delete "$gone" \
    --reason "left"
delete_pid=$HX_BG_PID
hx_wait_lock_waiters 2
hx_release
hx_wait_rc "$approve_pid"
approve_rc=$HX_RC
hx_wait_rc "$delete_pid"
delete_rc=$HX_RC
h_assert_eq 0 "$approve_rc" "approval first: $(cat "$H_TMP/approve.out")"
h_assert_eq 1 "$delete_rc" "deletion after the approval"
h_assert_contains "$(cat "$H_TMP/delete.out")" \
    "problem $gone is resolved and cannot be handled by delete" \
    "deletion finds the problem cleared by the change"
h_assert_eq "resolved/cleared" "$(hx_status "$gone")" "problem cleared"
h_assert_eq live "$(h_psql "SELECT CASE WHEN deleted_at IS NULL THEN 'live'
                                        ELSE 'deleted' END FROM student
                           WHERE id = $(hx_student 吴一 "$A1")")" \
    "record not deleted"

# ---- both schools delete their side of a pair ---------------------------
first=$(hx_problem 郑一 id_dup_province "$A1")
second=$(hx_problem 郑一 id_dup_province "$B1")
hx_hold "SELECT pg_advisory_xact_lock(7001, hashtext('$w3') & 1023)"
hx_client_bg school-a1 "$H_TMP/first.out" problems delete "$first" \
    --reason "left"
first_pid=$HX_BG_PID
hx_wait_lock_waiters 1
hx_client_bg school-b1 "$H_TMP/second.out" problems delete "$second" \
    --reason "left"
second_pid=$HX_BG_PID
hx_wait_lock_waiters 2
hx_release
hx_wait_rc "$first_pid"
first_rc=$HX_RC
hx_wait_rc "$second_pid"
second_rc=$HX_RC
h_assert_eq 0 "$first_rc" "first deletion: $(cat "$H_TMP/first.out")"
h_assert_eq 1 "$second_rc" "second deletion"
h_assert_contains "$(cat "$H_TMP/second.out")" \
    "problem $second is resolved and cannot be handled by delete" \
    "second deletion finds the problem cleared"
h_assert_eq "deleted approved" \
    "$(hx_state 郑一 "$A1") $(hx_state 郑一 "$B1")" \
    "one record deleted, the other enrolled"
h_assert_eq "G$w3" "$(hx_number 郑一 "$B1")" "survivor formal"

h_assert_not_contains "$(cat "$H_TMP/xuejid.log")" "deadlock detected" \
    "no request ended in a deadlock"
