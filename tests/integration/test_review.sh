#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# County review. A change whose new values collide with another live
# record cannot be approved, and the message names that record's school.
# A rejection needs an opinion, which the school's problem list and case
# list show, and the school may then handle the problem again. A problem
# waiting for review cannot be handled, a decided case cannot be decided
# again, and a pending case closes by itself when its problem stops
# holding. Also the queue filters, the case details and review next.
source "$(dirname "$0")/harness.sh"
source "$(dirname "$0")/handling_lib.sh"

hx_setup
ev="$HX_EVIDENCE"
A1=4101020001 A2=4101020002 B1=4103020001

t1=$(hx_id 410302 20150401 011)
t2=$(hx_id 410102 20150401 031)
inv_zhu=$(hx_invalid_id "$(hx_id 410102 20150401 051)")
shi_id=$(hx_id 410102 20140601 022)
inv_lv=$(hx_invalid_id "$shi_id")
u1=$(hx_id 410102 20150402 011)
u2=$(hx_id 410102 20150403 011)
u3=$(hx_id 410102 20150404 011)
u4=$(hx_id 410102 20150405 011)

hx_csv "$H_TMP/a1.csv" \
    "$(hx_row 朱一 1 20150401 1 "$inv_zhu")" \
    "$(hx_row 吕一 2 20140601 1 "$inv_lv")" \
    "$(hx_row 许一 1 20150402 1 "$u1")" \
    "$(hx_row 曹一 1 20150403 1 "$u2")" \
    "$(hx_row 何一 1 20150404 1 "$u3")" \
    "$(hx_row 孔一 1 20150405 1 "$u4")"
hx_csv "$H_TMP/a2.csv" \
    "$(hx_row 何一 1 20150404 1 "$u3")" \
    "$(hx_row 孔一 1 20150405 1 "$u4")"
hx_csv "$H_TMP/b1.csv" \
    "$(hx_row 秦一 1 20150401 1 "$t1")" \
    "$(hx_row 施一 2 20140601 Z "")" \
    "$(hx_row 许一 1 20150402 1 "$u1")" \
    "$(hx_row 曹一 1 20150403 1 "$u2")"
h_run h_client school-a1 import --accept-invalid-ids "$H_TMP/a1.csv"
h_assert_eq 1 "$H_RC" "import with two invalid ID numbers"
h_assert_contains "$H_OUT" "Imported 6 new students" "every row stored"
hx_import school-a2 "$H_TMP/a2.csv"
hx_import school-b1 "$H_TMP/b1.csv"

# ---- a change that collides with a live record --------------------------
zhu=$(hx_problem 朱一 id_invalid)
h_run h_client school-a1 problems change "$zhu" --id-number "$t1" \
    --reason "number from the register" --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "change to a number held elsewhere is filed: $H_ERR"
zhu_case=$(hx_case "$zhu")
h_run h_client county-a review approve "$zhu_case"
h_assert_eq 1 "$H_RC" "approval of a colliding change"
h_assert_contains "$H_ERR" "case $zhu_case: the new ID number is already held by a live record at 乙一小 (老城区, telephone 0379-62000001)" \
    "collision names the other record's school"
h_assert_contains "$H_ERR" "ask that school to delete or correct its record" \
    "collision hint"
h_assert_eq pending "$(h_psql "SELECT status FROM handling_case
                              WHERE id = $zhu_case")" "case stays pending"
h_assert_eq "pending_review/" "$(hx_status "$zhu")" "problem stays pending"
h_assert_eq "$inv_zhu" "$(h_psql "SELECT id_number FROM student
                                 WHERE id = $(hx_student 朱一)")" \
    "record unchanged after the failed approval"
h_assert_eq 0 "$(hx_audit_count approve_change "$(hx_student 朱一)")" \
    "failed approval leaves no audit row"

lv=$(hx_problem 吕一 id_invalid)
h_run h_client school-a1 problems change "$lv" --name 施一 \
    --id-number "$shi_id" --reason "name and number from the register" \
    --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "change to another school's name and birth: $H_ERR"
