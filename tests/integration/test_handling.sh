#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Problem handling end to end, one pair of records per case: change,
# delete and attest on each problem kind they apply to. A deletion clears
# the counterpart's problem at once and enrols the counterpart, with a G
# number when it has a valid resident ID. An approved change clears the
# counterpart's problem, and an approved attestation resolves only the
# attesting side. Each request and decision writes its audit-log row.
source "$(dirname "$0")/harness.sh"
source "$(dirname "$0")/handling_lib.sh"

hx_setup
ev="$HX_EVIDENCE"

# ID numbers: one per pair, plus the corrected ones.
s1=$(hx_id 410102 20150301 011)
s2=$(hx_id 410102 20150302 011)
s2_fixed=$(hx_id 410102 20150302 031)
s3=$(hx_id 410102 20150303 011)
s4=$(hx_id 410102 20150304 011)
s5=$(hx_id 410102 20150305 011)
s5_fixed=$(hx_id 410102 20150305 031)
s6=$(hx_id 410102 20150306 011)
s7=$(hx_id 410102 20150307 011)
s8=$(hx_id 410102 20150308 011)
s8_fixed=$(hx_id 410302 20150308 011)
s9=$(hx_id 410102 20140109 011)
s10=$(hx_id 410302 20140109 011)
s11=$(hx_id 410102 20150311 011)
inv1=$(hx_invalid_id "$s11")
s12=$(hx_id 410102 20150312 011)
inv2=$(hx_invalid_id "$s12")
s13=$(hx_id 410102 20150313 011)

hx_csv "$H_TMP/a1.csv" \
    "$(hx_row 孙一 1 20150301 1 "$s1")" \
    "$(hx_row 孙二 1 20150301 1 "$s1")" \
    "$(hx_row 周一 1 20150302 1 "$s2")" \
    "$(hx_row 周二 1 20150302 1 "$s2")" \
    "$(hx_row 吴一 1 20150303 1 "$s3")" \
    "$(hx_row 郑一 1 20150304 1 "$s4")" \
    "$(hx_row 王一 1 20150305 1 "$s5")" \
    "$(hx_row 冯一 1 20150306 1 "$s6")" \
    "$(hx_row 陈一 1 20150307 1 "$s7")" \
    "$(hx_row 褚一 1 20150308 1 "$s8")" \
    "$(hx_row 卫一 2 20140101 Z "")" \
    "$(hx_row 蒋一 2 20140102 Z "")" \
    "$(hx_row 沈一 1 20140109 1 "$s9")" \
    "$(hx_row 韩一 1 20150311 1 "$inv1")" \
    "$(hx_row 杨一 1 20150312 1 "$inv2")" \
    "$(hx_row 孔一 1 20150313 1 "$s13")" \
    "$(hx_row 孔二 1 20150313 1 "$s13")"
hx_csv "$H_TMP/a2.csv" \
    "$(hx_row 吴一 1 20150303 1 "$s3")" \
    "$(hx_row 郑一 1 20150304 1 "$s4")" \
    "$(hx_row 王一 1 20150305 1 "$s5")" \
    "$(hx_row 蒋一 2 20140102 Z "")"
hx_csv "$H_TMP/b1.csv" \
    "$(hx_row 冯一 1 20150306 1 "$s6")" \
    "$(hx_row 陈一 1 20150307 1 "$s7")" \
    "$(hx_row 褚一 1 20150308 1 "$s8")" \
    "$(hx_row 卫一 2 20140101 Z "")" \
    "$(hx_row 沈一 1 20140109 Z "")" \
    "$(hx_row 孔一 1 20150313 Z "")"
# The two invalid ID numbers are reported as errors (exit status 1) and
# stored with an id_invalid problem.
h_run h_client school-a1 import --accept-invalid-ids "$H_TMP/a1.csv"
h_assert_eq 1 "$H_RC" "import with invalid ID numbers"
h_assert_contains "$H_OUT" "Imported 17 new students" "every row stored"
hx_import school-a2 "$H_TMP/a2.csv"
hx_import school-b1 "$H_TMP/b1.csv"

A1=4101020001 A2=4101020002 B1=4103020001
open_count=$(h_psql "SELECT count(*) FROM problem WHERE status = 'open'")
h_assert_eq 28 "$open_count" "open problems after the imports"

