#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The client sizes import batches to the server's max_batch_rows, which
# the server announces in its hello reply, whatever --batch-size is set to.
source "$(dirname "$0")/harness.sh"

h_init_db
printf 'max_batch_rows = 7\n' >>"$H_TMP/xuejid.conf"
h_add_school 4101020001 "限额一小" 410102 0371-60000001
h_add_account school1 4101020001 school
h_start_server

gen="$XUEJI_SOURCE_DIR/tests/data/gen_students.py"
"$PYTHON3" "$gen" bulk --province 41 --count 50 --seed 12 --out "$H_TMP/small.csv"
h_run h_client school1 --json import "$H_TMP/small.csv"
h_assert_eq 0 "$H_RC" "import with the default batch size: $H_ERR"
h_assert_eq 50 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" \
    "every row stored in batches of 7"
h_assert_eq 8 "$(h_psql "SELECT count(*) FROM audit_log WHERE action = 'import'")" \
    "one audited batch per 7 rows"
h_assert_not_contains "$(cat "$H_TMP/xuejid.log")" "a batch must have" \
    "no batch over the limit reached the server"

# A county has 999 J numbers per birth date. The batch that would need a
# 1,000th is refused with a message that names the county and the date.
"$PYTHON3" - "$H_TMP/many.csv" <<'PY'
import sys
chars = "安白陈丁方高郭韩何胡黄江金李林刘马孟钱秦沈宋孙唐王吴徐许杨叶张赵"
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("姓名,性别,出生日期,身份证件类型,身份证件号,国籍/地区,民族,"
              "年级,班级,入学年月\n")
    for i in range(1000):
        name = chars[i // len(chars)] + chars[i % len(chars)] + "华"
        out.write(f"{name},1,20150601,Z,,CHN,01,三年级,1班,202409\n")
    for i in range(3):
        out.write(f"{chars[i]}晨,1,20150602,Z,,CHN,01,三年级,1班,202409\n")
PY
h_run h_client school1 import --batch-size 1000 "$H_TMP/many.csv"
h_assert_eq 1 "$H_RC" "import past the 999th J number"
h_assert_contains "$H_ERR" \
    "no J student number is left for county 410102 and birth date 20150601" \
    "the refusal names the county and the date"
# Batches of 7 rows: the 142 before it contain 994 rows and are stored.
# The rejected batch contains rows 995 to 1001. The batch after it, in
# flight at the rejection, contains the last two rows, born on another
# day. It is stored, and the client counts it.
h_assert_eq 994 "$(h_psql "SELECT count(*) FROM student
                           WHERE birth_date = '2015-06-01'")" \
    "nothing of the refused batch stored"
h_assert_eq 2 "$(h_psql "SELECT count(*) FROM student
                         WHERE birth_date = '2015-06-02'")" \
    "the batch in flight after the refused one stored"
h_assert_contains "$H_ERR" "996 of 1003 rows were stored" \
    "client counts what was stored"

# A county and birth date have 10,000 L numbers. With all of them taken,
# the batch that needs another is rejected with a message that names the
# county and the date, after a bounded number of draws, instead of
# drawing for ever while it holds the duplicate-check locks.
school=$(h_psql "SELECT id FROM organisation WHERE code = '4101020001'")
h_psql "INSERT INTO student (school_id, import_key, name, gender, birth_date,
            id_type, nationality, ethnicity, grade, class_name, enrol_month,
            student_number)
        SELECT $school, md5('full' || n), '满号' || n, '1', '2015-05-01', '1',
               'CHN', '01', '三年级', '1班', '202409',
               'L41010220150501' || lpad(n::text, 4, '0')
        FROM generate_series(0, 9999) AS n" >/dev/null
"$PYTHON3" - "$H_TMP/full.csv" <<'PY'
import sys
body = "41010220150501123"
weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("姓名,性别,出生日期,身份证件类型,身份证件号,国籍/地区,民族,"
              "年级,班级,入学年月\n")
    out.write(f"满一,1,20150501,1,{body}{check},CHN,01,三年级,1班,202409\n")
PY
h_run timeout 120 env XUEJI_PASSWORD="$H_PASSWORD" HOME="$H_TMP" "$XUEJI" \
    --server "127.0.0.1:$H_PORT" --ca "$H_CERTS/ca.pem" --user school1 \
    import "$H_TMP/full.csv"
h_assert_eq 1 "$H_RC" "import with no L number left"
h_assert_contains "$H_ERR" \
    "no L student number is left for county 410102 and birth date 20150501" \
    "the rejection names the county and the date"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM student WHERE name = '满一'")" \
    "nothing of the rejected batch stored"
