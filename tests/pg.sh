#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Start, stop and query a throwaway PostgreSQL cluster for tests.
#
#   tests/pg.sh start DIR PORT   create DIR/data if missing, start it on
#                                127.0.0.1:PORT and a Unix socket in DIR,
#                                wait until it accepts connections and print
#                                PGHOST=, PGPORT= and PGUSER= lines
#   tests/pg.sh stop DIR         stop it (fast shutdown)
#   tests/pg.sh status DIR       report whether it runs: exit status 0 if it
#                                runs, 3 if it is stopped, 4 if DIR has no
#                                cluster
#
# The cluster trusts every local connection and has the superuser
# "postgres", so use it only for tests. Starting a running cluster on the
# same port does nothing. The server log is DIR/postgres.log.
#
# Environment: PG_BINDIR (default /usr/lib/postgresql/15/bin, else the
# newest /usr/lib/postgresql/*/bin, else PATH), PG_START_TIMEOUT and
# PG_STOP_TIMEOUT in seconds (default 60 each).
#
# initdb refuses to run as root, so when this script runs as root the
# cluster runs as the OS user "postgres" and DIR is owned by that user.

set -euo pipefail

readonly SUPERUSER=postgres
readonly PG_OS_USER=postgres
readonly START_TIMEOUT=${PG_START_TIMEOUT:-60}
readonly STOP_TIMEOUT=${PG_STOP_TIMEOUT:-60}
# A Unix socket path fits in 108 bytes (sun_path on Linux), and PostgreSQL
# appends "/.s.PGSQL.NNNNN" (15 bytes) plus a NUL to the directory.
readonly MAX_SOCKET_DIR_LEN=92

prog=${0##*/}

usage() {
    cat <<EOF
Usage: $prog start DIR PORT
       $prog stop DIR
       $prog status DIR

Run a throwaway PostgreSQL cluster in DIR/data for tests, listening on
127.0.0.1:PORT and on a Unix socket in DIR. "start" prints PGHOST, PGPORT
and PGUSER lines for eval. "status" exits 0 if the cluster runs, 3 if it is
stopped and 4 if DIR contains no cluster.
EOF
}

die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}

note() {
    printf '%s: %s\n' "$prog" "$*" >&2
}

find_bindir() {
    local candidate
    if [[ -n ${PG_BINDIR:-} ]]; then
        [[ -x $PG_BINDIR/initdb ]] || die "PG_BINDIR=$PG_BINDIR has no initdb"
        printf '%s\n' "$PG_BINDIR"
        return
    fi
    if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        printf '%s\n' /usr/lib/postgresql/15/bin
        return
    fi
    candidate=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 \
        -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n $candidate ]]; then
        printf '%s\n' "${candidate%/initdb}"
        return
    fi
    candidate=$(command -v initdb || true)
    [[ -n $candidate ]] || die "initdb not found; install PostgreSQL or set PG_BINDIR"
    printf '%s\n' "${candidate%/initdb}"
}

is_root() {
    [[ $(id -u) -eq 0 ]]
}

# Run a command as the cluster owner, from DIR so that the command does not
# start in a directory the owner cannot read (such as /root). The subshell
# closes the DIR lock first, because a postmaster started here would
# otherwise inherit the lock and hold it until shutdown.
as_owner() {
    (
        if [[ -n $lock_fd ]]; then
            exec {lock_fd}<&-
        fi
        cd "$dir"
        if is_root; then
            exec runuser -u "$PG_OS_USER" -- "$@"
        fi
        exec "$@"
    )
}

# Print the absolute form of $1 without requiring that it exists.
absolute_path() {
    realpath -m -- "$1"
}

# Fail with a hint if the cluster owner cannot enter every existing
# ancestor of DIR. The loop runs once per path component.
check_ancestors() {
    local path=/ part
    local -a parts
    is_root || return 0
    IFS=/ read -r -a parts <<<"${dir#/}"
    for part in "${parts[@]:0:${#parts[@]}-1}"; do
        path=${path%/}/$part
        [[ -d $path ]] || return 0
        if ! runuser -u "$PG_OS_USER" -- test -x "$path"; then
            die "user $PG_OS_USER cannot enter $path (mode $(stat -c %a "$path")," \
                "owner $(stat -c %U "$path")), so the cluster cannot live in $dir;" \
                "choose a DIR under /tmp, for example /tmp/xueji-pg"
        fi
    done
}

# Create DIR, or accept it if it is empty or contains a cluster made by
# this script. Refusing other directories keeps "chown" away from unrelated
# files when the script runs as root.
prepare_dir() {
    check_ancestors
    if [[ -e $dir && ! -d $dir ]]; then
        die "$dir exists and is not a directory"
    fi
    mkdir -p -- "$dir"

    # Serialise concurrent runs on one DIR. The lock lasts until the
    # script exits.
    exec {lock_fd}<"$dir"
    flock -w "$START_TIMEOUT" "$lock_fd" ||
        die "another $prog run has locked $dir for more than ${START_TIMEOUT}s"

    if [[ ! -f $dir/data/PG_VERSION && -n $(ls -A -- "$dir") ]]; then
        die "$dir is not empty and contains no cluster; choose a new or empty directory"
    fi
    chmod 0755 -- "$dir"
    if is_root; then
        chown "$PG_OS_USER:" -- "$dir"
    fi
}

