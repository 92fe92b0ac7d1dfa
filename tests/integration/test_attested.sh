#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Attested pairs: once the county approves an attestation, re-imports and
# the duplicate check leave that problem quiet, while a new record with the
# same key is flagged as usual. An approved change of a controlled field
# deletes the record's attested pairs. So an attested invalid ID number is
# flagged again after the name changes, and a counterpart that corrects
# its ID number leaves no attested pair behind. A change that would keep the pair
# matching under new values cannot be approved.
source "$(dirname "$0")/harness.sh"
source "$(dirname "$0")/handling_lib.sh"

hx_setup
ev="$HX_EVIDENCE"
A1=4101020001 A2=4101020002 B1=4103020001

q1=$(hx_id 410102 20150801 011)
q1_fixed=$(hx_id 410302 20150801 011)
wei_bad=$(hx_invalid_id "$(hx_id 410102 20140801 022)")
hx_csv "$H_TMP/a1.csv" \
    "$(hx_row 钱一 1 20150801 1 "$q1")" \
    "$(hx_row 韦一 2 20140801 1 "$wei_bad")"
hx_csv "$H_TMP/b1.csv" "$(hx_row 钱一 1 20150801 1 "$q1")"
hx_csv "$H_TMP/a2.csv" "$(hx_row 钱一 1 20150801 1 "$q1")"
hx_csv "$H_TMP/b1-wei.csv" "$(hx_row 韦一 2 20140801 Z "")"

h_run h_client school-a1 import --accept-invalid-ids "$H_TMP/a1.csv"
h_assert_eq 1 "$H_RC" "import with an invalid ID number"
hx_import school-b1 "$H_TMP/b1.csv"
qian_a1=$(hx_student 钱一 "$A1")
qian_b1=$(hx_student 钱一 "$B1")

# unresolved STUDENT_ID: the kinds and counterpart schools of the
# student's unresolved problems, e.g. "id_dup_county:甲二小".
unresolved() {
    h_psql "SELECT coalesce(string_agg(p.kind || ':' || coalesce(o.name, ''),
                                       ' ' ORDER BY p.id), '')
            FROM problem p LEFT JOIN student c ON c.id = p.counterpart_id
            LEFT JOIN organisation o ON o.id = c.school_id
            WHERE p.student_id = $1 AND p.status <> 'resolved'"
}

# ---- attest and approve -------------------------------------------------
p=$(hx_problem 钱一 id_dup_province "$A1")
b1_problem=$(hx_problem 钱一 id_dup_province "$B1")
h_run h_client school-a1 problems attest "$p" --reason "attends 甲一小" \
    --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "attestation: $H_ERR"
h_run h_client county-a review approve "$(hx_case "$p")"
h_assert_eq 0 "$H_RC" "approval: $H_ERR"
h_assert_eq "" "$(unresolved "$qian_a1")" "attested side quiet"
h_assert_eq 1 "$(h_psql "SELECT count(*) FROM attested_pair
                        WHERE student_id = $qian_a1
                          AND counterpart_id = $qian_b1")" "pair remembered"

# ---- re-imports run the duplicate check again ---------------------------
h_run h_client school-a1 --json import --accept-invalid-ids "$H_TMP/a1.csv"
h_assert_eq 1 "$H_RC" "re-import of the attesting school"
h_assert_eq 0 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" \
    "re-import creates no record"
h_assert_eq 0 "$(h_json 'data["import"]["problems_created"]' <<<"$H_OUT")" \
    "re-import creates no problem"
h_run h_client school-b1 --json import "$H_TMP/b1.csv"
h_assert_eq 0 "$H_RC" "re-import of the other school: $H_ERR"
h_assert_eq 0 "$(h_json 'data["import"]["problems_created"]' <<<"$H_OUT")" \
    "re-import of the counterpart creates nothing"
h_assert_eq "" "$(unresolved "$qian_a1")" "attested side quiet after re-imports"
h_assert_eq "id_dup_province:甲一小" "$(unresolved "$qian_b1")" \
    "the other side's own problem stays"
h_assert_eq "$b1_problem" "$(hx_problem 钱一 id_dup_province "$B1")" \
    "the same problem, not a new one"

# ---- a new record with the same ID number is flagged --------------------
hx_import school-a2 "$H_TMP/a2.csv"
h_assert_eq "id_dup_county:甲二小" "$(unresolved "$qian_a1")" \
    "new record flagged, attested counterpart still quiet"
