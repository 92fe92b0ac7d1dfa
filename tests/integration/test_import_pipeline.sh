#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Batches stored side by side. The daemon copies a batch's rows before it
# takes the duplicate-check locks, so the next batch of a connection is
# copied while the previous one is checked. Checked here: a duplicate
# split across two such batches is found on both sides, two registrars of
# one school importing the same file at once store every row once, and an
# import writes no number history while xueji history shows the number.
source "$(dirname "$0")/harness.sh"

h_init_db
h_add_school 4101020001 "并行一小" 410102 0371-60000001
h_add_school 4101020002 "并行二小" 410102 0371-60000002
h_add_account school1 4101020001 school
h_add_account school1b 4101020001 school
h_add_account school2 4101020002 school
h_start_server

gen="$XUEJI_SOURCE_DIR/tests/data/gen_students.py"
"$PYTHON3" "$gen" bulk --province 41 --count 2000 --seed 21 --out "$H_TMP/pool.csv"

# Ten students with a resident ID and two without, each twice in a row.
# With one row per batch, the two records of a student are in batches
# that the daemon stores at the same time.
{
    head -n 1 "$H_TMP/pool.csv"
    for row in $(awk -F, 'NR > 1 && $5 != "" && n++ < 10 { print NR }' "$H_TMP/pool.csv") \
               $(awk -F, 'NR > 1 && $5 == "" && n++ < 2 { print NR }' "$H_TMP/pool.csv"); do
        sed -n "${row}p;${row}p" "$H_TMP/pool.csv"
    done
} >"$H_TMP/pairs.csv"
h_assert_eq 25 "$(wc -l <"$H_TMP/pairs.csv")" "test file has 12 pairs"

h_run h_client school1 --json import --batch-size 1 "$H_TMP/pairs.csv"
h_assert_eq 0 "$H_RC" "import of the pairs: $H_ERR"
h_assert_eq 24 "$(h_json 'data["import"]["created"]' <<<"$H_OUT")" "24 records"
h_assert_eq 24 "$(h_json 'data["import"]["problems_created"]' <<<"$H_OUT")" \
    "a problem on each side of each pair"
h_assert_eq 20 "$(h_psql "SELECT count(*) FROM problem WHERE kind = 'id_dup_school'
                          AND status = 'open'")" "ID pairs found across batches"
h_assert_eq 4 "$(h_psql "SELECT count(*) FROM problem WHERE kind = 'ngb_dup'
                         AND status = 'open'")" "name/gender/birth pairs found"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM problem p JOIN student s
                         ON s.id = p.student_id JOIN student c
                         ON c.id = p.counterpart_id
                         WHERE s.name <> c.name")" "each problem names its twin"

# Every record has its number, J for the students without a resident ID,
# and no history row: the number on the record is its only one.
h_assert_eq "20 4" "$(h_psql "SELECT count(*) FILTER (WHERE student_number LIKE 'L%')
                              || ' ' ||
                              count(*) FILTER (WHERE student_number LIKE 'J%')
                              FROM student")" "L and J numbers"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM student_number_history")" \
    "an import writes no number history"
first=$(h_psql "SELECT id || ' ' || student_number FROM student ORDER BY id LIMIT 1")
h_run h_client school1 --json history "${first%% *}"
h_assert_eq 0 "$H_RC" "history: $H_ERR"
h_assert_eq "${first#* }" "$(h_json '",".join(data["student_numbers"])' <<<"$H_OUT")" \
    "history shows the number the record was imported with"

# Two registrars of one school import the same file at the same moment:
# each row is stored once, and both imports end without an error.
"$PYTHON3" "$gen" bulk --province 41 --count 600 --seed 22 --out "$H_TMP/same.csv"
h_client school1 --json import --batch-size 50 "$H_TMP/same.csv" \
    >"$H_TMP/a.json" 2>"$H_TMP/a.err" &
pid_a=$!
h_client school1b --json import --batch-size 50 "$H_TMP/same.csv" \
    >"$H_TMP/b.json" 2>"$H_TMP/b.err" &
pid_b=$!
rc_a=0 rc_b=0
wait "$pid_a" || rc_a=$?
wait "$pid_b" || rc_b=$?
h_assert_eq 0 "$rc_a" "first registrar: $(tail -n 3 "$H_TMP/a.err")"
h_assert_eq 0 "$rc_b" "second registrar: $(tail -n 3 "$H_TMP/b.err")"
h_assert_eq 600 "$(( $(h_json 'data["import"]["created"]' <"$H_TMP/a.json") +
                    $(h_json 'data["import"]["created"]' <"$H_TMP/b.json") ))" \
    "the two imports created each row once between them"
h_assert_eq 624 "$(h_psql "SELECT count(*) FROM student")" "no row stored twice"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM (SELECT import_key FROM student
                         GROUP BY school_id, import_key HAVING count(*) > 1) d")" \
    "import keys unique"

