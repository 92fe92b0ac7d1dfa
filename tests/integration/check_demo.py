#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the problem lists of the demo schools against expected.json.

Usage: check_demo.py DEMO_DIR LISTS_DIR. LISTS_DIR holds CODE.json, the
output of `xueji --json problems` for each school. Every planted problem
must be listed with its kind, the counterpart's school name, county name
and telephone, and nothing beyond the planted problems may be listed.
"""
import csv
import json
import sys

demo_dir, lists_dir = sys.argv[1], sys.argv[2]
expected = json.load(open(f"{demo_dir}/expected.json", encoding="utf-8"))
with open(f"{demo_dir}/schools.csv", encoding="utf-8") as f:
    schools = {row["code"]: row for row in csv.DictReader(f)}

failures = 0
kinds_seen = set()
for file_name, planted in expected["files"].items():
    code = planted["school"]
    listed = json.load(open(f"{lists_dir}/{code}.json", encoding="utf-8"))
    for problem in planted["problems"]:
        matches = [p for p in listed
                   if p["kind"] == problem["kind"] and p["name"] == problem["name"]]
        if not matches:
            print(f"FAIL: {file_name} line {problem['line']}: {problem['kind']} "
                  f"of {problem['name']} not listed")
            failures += 1
            continue
        kinds_seen.add(problem["kind"])
        found = matches[0]
        if not found["suggestion"]:
            print(f"FAIL: {file_name}: {problem['kind']} has no suggestion")
            failures += 1
        other = problem.get("counterpart")
        if other is None:
            if not found["detail"]:
                print(f"FAIL: {file_name}: id_invalid without detail")
                failures += 1
            continue
        school = schools[other["school"]]
        if found["counterpart_school"] != school["name"] or \
                found["counterpart_phone"] != school["phone"] or \
                not found["counterpart_county"]:
            print(f"FAIL: {file_name}: counterpart of {problem['name']} is "
                  f"{found['counterpart_school']} {found['counterpart_county']} "
                  f"{found['counterpart_phone']}, expected {school['name']} "
                  f"{school['phone']}")
            failures += 1
    if len(listed) != len(planted["problems"]):
        print(f"FAIL: {file_name}: {len(listed)} problems listed, "
              f"{len(planted['problems'])} planted")
        failures += 1
    for p in listed:
        if len(p["id_number"]) == 18 and "*" not in p["id_number"]:
            print(f"FAIL: {file_name}: unmasked ID number in the list")
            failures += 1

for kind in ("id_dup_school", "id_dup_county", "id_dup_province", "ngb_dup",
             "id_invalid"):
    if kind not in kinds_seen:
        print(f"FAIL: no {kind} problem was listed")
        failures += 1
print(f"{len(kinds_seen)} kinds checked, {failures} failed")
sys.exit(1 if failures else 0)
