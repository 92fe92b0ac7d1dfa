#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# xuejid COMMAND --help and -h print the usage of the command and exit 0
# without running it: the database stays unmigrated and empty, serve does
# not start, and a configuration naming a missing database still works.
# Arguments that a command does not take exit 2.
source "$(dirname "$0")/harness.sh"

h_certs
createdb "$H_DB"
h_write_config

# Runs xuejid ARGS... with a bound on the time, so that a serve that starts
# in spite of --help fails the test instead of blocking it.
help_run() {
    h_run timeout 20 "$XUEJID" "$@"
}

# help_check CONFIG COMMAND FLAG EXPECTED: COMMAND FLAG must exit 0 and
# print its usage line and EXPECTED, and nothing on standard error.
help_check() {
    local config=$1 command=$2 flag=$3 expected=$4
    help_run -c "$config" "$command" "$flag"
    h_assert_eq 0 "$H_RC" "$command $flag exit status"
    h_assert_contains "$H_OUT" "usage: xuejid" "$command $flag usage"
    h_assert_contains "$H_OUT" "$command" "$command $flag names the command"
    h_assert_contains "$H_OUT" "$expected" "$command $flag describes options"
    h_assert_eq "" "$H_ERR" "$command $flag standard error"
}

commands=(serve migrate load-divisions add-school add-account print-config)
expected=("SIGHUP" "schema migrations" "--province CODE" "--county CODE"
          "--role ROLE" "configuration key")

for i in "${!commands[@]}"; do
    for flag in --help -h; do
        help_check "$H_TMP/xuejid.conf" "${commands[$i]}" "$flag" \
            "${expected[$i]}"
    done
done

h_assert_eq 0 "$(h_psql "SELECT count(*) FROM pg_tables
                          WHERE schemaname = 'public'")" \
    "help requests left the database without tables"
help_run -c "$H_TMP/xuejid.conf" print-config --help
h_assert_not_contains "$H_OUT" "[xuejid]" "print-config --help prints no config"

# --help after an option's value, or after other arguments, still requests
# help.
help_run -c "$H_TMP/xuejid.conf" add-school --code 4101020001 --help
h_assert_eq 0 "$H_RC" "add-school with --help after an option"
h_assert_contains "$H_OUT" "--code CODE" "add-school help after an option"
XUEJID_PASSWORD="$H_PASSWORD" help_run -c "$H_TMP/xuejid.conf" \
    add-account --user someone --org 41 -h
h_assert_eq 0 "$H_RC" "add-account with -h after options"
h_assert_eq 0 "$(h_psql "SELECT count(*) FROM pg_tables
                          WHERE schemaname = 'public'")" \
    "help after options left the database without tables"

# A database that does not exist, where a migrate that ran would exit 1.
sed "s/dbname=$H_DB/dbname=${H_DB}_missing/" "$H_TMP/xuejid.conf" \
    >"$H_TMP/missing-db.conf"
help_check "$H_TMP/missing-db.conf" migrate --help "schema migrations"
help_check "$H_TMP/missing-db.conf" load-divisions --help "--province CODE"
help_check "$H_TMP/missing-db.conf" serve --help "SIGHUP"

# A configuration file that does not exist is not read for help.
help_check "$H_TMP/no-such.conf" migrate --help "schema migrations"

# Help of the whole program after the global options.
help_run -c "$H_TMP/missing-db.conf" --help
h_assert_eq 0 "$H_RC" "global --help after -c"
h_assert_contains "$H_OUT" "Commands:" "global help lists the commands"

# Commands that take no arguments reject them instead of ignoring them.
for command in serve migrate print-config; do
    help_run -c "$H_TMP/xuejid.conf" "$command" extra
    h_assert_eq 2 "$H_RC" "$command with an extra argument"
    h_assert_contains "$H_ERR" "unexpected argument \"extra\"" \
        "$command names the extra argument"
done
help_run -c "$H_TMP/xuejid.conf" load-divisions --region 41
h_assert_eq 2 "$H_RC" "load-divisions with an unknown option"
h_assert_contains "$H_ERR" "xuejid load-divisions --help" \
    "load-divisions points to its help"

# An unknown command stays an error, with or without --help.
help_run -c "$H_TMP/xuejid.conf" frobnicate --help
h_assert_eq 2 "$H_RC" "unknown command with --help"
h_assert_contains "$H_ERR" "unknown command" "unknown command message"
