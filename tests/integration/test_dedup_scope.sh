#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The duplicate check recomputes only the pairs whose two records it
# reads. A record in two pairs, one by ID number and one by name, gender
# and birth date, keeps both problems when a third school imports its ID
# number. A batch with no new rows changes no problem.
source "$(dirname "$0")/harness.sh"

h_init_db
h_add_school 4101020001 郑州市第一实验小学 410102 0371-60000001
h_add_school 4101020002 郑州市第二实验小学 410102 0371-60000002
h_add_school 4101030001 郑州市二七区实验小学 410103 0371-60000003
for code in 4101020001 4101020002 4101030001; do
    h_add_account "school-$code" "$code" school
done
h_start_server

# A resident ID number with its MOD 11-2 check character.
id_number() {
    "$PYTHON3" -c 'import sys
body = sys.argv[1]
total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
print(body + "10X98765432"[total % 11])' "$1"
}

header="姓名,性别,出生日期,身份证件类型,身份证件号,国籍/地区,民族,年级,班级,入学年月"
shared_id=$(id_number 41010220150304201)

# School 1: a student without a resident ID number (passport).
printf '%s\n%s\n' "$header" \
    "张明远,1,20150304,A,E12345678,CHN,01,三年级,1班,202109" >"$H_TMP/one.csv"
# School 2: the same name, gender and birth date, with a resident ID.
printf '%s\n%s\n' "$header" \
    "张明远,1,20150304,1,$shared_id,CHN,01,三年级,2班,202109" >"$H_TMP/two.csv"
# School 3, another county: the same ID number under another name.
printf '%s\n%s\n' "$header" \
    "李子涵,1,20150304,1,$shared_id,CHN,01,三年级,3班,202109" >"$H_TMP/three.csv"

h_run h_client school-4101020001 import "$H_TMP/one.csv"
h_assert_eq 0 "$H_RC" "import of school 1"
h_run h_client school-4101020002 import "$H_TMP/two.csv"
h_assert_eq 0 "$H_RC" "import of school 2"

open_kinds() {
    h_psql "SELECT coalesce(string_agg(p.kind, ',' ORDER BY p.kind), '')
            FROM problem p JOIN student s ON s.id = p.student_id
            JOIN organisation o ON o.id = s.school_id
            WHERE o.code = '$1' AND p.status <> 'resolved'"
}
h_assert_eq ngb_dup "$(open_kinds 4101020001)" "school 1 after school 2"
h_assert_eq ngb_dup "$(open_kinds 4101020002)" "school 2 after school 2"

h_run h_client school-4101030001 import "$H_TMP/three.csv"
h_assert_eq 0 "$H_RC" "import of school 3"
h_assert_eq ngb_dup "$(open_kinds 4101020001)" "school 1 keeps its problem"
h_assert_eq id_dup_province,ngb_dup "$(open_kinds 4101020002)" \
    "school 2 keeps ngb_dup and gains id_dup_province"
h_assert_eq id_dup_province "$(open_kinds 4101030001)" "school 3"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM problem WHERE status = 'resolved'")" \
    "no problem was cleared"

# Importing the same file again stores nothing and clears nothing.
h_run h_client school-4101030001 import "$H_TMP/three.csv"
h_assert_eq 0 "$H_RC" "import of school 3 again"
h_assert_eq 4 "$(h_psql "SELECT count(*) FROM problem WHERE status = 'open'")" \
    "open problems after the second import"
h_assert_eq 3 "$(h_psql "SELECT count(*) FROM student")" "students stored once"

# Of two records with the same L number, the later one draws again, and
# the number that draws again is checked against every other record.
first=$(h_psql "SELECT min(id) FROM student WHERE id_type = '1'")
second=$(h_psql "SELECT max(id) FROM student WHERE id_type = '1'")
numbers=$(h_psql "BEGIN;
    UPDATE student SET student_number = 'L4101022015030400' || id
    WHERE id IN ($first, $second);
    UPDATE student SET student_number = (SELECT student_number FROM student
                                         WHERE id = $first)
    WHERE id = $second;
    SELECT student_number_refresh(ARRAY[$second, $first]);
    SELECT count(DISTINCT student_number) || ' '
           || bool_and(student_number = 'L4101022015030400' || $first)
                  FILTER (WHERE id = $first)
    FROM student WHERE id IN ($first, $second);
    COMMIT;" | tail -n 1)
h_assert_eq "2 true" "$numbers" "colliding L number drawn again"

# A county has 999 J numbers per birth date; the next one is an error
# that names the county and the date, not a repeat of an earlier number.
passport=$(h_psql "SELECT id FROM student WHERE id_type = 'A'")
h_assert_eq J410102201503040 \
    "$(h_psql "SELECT left(student_number, 16) FROM student WHERE id = $passport")" \
    "J number of the passport holder"
h_run h_psql "BEGIN;
    UPDATE student SET student_number = 'J41010220150304999'
                       || mod112_check('41010220150304999')
    WHERE id = $passport;
    INSERT INTO student (school_id, import_key, name, gender, birth_date,
                         id_type, id_number, nationality, ethnicity, grade,
                         class_name, enrol_month)
    SELECT school_id, md5('overflow'), '王小二', gender, birth_date, 'A',
           'E99999999', nationality, ethnicity, grade, class_name,
           enrol_month
    FROM student WHERE id = $passport;
    SELECT student_number_refresh(ARRAY[currval('student_id_seq')]);
    ROLLBACK;"
h_assert_eq 1 "$H_RC" "refresh past sequence 999 fails"
h_assert_contains "$H_ERR" \
    "no J student number is left for county 410102 and birth date 20150304" \
    "overflow message"