h_run h_client school-a2 problems delete \
    "$(hx_problem 钱一 id_dup_county "$A2")" --reason "entered by mistake"
h_assert_eq 0 "$H_RC" "delete of the new record: $H_ERR"
h_assert_eq "" "$(unresolved "$qian_a1")" "quiet again after the delete"
h_assert_eq "G$q1" "$(hx_number 钱一 "$A1")" "formal number kept throughout"

# ---- the counterpart's values change ------------------------------------
# A new name with the same ID number would keep the pair matching: the
# approval fails and names the attested record's school.
h_run h_client school-b1 problems change "$b1_problem" --name 钱壹 \
    --reason "name typo" --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "change of the counterpart's name: $H_ERR"
h_run h_client county-b review approve "$(hx_case "$b1_problem")"
h_assert_eq 1 "$H_RC" "approval of a change that keeps the pair matching"
h_assert_contains "$H_ERR" "the new ID number is already held by a live record at 甲一小" \
    "collision with the attested record"
h_run h_client county-b review reject "$(hx_case "$b1_problem")" \
    --opinion "the ID number is 甲一小's; correct yours"
h_assert_eq 0 "$H_RC" "rejection: $H_ERR"
h_run h_client school-b1 problems change "$b1_problem" \
    --id-number "$q1_fixed" --reason "Luoyang number" --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "change of the counterpart's ID number: $H_ERR"
h_run h_client county-b review approve "$(hx_case "$b1_problem")"
h_assert_eq 0 "$H_RC" "approval of the new ID number: $H_ERR"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM attested_pair
                        WHERE student_id = $qian_b1
                           OR counterpart_id = $qian_b1")" \
    "attested pair forgotten when a side changes"
h_assert_eq "" "$(unresolved "$qian_a1")" "no pair left to flag"
h_assert_eq "" "$(unresolved "$qian_b1")" "changed side clear"

# ---- an attested invalid ID number returns after a change ---------------
wei=$(hx_student 韦一 "$A1")
bad=$(hx_problem 韦一 id_invalid)
h_run h_client school-a1 problems attest "$bad" \
    --reason "the household register shows this number" \
    --evidence "$ev/scan2.jpg"
h_assert_eq 0 "$H_RC" "attestation of an invalid ID number: $H_ERR"
h_run h_client county-a review approve "$(hx_case "$bad")"
h_assert_eq 0 "$H_RC" "approval: $H_ERR"
h_assert_eq "resolved/attested" "$(hx_status "$bad")" "invalid ID attested"
h_assert_eq L "$(hx_number 韦一 "$A1" | cut -c1)" \
    "an invalid ID number never becomes a G number"
h_run h_client school-a1 --json import --accept-invalid-ids "$H_TMP/a1.csv"
h_assert_eq 0 "$(h_json 'data["import"]["problems_created"]' <<<"$H_OUT")" \
    "re-import leaves the attested ID quiet"
h_assert_eq "" "$(unresolved "$wei")" "attested ID quiet"

hx_import school-b1 "$H_TMP/b1-wei.csv"
h_assert_eq "ngb_dup:乙一小" "$(unresolved "$wei")" \
    "name, gender and birth date shared with a record without ID"
ngb=$(hx_problem 韦一 ngb_dup "$A1")
h_run h_client school-a1 problems change "$ngb" --name 韦依 \
    --reason "name mistyped" --evidence "$ev/scan2.jpg"
h_assert_eq 0 "$H_RC" "change of the name: $H_ERR"
h_run h_client county-a review approve "$(hx_case "$ngb")"
h_assert_eq 0 "$H_RC" "approval of the new name: $H_ERR"
h_assert_eq "resolved/changed" "$(hx_status "$ngb")" "ngb problem changed"
h_assert_eq "resolved/cleared" \
    "$(hx_status "$(h_psql "SELECT id FROM problem
                            WHERE student_id = $(hx_student 韦一 "$B1")
                              AND kind = 'ngb_dup'")")" \
    "other side's ngb problem cleared"
h_assert_eq "id_invalid:" "$(unresolved "$wei")" \
    "invalid ID number flagged again after the change"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM attested_pair
                        WHERE student_id = $wei")" "attestation forgotten"
