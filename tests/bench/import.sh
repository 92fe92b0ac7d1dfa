#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Import benchmark: `xueji import` end to end against a raw PostgreSQL COPY
# of the same rows into the same indexed table, in one run on one machine.
#
#   tests/bench/import.sh [N] [--runs R] [--batch-size B] [--seed S]
#                         [--build DIR]
#
# It uses an existing build and builds nothing. It starts its own
# PostgreSQL cluster (tests/pg.sh, default settings) and its own xuejid,
# both on free loopback ports, and removes them and every temporary file
# on exit, Ctrl-C included. Each side runs R times, alternating, each time
# into a freshly created and migrated database, so both start from an
# empty student table. The script only measures: a slow result never makes
# it fail. tests/bench/README.md describes the method and the results.

set -euo pipefail

prog=${0##*/}
top=$(cd "$(dirname "$0")/../.." && pwd)

readonly PROVINCE=41
readonly SCHOOL_CODE=4101020001
readonly SCHOOL_COUNTY=410102
readonly USER_NAME=school-$SCHOOL_CODE
readonly PASSWORD=bench-password-1
readonly DB_NAME=xj_bench
# Bounds of the waits for xuejid: start-up is polled every 0.1 s and the
# stop after SIGTERM every 0.1 s, then SIGKILL.
readonly SERVER_START_POLLS=300
readonly SERVER_STOP_POLLS=300

count=200000
runs=3
batch_size=5000
seed=1
build_dir=$top/build

usage() {
    cat <<EOF
Usage: $prog [N] [--runs R] [--batch-size B] [--seed S] [--build DIR]

Measure \`xueji import\` of N generated students (default 200000) against a
raw \`psql \\copy\` of the same rows into the same indexed student table.
Each side runs R times (default 3), alternating, each time into a fresh
database. Prints rows per second (median and spread), the ratio
import/COPY and the machine description.

  N               students in the generated file, at most 200000
  --runs R        runs of each side (default 3)
  --batch-size B  rows per import request, 1 to 5000 (default 5000)
  --seed S        seed of tests/data/gen_students.py (default 1)
  --build DIR     build directory with server/xuejid and client/xueji
                  (default $top/build)

Build first, once:
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2
EOF
}

die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}

note() {
    printf '%s\n' "$*"
}

is_positive_int() {
    [[ $1 =~ ^[1-9][0-9]*$ ]]
}

parse_args() {
    while [[ $# -gt 0 ]]; do
        case $1 in
        -h | --help)
            usage
            exit 0
            ;;
        --runs | --batch-size | --seed | --build)
            [[ $# -ge 2 ]] || die "$1 needs a value"
            case $1 in
            --runs) runs=$2 ;;
            --batch-size) batch_size=$2 ;;
            --seed) seed=$2 ;;
            --build) build_dir=$2 ;;
            esac
            shift 2
            ;;
        -*)
            usage >&2
            exit 2
            ;;
        *)
            count=$1
            shift
            ;;
        esac
    done
    is_positive_int "$count" || die "invalid N '$count': expected a positive number"
    # xueji import reads at most 200,000 rows from one file.
    ((count <= 200000)) || die "invalid N '$count': one import file holds at most 200000 rows"
    is_positive_int "$runs" || die "invalid --runs '$runs': expected a positive number"
    if ! is_positive_int "$batch_size" || ((batch_size > 5000)); then
        die "invalid --batch-size '$batch_size': expected 1 to 5000"
    fi
    [[ $seed =~ ^[0-9]+$ ]] || die "invalid --seed '$seed': expected a number"
}

# Copies the binaries into the work directory, so that a rebuild of the
# build directory during the run does not change what is measured.
check_build() {
    local tool
    build_dir=$(cd "$build_dir" 2>/dev/null && pwd) ||
        die "build directory $build_dir not found; build first, from $top:" \
            "cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2"
    for tool in server/xuejid client/xueji; do
        [[ -x $build_dir/$tool ]] ||
            die "$build_dir/$tool not found; build first, from $top:" \
                "cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2"
    done
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
    case $build_type in
    Release | RelWithDebInfo) ;;
    *) printf '%s: warning: %s is a "%s" build, not an optimised one; the figures will be low\n' \
        "$prog" "$build_dir" "${build_type:-unknown}" >&2 ;;
    esac
    for tool in psql createdb dropdb python3 openssl; do
        command -v "$tool" >/dev/null || die "$tool not found; install it (deploy/packages.sh)"
    done
}

work=
server_pid=
cluster_started=0

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_server
    if [[ $rc -ne 0 && -n $work && -s $work/setup.log ]]; then
        printf '%s: last lines of the set-up log:\n' "$prog" >&2
        tail -n 10 "$work/setup.log" >&2
    fi
    if [[ $cluster_started -eq 1 ]]; then
        "$top/tests/pg.sh" stop "$work/pg" >/dev/null 2>&1 ||
            printf '%s: stopping the cluster in %s failed\n' "$prog" "$work/pg" >&2
    fi
    if [[ -n $work && -d $work ]]; then
        rm -rf -- "$work"
    fi
    exit "$rc"
}

# Prints two free TCP ports on 127.0.0.1, one a line.
free_ports() {
    python3 -c 'import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
for s in socks:
    print(s.getsockname()[1])'
}

start_cluster() {
    local env_lines
    env_lines=$("$top/tests/pg.sh" start "$work/pg" "$pg_port" 2>"$work/pg-start.log") || {
        cat "$work/pg-start.log" >&2
        die "tests/pg.sh start failed"
    }
    cluster_started=1
    eval "$env_lines"
    export PGHOST PGPORT PGUSER
}

sql() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "${2:-postgres}" -c "$1"
}

describe_machine() {
    local cpu mem
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    note "== machine"
    note "cpus:       $(nproc) (${cpu:-unknown model})"
    note "memory:     $mem"
    note "kernel:     $(uname -sr)"
    note "postgresql: $(sql 'SHOW server_version')"
    note "openssl:    $(openssl version)"
    note "build:      $build_dir (${build_type:-unknown} build)"
    note "== postgresql settings (initdb defaults, tests/pg.sh cluster)"
    note "$(sql "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name)
        FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size',
        'checkpoint_timeout', 'fsync', 'synchronous_commit', 'full_page_writes',
        'wal_level', 'work_mem', 'maintenance_work_mem', 'effective_io_concurrency')")"
}

write_server_config() {
    cat >"$work/xuejid.conf" <<CONF
[xuejid]
listen_address = 127.0.0.1
port = $server_port
tls_cert = $work/certs/server.pem
tls_key = $work/certs/server.key
database = host=$PGHOST port=$PGPORT user=$PGUSER dbname=$DB_NAME
stats_interval = 0
CONF
}

xuejid() {
    "$work/bin/xuejid" -c "$work/xuejid.conf" "$@"
}

client() {
    XUEJI_PASSWORD=$PASSWORD HOME=$work XUEJI_CONFIG=$work/xueji.conf \
        "$work/bin/xueji" --server "127.0.0.1:$server_port" \
        --ca "$work/certs/ca.pem" "$@"
}

# Drops and creates the benchmark database and loads what both sides need:
# the schema, the province's divisions and the school.
fresh_database() {
    {
        dropdb --if-exists "$DB_NAME"
        createdb "$DB_NAME"
        xuejid migrate
        xuejid load-divisions --province "$PROVINCE"
        xuejid add-school --code "$SCHOOL_CODE" --name 郑州市基准测试小学 \
            --county "$SCHOOL_COUNTY" --phone 0371-60000001
    } >>"$work/setup.log" 2>&1
}

school_id() {
    sql "SELECT id FROM organisation WHERE code = '$SCHOOL_CODE'" "$DB_NAME"
}

start_server() {
    local i
    XUEJID_PASSWORD=$PASSWORD xuejid add-account --user "$USER_NAME" \
        --org "$SCHOOL_CODE" --role school >>"$work/setup.log" 2>&1
    # The binary itself, not the xuejid function: a function would run in
    # a forked shell, and SIGTERM to that shell would not reach the daemon.
    "$work/bin/xuejid" -c "$work/xuejid.conf" serve >>"$work/xuejid.log" 2>&1 &
    server_pid=$!
    for ((i = 0; i < SERVER_START_POLLS; i++)); do
        if client ping >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || {
            tail -n 20 "$work/xuejid.log" >&2
            server_pid=
            die "xuejid exited at start (log above)"
        }
        sleep 0.1
    done
    die "xuejid did not answer ping within $((SERVER_START_POLLS / 10)) seconds"
}

stop_server() {
    local i
    [[ -n $server_pid ]] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for ((i = 0; i < SERVER_STOP_POLLS; i++)); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# Writes the COPY text file of the raw side: the CSV's columns in the
# student table's order, with school_id and a unique 32-hex import key.
# The generated file holds only codes, so no value needs normalising.
make_copy_file() {
    python3 - "$work/students.csv" "$work/students.tsv" "$1" <<'PY'
import csv
import hashlib
import sys

src, dst, school_id = sys.argv[1:4]
header_to_column = {
    "姓名": "name", "性别": "gender", "出生日期": "birth_date",
    "身份证件类型": "id_type", "身份证件号": "id_number",
    "国籍/地区": "nationality", "民族": "ethnicity", "年级": "grade",
    "班级": "class_name", "入学年月": "enrol_month",
    "港澳台侨外": "overseas_status", "健康状况": "health",
    "户口性质": "household_type", "就读方式": "attendance",
    "入学方式": "entry_mode", "现住址": "address", "联系电话": "telephone",
    "班内学号": "class_number",
}
columns = list(header_to_column.values())
with open(src, encoding="utf-8-sig", newline="") as f_in, \
        open(dst, "w", encoding="utf-8", newline="\n") as f_out:
    reader = csv.reader(f_in)
    header = next(reader)
    index = {header_to_column[h]: i for i, h in enumerate(header)}
    for number, row in enumerate(reader):
        key = hashlib.md5(f"bench:{number}".encode()).hexdigest()
        values = [school_id, key] + [row[index[c]] for c in columns]
        for value in values:
            if any(ch in value for ch in "\t\n\r\\"):
                sys.exit(f"row {number + 2}: value {value!r} needs COPY escaping")
        f_out.write("\t".join(values) + "\n")
PY
}

readonly COPY_COLUMNS="school_id, import_key, name, gender, birth_date, id_type, \
id_number, nationality, ethnicity, grade, class_name, enrol_month, \
overseas_status, health, household_type, attendance, entry_mode, address, \
telephone, class_number"

# Prints the seconds since the epoch with microseconds.
now() {
    printf '%s\n' "$EPOCHREALTIME"
}

elapsed() {
    python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.3f}")' "$1" "$2"
}

# Runs one import measurement and sets run_seconds and run_rows. The
# run_ functions run in the main shell, not in a command substitution, so
# that the EXIT trap sees server_pid and stops the daemon on Ctrl-C.
run_import() {
    local run=$1 start end rc=0
    fresh_database
    start_server
    sql CHECKPOINT >/dev/null
    start=$(now)
    client --user "$USER_NAME" import --batch-size "$batch_size" \
        "$work/students.csv" >"$work/import-$run.log" 2>&1 || rc=$?
    end=$(now)
    stop_server
    if [[ $rc -ne 0 ]]; then
        tail -n 20 "$work/import-$run.log" >&2
        tail -n 20 "$work/xuejid.log" >&2
        die "xueji import exited with status $rc (output and daemon log above)"
    fi
    run_seconds=$(elapsed "$start" "$end")
    run_rows=$(sql 'SELECT count(*) FROM student' "$DB_NAME")
}

# Runs one raw COPY measurement and sets run_seconds and run_rows.
run_copy() {
    local start end id
    fresh_database
    id=$(school_id)
    [[ $id == "$copy_school_id" ]] ||
        die "school id $id differs from $copy_school_id in the COPY file"
    sql CHECKPOINT >/dev/null
    start=$(now)
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB_NAME" \
        -c "\\copy student ($COPY_COLUMNS) FROM '$work/students.tsv'" >/dev/null
    end=$(now)
    run_seconds=$(elapsed "$start" "$end")
    run_rows=$(sql 'SELECT count(*) FROM student' "$DB_NAME")
}

# Prints the summary of the file $1, whose lines are "SIDE SECONDS ROWS".
summarise() {
    python3 - "$1" <<'PY'
import statistics
import sys

times = {"import": [], "copy": []}
rates = {"import": [], "copy": []}
with open(sys.argv[1]) as results:
    for line in results:
        side, seconds, rows = line.split()
        times[side].append(float(seconds))
        rates[side].append(int(rows) / float(seconds))


def describe(side):
    r = rates[side]
    median = statistics.median(r)
    spread = 100 * (max(r) - min(r)) / median
    runs = " ".join(f"{t:.2f}s" for t in times[side])
    return (f"median {median:9,.0f} rows/s   min {min(r):9,.0f}   "
            f"max {max(r):9,.0f}   spread {spread:4.1f} %   times {runs}")


print("xueji import:", describe("import"))
print("raw COPY:    ", describe("copy"))
ratio = statistics.median(rates["import"]) / statistics.median(rates["copy"])
pairs = " ".join(f"{i / c:.3f}" for i, c in zip(rates["import"], rates["copy"]))
print(f"ratio import/COPY (medians): {ratio:.3f}   per run: {pairs}"
      "   (target >= 0.5, stretch goal 0.8)")
PY
}

main() {
    local run side
    local -a order
    parse_args "$@"
    check_build

    work=$(mktemp -d /tmp/xueji-bench-import.XXXXXX)
    # tests/pg.sh runs the cluster as user postgres when started as root,
    # and that user must be able to enter the directory.
    chmod 0755 "$work"
    trap cleanup EXIT
    trap 'printf "%s: interrupted\n" "$prog" >&2; exit 130' INT
    trap 'exit 143' TERM

    mkdir "$work/bin"
    cp "$build_dir/server/xuejid" "$build_dir/client/xueji" "$work/bin/"
    : >"$work/xueji.conf"
    { read -r pg_port; read -r server_port; } < <(free_ports)

    start_cluster
    describe_machine
    note "== xuejid settings: defaults (workers=2, db_pool_size=4, max_batch_rows=5000), TLS on 127.0.0.1:$server_port"
    "$top/deploy/certs.sh" "$work/certs" >/dev/null 2>&1 || die "deploy/certs.sh failed"
    write_server_config

    note "== data: $count students, seed $seed, province $PROVINCE, one school"
    python3 "$top/tests/data/gen_students.py" bulk --province "$PROVINCE" \
        --count "$count" --seed "$seed" --out "$work/students.csv" >>"$work/setup.log" 2>&1
    fresh_database
    copy_school_id=$(school_id)
    make_copy_file "$copy_school_id"
    note "import: xueji import --batch-size $batch_size FILE (CSV $(du -h "$work/students.csv" | cut -f1))"
    note "COPY:   psql \\copy student (...) FROM FILE (one statement, text format, precomputed)"
    note "each run: fresh database, migrate, divisions, school, CHECKPOINT, then the timed command"

    for ((run = 1; run <= runs; run++)); do
        # Odd runs start with the import and even runs with COPY, so a
        # drift in machine speed affects both sides alike.
        if ((run % 2 == 1)); then
            order=(import copy)
        else
            order=(copy import)
        fi
        for side in "${order[@]}"; do
            run_"$side" "$run"
            [[ $run_rows == "$count" ]] ||
                printf '%s: warning: %s run %d stored %s rows, not %s\n' \
                    "$prog" "$side" "$run" "$run_rows" "$count" >&2
            printf 'run %d %-6s %8.2f s  %s rows\n' "$run" "$side" "$run_seconds" "$run_rows"
            printf '%s %s %s\n' "$side" "$run_seconds" "$run_rows" >>"$work/results.txt"
        done
    done
    dropdb --if-exists "$DB_NAME"

    note "== result ($count rows into an empty indexed student table, $runs runs each)"
    summarise "$work/results.txt"
}

main "$@"
