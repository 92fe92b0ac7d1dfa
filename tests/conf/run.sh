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
done < <("$xuejid" print-config | sed -n 's/^#\{0,1\}\([a-z_]*\) = .*/\1/p')

# print-config shows the values in force, and no database password.
config=$(mktemp)
printf '[xuejid]\nport = 7700\ndatabase = host=db password=s3cret dbname=x\n' \
    >"$config"
output=$("$xuejid" -c "$config" --set workers=3 print-config)
rm -f "$config"
for expected in "port = 7700" "workers = 3" "password=*** dbname=x" \
                "#idle_timeout = 300"; do
    if [[ $output == *"$expected"* ]]; then
        passed=$((passed + 1))
    else
        echo "FAIL: print-config output lacks \"$expected\""
        failed=$((failed + 1))
    fi
done
if [[ $output == *s3cret* ]]; then
    echo "FAIL: print-config shows the database password"
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