lv_case=$(hx_case "$lv")

# ---- the queue and the case details -------------------------------------
xu=$(hx_problem 许一 id_dup_province "$A1")
h_run h_client school-a1 problems attest "$xu" --reason "attends 甲一小" \
    --evidence "$ev/scan2.jpg"
h_assert_eq 0 "$H_RC" "attestation filed: $H_ERR"
xu_case=$(hx_case "$xu")

h_run h_client county-a --json review list
h_assert_eq 0 "$H_RC" "review list: $H_ERR"
h_assert_eq "$zhu_case,$lv_case,$xu_case" \
    "$(h_json '",".join(str(c["case_id"]) for c in data)' <<<"$H_OUT")" \
    "queue, oldest first"
h_run h_client county-a --json review list --kind change
h_assert_eq "$zhu_case,$lv_case" \
    "$(h_json '",".join(str(c["case_id"]) for c in data)' <<<"$H_OUT")" \
    "queue of changes"
h_run h_client county-a --json review list --kind attest
h_assert_eq "$xu_case" \
    "$(h_json '",".join(str(c["case_id"]) for c in data)' <<<"$H_OUT")" \
    "queue of attestations"
h_run h_client county-a --json review list --school "$A2"
h_assert_eq 0 "$(h_json 'len(data)' <<<"$H_OUT")" "queue of a school with none"
for args in "--kind foo|invalid kind \"foo\": --kind takes change or attest" \
            "--school 123|invalid school code \"123\": --school takes the 10-digit school code" \
            "--school 41010200x1|invalid school code \"41010200x1\"" \
            "--kind|--kind needs a value" \
            "--bogus|unexpected argument \"--bogus\""; do
    # shellcheck disable=SC2086
    h_run h_client county-a review list ${args%%|*}
    h_assert_eq 2 "$H_RC" "review list ${args%%|*} is a usage error"
    h_assert_contains "$H_ERR" "${args#*|}" "review list ${args%%|*} message"
    h_assert_contains "$H_ERR" "usage: xueji review list" \
        "review list ${args%%|*} usage"
done
h_run h_client county-b review list
h_assert_eq 0 "$H_RC" "review list of the other county"
h_assert_contains "$H_OUT" "No cases wait for review." "other county's queue"

h_run h_client county-a --json review show "$zhu_case"
h_assert_eq 0 "$H_RC" "review show: $H_ERR"
# The county is responsible for the record, so it gets the whole numbers
# it compares with the evidence; counterparts elsewhere stay masked.
h_assert_eq "$t1" "$(h_json 'data["proposed"]["id_number"]' <<<"$H_OUT")" \
    "proposed ID number, whole"
h_assert_eq 18 "$(h_json 'len(data["student"]["id_number_full"])' <<<"$H_OUT")" \
    "record's ID number, whole"
h_assert_contains "$(h_json 'data["counterparts"][0]["id_number"]' <<<"$H_OUT")" \
    "***" "counterpart's ID number masked"
shown=$H_OUT
h_assert_eq 秦一 "$(h_json 'data["counterparts"][0]["name"]' <<<"$shown")" \
    "the record holding the new number is shown"
h_assert_eq 乙一小 \
    "$(h_json 'data["counterparts"][0]["school_name"]' <<<"$shown")" \
    "its school"
h_assert_eq 0379-62000001 \
    "$(h_json 'data["counterparts"][0]["school_phone"]' <<<"$shown")" \
    "its school's telephone"
h_assert_eq scan.jpg "$(h_json 'data["evidence"][0]["file_name"]' <<<"$shown")" \
    "evidence listed"
h_assert_eq image/jpeg \
    "$(h_json 'data["evidence"][0]["detected_type"]' <<<"$shown")" \
    "evidence type"
