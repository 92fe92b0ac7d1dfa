#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Evidence files: the type is judged by content (a PNG named .jpg is
# accepted and recorded as PNG, a text file named .doc is rejected with
# the detected type), files over 2 MiB are rejected and one of exactly
# 2 MiB is accepted, the same content is stored once whichever school
# uploads it, and xueji evidence get returns identical bytes to those who
# may see the file and nothing to others.
source "$(dirname "$0")/harness.sh"
source "$(dirname "$0")/handling_lib.sh"

hx_setup
ev="$HX_EVIDENCE"
A1=4101020001 B1=4103020001

# A JPEG of exactly evidence_max_size (2 MiB), and a RAR archive.
"$PYTHON3" -c 'import struct, sys
head = b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
size = 2 * 1024 * 1024
sys.stdout.buffer.write(head + bytes(size - len(head) - 2) + b"\xff\xd9")' \
    >"$ev/max.jpg"
h_assert_eq 2097152 "$(stat -c %s "$ev/max.jpg")" "size of max.jpg"
{ printf 'Rar!\x1a\x07\x00'; head -c 256 /dev/zero; } >"$ev/archive.rar"
: >"$ev/empty.jpg"

ids=()
rows_a=()
for n in 1 2 3 4; do
    ids[n]=$(hx_id 410102 2015060$n 011)
    rows_a+=("$(hx_row "孙$n" 1 "2015060$n" 1 "${ids[n]}")")
done
hx_csv "$H_TMP/a1.csv" "${rows_a[@]}"
hx_import school-a1 "$H_TMP/a1.csv"
hx_import school-b1 "$H_TMP/a1.csv"
p1=$(hx_problem 孙1 id_dup_province "$A1")
p2=$(hx_problem 孙2 id_dup_province "$A1")
p3=$(hx_problem 孙3 id_dup_province "$A1")
p4=$(hx_problem 孙1 id_dup_province "$B1")

# ---- type by content ----------------------------------------------------
h_run h_client school-a1 problems attest "$p1" --reason "ours" \
    --evidence "$ev/png-named.jpg"
h_assert_eq 0 "$H_RC" "PNG named .jpg accepted: $H_ERR"
png_id=$(h_psql "SELECT id FROM evidence WHERE file_name = 'png-named.jpg'")
h_assert_contains "$H_OUT" "Uploaded $ev/png-named.jpg (73 bytes) as evidence $png_id, detected type image/png." \
    "upload output names the detected type"
h_assert_eq "image/png|73" "$(h_psql "SELECT detected_type || '|' || size
                                     FROM evidence WHERE id = $png_id")" \
    "recorded as PNG"
case1=$(hx_case "$p1")
h_run h_client county-a --json review show "$case1"
listed=$(h_json 'json.dumps(data["evidence"][0])' <<<"$H_OUT")
h_assert_eq png-named.jpg "$(h_json 'data["file_name"]' <<<"$listed")" \
    "case shows the file name"
h_assert_eq image/png "$(h_json 'data["detected_type"]' <<<"$listed")" \
    "case shows the detected type"
h_assert_eq 73 "$(h_json 'data["size"]' <<<"$listed")" "case shows the size"
h_assert_eq "$(sha256sum "$ev/png-named.jpg" | cut -d' ' -f1)" \
    "$(h_json 'data["sha256"]' <<<"$listed")" "case shows the SHA-256"

h_run h_client school-a1 problems attest "$p3" --reason "ours" \
    --evidence "$ev/text-named.doc"
h_assert_eq 1 "$H_RC" "text named .doc rejected"
h_assert_contains "$H_ERR" "evidence file text-named.doc is text/plain, which is not an accepted type" \
    "message names the detected type"
h_assert_contains "$H_ERR" "upload a Word document (.doc, .docx), a RAR archive, a JPEG or a PNG image" \
    "hint lists the accepted types"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM evidence
                        WHERE file_name = 'text-named.doc'")" "text not stored"
h_assert_contains "$(cat "$H_TMP/xuejid.log")" \
    'evidence upload rejected upload_id=' "rejected type logged"
h_assert_contains "$(cat "$H_TMP/xuejid.log")" 'type="text/plain"' \
    "log names the detected type"

# One bad file among good ones: nothing is filed.
h_run h_client school-a1 problems attest "$p3" --reason "ours" \
    --evidence "$ev/scan.jpg" --evidence "$ev/text-named.doc"
