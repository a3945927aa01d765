#!/usr/bin/env bash
# pgbench and sysbench against a local 3-node rangedb cluster and a throwaway
# local PostgreSQL 15, on the same machine in one run, then a table:
#
#   | workload | rangedb tps | PostgreSQL tps | rangedb/PostgreSQL |
#
# Workloads: pgbench tpcb-like (the default script) and select-only (-S);
# sysbench oltp_point_select and oltp_read_write. Both servers get exactly the
# same commands, as user root on database postgres over TCP on 127.0.0.1.
# rangedb runs first (PostgreSQL is idle meanwhile), then rangedb is stopped
# and PostgreSQL runs (so neither competes with the other's background work).
# PostgreSQL keeps its defaults (fsync and synchronous_commit on).
#
#   scripts/bench.sh
#
# Environment (all optional):
#   BENCH_DURATION        seconds per measured run (default 20)
#   BENCH_CLIENTS         pgbench -c / sysbench --threads (default 4)
#   BENCH_JOBS            pgbench -j (default 2)
#   BENCH_SCALE           pgbench -i -s (default 2: 200,000 accounts)
#   BENCH_SYSBENCH_ROWS   sysbench --table-size (default 10000, one table)
#   BENCH_BASE_PORT       rangedb --base-port (default 17432: SQL 17432..17434)
#   BENCH_PG_PORT         PostgreSQL port (default 25440)
#   BENCH_INIT_TIMEOUT    seconds allowed for a data load (default 1800)
#   BENCH_KEEP=1          keep the work directory (logs, data) afterwards
#   RANGEDB_BIN           use this rangedb binary instead of building one
#
# Installs what it needs when missing (postgresql-15, postgresql-client-15,
# sysbench; through apt-get, which needs root). Every command's output is in
# the work directory printed at the start; the table goes to stdout.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

DURATION=${BENCH_DURATION:-20}
CLIENTS=${BENCH_CLIENTS:-4}
JOBS=${BENCH_JOBS:-2}
SCALE=${BENCH_SCALE:-2}
SB_ROWS=${BENCH_SYSBENCH_ROWS:-10000}
RDB_BASE=${BENCH_BASE_PORT:-17432}
PG_PORT=${BENCH_PG_PORT:-25440}
INIT_TIMEOUT=${BENCH_INIT_TIMEOUT:-1800}
RUN_TIMEOUT=$((DURATION + 180))
PGBIN=/usr/lib/postgresql/15/bin

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 1; }

for v in DURATION CLIENTS JOBS SCALE SB_ROWS RDB_BASE PG_PORT INIT_TIMEOUT; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done

# ------------------------------------------------------------ dependencies --