h_assert_not_contains "$(h_json 'json.dumps(data["counterparts"])' <<<"$shown")" \
    "$t1" "counterparts' whole ID numbers stay on the server"
h_run h_client county-a review show "$xu_case"
h_assert_eq 0 "$H_RC" "review show as text"
h_assert_contains "$H_OUT" "Other records in this problem (call their school):" \
    "counterparts heading"
h_assert_contains "$H_OUT" "4103020001 乙一小, 老城区, telephone 0379-62000001: 许一" \
    "counterpart line"
h_assert_contains "$H_OUT" "Reason given by the school: attends 甲一小" "reason"

# ---- an ngb collision, then rejection of both changes -------------------
h_run h_client county-a review approve "$lv_case"
h_assert_eq 1 "$H_RC" "approval of a change that matches another record"
h_assert_contains "$H_ERR" "the new name, gender and birth date match a live record at 乙一小 (老城区, telephone 0379-62000001)" \
    "ngb collision names the other record's school"

h_run h_client county-a review reject "$zhu_case" "$lv_case" \
    --opinion "该身份证号已在乙一小登记，请核对户口簿"
h_assert_eq 0 "$H_RC" "rejection of two cases: $H_ERR"
h_assert_contains "$H_OUT" "Case $zhu_case: rejected." "first rejection"
h_assert_contains "$H_OUT" "Case $lv_case: rejected." "second rejection"
h_assert_eq "rejected/" "$(hx_status "$zhu")" "problem back with the school"
h_assert_eq 1 "$(hx_audit_count reject_change "$(hx_student 朱一)")" \
    "rejection audited"

h_run h_client school-a1 problems change "$lv" --name 吕一 \
    --reason "no change" --evidence "$ev/scan.jpg"
h_assert_eq 1 "$H_RC" "change to the values the record has"
h_assert_contains "$H_ERR" "the change does not differ from the record" \
    "unchanged values message"
h_run h_client school-a1 problems change "$lv" --name 吕依 \
    --reason " " --evidence "$ev/scan.jpg"
h_assert_eq 2 "$H_RC" "change with a blank reason"
h_assert_contains "$H_ERR" "--reason is required and must not be blank" \
    "blank reason message"
h_assert_eq "rejected/" "$(hx_status "$lv")" "nothing filed"

# Handled again after the rejection, with the right number this time.
h_run h_client school-a1 problems change "$zhu" --id-number "$t2" \
    --reason "number checked with the police station" \
    --evidence "$ev/letter.docx"
h_assert_eq 0 "$H_RC" "change after a rejection: $H_ERR"
zhu_case2=$(hx_case "$zhu")
[[ $zhu_case2 -gt $zhu_case ]] || h_fail "a new case is filed after rejection"
h_run h_client county-a review approve "$zhu_case2"
h_assert_eq 0 "$H_RC" "approval of the second change: $H_ERR"
h_assert_eq "resolved/changed" "$(hx_status "$zhu")" "problem resolved"
h_assert_eq "G$t2" "$(hx_number 朱一)" "corrected record formal"

# ---- rejection needs an opinion; pending problems cannot be handled -----
for args in "problems attest $xu --reason again --evidence $ev/png.png" \
            "problems change $xu --name 许二 --reason again --evidence $ev/png.png" \
            "problems delete $xu --reason again"; do
    # shellcheck disable=SC2086
    h_run h_client school-a1 $args
    h_assert_eq 1 "$H_RC" "handling a pending problem: ${args%% --*}"
    h_assert_contains "$H_ERR" "problem $xu is waiting for the county's review" \
        "pending message"
    h_assert_contains "$H_ERR" "wait for the county's decision" "pending hint"
done
h_assert_eq 1 "$(h_psql "SELECT count(*) FROM handling_case
                        WHERE problem_id = $xu")" "still one case"
h_assert_eq live "$(h_psql "SELECT CASE WHEN deleted_at IS NULL THEN 'live'
                                        ELSE 'deleted' END FROM student
                           WHERE id = $(hx_student 许一 "$A1")")" \
    "record not deleted while pending"

