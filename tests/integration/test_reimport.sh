#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Idempotent import: importing a file again creates nothing, an import cut
# short is finished by importing the whole file, and two identical rows in
# one file are two records (and a duplicate inside the school).
source "$(dirname "$0")/harness.sh"

h_init_db
h_add_school 4101020001 "重导一小" 410102 0371-60000001
h_add_account school1 4101020001 school
h_start_server

gen="$XUEJI_SOURCE_DIR/tests/data/gen_students.py"
"$PYTHON3" "$gen" bulk --province 41 --count 300 --seed 11 --out "$H_TMP/all.csv"
head -n 101 "$H_TMP/all.csv" >"$H_TMP/first100.csv"

h_run h_client school1 --json import "$H_TMP/first100.csv"
h_assert_eq 0 "$H_RC" "partial import"
h_assert_eq 100 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" "first 100 created"

h_run h_client school1 --json import --batch-size 64 "$H_TMP/all.csv"
h_assert_eq 0 "$H_RC" "full import after the partial one"
h_assert_eq 200 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" "the rest created"
h_assert_eq 100 "$(h_json 'data["import"]["existing"]' <<<"$H_OUT")" "first 100 existing"

audit_before=$(h_psql "SELECT count(*) FROM audit_log")
h_run h_client school1 --json import "$H_TMP/all.csv"
h_assert_eq 0 "$H_RC" "third import"
h_assert_eq 0 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" "nothing created again"
h_assert_eq 0 "$(h_json 'data["import"]["problems_created"]' <<<"$H_OUT")" "no new problems"
h_assert_eq 300 "$(h_psql "SELECT count(*) FROM student")" "students after three imports"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM problem")" "no problems in distinct data"
h_assert_eq "$audit_before" "$(h_psql "SELECT count(*) FROM audit_log")" \
    "an import that stores nothing writes no audit row"
# One batch of the partial import, and four of the five 64-row batches of
# the full one: the first held only rows stored before.
h_assert_eq 5 "$(h_psql "SELECT count(*) FROM audit_log WHERE action = 'import'")" \
    "the batches that stored rows are audited"

# The same row twice in one file: two records, both with a problem.
{ cat "$H_TMP/first100.csv"; sed -n 2p "$H_TMP/first100.csv"; } >"$H_TMP/twice.csv"
h_run h_client school1 --json import "$H_TMP/twice.csv"
h_assert_eq 1 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" "repeated row stored"
h_assert_eq 2 "$(h_psql "SELECT count(*) FROM problem WHERE kind = 'id_dup_school'")" \
    "repeated row is a duplicate inside the school"
h_run h_client school1 --json import "$H_TMP/twice.csv"
h_assert_eq 0 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" "repeated row not stored again"

# xueji template never replaces a file, which may be a filled-in class,
# unless --force is given.
h_run "$XUEJI" template "$H_TMP/all.csv"
h_assert_eq 1 "$H_RC" "template onto an existing file"
h_assert_contains "$H_ERR" "exists; choose another name, or add --force" \
    "template names the way out"
h_assert_eq 301 "$(wc -l <"$H_TMP/all.csv")" "existing file left alone"
h_run "$XUEJI" template --force "$H_TMP/all.csv"
h_assert_eq 0 "$H_RC" "template --force"
h_assert_eq 1 "$(wc -l <"$H_TMP/all.csv")" "file replaced by the header row"
