#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks the C sources: no tabs, no trailing blanks, a final newline, and
# no line over 100 columns (80 is the aim; strings may run to 100).
set -euo pipefail
cd "$1"
failed=0
while IFS= read -r file; do
    if grep -n $'\t' "$file" >/dev/null; then
        echo "FAIL: $file: tab characters"; failed=1
    fi
    if grep -n '[[:space:]]$' "$file" >/dev/null; then
        echo "FAIL: $file: trailing blanks"; failed=1
    fi
    if [[ -s "$file" && $(tail -c1 "$file" | od -An -c | tr -d ' ') != '\n' ]]; then
        echo "FAIL: $file: no final newline"; failed=1
    fi
    awk -v f="$file" 'length($0) > 100 { print "FAIL: " f ":" NR ": line over 100 columns"; bad = 1 }
        END { exit bad }' "$file" || failed=1
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
if [[ $failed -eq 0 ]]; then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
fi
exit $failed