h_assert_eq 1 "$H_RC" "good and bad file together"
h_assert_contains "$H_ERR" "text-named.doc is text/plain" "bad file named"
h_assert_eq "open/" "$(hx_status "$p3")" "problem stays open"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM handling_case
                        WHERE problem_id = $p3")" "no case filed"

# ---- size limit ---------------------------------------------------------
h_run h_client school-a1 problems attest "$p3" --reason "ours" \
    --evidence "$ev/big.jpg"
h_assert_eq 1 "$H_RC" "file over 2 MiB rejected"
h_assert_contains "$H_ERR" "evidence file big.jpg has $(stat -c %s "$ev/big.jpg") bytes, more than evidence_max_size 2097152 bytes" \
    "size message"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM evidence
                        WHERE file_name = 'big.jpg'")" "big file not stored"

h_run h_client school-a1 --json problems attest "$p3" --reason "ours" \
    --evidence "$ev/max.jpg" --evidence "$ev/letter.docx" \
    --evidence "$ev/archive.rar"
h_assert_eq 0 "$H_RC" "2 MiB, Word and RAR files accepted: $H_ERR"
h_assert_eq 3 "$(h_json 'len(data["evidence_ids"])' <<<"$H_OUT")" \
    "three evidence ids in the reply"
docx=application/vnd.openxmlformats-officedocument.wordprocessingml.document
for expected in "max.jpg image/jpeg" "letter.docx $docx" \
                "archive.rar application/x-rar"; do
    read -r file type <<<"$expected"
    h_assert_eq "$type" \
        "$(h_psql "SELECT e.detected_type FROM case_evidence ce
                   JOIN evidence e ON e.id = ce.evidence_id
                   WHERE ce.case_id = $(hx_case "$p3")
                     AND e.file_name = '$file'")" \
        "type of $file detected by content"
done

# ---- the same content is stored once -----------------------------------
h_run h_client school-a1 problems attest "$p2" --reason "ours" \
    --evidence "$ev/png.png"
h_assert_eq 0 "$H_RC" "second upload of the same PNG: $H_ERR"
h_assert_contains "$H_OUT" "$ev/png.png is already stored as evidence $png_id (image/png); nothing was sent." \
    "same content recognised"
h_assert_eq 1 "$(h_psql "SELECT count(*) FROM evidence
                        WHERE sha256 = decode('$(sha256sum "$ev/png.png" |
                                                 cut -d' ' -f1)', 'hex')")" \
    "PNG stored once"
h_assert_eq "$png_id" "$(h_psql "SELECT evidence_id FROM case_evidence
                                WHERE case_id = $(hx_case "$p2")")" \
    "second case points at the stored file"

scan_id=$(h_psql "SELECT id FROM evidence WHERE file_name = 'scan.jpg'")
h_run h_client school-b1 problems attest "$p4" --reason "ours" \
    --evidence "$ev/scan.jpg"
h_assert_eq 0 "$H_RC" "other school uploads the same scan: $H_ERR"
# Another school's file is sent in full: knowing its hash is not enough.
h_assert_not_contains "$H_OUT" "already stored as evidence" \
    "another school's file is not taken by its hash"
h_assert_eq "$scan_id" "$(h_psql "SELECT evidence_id FROM case_evidence
                                 WHERE case_id = $(hx_case "$p4")")" \
    "stored once across schools"
h_assert_eq 1 "$(h_psql "SELECT count(*) FROM evidence
                        WHERE file_name = 'scan.jpg'")" "one row for the scan"
h_assert_eq "$A1 $B1" "$(h_psql "SELECT string_agg(o.code, ' ' ORDER BY o.code)
                                FROM evidence_owner eo
                                JOIN organisation o ON o.id = eo.org_id
                                WHERE eo.evidence_id = $scan_id")" \
    "both schools own the scan"

# ---- download -----------------------------------------------------------
h_run h_client county-a evidence get "$png_id" -o "$H_TMP/got.png"
h_assert_eq 0 "$H_RC" "county downloads the PNG: $H_ERR"
h_assert_contains "$H_OUT" "Wrote $H_TMP/got.png: evidence $png_id \"png-named.jpg\", image/png, 73 bytes, SHA-256 verified." \
    "download output"
cmp -s "$ev/png-named.jpg" "$H_TMP/got.png" || h_fail "PNG bytes differ"

