#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The quick start's tour of problem handling, run against the demo
# province: the first demo school deletes one record of a duplicate
# inside the school, changes an invalid ID number to the right one, and
# attests a duplicate with another county; its county approves the change
# and the attestation. It handles only open problems of the demo files and
# approves only the cases it filed itself, and it runs once: a second run
# finds STATE_DIR/tour.done and prints the school's problems instead.
#
#   deploy/tour.sh STATE_DIR SCHOOL_CODE COUNTY_CODE
set -euo pipefail

state=$1
school=$2
county=$3
top=$(cd "$(dirname "$0")/.." && pwd)
xueji="$top/build/client/xueji"
export XUEJI_CONFIG="$state/xueji.conf"

# Prints the id of the first open problem of a kind, or nothing.
first_open() {
    "$xueji" --user "school-$school" --json problems --kind "$1" \
        --status open |
        python3 -c 'import json, sys
rows = json.load(sys.stdin)
print(rows[0]["id"] if rows else "")'
}

# Prints a title and a command that can be pasted (arguments with spaces
# in double quotes), then runs the command.
step() {
    local arg line=""
    for arg in "${@:2}"; do
        [[ $arg == *" "* ]] && arg="\"$arg\""
        line+="${line:+ }$arg"
    done
    printf '\n-- %s\n$ %s\n' "$1" "$line"
    "${@:2}"
}

if [[ -e $state/tour.done ]]; then
    printf '\n-- The tour ran before (%s); the school'"'"'s problems now\n' \
        "$state/tour.done"
    "$xueji" --user "school-$school" problems --status all
    exit 0
fi

mkdir -p "$state/evidence"
python3 "$top/tests/integration/make_evidence.py" "$state/evidence"

problem=$(first_open id_dup_school)
if [[ -n $problem ]]; then
    step "Delete one record of a duplicate inside the school" \
        "$xueji" --user "school-$school" problems delete "$problem" \
        --reason "the same child was entered twice"
fi

filed=()
problem=$(first_open id_invalid)
if [[ -n $problem ]]; then
    filed+=("$problem")
    # The planted number has a wrong check digit; the household register
    # (here: the generator) has the right one.
    fixed=$(psql -X -q -At -d xueji -c "SELECT s.id_number FROM problem p
              JOIN student s ON s.id = p.student_id WHERE p.id = $problem" |
        python3 -c 'import sys
n = sys.stdin.read().strip()[:17]
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(n + "10X98765432"[sum(int(d) * x for d, x in zip(n, w)) % 11])')
    step "Correct an invalid ID number, with a photo of the household register" \
        "$xueji" --user "school-$school" problems change "$problem" \
        --id-number "$fixed" --reason "check digit mistyped" \
        --evidence "$state/evidence/scan.jpg"
fi

problem=$(first_open id_dup_province)
if [[ -n $problem ]]; then
    filed+=("$problem")
    step "Attest a duplicate with another county, with transfer papers" \
        "$xueji" --user "school-$school" problems attest "$problem" \
        --reason "transferred in; the other school has been asked to delete" \
        --evidence "$state/evidence/letter.docx"
fi

# The pending cases of the problems filed above, and no other.
cases=$("$xueji" --user "county-$county" --json review list |
    python3 -c 'import json, sys
filed = set(int(p) for p in sys.argv[1:])
print(" ".join(str(c["case_id"]) for c in json.load(sys.stdin)
               if c["problem_id"] in filed))' "${filed[@]}")
if [[ -n $cases ]]; then
    step "The county's queue" "$xueji" --user "county-$county" review list
    # shellcheck disable=SC2086
    step "The county approves" "$xueji" --user "county-$county" review approve $cases
fi

step "The school's problems now" "$xueji" --user "school-$school" problems --status all
date -u +%Y-%m-%dT%H:%M:%SZ >"$state/tour.done"
