#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The quick start on a fresh Debian 12 machine, run as root or a sudoer
# from the checkout:
#
#   deploy/quickstart.sh        install, build, start PostgreSQL and xuejid,
#                               load the demo province, import the demo
#                               schools and show one school's problems
#   deploy/quickstart.sh stop   stop what it started
#
# Everything lives under state/ in the checkout (ignored by git): the
# PostgreSQL cluster, the CA and server certificate, the configuration,
# the demo templates and the logs. Running it again reuses all of that.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
state="$top/state"
pg_port=${XUEJI_QUICKSTART_PG_PORT:-55432}
xuejid_port=${XUEJI_QUICKSTART_PORT:-7631}
province=41
password="xueji-demo-2026"
xuejid="$top/build/server/xuejid"
xueji="$top/build/client/xueji"

say() { printf '\n== %s\n' "$*"; }

die() {
    printf '%s: %s\n' "$0" "$*" >&2
    exit 1
}

# The cluster runs as the postgres account, which must be able to reach
# its directory. A checkout under a private home directory is not
# reachable, and then the cluster goes under /var/tmp instead.
pg_dir() {
    local dir="$state/pg"
    if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$state" 2>/dev/null; then
        dir="/var/tmp/xueji-quickstart-$(printf '%s' "$top" | md5sum | cut -c1-8)"
    fi
    printf '%s' "$dir"
}

stop() {
    if [[ -f "$state/xuejid.pid" ]] && kill -0 "$(cat "$state/xuejid.pid")" 2>/dev/null; then
        kill -TERM "$(cat "$state/xuejid.pid")"
        for _ in $(seq 1 100); do
            kill -0 "$(cat "$state/xuejid.pid")" 2>/dev/null || break
            sleep 0.1
        done
        echo "xuejid stopped"
    fi
    rm -f "$state/xuejid.pid"
    "$top/tests/pg.sh" stop "$(pg_dir)" 2>/dev/null || true
}

xuejid_running() {
    [[ -f "$state/xuejid.pid" ]] && kill -0 "$(cat "$state/xuejid.pid")" 2>/dev/null
}

