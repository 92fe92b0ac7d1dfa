#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shared set-up of the tests of problem handling and county review, sourced
# after harness.sh. It provides three schools in two counties with their
# accounts, small hand-made templates, evidence files, and look-ups of
# problems and cases by student name. Background clients and a psql
# session that holds a lock make two requests meet at that lock.
#
# | school     | name   | county                 | account   |
# |------------|--------|------------------------|-----------|
# | 4101020001 | 甲一小 | 410102 (Zhengzhou)     | school-a1 |
# | 4101020002 | 甲二小 | 410102 (Zhengzhou)     | school-a2 |
# | 4103020001 | 乙一小 | 410302 (Luoyang)       | school-b1 |
#
# county-a and county-a2 review 410102, county-b reviews 410302.

HX_HEADER="姓名,性别,出生日期,身份证件类型,身份证件号,国籍/地区,民族,年级,班级,入学年月"

# Initialises the database, adds the schools and accounts, writes the
# evidence files into $HX_EVIDENCE and starts xuejid.
hx_setup() {
    h_init_db
    h_add_school 4101020001 "甲一小" 410102 0371-61000001
    h_add_school 4101020002 "甲二小" 410102 0371-61000002
    h_add_school 4103020001 "乙一小" 410302 0379-62000001
    h_add_account school-a1 4101020001 school
    h_add_account school-a2 4101020002 school
    h_add_account school-b1 4103020001 school
    h_add_account county-a 410102 county
    h_add_account county-a2 410102 county
    h_add_account county-b 410302 county
    HX_EVIDENCE="$H_TMP/evidence"
    "$PYTHON3" "$XUEJI_SOURCE_DIR/tests/integration/make_evidence.py" \
        "$HX_EVIDENCE"
    h_start_server
}

# hx_id REGION BIRTH SEQUENCE: prints a resident ID number with a valid
# ISO 7064 MOD 11-2 check character. An odd last digit of SEQUENCE is a
# boy (gender 1), an even one a girl (gender 2).
hx_id() {
    "$PYTHON3" -c 'import sys
body = sys.argv[1] + sys.argv[2] + sys.argv[3]
total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
print(body + "10X98765432"[total % 11])' "$1" "$2" "$3"
}

# hx_invalid_id ID: prints ID with a wrong check character (never one that
# makes it end in 000, which the client takes for Excel's truncation).
hx_invalid_id() {
    "$PYTHON3" -c 'import sys
id = sys.argv[1]
print(id[:17] + next(c for c in "12345" if c != id[17]))' "$1"
}

# hx_row NAME GENDER BIRTH ID_TYPE ID_NUMBER: prints one template row.
hx_row() {
    printf '%s,%s,%s,%s,%s,CHN,01,三年级,1班,202209\n' "$1" "$2" "$3" "$4" "$5"
}

# hx_csv FILE ROW...: writes a template with the header and the rows.
hx_csv() {
    local file=$1
    shift
    { printf '%s\n' "$HX_HEADER"; printf '%s\n' "$@"; } >"$file"
}

# hx_import USER FILE [OPTIONS...]: imports FILE and fails the test unless
# the import succeeds.
# shellcheck disable=SC2153 # H_RC is set by h_run in harness.sh
hx_import() {
    local user=$1 file=$2
    shift 2
    h_run h_client "$user" import "$@" "$file"
    h_assert_eq 0 "$H_RC" "import of $(basename "$file") by $user: $H_ERR"
}

# hx_student NAME [SCHOOL_CODE]: prints the id of the student with NAME,
# the live one when there are several.
hx_student() {
    h_psql "SELECT s.id FROM student s JOIN organisation o ON o.id = s.school_id
            WHERE s.name = '$1' AND ('${2:-}' = '' OR o.code = '${2:-}')
            ORDER BY s.deleted_at IS NOT NULL, s.id LIMIT 1"
}

# hx_problem NAME KIND [SCHOOL_CODE]: prints the id of the unresolved
# problem of KIND of the student with NAME.
hx_problem() {
    h_psql "SELECT p.id FROM problem p JOIN student s ON s.id = p.student_id
            JOIN organisation o ON o.id = s.school_id
            WHERE s.name = '$1' AND p.kind = '$2' AND p.status <> 'resolved'
              AND ('${3:-}' = '' OR o.code = '${3:-}')
            ORDER BY p.id LIMIT 1"
}