h_run h_client county-a review reject "$xu_case"
h_assert_eq 2 "$H_RC" "rejection without an opinion"
h_assert_contains "$H_ERR" "rejecting needs --opinion TEXT" "opinion required"
h_run h_client county-a review reject "$xu_case" --opinion "   "
h_assert_eq 2 "$H_RC" "rejection with a blank opinion"
h_assert_eq pending "$(h_psql "SELECT status FROM handling_case
                              WHERE id = $xu_case")" "case still pending"

opinion="转学证明没有盖章，请补交"
h_run h_client county-a review reject "$xu_case" --opinion "$opinion"
h_assert_eq 0 "$H_RC" "rejection with an opinion: $H_ERR"
h_assert_eq "rejected/" "$(hx_status "$xu")" "rejected problem"

# The school's problem list and case list show the opinion.
h_run h_client school-a1 --json problems
listed=$(h_json "json.dumps(next(p for p in data if p['id'] == $xu))" \
    <<<"$H_OUT")
h_assert_eq rejected "$(h_json 'data["status"]' <<<"$listed")" \
    "status in the problem list"
h_assert_eq "$opinion" "$(h_json 'data["opinion"]' <<<"$listed")" \
    "opinion in the problem list"
h_run h_client school-a1 problems
h_assert_contains "$H_OUT" "Opinions of the county on rejected handling:" \
    "opinion heading in the table"
h_assert_contains "$H_OUT" "$opinion" "opinion in the table"
h_run h_client school-a1 problems cases "$xu"
h_assert_eq 0 "$H_RC" "cases of the problem"
h_assert_contains "$H_OUT" "case $xu_case (rejected): $opinion" \
    "opinion in the case list"

# Decided cases cannot be decided again.
h_run h_client county-a review approve "$xu_case"
h_assert_eq 1 "$H_RC" "approval of a rejected case"
h_assert_contains "$H_ERR" "case $xu_case was already rejected by county-a at" \
    "already decided message"
h_assert_not_contains "$H_ERR" "case $xu_case: case $xu_case" \
    "case id printed once"
[[ $H_ERR =~ "xueji: case $xu_case was already rejected by county-a at "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ]] ||
    h_fail "decision time not in ISO 8601 UTC form: $H_ERR"
log=$(cat "$H_TMP/xuejid.log")
h_assert_contains "$log" \
    "case rejected case=$xu_case problem=$xu student=$(hx_student 许一 "$A1") conn=" \
    "rejection logged with its ids"
h_assert_contains "$log" \
    "case=$xu_case problem=$xu student=$(hx_student 许一 "$A1") message=\"case $xu_case was already rejected" \
    "refused decision logged with its ids"

h_run h_client school-a1 problems attest "$xu" --reason "stamped certificate" \
    --evidence "$ev/letter.docx"
h_assert_eq 0 "$H_RC" "attestation after a rejection: $H_ERR"
xu_case2=$(hx_case "$xu")
h_run h_client county-a review approve "$xu_case2" --opinion "盖章齐全"
h_assert_eq 0 "$H_RC" "approval after a rejection: $H_ERR"
h_assert_eq "resolved/attested" "$(hx_status "$xu")" "attested at last"
h_run h_client county-a review approve "$xu_case2"
h_assert_eq 1 "$H_RC" "second approval"
h_assert_contains "$H_ERR" "case $xu_case2 was already approved by county-a at" \
    "already approved message"
h_run h_client school-a1 --json problems cases "$xu"
h_assert_eq "rejected:$opinion approved:盖章齐全" \
    "$(h_json '" ".join(c["status"] + ":" + c["opinion"] for c in data)' <<<"$H_OUT")" \
    "both decisions listed for the school"

# ---- a rejected problem may be deleted ----------------------------------
he=$(hx_problem 何一 id_dup_county "$A2")
h_run h_client school-a2 problems attest "$he" --reason "ours" \
    --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "attestation of 何一: $H_ERR"
