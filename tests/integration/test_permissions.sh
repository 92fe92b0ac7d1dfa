#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Who may handle, review and read what, as the daemon enforces it. A role
# that may never make a request is denied with exit status 4 (a school
# reviewing, a county or city handling, a city or the province deciding).
# Another organisation's case, problem, record or file is not found, with
# exit status 1 and the message given for an id that does not exist, so
# the reply does not reveal whether it exists.
source "$(dirname "$0")/harness.sh"
source "$(dirname "$0")/handling_lib.sh"

hx_setup
h_add_account city-4101 4101 city
h_add_account province-41 41 province
ev="$HX_EVIDENCE"
A1=4101020001 B1=4103020001

v1=$(hx_id 410102 20150701 011)
v2=$(hx_id 410102 20150702 011)
v3=$(hx_id 410102 20150703 011)
hx_csv "$H_TMP/a1.csv" \
    "$(hx_row 钱一 1 20150701 1 "$v1")" \
    "$(hx_row 李一 1 20150702 1 "$v2")" \
    "$(hx_row 赵一 1 20150703 1 "$v3")"
hx_csv "$H_TMP/a2.csv" \
    "$(hx_row 钱一 1 20150701 1 "$v1")" \
    "$(hx_row 赵一 1 20150703 1 "$v3")"
hx_csv "$H_TMP/b1.csv" "$(hx_row 李一 1 20150702 1 "$v2")"
hx_import school-a1 "$H_TMP/a1.csv"
hx_import school-a2 "$H_TMP/a2.csv"
hx_import school-b1 "$H_TMP/b1.csv"

qian=$(hx_problem 钱一 id_dup_county "$A1")
h_run h_client school-a1 problems attest "$qian" --reason "ours" \
    --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "attestation in county 410102: $H_ERR"
case_a=$(hx_case "$qian")
li=$(hx_problem 李一 id_dup_province "$B1")
h_run h_client school-b1 problems attest "$li" --reason "ours" \
    --evidence "$ev/letter.docx"
h_assert_eq 0 "$H_RC" "attestation in county 410302: $H_ERR"
case_b=$(hx_case "$li")
zhao=$(hx_problem 赵一 id_dup_county "$A1")
zhao_student=$(hx_student 赵一 "$A1")
scan_id=$(h_psql "SELECT id FROM evidence WHERE file_name = 'scan.jpg'")

denied="this account's role may not make this request"

# ---- a school may not review --------------------------------------------
for args in "review list" "review show $case_a" "review approve $case_a" \
            "review reject $case_a --opinion no" "review next"; do
    # shellcheck disable=SC2086
    h_run h_client school-a1 $args </dev/null
    h_assert_eq 4 "$H_RC" "school: $args"
    h_assert_contains "$H_ERR" "$denied" "school: $args message"
    h_assert_contains "$H_ERR" "use an account of the right level" \
        "school: $args hint"
done

# ---- counties, cities and the province may not handle -------------------
for user in county-a city-4101 province-41; do
    h_run h_client "$user" problems delete "$zhao" --reason "not ours"
    h_assert_eq 4 "$H_RC" "$user: problems delete"
    h_assert_contains "$H_ERR" "$denied" "$user: problems delete message"
    h_run h_client "$user" problems attest "$zhao" --reason "ours" \
        --evidence "$ev/png.png"
    h_assert_eq 4 "$H_RC" "$user: problems attest"
    h_assert_contains "$H_ERR" "$denied" "$user: problems attest message"
    h_run h_client "$user" problems cases
    h_assert_eq 4 "$H_RC" "$user: problems cases"
done

# ---- only the county decides; the city and the province read ------------
for user in city-4101 province-41; do
    h_run h_client "$user" review approve "$case_a"
    h_assert_eq 4 "$H_RC" "$user: review approve"
    h_assert_contains "$H_ERR" "$denied" "$user: review approve message"
    h_run h_client "$user" review reject "$case_a" --opinion "no"
    h_assert_eq 4 "$H_RC" "$user: review reject"
    h_run h_client "$user" --json review show "$case_a"
    h_assert_eq 0 "$H_RC" "$user: review show of a case below it: $H_ERR"
    h_assert_eq 钱一 "$(h_json 'data["student"]["name"]' <<<"$H_OUT")" \
        "$user: case shown"
    h_run h_client "$user" evidence get "$scan_id" -o "$H_TMP/$user.jpg"
    h_assert_eq 0 "$H_RC" "$user: evidence of a case below it: $H_ERR"
    cmp -s "$ev/scan.jpg" "$H_TMP/$user.jpg" || h_fail "$user: bytes differ"
done
h_run h_client city-4101 --json review list
h_assert_eq "$case_a" \
    "$(h_json '",".join(str(c["case_id"]) for c in data)' <<<"$H_OUT")" \
    "the city's queue holds only its counties' cases"
