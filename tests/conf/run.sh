#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Starts xuejid with each bad configuration of this folder and checks that
# it exits with an error that contains the line in the matching .expected
# file; then checks that deploy/xuejid.conf.example documents every key.
set -euo pipefail
xuejid=$1
here=$(cd "$(dirname "$0")" && pwd)
example="$here/../../deploy/xuejid.conf.example"
failed=0 passed=0

for conf in "$here"/*.conf; do
    expected=$(cat "${conf%.conf}.expected")
    set +e
    output=$("$xuejid" -c "$conf" serve 2>&1)
    rc=$?
    set -e
    if [[ $rc -ne 0 && "$output" == *"$expected"* ]]; then
        passed=$((passed + 1))
    else
        echo "FAIL: $(basename "$conf"): exit $rc, expected \"$expected\" in: $output"
        failed=$((failed + 1))
    fi
done

while read -r key; do
    if grep -q "^#\?$key = \?" "$example"; then
        passed=$((passed + 1))
    else
        echo "FAIL: key $key is missing from deploy/xuejid.conf.example"
        failed=$((failed + 1))
    fi
done < <("$xuejid" print-config | sed -n 's/^#\([a-z_]*\) = .*/\1/p')

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