# ---- id_dup_school: delete ----------------------------------------------
keep=$(hx_problem 孙一 id_dup_school)
gone=$(hx_problem 孙二 id_dup_school)
h_run h_client school-a1 problems delete "$gone" --reason "entered twice"
h_assert_eq 0 "$H_RC" "delete of an id_dup_school record: $H_ERR"
h_assert_contains "$H_OUT" \
    "Deleted the record of problem $gone; the problem is now resolved." \
    "delete output"
h_assert_contains "$H_OUT" "2 problem registrations were cleared" \
    "delete output counts both sides"
h_assert_eq "resolved/deleted" "$(hx_status "$gone")" "deleted side's problem"
h_assert_eq "resolved/cleared" "$(hx_status "$keep")" "counterpart's problem"
h_assert_eq deleted "$(hx_state 孙二)" "deleted record state"
h_assert_eq approved "$(hx_state 孙一)" "counterpart enrolled after the delete"
h_assert_eq "G$s1" "$(hx_number 孙一)" "counterpart's formal number"
h_assert_eq "done" "$(h_psql "SELECT status FROM handling_case
                            WHERE problem_id = $gone AND kind = 'delete'")" \
    "delete case is done at once"
h_assert_eq 1 "$(hx_audit_count delete "$(hx_student 孙二)")" "delete audited"
gone_student=$(hx_student 孙二)
gone_case=$(h_psql "SELECT id FROM handling_case
                    WHERE problem_id = $gone AND kind = 'delete'")
h_assert_contains "$(cat "$H_TMP/xuejid.log")" \
    "student deleted problem=$gone student=$gone_student case=$gone_case conn=" \
    "delete logged with the problem, student and case"
h_assert_eq 1 "$(hx_audit_count enrol_after_counterpart_delete \
    "$(hx_student 孙一)")" "enrolment of the counterpart audited"
# The deleted record stays visible to its school.
h_run h_client school-a1 --json history "$(hx_student 孙二)"
h_assert_eq 0 "$H_RC" "history of a deleted record: $H_ERR"
h_assert_eq deleted "$(h_json 'data["student"]["state"]' <<<"$H_OUT")" \
    "deleted record shown as deleted"
h_run h_client school-a1 problems delete "$gone" --reason "again"
h_assert_eq 1 "$H_RC" "second delete of the same problem"
h_assert_contains "$H_ERR" \
    "problem $gone is resolved and cannot be handled by delete" \
    "second delete message"
h_assert_contains "$(cat "$H_TMP/xuejid.log")" \
    "problem=$gone student=$gone_student message=\"problem $gone is resolved" \
    "refused delete logged with the problem and student"

# ---- id_dup_school: change ----------------------------------------------
other=$(hx_problem 周一 id_dup_school)
wrong=$(hx_problem 周二 id_dup_school)
h_run h_client school-a1 --json problems change "$wrong" \
    --id-number "$s2_fixed" --reason "typo in the ID number" \
    --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "change of an id_dup_school record: $H_ERR"
h_assert_eq pending_review "$(h_json 'data["problem_status"]' <<<"$H_OUT")" \
    "change waits for review"
case_id=$(h_json 'data["case_id"]' <<<"$H_OUT")
h_assert_eq "$(hx_case "$wrong")" "$case_id" "case id in the reply"
h_assert_eq "$s2" "$(h_psql "SELECT id_number FROM student
                            WHERE id = $(hx_student 周二)")" \
    "record unchanged until approval"
h_assert_eq open "$(hx_status "$other" | cut -d/ -f1)" \
    "counterpart still open while the change waits"
h_run h_client county-a review approve "$case_id" --opinion "register checked"
h_assert_eq 0 "$H_RC" "approval of the change: $H_ERR"
h_assert_contains "$H_OUT" "Case $case_id: approved. 1 problem registration cleared." \
    "approval output"
h_assert_contains "$H_OUT" "Student number G$s2_fixed." "approval gives the number"
h_assert_eq "$s2_fixed" "$(h_psql "SELECT id_number FROM student
                                  WHERE id = $(hx_student 周二)")" \
    "corrected ID number applied"
h_assert_eq "resolved/changed" "$(hx_status "$wrong")" "changed side's problem"
h_assert_eq "resolved/cleared" "$(hx_status "$other")" \
    "counterpart's problem cleared by the approved change"
h_assert_eq approved "$(hx_state 周二)" "changed record approved"
h_assert_eq imported "$(hx_state 周一)" "counterpart keeps its state"
h_assert_eq L "$(hx_number 周一 | cut -c1)" "counterpart keeps its L number"
h_assert_eq 1 "$(hx_audit_count request_change "$(hx_student 周二)")" \
    "change request audited"
h_assert_eq 1 "$(hx_audit_count approve_change "$(hx_student 周二)")" \
    "change approval audited"
h_assert_eq "$s2" "$(h_psql "SELECT previous->>'id_number' FROM handling_case
                            WHERE id = $case_id")" \
    "case keeps the replaced values"

# ---- id_dup_county: delete ----------------------------------------------
keep=$(hx_problem 吴一 id_dup_county "$A1")
gone=$(hx_problem 吴一 id_dup_county "$A2")
h_run h_client school-a2 problems delete "$gone" --reason "left for 甲一小"
h_assert_eq 0 "$H_RC" "delete of an id_dup_county record: $H_ERR"
h_assert_eq "resolved/cleared" "$(hx_status "$keep")" \
    "other school's problem cleared by the delete"
h_assert_eq approved "$(hx_state 吴一 "$A1")" "other school's record enrolled"
h_assert_eq "G$s3" "$(hx_number 吴一 "$A1")" "other school's record formal"

# ---- id_dup_county: attest ----------------------------------------------
mine=$(hx_problem 郑一 id_dup_county "$A1")
theirs=$(hx_problem 郑一 id_dup_county "$A2")
h_run h_client school-a1 problems attest "$mine" \
    --reason "attends 甲一小, transfer certificate attached" \
    --evidence "$ev/letter.docx"
h_assert_eq 0 "$H_RC" "attestation of an id_dup_county record: $H_ERR"
h_assert_contains "$H_OUT" "attest of problem $mine, which is now pending_review" \
    "attestation output"
case_id=$(hx_case "$mine")
h_run h_client county-a review approve "$case_id"
h_assert_eq 0 "$H_RC" "approval of the attestation: $H_ERR"
h_assert_contains "$H_OUT" "Case $case_id: approved. Student number G$s4." \
    "attestation approval output"
h_assert_eq "resolved/attested" "$(hx_status "$mine")" "attested problem"
h_assert_eq open "$(hx_status "$theirs" | cut -d/ -f1)" \
    "the other school's problem stays open"
h_assert_eq 1 "$(h_psql "SELECT count(*) FROM attested_pair
                        WHERE case_id = $case_id
                          AND student_id = $(hx_student 郑一 "$A1")
                          AND counterpart_id = $(hx_student 郑一 "$A2")
                          AND kind = 'id_dup_county'")" \
    "attested pair remembered"
h_assert_eq 1 "$(hx_audit_count request_attest "$(hx_student 郑一 "$A1")")" \
    "attestation request audited"
h_assert_eq 1 "$(hx_audit_count approve_attest "$(hx_student 郑一 "$A1")")" \
    "attestation approval audited"
zheng_student=$(hx_student 郑一 "$A1")
letter_id=$(h_psql "SELECT evidence_id FROM case_evidence
                    WHERE case_id = $case_id")
log=$(cat "$H_TMP/xuejid.log")
h_assert_contains "$log" \
    "handling case filed problem=$mine student=$zheng_student evidence=$letter_id case=$case_id conn=" \
    "filed case logged with its ids"
h_assert_contains "$log" \
    "case approved case=$case_id problem=$mine student=$zheng_student conn=" \
    "approval logged with its ids"

# ---- id_dup_county: change ----------------------------------------------
mine=$(hx_problem 王一 id_dup_county "$A1")
theirs=$(hx_problem 王一 id_dup_county "$A2")
h_run h_client school-a2 problems change "$theirs" --id-number "$s5_fixed" \
    --reason "digit swapped" --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "change of an id_dup_county record: $H_ERR"
h_run h_client county-a review approve "$(hx_case "$theirs")"
h_assert_eq 0 "$H_RC" "approval of the id_dup_county change: $H_ERR"
h_assert_eq "resolved/changed" "$(hx_status "$theirs")" "changed side"
h_assert_eq "resolved/cleared" "$(hx_status "$mine")" \
    "other school's problem cleared by the approved change"
h_assert_eq "G$s5_fixed" "$(hx_number 王一 "$A2")" "changed record formal"

# ---- id_dup_province: attest --------------------------------------------
mine=$(hx_problem 冯一 id_dup_province "$B1")
theirs=$(hx_problem 冯一 id_dup_province "$A1")
h_run h_client school-b1 problems attest "$mine" --reason "moved to Luoyang" \
    --evidence "$ev/scan.jpg" --evidence "$ev/letter.docx"
h_assert_eq 0 "$H_RC" "attestation of an id_dup_province record: $H_ERR"
case_id=$(hx_case "$mine")
h_assert_eq 2 "$(h_psql "SELECT count(*) FROM case_evidence
                        WHERE case_id = $case_id")" "both files attached"
h_run h_client county-b review approve "$case_id"
h_assert_eq 0 "$H_RC" "approval by the school's own county: $H_ERR"
h_assert_eq "resolved/attested" "$(hx_status "$mine")" "attested problem"
h_assert_eq open "$(hx_status "$theirs" | cut -d/ -f1)" \
    "the other county's problem stays open"
h_assert_eq "G$s6" "$(hx_number 冯一 "$B1")" "attested record formal"
h_assert_eq imported "$(hx_state 冯一 "$A1")" "other side not approved"

# ---- id_dup_province: delete --------------------------------------------
keep=$(hx_problem 陈一 id_dup_province "$A1")
gone=$(hx_problem 陈一 id_dup_province "$B1")
h_run h_client school-b1 problems delete "$gone" --reason "never attended"
h_assert_eq 0 "$H_RC" "delete of an id_dup_province record: $H_ERR"
h_assert_eq "resolved/cleared" "$(hx_status "$keep")" \
    "other county's problem cleared by the delete"
h_assert_eq approved "$(hx_state 陈一 "$A1")" "other county's record enrolled"
h_assert_eq "G$s7" "$(hx_number 陈一 "$A1")" "other county's record formal"

# ---- id_dup_province: change --------------------------------------------
keep=$(hx_problem 褚一 id_dup_province "$A1")
wrong=$(hx_problem 褚一 id_dup_province "$B1")
h_run h_client school-b1 problems change "$wrong" --id-number "$s8_fixed" \
    --reason "registered with the Luoyang number" --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "change of an id_dup_province record: $H_ERR"
h_run h_client county-b review approve "$(hx_case "$wrong")"
h_assert_eq 0 "$H_RC" "approval of the id_dup_province change: $H_ERR"
h_assert_eq "resolved/changed" "$(hx_status "$wrong")" "changed side"
h_assert_eq "resolved/cleared" "$(hx_status "$keep")" \
    "other county's problem cleared by the approved change"

# ---- ngb_dup: delete ----------------------------------------------------
gone=$(hx_problem 卫一 ngb_dup "$A1")
keep=$(hx_problem 卫一 ngb_dup "$B1")
j_number=$(hx_number 卫一 "$B1")
h_run h_client school-a1 problems delete "$gone" --reason "not our pupil"
h_assert_eq 0 "$H_RC" "delete of an ngb_dup record: $H_ERR"
h_assert_eq "resolved/cleared" "$(hx_status "$keep")" \
    "ngb counterpart's problem cleared by the delete"
h_assert_eq approved "$(hx_state 卫一 "$B1")" "ngb counterpart enrolled"
h_assert_eq "$j_number" "$(hx_number 卫一 "$B1")" \
    "a student without resident ID keeps the J number"
h_assert_eq J "${j_number:0:1}" "J number before and after"

# ---- ngb_dup: attest ----------------------------------------------------
mine=$(hx_problem 蒋一 ngb_dup "$A2")
theirs=$(hx_problem 蒋一 ngb_dup "$A1")
h_run h_client school-a2 problems attest "$mine" \
    --reason "two girls of the same name and birthday" --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "attestation of an ngb_dup record: $H_ERR"
h_run h_client county-a review approve "$(hx_case "$mine")"
h_assert_eq 0 "$H_RC" "approval of the ngb_dup attestation: $H_ERR"
h_assert_eq "resolved/attested" "$(hx_status "$mine")" "attested ngb problem"
h_assert_eq open "$(hx_status "$theirs" | cut -d/ -f1)" \
    "the other school's ngb problem stays open"
h_assert_eq J "$(hx_number 蒋一 "$A2" | cut -c1)" "attested J number stays"

# ---- ngb_dup: change (a resident ID number is issued) -------------------
keep=$(hx_problem 沈一 ngb_dup "$A1")
wrong=$(hx_problem 沈一 ngb_dup "$B1")
j_number=$(hx_number 沈一 "$B1")
h_run h_client school-b1 problems change "$wrong" --id-type 1 \
    --id-number "$s10" --reason "resident ID issued" --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "change of an ngb_dup record: $H_ERR"
h_run h_client county-b review approve "$(hx_case "$wrong")"
h_assert_eq 0 "$H_RC" "approval of the ngb_dup change: $H_ERR"
h_assert_eq "resolved/changed" "$(hx_status "$wrong")" "changed ngb side"
h_assert_eq "resolved/cleared" "$(hx_status "$keep")" \
    "ngb counterpart cleared once both have resident IDs"
h_assert_eq "G$s10" "$(hx_number 沈一 "$B1")" "J number replaced by G"
h_assert_eq "$j_number,G$s10" \
    "$(h_psql "SELECT string_agg(student_number, ',' ORDER BY assigned_at)
               FROM student_number_history
               WHERE student_id = $(hx_student 沈一 "$B1")")" \
    "J and G numbers kept in the history"

# ---- id_invalid: change -------------------------------------------------
bad=$(hx_problem 韩一 id_invalid)
h_assert_eq check_digit "$(h_psql "SELECT detail FROM problem WHERE id = $bad")" \
    "id_invalid detail"
h_run h_client school-a1 problems change "$bad" --id-number "$inv1" \
    --reason "same number" --evidence "$ev/scan.jpg"
h_assert_eq 1 "$H_RC" "change to another invalid number is not sent"
h_assert_contains "$H_ERR" "wrong check digit" "client names the fault"
h_assert_eq "$bad" "$(hx_problem 韩一 id_invalid)" "problem still open"
# Valid numbers that contradict the record's gender or birth date: only
# the daemon has the record, so it rejects them before filing a case.
h_run h_client school-a1 problems change "$bad" \
    --id-number "$(hx_id 410102 20150311 022)" \
    --reason "typo" --evidence "$ev/scan.jpg"
h_assert_eq 1 "$H_RC" "change to a number of the other gender"
h_assert_contains "$H_ERR" "fail the ID number check" "gender mismatch message"
h_run h_client school-a1 problems change "$bad" \
    --id-number "$(hx_id 410102 20150411 011)" \
    --reason "typo" --evidence "$ev/scan.jpg"
h_assert_eq 1 "$H_RC" "change to a number of another birth date"
h_assert_contains "$H_ERR" "fail the ID number check" "birth mismatch message"
h_assert_eq "" "$(hx_case "$bad")" "no case filed for the rejected changes"
h_run h_client school-a1 problems change "$bad" --id-number "$s11" \
    --reason "check digit mistyped" --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "change of an id_invalid record: $H_ERR"
h_run h_client county-a review approve "$(hx_case "$bad")"
h_assert_eq 0 "$H_RC" "approval of the id_invalid change: $H_ERR"
h_assert_eq "resolved/changed" "$(hx_status "$bad")" "id_invalid changed"
h_assert_eq "" "$(h_psql "SELECT id_fault FROM student
                          WHERE id = $(hx_student 韩一)")" "fault cleared"
h_assert_eq "G$s11" "$(hx_number 韩一)" "corrected record formal"

# ---- id_invalid: delete -------------------------------------------------
bad=$(hx_problem 杨一 id_invalid)
h_run h_client school-a1 problems delete "$bad" --reason "duplicate sheet"
h_assert_eq 0 "$H_RC" "delete of an id_invalid record: $H_ERR"
h_assert_contains "$H_OUT" "1 problem registration was cleared" \
    "delete of a record without counterpart"
h_assert_eq "resolved/deleted" "$(hx_status "$bad")" "id_invalid deleted"

# ---- a deletion clears only the problems that stop holding --------------
# 甲一小's 孔一 shares its ID number with 孔二 and its name, gender and
# birth date with 乙一小's 孔一, who has no ID number. Deleting 孔二 ends
# the first pair only.
kong=$(hx_student 孔一 "$A1")
dup=$(hx_problem 孔一 id_dup_school)
ngb_mine=$(hx_problem 孔一 ngb_dup "$A1")
ngb_theirs=$(hx_problem 孔一 ngb_dup "$B1")
h_run h_client school-a1 problems delete "$(hx_problem 孔二 id_dup_school)" \
    --reason "entered twice"
h_assert_eq 0 "$H_RC" "delete of 孔二: $H_ERR"
h_assert_eq "resolved/cleared" "$(hx_status "$dup")" "shared ID problem cleared"
h_assert_eq "open/" "$(hx_status "$ngb_mine")" \
    "problem with a third record stays open"
h_assert_eq "open/" "$(hx_status "$ngb_theirs")" \
    "the third record's problem stays open"
h_assert_eq imported "$(hx_state 孔一 "$A1")" \
    "a record with a problem left is not enrolled"
h_assert_eq L "$(hx_number 孔一 "$A1" | cut -c1)" "and keeps its L number"
h_assert_eq 0 "$(hx_audit_count enrol_after_counterpart_delete "$kong")" \
    "no enrolment audited"

# ---- what is left -------------------------------------------------------
# Open: 郑一 at 甲二小, 冯一 at 甲一小 and 蒋一 at 甲一小, whose counterparts
# attested, and the 孔一 pair.
h_run h_client county-a --json problems
h_assert_eq 0 "$H_RC" "county problem list"
h_assert_eq "冯一,孔一,蒋一,郑一" \
    "$(h_json '",".join(sorted(p["name"] for p in data))' <<<"$H_OUT")" \
    "problems left in county 410102"
h_run h_client county-b --json problems
h_assert_eq "孔一" "$(h_json '",".join(p["name"] for p in data)' <<<"$H_OUT")" \
    "problems left in county 410302"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM handling_case
                        WHERE status = 'pending'")" "no case left pending"

# ---- checks of the list options and ids ---------------------------------
h_run h_client school-a1 problems --status closed
h_assert_eq 2 "$H_RC" "unknown status is a usage error"
h_assert_contains "$H_ERR" "unknown problem status \"closed\": use open, pending_review, rejected, resolved or all" \
    "unknown status message lists the statuses"
h_assert_contains "$H_ERR" "usage: xueji problems" "usage after the status"
h_run h_client school-a1 --json problems --status resolved
h_assert_eq 0 "$H_RC" "known status accepted: $H_ERR"
h_run h_client school-a1 problems cases 999999
h_assert_eq 1 "$H_RC" "cases of an unknown problem"
h_assert_contains "$H_ERR" "problem 999999 is not one of your school's problems" \
    "unknown problem message"
h_assert_not_contains "$H_OUT" "No cases filed." "no empty list for an unknown problem"

# ---- the table shows each record's school and student id ----------------
zheng_a2=$(hx_student 郑一 "$A2")
h_run h_client county-a problems
h_assert_eq 0 "$H_RC" "county problem table: $H_ERR"
header=$(grep -m1 '^ID ' <<<"$H_OUT")
h_assert_contains "$header" " School " "county table has a School column"
h_assert_contains "$header" " Student ID " "county table has a Student ID column"
row=$(grep -m1 "郑一" <<<"$H_OUT")
h_assert_contains "$row" " $zheng_a2 " "county row shows the student id"
h_assert_contains "$row" "甲二小" "county row shows the record's own school"
h_run h_client school-a2 problems
h_assert_eq 0 "$H_RC" "school problem table: $H_ERR"
header=$(grep -m1 '^ID ' <<<"$H_OUT")
h_assert_not_contains "$header" " School " "school table has no School column"
h_assert_contains "$header" " Student ID " "school table has a Student ID column"
row=$(grep -m1 "郑一" <<<"$H_OUT")
h_assert_contains "$row" " $zheng_a2 " "school row shows the student id"
h_run h_client county-a --json problems
h_assert_eq 甲二小 \
    "$(h_json "next(p['school_name'] for p in data if p['name'] == '郑一')" \
        <<<"$H_OUT")" "school name in the JSON list"
