#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Raw bytes against xuejid: plain TCP, garbage, oversized, empty and
# invalid frames, requests before hello, truncated and silent clients. The
# server must answer with an error where it can, close those connections,
# and keep serving other clients.
source "$(dirname "$0")/harness.sh"

h_init_db
echo "handshake_timeout = 2" >>"$H_TMP/xuejid.conf"
echo "max_frame_size = 65536" >>"$H_TMP/xuejid.conf"
h_start_server

"$PYTHON3" "$(dirname "$0")/hostile.py" "$H_PORT" "$H_CERTS/ca.pem"

h_run h_client_anonymous ping
h_assert_eq 0 "$H_RC" "ping after the hostile clients"
log=$(cat "$H_TMP/xuejid.log")
h_assert_contains "$log" "exceeds max_frame_size 65536" "oversized frame logged"
h_assert_not_contains "$log" " warning " "no warnings for client faults"