h_run h_client county-a review reject "$(hx_case "$he")" \
    --opinion "甲一小 has the pupil"
h_assert_eq 0 "$H_RC" "rejection of 何一"
h_run h_client school-a2 problems delete "$he" --reason "pupil is at 甲一小"
h_assert_eq 0 "$H_RC" "delete of a rejected problem: $H_ERR"
h_assert_eq "resolved/deleted" "$(hx_status "$he")" "rejected problem deleted"
h_assert_eq approved "$(hx_state 何一 "$A1")" "counterpart enrolled"

# ---- a pending case closes when its problem stops holding ---------------
cao=$(hx_problem 曹一 id_dup_province "$A1")
h_run h_client school-a1 problems attest "$cao" --reason "ours" \
    --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "attestation of 曹一: $H_ERR"
cao_case=$(hx_case "$cao")
h_run h_client school-b1 problems delete "$(hx_problem 曹一 id_dup_province "$B1")" \
    --reason "left for Zhengzhou"
h_assert_eq 0 "$H_RC" "counterpart deleted while the case waits: $H_ERR"
h_assert_eq "resolved/cleared" "$(hx_status "$cao")" "pending problem cleared"
h_assert_eq "closed|closed: the problem no longer holds" \
    "$(h_psql "SELECT status || '|' || opinion FROM handling_case
               WHERE id = $cao_case")" "case closed by itself"
h_assert_eq "G$u2" "$(hx_number 曹一 "$A1")" "record enrolled and formal"
h_run h_client county-a --json review list
h_assert_eq False "$(h_json "$cao_case in [c['case_id'] for c in data]" \
    <<<"$H_OUT")" "closed case left the queue"
h_run h_client county-a review approve "$cao_case"
h_assert_eq 1 "$H_RC" "approval of a closed case"
h_assert_contains "$H_ERR" "case $cao_case is closed and cannot be decided" \
    "closed case message"
h_run h_client school-a1 problems cases "$cao"
h_assert_contains "$H_OUT" "case $cao_case (closed): closed: the problem no longer holds" \
    "school sees why the case closed"

# ---- review next --------------------------------------------------------
h_run h_client county-a review next --help
h_assert_eq 0 "$H_RC" "review next --help"
h_assert_contains "$H_OUT" "approve; then asks \"Opinion (optional, Enter for none):\"" \
    "help names the prompt after an approval"
h_assert_contains "$H_OUT" "reject; then asks \"Opinion for the school (required):\"" \
    "help names the prompt after a rejection"
h_assert_contains "$H_OUT" "skip; asks nothing" "help says a skip asks nothing"
h_assert_contains "$H_OUT" "quit; asks nothing" "help says a quit asks nothing"
kong=$(hx_problem 孔一 id_dup_county "$A2")
h_run h_client school-a2 problems attest "$kong" --reason "ours" \
    --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "attestation of 孔一: $H_ERR"
kong_case=$(hx_case "$kong")
printf 'x\nr\n\n请补交盖章的证明\n' >"$H_TMP/answers"
h_run h_client county-a review next <"$H_TMP/answers"
h_assert_eq 0 "$H_RC" "review next with a rejection: $H_ERR"
h_assert_contains "$H_OUT" "Case $kong_case: attest of problem $kong" \
    "review next shows the case"
h_assert_contains "$H_OUT" "Answer a, r, s or q." "unknown answer asked again"
h_assert_contains "$H_OUT" "A rejection needs an opinion" "blank opinion refused"
h_assert_contains "$H_OUT" "Case $kong_case: rejected." "rejected interactively"
h_assert_contains "$H_OUT" "Decided 1, skipped 0." "review next summary"
h_assert_eq "rejected|请补交盖章的证明" \
    "$(h_psql "SELECT status || '|' || opinion FROM handling_case
               WHERE id = $kong_case")" "interactive opinion stored"
