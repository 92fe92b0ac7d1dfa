#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job end to end: five demo schools of three cities import their
# templates (UTF-8, UTF-8 with BOM and GB18030) over TLS, and each school's
# problem list shows every planted problem with its counterpart's school,
# county and telephone, and nothing else.
source "$(dirname "$0")/harness.sh"

h_init_db
demo="$H_TMP/demo"
"$PYTHON3" "$XUEJI_SOURCE_DIR/tests/data/gen_students.py" demo --province 41 \
    --outdir "$demo" >/dev/null
codes=()
while IFS=, read -r code name county phone _encoding _file; do
    [[ $code == code ]] && continue
    h_add_school "$code" "$name" "$county" "$phone"
    h_add_account "school-$code" "$code" school
    codes+=("$code")
done <"$demo/schools.csv"
h_start_server

for code in "${codes[@]}"; do
    h_run h_client "school-$code" import --accept-invalid-ids "$demo/$code.csv"
    # Rows with destroyed ID numbers are planted in one file: exit 1 there.
    [[ $H_RC -eq 0 || $H_RC -eq 1 ]] ||
        h_fail "import of $code.csv exited $H_RC: $H_ERR"
    h_assert_contains "$H_OUT" "Imported" "import summary of $code"
done

# The file with scientific notation and truncated ID numbers names them.
h_run h_client "school-1411727001" check "$demo/1411727001.csv"
h_assert_eq 1 "$H_RC" "check of the file with destroyed ID numbers"
for fault in scientific_notation excel_precision_loss; do
    line=$("$PYTHON3" -c 'import json, sys
faults = json.load(open(sys.argv[1]))["files"]["1411727001.csv"]["format_faults"]
print(next(f["line"] for f in faults if f["fault"] == sys.argv[2]))' \
        "$demo/expected.json" "$fault")
    h_assert_contains "$H_ERR" "1411727001.csv:$line: 身份证件号: error" "$fault row"
done
h_assert_contains "$H_ERR" "normalised" "normalisations are reported"

mkdir -p "$H_TMP/lists"
for code in "${codes[@]}"; do
    h_client "school-$code" --json problems >"$H_TMP/lists/$code.json"
done
"$PYTHON3" "$(dirname "$0")/check_demo.py" "$demo" "$H_TMP/lists"

# The human table shows the counterpart and the suggested handling.
h_run h_client school-1410503001 problems
h_assert_eq 0 "$H_RC" "problem table"
h_assert_contains "$H_OUT" "北关区育才小学" "counterpart school in the table"
h_assert_contains "$H_OUT" "Suggested handling" "handling legend"

# Filters.
h_run h_client school-1410503001 --json problems --kind id_dup_school
h_assert_eq 2 "$(h_json 'len(data)' <<<"$H_OUT")" "kind filter"
h_run h_client school-1410503001 problems --kind no_such_kind
h_assert_eq 2 "$H_RC" "unknown kind is a usage error"
h_run h_client school-1410503001 --json problems --status resolved
h_assert_eq 0 "$(h_json 'len(data)' <<<"$H_OUT")" "nothing resolved yet"

# ID numbers reach the log only masked.
for id in $("$PYTHON3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(p["id_number"] for f in d["files"].values()
               for p in f["problems"] if p["id_number"]))' "$demo/expected.json"); do
    h_assert_not_contains "$(cat "$H_TMP/xuejid.log")" "$id" "full ID number in the log"
done