# Succeeds if a TCP socket can bind 127.0.0.1:$1, which fails while
# another program listens there. SO_REUSEADDR, which PostgreSQL and xuejid
# also set, keeps connections in TIME_WAIT from counting as a listener.
port_is_free() {
    python3 - "$1" <<'PY'
import socket
import sys

sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    sock.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# Prints the first free port of $1+100, $1+200, ... $1+1000 that is not
# $2, or nothing if none of them is free.
suggest_port() {
    local candidate i
    for ((i = 1; i <= 10; i++)); do
        candidate=$(($1 + 100 * i))
        ((candidate <= 65535)) || return 0
        if [[ $candidate != "$2" ]] && port_is_free "$candidate"; then
            printf '%s' "$candidate"
            return 0
        fi
    done
}

# Fails on port $1, set by the variable $2 for the program $3, which
# another program already listens on. $4 is the quick start's other port,
# which the suggested port must not equal.
port_busy() {
    local port=$1 variable=$2 program=$3 other=$4 free command=()
    free=$(suggest_port "$port" "$other")
    # The suggested command keeps the other port variable if it is set.
    if [[ $variable == XUEJI_QUICKSTART_PG_PORT && -n ${XUEJI_QUICKSTART_PORT:-} ]]; then
        command+=("XUEJI_QUICKSTART_PORT=$XUEJI_QUICKSTART_PORT")
    elif [[ $variable == XUEJI_QUICKSTART_PORT && -n ${XUEJI_QUICKSTART_PG_PORT:-} ]]; then
        command+=("XUEJI_QUICKSTART_PG_PORT=$XUEJI_QUICKSTART_PG_PORT")
    fi
    command+=("$variable=${free:-PORT}" "$0")
    die "port $port on 127.0.0.1, where the quick start runs $program, is" \
        "already in use by another program, so nothing was started." \
        "Set $variable to a free port${free:+ (for example $free)} and run" \
        "the quick start again:"$'\n'"  ${command[*]}"
}

# Fails unless $1, the value of the variable $2, is a port number from 1024
# to 65535.
check_port_value() {
    if ! [[ $1 =~ ^[1-9][0-9]{3,4}$ ]] || (($1 > 65535)); then
        die "invalid $2 \"$1\": expected a port number from 1024 to 65535"
    fi
}

# Fails before anything is created if another program listens on the port
# of PostgreSQL or of xuejid. The quick start's own cluster and daemon from
# an earlier run are reused, so their ports do not count as busy, but they
# must run on the ports requested now.
check_ports() {
    local status=0 env running_port
    check_port_value "$pg_port" XUEJI_QUICKSTART_PG_PORT
    check_port_value "$xuejid_port" XUEJI_QUICKSTART_PORT
    [[ $pg_port != "$xuejid_port" ]] ||
        die "PostgreSQL and xuejid cannot both use port $pg_port: set" \
            "XUEJI_QUICKSTART_PG_PORT and XUEJI_QUICKSTART_PORT to different ports"

    env=$("$top/tests/pg.sh" status "$(pg_dir)" 2>/dev/null) || status=$?
    if [[ $status -eq 0 ]]; then
        running_port=$(sed -n 's/^PGPORT=//p' <<<"$env")
        [[ $running_port == "$pg_port" ]] ||
            die "the quick start's PostgreSQL cluster already runs on port" \
                "$running_port, not $pg_port: run \"$0 stop\" first, or set" \
                "XUEJI_QUICKSTART_PG_PORT=$running_port"
    elif ! port_is_free "$pg_port"; then
        port_busy "$pg_port" XUEJI_QUICKSTART_PG_PORT PostgreSQL "$xuejid_port"
    fi

    if xuejid_running; then
        running_port=$(sed -n 's/^port = //p' "$state/xuejid.conf" 2>/dev/null)
        [[ $running_port == "$xuejid_port" ]] ||
            die "the quick start's xuejid already runs on port" \
                "${running_port:-unknown}, not $xuejid_port: run \"$0 stop\"" \
                "first${running_port:+, or set XUEJI_QUICKSTART_PORT=$running_port}"
    elif ! port_is_free "$xuejid_port"; then
        port_busy "$xuejid_port" XUEJI_QUICKSTART_PORT xuejid "$pg_port"
    fi
}

if [[ "${1:-}" == stop ]]; then
    stop
    exit 0
fi

say "Installing missing packages"
"$top/deploy/packages.sh"

mkdir -p "$state"
chmod 755 "$state"

say "Checking ports $pg_port (PostgreSQL) and $xuejid_port (xuejid)"
check_ports
echo "ports free or used by this quick start's own cluster and daemon"

say "Building"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j "$(nproc)" >/dev/null
echo "built $xuejid and $xueji"

say "Starting PostgreSQL on 127.0.0.1:$pg_port"
"$top/tests/pg.sh" start "$(pg_dir)" "$pg_port" >/dev/null ||
    die "PostgreSQL did not start (log above). If the port was taken since" \
        "the check, set XUEJI_QUICKSTART_PG_PORT to a free port and run the" \
        "quick start again."
export PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=postgres
psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'xueji'" |
    grep -q 1 || createdb xueji

say "Certificates and configuration"
"$top/deploy/certs.sh" "$state/certs" 2>&1 | sed 's/^/  /'
cat >"$state/xuejid.conf" <<CONF
[xuejid]
listen_address = 127.0.0.1
port = $xuejid_port
tls_cert = $state/certs/server.pem
tls_key = $state/certs/server.key
database = host=127.0.0.1 port=$pg_port user=postgres dbname=xueji
CONF
cat >"$state/xueji.conf" <<CONF
[xueji]
server = localhost:$xuejid_port
ca_file = $state/certs/ca.pem
CONF

say "Migrating and loading the demo province ($province, Henan)"
"$xuejid" -c "$state/xuejid.conf" migrate
"$xuejid" -c "$state/xuejid.conf" load-divisions --province "$province"
if [[ ! -f "$state/demo/schools.csv" ]]; then
    python3 "$top/tests/data/gen_students.py" demo --province "$province" \
        --outdir "$state/demo" >/dev/null
fi
schools=()
while IFS=, read -r code name county phone _encoding _file; do
    [[ $code == code ]] && continue
    "$xuejid" -c "$state/xuejid.conf" add-school --code "$code" --name "$name" \
        --county "$county" --phone "$phone"
    XUEJID_PASSWORD=$password "$xuejid" -c "$state/xuejid.conf" add-account \
        --user "school-$code" --org "$code" --role school >/dev/null
    XUEJID_PASSWORD=$password "$xuejid" -c "$state/xuejid.conf" add-account \
        --user "county-$county" --org "$county" --role county >/dev/null
    schools+=("$code")
done <"$state/demo/schools.csv"

say "Starting xuejid on 127.0.0.1:$xuejid_port"
if xuejid_running; then
    echo "already running (pid $(cat "$state/xuejid.pid"))"
else
    nohup "$xuejid" -c "$state/xuejid.conf" serve >>"$state/xuejid.log" 2>&1 &
    echo $! >"$state/xuejid.pid"
fi
export XUEJI_CONFIG="$state/xueji.conf" XUEJI_PASSWORD=$password
for _ in $(seq 1 100); do
    "$xueji" ping >/dev/null 2>&1 && break
    sleep 0.1
done
"$xueji" ping

say "Importing the demo schools' templates"
for code in "${schools[@]}"; do
    echo "-- school-$code: xueji import --accept-invalid-ids demo/$code.csv"
    # A demo file holds planted format faults, so errors are expected here.
    "$xueji" --user "school-$code" import --accept-invalid-ids \
        "$state/demo/$code.csv" 2>&1 | tail -n 4 || true
done

first=${schools[0]}
first_county=$(sed -n 2p "$state/demo/schools.csv" | cut -d, -f3)
say "Problem registrations of school $first"
"$xueji" --user "school-$first" problems

say "A tour of problem handling"
"$top/deploy/tour.sh" "$state" "$first" "$first_county"

cat <<NEXT

Next steps (the demo password of every account is $password):

  export XUEJI_CONFIG=$state/xueji.conf XUEJI_USER=school-$first
  $xueji problems --kind id_dup_county
  $xueji --json problems
  $xueji check $state/demo/${schools[4]}.csv     # the file with format faults
  $xueji --user county-$first_county review list
  $xueji --user county-$first_county problems

The daemon logs to $state/xuejid.log. Stop everything with:
  deploy/quickstart.sh stop
NEXT
