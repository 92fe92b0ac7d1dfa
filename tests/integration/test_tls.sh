#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TLS: the client refuses a server whose certificate another CA signed or
# whose name does not match; --insecure connects but warns; the server
# speaks TLS 1.2 and 1.3 with an ECDSA P-256 certificate.
source "$(dirname "$0")/harness.sh"

h_init_db
h_start_server

h_run "$XUEJI" --server "127.0.0.1:$H_PORT" --ca "$H_CERTS/other-ca.pem" ping
h_assert_eq 3 "$H_RC" "exit status with an untrusted CA"
h_assert_contains "$H_ERR" "not trusted" "untrusted CA message"

h_run "$XUEJI" --server "127.0.0.1:$H_PORT" --ca "$H_CERTS/ca.pem" \
    --server-name wrong.example ping
h_assert_eq 3 "$H_RC" "exit status with a wrong server name"
h_assert_contains "$H_ERR" "not trusted" "wrong name message"

h_run "$XUEJI" --server "localhost:$H_PORT" --ca "$H_CERTS/ca.pem" ping
h_assert_eq 0 "$H_RC" "ping by host name localhost"

h_run "$XUEJI" --insecure --server "127.0.0.1:$H_PORT" \
    --ca "$H_CERTS/other-ca.pem" ping
h_assert_eq 0 "$H_RC" "exit status with --insecure"
h_assert_contains "$H_ERR" "WARNING" "--insecure warns"

for version in -tls1_2 -tls1_3; do
    out=$(openssl s_client -connect "127.0.0.1:$H_PORT" "$version" \
        -CAfile "$H_CERTS/ca.pem" -verify_return_error </dev/null 2>&1) ||
        h_fail "openssl s_client $version failed: $out"
    h_assert_contains "$out" "Verify return code: 0" "s_client $version verify"
done
out=$(openssl s_client -connect "127.0.0.1:$H_PORT" -tls1_3 \
    -CAfile "$H_CERTS/ca.pem" </dev/null 2>&1)
h_assert_contains "$out" "Peer signature type: ECDSA" "ECDSA server key"
h_assert_contains "$out" "Server public key is 256 bit" "P-256 server key"