APT_UPDATED=0
apt_install() {
    [[ $(id -u) -eq 0 ]] || die "missing $*; install it (apt-get install $*) or run as root"
    command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get to install it"
    if ((!APT_UPDATED)); then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    say "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

[[ -x "$PGBIN/initdb" && -x "$PGBIN/pg_ctl" && -x "$PGBIN/pgbench" ]] || apt_install postgresql-15
[[ -x "$PGBIN/psql" ]] || apt_install postgresql-client-15
command -v sysbench >/dev/null 2>&1 || apt_install sysbench
command -v timeout >/dev/null 2>&1 || apt_install coreutils

# ---------------------------------------------------------------- work dir --

WORK=$(mktemp -d /tmp/rangedb-bench.XXXXXX)
chmod 755 "$WORK" # PostgreSQL runs as user postgres and needs to reach its dirs
LOGS=$WORK/logs
mkdir -p "$LOGS"
say "work directory: $WORK"

RDB_STARTED=0
PG_STARTED=0
AS_PG=() # prefix that runs a command as the PostgreSQL server's OS user
if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' OS user to run PostgreSQL as"
    AS_PG=(runuser -u postgres --)
fi

stop_rangedb() {
    if ((RDB_STARTED)); then
        "$REPO/scripts/cluster.sh" stop --dir "$WORK/rangedb" --base-port "$RDB_BASE" >>"$LOGS/cluster.log" 2>&1 || true
        RDB_STARTED=0
    fi
}

cleanup() {
    stop_rangedb
    if ((PG_STARTED)); then
        "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >>"$LOGS/postgres-ctl.log" 2>&1 || true
    fi
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ----------------------------------------------------------------- servers --

say "starting a 3-node rangedb cluster (base port $RDB_BASE)"
RDB_STARTED=1
"$REPO/scripts/cluster.sh" start --dir "$WORK/rangedb" --base-port "$RDB_BASE" >>"$LOGS/cluster.log" 2>&1 \
    || { tail -n 40 "$LOGS/cluster.log" >&2; die "rangedb cluster did not start (see above)"; }

say "starting PostgreSQL 15 (port $PG_PORT)"
mkdir -p "$WORK/pg"
[[ $(id -u) -ne 0 ]] || chown postgres "$WORK/pg"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/pg/data" -U root -A trust -E UTF8 --no-locale \
    >>"$LOGS/postgres-initdb.log" 2>&1 || { cat "$LOGS/postgres-initdb.log" >&2; die "initdb failed"; }
PG_STARTED=1
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -w -l "$WORK/pg/server.log" \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=100" start \
    >>"$LOGS/postgres-ctl.log" 2>&1 || { cat "$WORK/pg/server.log" >&2; die "PostgreSQL did not start"; }

# --------------------------------------------------------------- workloads --

WORKLOADS=("pgbench tpcb-like" "pgbench select-only" "sysbench oltp_point_select" "sysbench oltp_read_write")
declare -A TPS=()  # "<target>|<workload>" -> tps, or "failed"
declare -A NOTE=() # "<target>|<workload>" -> remark (retries, ignored errors)

# The value of "tps = X (without initial connection time)" in pgbench output $1.
pgbench_tps() { sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$1" | tail -n 1; }

# The per-second rate on sysbench's "transactions:" line in $1.
sysbench_tps() { sed -n 's/^ *transactions: *[0-9]* *(\([0-9.]*\) per sec\.)$/\1/p' "$1" | tail -n 1; }

# run_workloads TARGET PORT: every workload against 127.0.0.1:PORT.
run_workloads() {
    local target=$1 port=$2 log tps
    local -a pgb=("$PGBIN/pgbench" -h 127.0.0.1 -p "$port" -U root)
    local -a sb=(sysbench --db-driver=pgsql --pgsql-host=127.0.0.1 --pgsql-port="$port"
        --pgsql-user=root --pgsql-db=postgres --tables=1 --table-size="$SB_ROWS")

    say "$target: pgbench -i -s $SCALE"
    log=$LOGS/$target-pgbench-init.log
    if ! timeout "$INIT_TIMEOUT" "${pgb[@]}" -i -s "$SCALE" postgres >"$log" 2>&1; then
        say "$target: pgbench -i failed (see $log)"
        TPS["$target|pgbench tpcb-like"]=failed
        TPS["$target|pgbench select-only"]=failed
    else
        local -A args=(["pgbench tpcb-like"]="" ["pgbench select-only"]="-S")
        local w
        for w in "pgbench tpcb-like" "pgbench select-only"; do
            say "$target: $w (${DURATION}s, $CLIENTS clients)"
            log=$LOGS/$target-${w// /-}.log
            # shellcheck disable=SC2086 # ${args[$w]} is empty or one flag
            if timeout "$RUN_TIMEOUT" "${pgb[@]}" ${args[$w]} -c "$CLIENTS" -j "$JOBS" -T "$DURATION" \
                --max-tries=10 postgres >"$log" 2>&1 && tps=$(pgbench_tps "$log") && [[ -n "$tps" ]]; then
                TPS["$target|$w"]=$tps
                NOTE["$target|$w"]=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/failed \1/p; s/^number of transactions retried: \([0-9]*\).*/retried \1/p' "$log" | paste -sd ' ')
            else
                say "$target: $w failed (see $log)"
                TPS["$target|$w"]=failed
            fi
        done
    fi

    say "$target: sysbench prepare ($SB_ROWS rows)"
    log=$LOGS/$target-sysbench-prepare.log
    "${sb[@]}" oltp_read_write cleanup >/dev/null 2>&1 || true
    if ! timeout "$INIT_TIMEOUT" "${sb[@]}" oltp_read_write prepare >"$log" 2>&1; then
        say "$target: sysbench prepare failed (see $log)"
        TPS["$target|sysbench oltp_point_select"]=failed
        TPS["$target|sysbench oltp_read_write"]=failed
        return 0
    fi
    local test
    for test in oltp_point_select oltp_read_write; do
        say "$target: sysbench $test (${DURATION}s, $CLIENTS threads)"
        log=$LOGS/$target-sysbench-$test.log
        if timeout "$RUN_TIMEOUT" "${sb[@]}" --threads="$CLIENTS" --time="$DURATION" "$test" run \
            >"$log" 2>&1 && tps=$(sysbench_tps "$log") && [[ -n "$tps" ]]; then
            TPS["$target|sysbench $test"]=$tps
            NOTE["$target|sysbench $test"]=$(sed -n 's/^ *ignored errors: *\([0-9]*\).*/ignored errors \1/p' "$log")
        else
            say "$target: sysbench $test failed (see $log)"
            TPS["$target|sysbench $test"]=failed
        fi
    done
    "${sb[@]}" oltp_read_write cleanup >>"$LOGS/$target-sysbench-prepare.log" 2>&1 || true
}

run_workloads rangedb "$RDB_BASE"
stop_rangedb
run_workloads postgres "$PG_PORT"

# ------------------------------------------------------------------ report --

ratio() {
    if [[ "$1" == failed || "$2" == failed ]]; then
        echo "-"
    else
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'
    fi
}

fmt_tps() { [[ "$1" == failed ]] && echo failed || awk -v t="$1" 'BEGIN { printf "%.1f", t }'; }

echo
echo "$(date '+%Y-%m-%d'), $(nproc) cores. ${DURATION} s per run, $CLIENTS clients (pgbench -j $JOBS)," \
    "pgbench scale $SCALE, sysbench one table of $SB_ROWS rows." \
    "rangedb: 3 nodes on this machine; PostgreSQL: $("$PGBIN/postgres" --version | sed 's/^postgres (PostgreSQL) //'), defaults."
echo
echo "| workload | rangedb tps | PostgreSQL tps | rangedb/PostgreSQL |"
echo "|---|---|---|---|"
for w in "${WORKLOADS[@]}"; do
    r=${TPS["rangedb|$w"]:-failed}
    p=${TPS["postgres|$w"]:-failed}
    echo "| $w | $(fmt_tps "$r") | $(fmt_tps "$p") | $(ratio "$r" "$p") |"
done
echo
for t in rangedb postgres; do
    for w in "${WORKLOADS[@]}"; do
        n=${NOTE["$t|$w"]:-}
        [[ -z "$n" ]] || echo "- $t, $w: $n"
    done
done