max_id=$(h_psql "SELECT id FROM evidence WHERE file_name = 'max.jpg'")
h_run h_client county-a evidence get "$max_id" -o "$H_TMP/got-max.jpg"
h_assert_eq 0 "$H_RC" "download of the 2 MiB file in chunks: $H_ERR"
cmp -s "$ev/max.jpg" "$H_TMP/got-max.jpg" || h_fail "2 MiB file bytes differ"

rar_id=$(h_psql "SELECT id FROM evidence WHERE file_name = 'archive.rar'")
h_run h_client school-a1 --json evidence get "$rar_id" -o "$H_TMP/got.rar"
h_assert_eq 0 "$H_RC" "uploading school downloads its file: $H_ERR"
h_assert_eq "application/x-rar 263" \
    "$(h_json '" ".join([data["detected_type"], str(data["size"])])' <<<"$H_OUT")" \
    "download reply in JSON"
cmp -s "$ev/archive.rar" "$H_TMP/got.rar" || h_fail "RAR bytes differ"

h_run h_client county-a evidence get "$png_id" -o "$H_TMP/got-max.jpg"
h_assert_eq 2 "$H_RC" "existing output file"
h_assert_contains "$H_ERR" "exists; choose another name or add --force" \
    "existing output message"
cmp -s "$ev/max.jpg" "$H_TMP/got-max.jpg" || h_fail "existing file was changed"
h_run h_client county-a evidence get "$png_id" -o "$H_TMP/got-max.jpg" --force
h_assert_eq 0 "$H_RC" "replacing with --force: $H_ERR"
cmp -s "$ev/png-named.jpg" "$H_TMP/got-max.jpg" || h_fail "replaced bytes differ"

# Only the uploading schools and the counties of the cases see a file.
h_run h_client county-b evidence get "$scan_id" -o "$H_TMP/scan-b.jpg"
h_assert_eq 0 "$H_RC" "county of a case with the file downloads it: $H_ERR"
cmp -s "$ev/scan.jpg" "$H_TMP/scan-b.jpg" || h_fail "scan bytes differ"
for user in county-b school-a2; do
    h_run h_client "$user" evidence get "$rar_id" -o "$H_TMP/$user.rar"
    h_assert_eq 1 "$H_RC" "$user may not download another county's file"
    h_assert_contains "$H_ERR" "evidence $rar_id is not a file you may see" \
        "refusal message for $user"
    [[ ! -e "$H_TMP/$user.rar" ]] || h_fail "$user got an output file"
done
h_run h_client county-a evidence get 99999 -o "$H_TMP/none"
h_assert_eq 1 "$H_RC" "unknown evidence id"
h_assert_contains "$H_ERR" "evidence 99999 is not a file you may see" \
    "unknown id reads like a refusal"

h_run h_client county-a evidence get "$png_id" -o "$H_TMP/no-such-dir/got.png"
h_assert_eq 1 "$H_RC" "output in a missing directory is a local failure"
h_assert_contains "$H_ERR" "$H_TMP/no-such-dir/got.png: No such file or directory" \
    "missing directory message names the path and the reason"
h_assert_contains "$(cat "$H_TMP/xuejid.log")" "evidence stored evidence=$png_id conn=" \
    "stored evidence logged with its id"
h_assert_contains "$(cat "$H_TMP/xuejid.log")" \
    "evidence=99999 message=\"evidence 99999 is not a file you may see" \
    "refused download logged with the evidence id"

# ---- checks before anything is sent -------------------------------------
h_run h_client school-a1 problems attest "$p3" --reason "ours"
h_assert_eq 2 "$H_RC" "attestation without evidence"
h_assert_contains "$H_ERR" "give at least one --evidence file" \
    "evidence required"
h_run h_client school-a1 problems attest "$p3" --reason "ours" \
    --evidence "$ev/empty.jpg"
h_assert_eq 2 "$H_RC" "empty evidence file"
h_assert_contains "$H_ERR" "$ev/empty.jpg is empty" "empty file message"
h_run h_client school-a1 problems attest "$p3" --reason "ours" \
    --evidence "$ev/missing.jpg"
h_assert_eq 2 "$H_RC" "missing evidence file"
h_assert_contains "$H_ERR" "cannot open $ev/missing.jpg" "missing file message"
many=()
for _ in $(seq 1 21); do
    many+=(--evidence "$ev/png.png")
done
h_run h_client school-a1 problems attest "$p3" --reason "ours" "${many[@]}"
h_assert_eq 2 "$H_RC" "21 evidence files"
h_assert_contains "$H_ERR" "at most 20 evidence files per case" \
    "evidence count limit"