# Another school imports 300 of those students, with their resident IDs:
# each pair across the two schools is a duplicate inside the county.
awk -F, 'NR > 1 && $5 != "" && n++ < 300' "$H_TMP/same.csv" >"$H_TMP/shared.rows"
{ head -n 1 "$H_TMP/same.csv"; cat "$H_TMP/shared.rows"; } >"$H_TMP/shared.csv"
h_run h_client school2 --json import --batch-size 40 "$H_TMP/shared.csv"
h_assert_eq 0 "$H_RC" "second school: $H_ERR"
h_assert_eq 600 "$(h_json 'data["import"]["problems_created"]' <<<"$H_OUT")" \
    "300 pairs with the first school, a problem on each side"
h_assert_eq 600 "$(h_psql "SELECT count(*) FROM problem WHERE kind = 'id_dup_county'
                           AND status = 'open'")" "county duplicates"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM (SELECT student_number FROM student
                         GROUP BY 1 HAVING count(*) > 1) d")" "numbers unique"
# import_candidates picks a new record whose L number another record
# holds, and one whose ID number failed a check, and leaves out a plain
# one (no row, so an empty first value).
plain=$(h_psql "SELECT max(id) FROM student s WHERE id_type = '1'
                AND NOT EXISTS (SELECT 1 FROM problem p WHERE p.student_id = s.id)")
taken=$(h_psql "SELECT min(id) FROM student WHERE student_number LIKE 'L%'")
h_assert_eq "|true false|false true" "$(h_psql "BEGIN;
    SELECT string_agg(dup || ' ' || renumber, '|' ORDER BY student_id)
    FROM import_candidates(ARRAY[$plain]);
    UPDATE student SET id_fault = 'check_digit' WHERE id = $plain;
    SELECT string_agg(dup || ' ' || renumber, '|' ORDER BY student_id)
    FROM import_candidates(ARRAY[$plain]);
    UPDATE student SET id_fault = '', student_number =
        (SELECT student_number FROM student WHERE id = $taken)
    WHERE id = $plain;
    SELECT string_agg(dup || ' ' || renumber, '|' ORDER BY student_id)
    FROM import_candidates(ARRAY[$plain]);
    ROLLBACK;" | paste -sd '|')" "candidates: none, invalid ID, taken number"

# Two schools of one county import students born on three days, so that
# about one L number in ten is taken by a stored record and is drawn again
# while the other school's batches are in flight. Numbers drawn again
# stay apart from those batches too: no batch waits for another at commit,
# which PostgreSQL would end as a deadlock.
h_add_school 4101020003 "并行三小" 410102 0371-60000003
h_add_account school3 4101020003 school
"$PYTHON3" - "$H_TMP/dense" <<'PY'
import random
import sys

weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
header = "姓名,性别,出生日期,身份证件类型,身份证件号,国籍/地区,民族,年级,班级,入学年月"
random.seed(23)
bodies = [region + "201503%02d" % day + "%03d" % sequence
          for region in ("410102", "410103") for day in (1, 2, 3)
          for sequence in range(1000)]
random.shuffle(bodies)
for part in (0, 1):
    with open("%s%d.csv" % (sys.argv[1], part + 1), "w", encoding="utf-8") as out:
        out.write(header + "\n")
        for body in bodies[part * 1500:(part + 1) * 1500]:
            check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
            gender = "1" if int(body[-1]) % 2 else "2"
            out.write("密%s,%s,%s,1,%s%s,CHN,01,三年级,1班,202209\n"
                      % (body[-4:], gender, body[6:14], body, check))
PY
h_client school1 --json import --batch-size 100 "$H_TMP/dense1.csv" \
    >"$H_TMP/d1.json" 2>"$H_TMP/d1.err" &
pid_a=$!
h_client school3 --json import --batch-size 100 "$H_TMP/dense2.csv" \
    >"$H_TMP/d2.json" 2>"$H_TMP/d2.err" &
pid_b=$!
rc_a=0 rc_b=0
wait "$pid_a" || rc_a=$?
wait "$pid_b" || rc_b=$?
h_assert_eq 0 "$rc_a" "dense import of school 1: $(tail -n 3 "$H_TMP/d1.err")"
h_assert_eq 0 "$rc_b" "dense import of school 3: $(tail -n 3 "$H_TMP/d2.err")"
h_assert_eq 3000 "$(h_psql "SELECT count(*) FROM student
                            WHERE birth_date BETWEEN '2015-03-01' AND '2015-03-03'")" \
    "every dense row stored"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM (SELECT student_number FROM student
                         GROUP BY 1 HAVING count(*) > 1) d")" "dense numbers unique"
h_assert_not_contains "$(cat "$H_TMP/xuejid.log")" "import batch conflict" \
    "no batch met a deadlock"

if grep -q "import statement failed" "$H_TMP/xuejid.log"; then
    h_fail "the daemon logged a failed import statement"
fi