h_run h_client province-41 --json review list
h_assert_eq "$case_a,$case_b" \
    "$(h_json '",".join(str(c["case_id"]) for c in data)' <<<"$H_OUT")" \
    "the province's queue holds every case"
h_run h_client city-4101 review show "$case_b"
h_assert_eq 1 "$H_RC" "city: case of another city"
h_assert_contains "$H_ERR" "case $case_b is not a case of your schools" \
    "city: another city's case message"

# ---- a county on another county's case ----------------------------------
h_run h_client county-a review show 99999
unknown_show=${H_ERR//99999/ID}
h_run h_client county-a review approve 99999
unknown_decide=${H_ERR//99999/ID}
for pair in "county-b $case_a" "county-a $case_b"; do
    read -r user case_id <<<"$pair"
    h_run h_client "$user" review show "$case_id"
    h_assert_eq 1 "$H_RC" "$user: show another county's case"
    h_assert_contains "$H_ERR" "case $case_id is not a case of your schools" \
        "$user: show message"
    h_assert_eq "$unknown_show" "${H_ERR//$case_id/ID}" \
        "$user: show reads as for an unknown case"
    h_run h_client "$user" review approve "$case_id"
    h_assert_eq 1 "$H_RC" "$user: approve another county's case"
    h_assert_contains "$H_ERR" \
        "xueji: case $case_id is not a case of your county's schools" \
        "$user: approve message"
    h_assert_eq "$unknown_decide" "${H_ERR//$case_id/ID}" \
        "$user: approve reads as for an unknown case"
    h_run h_client "$user" review reject "$case_id" --opinion "not yours"
    h_assert_eq 1 "$H_RC" "$user: reject another county's case"
    h_assert_contains "$H_ERR" "is not a case of your county's schools" \
        "$user: reject message"
    h_run h_client "$user" --json review list
    h_assert_eq False "$(h_json "$case_id in [c['case_id'] for c in data]" \
        <<<"$H_OUT")" "$user: another county's case not in the queue"
done
h_assert_eq "pending pending" \
    "$(h_psql "SELECT string_agg(status, ' ' ORDER BY id) FROM handling_case
               WHERE id IN ($case_a, $case_b)")" "both cases still pending"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM audit_log
                        WHERE action LIKE 'approve%' OR action LIKE 'reject%'")" \
    "no decision audited"

# ---- a school on another school's problem -------------------------------
h_run h_client school-a2 problems delete 99999 --reason "not ours"
unknown_problem=${H_ERR//99999/ID}
for user in school-a2 school-b1; do
    h_run h_client "$user" problems delete "$zhao" --reason "not ours"
    h_assert_eq 1 "$H_RC" "$user: delete another school's record"
    h_assert_contains "$H_ERR" "problem $zhao is not one of your school's problems" \
        "$user: delete message"
    h_assert_eq "$unknown_problem" "${H_ERR//$zhao/ID}" \
        "$user: delete reads as for an unknown problem"
    h_run h_client "$user" problems attest "$zhao" --reason "ours" \
        --evidence "$ev/png.png"
    h_assert_eq 1 "$H_RC" "$user: attest another school's problem"
    h_assert_contains "$H_ERR" "problem $zhao is not one of your school's problems" \
        "$user: attest message"
    h_run h_client "$user" problems change "$zhao" --name 赵二 \
        --reason "typo" --evidence "$ev/png.png"
    h_assert_eq 1 "$H_RC" "$user: change another school's record"
    h_assert_contains "$H_ERR" "problem $zhao is not one of your school's problems" \
        "$user: change message"
    h_run h_client "$user" problems cases "$zhao"
    h_assert_eq 1 "$H_RC" "$user: cases of another school's problem"
    h_assert_eq "$unknown_problem" "${H_ERR//$zhao/ID}" \
        "$user: cases read as for an unknown problem"
done
h_assert_eq "open/" "$(hx_status "$zhao")" "problem untouched"
h_assert_eq imported "$(hx_state 赵一 "$A1")" "record untouched"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM handling_case
                        WHERE problem_id = $zhao")" "no case filed"

# ---- history --------------------------------------------------------------
for user in school-a2 school-b1 county-b; do
    h_run h_client "$user" history "$zhao_student"
    h_assert_eq 1 "$H_RC" "$user: history of another organisation's record"
    h_assert_contains "$H_ERR" \
        "student $zhao_student is not a record of your organisation" \
        "$user: history message"
done
for user in school-a1 county-a city-4101 province-41; do
    h_run h_client "$user" --json history "$zhao_student"
    h_assert_eq 0 "$H_RC" "$user: history of a record below it: $H_ERR"
    h_assert_eq 赵一 "$(h_json 'data["student"]["name"]' <<<"$H_OUT")" \
        "$user: history shows the record"
done