# Quote $1 as a postgresql.conf string literal.
conf_quote() {
    local value=${1//\'/\'\'}
    printf "'%s'" "$value"
}

init_cluster() {
    local log=$dir/initdb.log
    note "creating cluster in $dir/data"
    if ! as_owner "$bindir/initdb" -D "$dir/data" -A trust -E UTF8 \
        --locale=C.UTF-8 -U "$SUPERUSER" >"$log" 2>&1; then
        cat "$log" >&2
        die "initdb failed for $dir/data (output above and in $log)"
    fi

    # Only loopback and the private socket: the test cluster trusts every
    # connection, so it must not be reachable from other hosts.
    {
        printf '\n# Set by tests/pg.sh.\n'
        printf 'listen_addresses = %s\n' "'127.0.0.1'"
        printf 'unix_socket_directories = %s\n' "$(conf_quote "$dir")"
    } | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
}

# Print the port that the running postmaster listens on (fourth line of
# postmaster.pid).
running_port() {
    sed -n 4p "$dir/data/postmaster.pid" 2>/dev/null || true
}

is_running() {
    [[ -f $dir/data/PG_VERSION ]] || return 1
    as_owner "$bindir/pg_ctl" status -D "$dir/data" >/dev/null 2>&1
}

print_env() {
    local port=$1
    printf 'PGHOST=%q\n' 127.0.0.1
    printf 'PGPORT=%q\n' "$port"
    printf 'PGUSER=%q\n' "$SUPERUSER"
}

show_log_tail() {
    note "last lines of $dir/postgres.log:"
    tail -n 20 "$dir/postgres.log" >&2 || true
}

# Start the postmaster and wait until pg_isready accepts 127.0.0.1:PORT.
# "pg_ctl -w" fails early if the postmaster exits, and both waits are bounded
# by START_TIMEOUT seconds.
start_and_wait() {
    local port=$1 tries=$((START_TIMEOUT * 5)) i
    if ! as_owner "$bindir/pg_ctl" start -w -t "$START_TIMEOUT" -D "$dir/data" \
        -l "$dir/postgres.log" -o "-p $port" >/dev/null; then
        show_log_tail
        die "start failed for $dir on port $port"
    fi
    for ((i = 0; i < tries; i++)); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then
            return 0
        fi
        sleep 0.2
    done
    show_log_tail
    die "server in $dir timed out: no connections on 127.0.0.1:$port after" \
        "${START_TIMEOUT}s (raise PG_START_TIMEOUT if the machine is slow)"
}

cmd_start() {
    local port=$1 current
    if ! [[ $port =~ ^[1-9][0-9]{3,4}$ ]] || ((port < 1024 || port > 65535)); then
        die "invalid port '$port': expected a number from 1024 to 65535"
    fi
    ((${#dir} <= MAX_SOCKET_DIR_LEN)) ||
        die "DIR $dir is longer than $MAX_SOCKET_DIR_LEN bytes, too long for a Unix socket path; choose a shorter one"

    prepare_dir
    [[ -f $dir/data/PG_VERSION ]] || init_cluster

    if is_running; then
        current=$(running_port)
        [[ $current == "$port" ]] ||
            die "cluster in $dir already runs on port $current, not $port; stop it first"
        note "cluster in $dir already running on port $port"
        print_env "$port"
        return 0
    fi

    start_and_wait "$port"
    note "cluster in $dir ready on 127.0.0.1:$port"
    print_env "$port"
}

cmd_stop() {
    if [[ -d $dir ]]; then
        exec {lock_fd}<"$dir"
        flock -w "$STOP_TIMEOUT" "$lock_fd" ||
            die "another $prog run has locked $dir for more than ${STOP_TIMEOUT}s"
    fi
    if [[ ! -f $dir/data/PG_VERSION ]]; then
        note "no cluster in $dir; nothing to stop"
        return 0
    fi
    if ! is_running; then
        note "cluster in $dir is not running"
        return 0
    fi
    as_owner "$bindir/pg_ctl" stop -D "$dir/data" -m fast -w \
        -t "$STOP_TIMEOUT" >/dev/null ||
        die "pg_ctl stop failed or timed out after ${STOP_TIMEOUT}s for $dir"
    note "cluster in $dir stopped"
}

cmd_status() {
    if [[ ! -f $dir/data/PG_VERSION ]]; then
        note "no cluster in $dir"
        return 4
    fi
    if is_running; then
        note "cluster in $dir running on 127.0.0.1:$(running_port)"
        print_env "$(running_port)"
        return 0
    fi
    note "cluster in $dir is stopped"
    return 3
}

main() {
    local command=${1:-}
    case $command in
    -h | --help | help)
        usage
        return 0
        ;;
    start)
        [[ $# -eq 3 ]] || { usage >&2; exit 2; }
        ;;
    stop | status)
        [[ $# -eq 2 ]] || { usage >&2; exit 2; }
        ;;
    *)
        usage >&2
        exit 2
        ;;
    esac

    [[ -n $2 ]] || die "DIR must not be empty"
    dir=$(absolute_path "$2")
    [[ $dir != / ]] || die "DIR must not be /"
    bindir=$(find_bindir)

    case $command in
    start) cmd_start "$3" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    esac
}

dir=
bindir=
lock_fd=
main "$@"
