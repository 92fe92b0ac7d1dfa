#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# An import reply always fits in max_frame_size. A client that sends rows
# its own checks should have held back can get more row errors than one
# frame holds. The reply then lists the first ones and counts the rest,
# and the connection goes on working.
source "$(dirname "$0")/harness.sh"

h_init_db
printf 'max_frame_size = 65536\n' >>"$H_TMP/xuejid.conf"
h_add_school 4101020001 "帧长一小" 410102 0371-60000001
h_add_account school1 4101020001 school
h_start_server

h_run "$PYTHON3" "$XUEJI_SOURCE_DIR/tests/integration/reply_limit.py" \
    "$H_PORT" "$H_CERTS/ca.pem" school1 "$H_PASSWORD" 3000
h_assert_eq 0 "$H_RC" "hostile batch: $H_ERR"
read -r _ received _ listed _ unlisted <<<"$(head -n 1 <<<"$H_OUT")"
h_assert_eq 3000 "$received" "every row received"
h_assert_eq 3000 "$((listed + unlisted))" "listed and unlisted rows add up"
[[ $listed -gt 0 && $unlisted -gt 0 ]] ||
    h_fail "expected some rows listed and some unlisted, got $listed and $unlisted"
h_assert_contains "$H_OUT" "ping ok" "connection still works"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM student")" "nothing stored"
h_assert_contains "$(cat "$H_TMP/xuejid.log")" \
    "import reply lists only some rejected rows" "shortened reply logged"