# hx_status PROBLEM_ID: prints the problem's status and resolution.
hx_status() {
    h_psql "SELECT status || '/' || resolution FROM problem WHERE id = $1"
}

# hx_case PROBLEM_ID: prints the id of the newest case of the problem.
hx_case() {
    h_psql "SELECT max(id) FROM handling_case WHERE problem_id = $1"
}

# hx_number NAME [SCHOOL_CODE]: prints the student number of NAME.
hx_number() {
    h_psql "SELECT coalesce(student_number, '') FROM student
            WHERE id = $(hx_student "$@")"
}

# hx_state NAME [SCHOOL_CODE]: prints the record state, or "deleted".
hx_state() {
    h_psql "SELECT CASE WHEN deleted_at IS NOT NULL THEN 'deleted'
                        ELSE state END
            FROM student WHERE id = $(hx_student "$@")"
}

# hx_audit_count ACTION STUDENT_ID: prints the number of audit rows.
hx_audit_count() {
    h_psql "SELECT count(*) FROM audit_log WHERE action = '$1'
            AND object_kind = 'student' AND object_id = $2"
}

# hx_client_bg USER OUTPUT ARGS...: starts xueji as USER in the background,
# with stdout and stderr in OUTPUT, and stores its process id in HX_BG_PID.
# timeout bounds it, because a request stuck behind a lock would otherwise
# hang the test.
hx_client_bg() {
    local user=$1 output=$2
    shift 2
    XUEJI_PASSWORD="$H_PASSWORD" HOME="$H_TMP" timeout 60 \
        "$XUEJI" --server "127.0.0.1:$H_PORT" --ca "$H_CERTS/ca.pem" \
        --user "$user" "$@" >"$output" 2>&1 &
    # shellcheck disable=SC2034 # read by the tests that source this file
    HX_BG_PID=$!
}

# hx_wait_rc PID: waits for a background client and stores its exit
# status in HX_RC. It must not run in a command substitution, whose
# subshell cannot wait for the client.
# shellcheck disable=SC2034 # HX_RC is read by the tests
hx_wait_rc() {
    HX_RC=0
    wait "$1" || HX_RC=$?
}

# hx_hold SQL: runs SQL in a transaction that a background psql keeps open
# until hx_release, so that requests touching the same rows or advisory
# locks queue behind it. The session ends by itself after 30 seconds idle
# in the transaction, should the test stop before releasing it.
hx_hold() {
    rm -f "$H_TMP/hold.fifo" "$H_TMP/hold.log"
    mkfifo "$H_TMP/hold.fifo"
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$H_DB" <"$H_TMP/hold.fifo" \
        >"$H_TMP/hold.log" 2>&1 &
    HX_HOLD_PID=$!
    exec {HX_HOLD_FD}>"$H_TMP/hold.fifo"
    {
        printf "SET idle_in_transaction_session_timeout = '30s';\n"
        printf 'BEGIN;\n%s;\n' "$1"
        printf "SELECT 'held';\n"
    } >&"$HX_HOLD_FD"
    for _ in $(seq 1 100); do
        if grep -q '^held$' "$H_TMP/hold.log"; then
            return 0
        fi
        kill -0 "$HX_HOLD_PID" 2>/dev/null ||
            h_fail "lock holder stopped: $(cat "$H_TMP/hold.log")"
        sleep 0.1
    done
    h_fail "lock holder did not get its locks within 10 seconds"
}

# hx_release: commits the transaction of hx_hold and waits for its psql.
hx_release() {
    printf 'COMMIT;\n' >&"$HX_HOLD_FD"
    exec {HX_HOLD_FD}>&-
    wait "$HX_HOLD_PID" ||
        h_fail "lock holder failed: $(cat "$H_TMP/hold.log")"
}

# hx_wait_lock_waiters COUNT: waits up to 10 seconds until COUNT sessions
# of the test database wait for a lock.
hx_wait_lock_waiters() {
    local waiting=0
    for _ in $(seq 1 100); do
        waiting=$(h_psql "SELECT count(*) FROM pg_stat_activity
                          WHERE datname = current_database()
                            AND wait_event_type = 'Lock'")
        if [[ $waiting -ge $1 ]]; then
            return 0
        fi
        sleep 0.1
    done
    h_fail "$waiting of $1 requests waited for the lock after 10 seconds"
}
