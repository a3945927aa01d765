#!/usr/bin/env bash
# A local rangedb cluster on 127.0.0.1.
#
#   scripts/cluster.sh start   [options] [-- extra `rangedb start` flags]
#   scripts/cluster.sh stop    [options]
#   scripts/cluster.sh status  [options]
#   scripts/cluster.sh kill N  [options]     # kill -9 node N
#   scripts/cluster.sh restart N [options]   # start node N again (same flags)
#
# Options:
#   --nodes K        number of nodes (default 3)
#   --base-port P    node i listens on SQL P+i-1, RPC P+100+i-1, HTTP P+200+i-1
#                    (default 15432: SQL 15432.., RPC 15532.., HTTP 15632..)
#   --dir D          node i keeps its data in D/node$i, its log in D/node$i.log,
#                    its pid in D/node$i.pid and its start command in D/node$i.cmd
#                    (default: .rangedb under the repository root)
#
# Environment:
#   RANGEDB_BIN            use this binary instead of building with cargo
#   RANGEDB_START_TIMEOUT  seconds `start` waits for the cluster (default 60)
#
# `start` installs missing build dependencies (scripts/setup.sh), builds, starts
# every node that is not already running, bootstraps the cluster once (`rangedb
# init`, remembered in D/initialized) and returns only when every range has a
# leader and a KV write/read round trip through node 1 succeeds.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

NODES=3
BASE_PORT=15432
DIR="$REPO/.rangedb"
EXTRA=()
TIMEOUT=${RANGEDB_START_TIMEOUT:-60}

say() { echo "cluster: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------- arguments --

[[ $# -ge 1 ]] || { usage >&2; exit 2; }
ACTION=$1
shift
case "$ACTION" in
    start | stop | status | kill | restart) ;;
    -h | --help | help) usage; exit 0 ;;
    *) usage >&2; die "unknown command '$ACTION'" ;;
esac

NODE=""
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --nodes) need_value "$@"; NODES=$2; shift 2 ;;
        --nodes=*) NODES=${1#*=}; shift ;;
        --base-port) need_value "$@"; BASE_PORT=$2; shift 2 ;;
        --base-port=*) BASE_PORT=${1#*=}; shift ;;
        --dir) need_value "$@"; DIR=$2; shift 2 ;;
        --dir=*) DIR=${1#*=}; shift ;;
        --) shift; EXTRA=("$@"); break ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option '$1' (flags for rangedb go after --)" ;;
        *)
            [[ -z "$NODE" && ( "$ACTION" == kill || "$ACTION" == restart ) ]] \
                || die "unexpected argument '$1'"
            NODE=$1
            shift
            ;;
    esac
done

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
if ! is_uint "$NODES" || ((NODES < 1)); then
    die "--nodes must be a positive integer"
fi
if ! is_uint "$BASE_PORT" || ((BASE_PORT < 1 || BASE_PORT + 200 + NODES - 1 > 65535)); then
    die "--base-port $BASE_PORT leaves no room for $NODES nodes (ports up to P+200+nodes-1)"
fi
is_uint "$TIMEOUT" || die "RANGEDB_START_TIMEOUT must be a number of seconds"
if [[ "$ACTION" == kill || "$ACTION" == restart ]]; then
    [[ -n "$NODE" ]] || die "usage: $0 $ACTION N"
    if ! is_uint "$NODE" || ((NODE < 1)); then
        die "node number must be a positive integer, got '$NODE'"
    fi
fi
((${#EXTRA[@]} == 0)) || [[ "$ACTION" == start ]] \
    || die "extra rangedb flags (after --) only apply to start; restart reuses the stored command"

# Absolute, so that D/node$i.cmd stays valid from any working directory.
if [[ "$ACTION" == start ]]; then
    mkdir -p "$DIR"
elif [[ ! -d "$DIR" ]]; then
    die "no cluster in $DIR (nothing started there yet)"
fi
DIR=$(cd "$DIR" && pwd)

# ------------------------------------------------------------------ helpers --

sql_port() { echo $((BASE_PORT + $1 - 1)); }
rpc_port() { echo $((BASE_PORT + 100 + $1 - 1)); }
http_port() { echo $((BASE_PORT + 200 + $1 - 1)); }

pid_file() { echo "$DIR/node$1.pid"; }
log_file() { echo "$DIR/node$1.log"; }
cmd_file() { echo "$DIR/node$1.cmd"; }
data_dir() { echo "$DIR/node$1"; }

# Runs a command with a time limit when coreutils' timeout is available.
bounded() {
    local secs=$1
    shift
    if command -v timeout >/dev/null 2>&1; then
        timeout "$secs" "$@"
    else
        "$@"
    fi
}

# The pid recorded for node $1 (empty if none).
node_pid() {
    local f
    f=$(pid_file "$1")
    if [[ -f "$f" ]]; then
        tr -dc '0-9' <"$f"
    fi
}

# True if $2 is a live (non-zombie) rangedb process for node $1 of this cluster,
# so a stale pid file never makes us signal an unrelated process.
pid_is_node() {
    local i=$1 pid=$2 state cmdline
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ -r "/proc/$pid/stat" ]] || return 0 # no procfs: trust kill -0
    state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ "$state" != Z && "$state" != X ]] || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ " $cmdline " == *" --node-id $i "* && " $cmdline " == *" --data-dir $(data_dir "$i") "* ]]
}

node_alive() { pid_is_node "$1" "$(node_pid "$1")"; }

# Loads node $1's stored start command into the array NODE_CMD.
load_cmd() {
    local f
    f=$(cmd_file "$1")
    [[ -f "$f" ]] || die "node $1 was never started here (no $f); run '$0 start' first"
    eval "NODE_CMD=($(<"$f"))"
    ((${#NODE_CMD[@]} > 0)) || die "$f is empty"
}

# The value following flag $1 in NODE_CMD.
cmd_flag() {
    local want=$1 k
    for ((k = 0; k < ${#NODE_CMD[@]} - 1; k++)); do
        if [[ "${NODE_CMD[k]}" == "$want" ]]; then
            echo "${NODE_CMD[k + 1]}"
            return 0
        fi
    done
    return 1
}

# Node numbers this command concerns: 1..--nodes plus any node that has a
# stored command in D (so stop/status also find nodes of a larger cluster).
known_nodes() {
    local f i
    {
        for ((i = 1; i <= NODES; i++)); do echo "$i"; done
        for f in "$DIR"/node*.cmd; do
            [[ -e "$f" ]] || continue
            i=${f##*/node}
            i=${i%.cmd}
            is_uint "$i" && echo "$i"
        done
    } | sort -nu
}

# GET http://$1/health answers 200.
health_ok() {
    local addr=$1 host port resp
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 2 "http://$addr/health" >/dev/null 2>&1
        return
    fi
    host=${addr%:*}
    port=${addr##*:}
    resp=$(
        exec 2>/dev/null
        exec 3<>"/dev/tcp/$host/$port" || exit 1
        printf 'GET /health HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$addr" >&3
        bounded 2 cat <&3
    ) || return 1
    [[ "$resp" == "HTTP/1."?" 200"* ]]
}

print_log_tails() {
    local i f
    for i in $(known_nodes); do
        f=$(log_file "$i")
        [[ -f "$f" ]] || continue
        echo "----- tail of $f -----" >&2
        tail -n 25 "$f" >&2 || true
    done
    say "nodes still running are left up for inspection; stop them with: $0 stop$(where_args)"
}

# The --base-port/--dir arguments that address this cluster (empty for defaults).
where_args() {
    [[ "$BASE_PORT" == 15432 ]] || printf ' --base-port %s' "$BASE_PORT"
    [[ "$DIR" == "$REPO/.rangedb" ]] || printf ' --dir %q' "$DIR"
}

# Starts node $1 from NODE_CMD in the background, detached from this terminal.
launch() {
    local i=$1 log pid
    log=$(log_file "$i")
    mkdir -p "$(data_dir "$i")"
    echo "=== $(date '+%Y-%m-%d %H:%M:%S') starting node $i: ${NODE_CMD[*]}" >>"$log"
    # Plain-text logs in the log files (tracing honours NO_COLOR).
    export NO_COLOR=1
    # setsid: a Ctrl-C in this terminal must not reach the nodes. (Without job
    # control the child is not a process-group leader, so setsid execs in place
    # and $! is the node's pid.)
    if command -v setsid >/dev/null 2>&1; then
        nohup setsid "${NODE_CMD[@]}" >>"$log" 2>&1 </dev/null &
    else
        nohup "${NODE_CMD[@]}" >>"$log" 2>&1 </dev/null &
    fi
    pid=$!
    echo "$pid" >"$(pid_file "$i")"
    say "node $i started (pid $pid, log $log)"
}

# SIGTERM to the given nodes, wait up to 10 s, then SIGKILL the rest.
stop_nodes() {
    local i k pid waited any
    local -a pids=() nodes=()
    for i in "$@"; do
        pid=$(node_pid "$i")
        if pid_is_node "$i" "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            nodes+=("$i")
        else
            rm -f "$(pid_file "$i")"
        fi
    done
    ((${#pids[@]} > 0)) || return 0
    say "stopping node(s) ${nodes[*]}..."
    for ((waited = 0; waited < 100; waited++)); do
        any=0
        for k in "${!pids[@]}"; do
            pid_is_node "${nodes[k]}" "${pids[k]}" && any=1
        done
        ((any)) || break
        sleep 0.1
    done
    for k in "${!pids[@]}"; do
        if pid_is_node "${nodes[k]}" "${pids[k]}"; then
            say "node ${nodes[k]} (pid ${pids[k]}) ignored SIGTERM for 10s; sending SIGKILL"
            kill -KILL "${pids[k]}" 2>/dev/null || true
        fi
        rm -f "$(pid_file "${nodes[k]}")"
    done
    say "stopped node(s) ${nodes[*]}"
}

# Fails (with the logs) if one of the given nodes is no longer running.
check_running() {
    local i
    for i in "$@"; do
        if ! node_alive "$i"; then
            say "node $i exited while the cluster was starting"
            print_log_tails
            exit 1
        fi
    done
}

timed_out() {
    say "timed out after ${TIMEOUT}s: $1"
    print_log_tails
    exit 1
}

# ----------------------------------------------------------------- commands --

cmd_start() {
    local bin i
    if [[ -n "${RANGEDB_BIN:-}" ]]; then
        [[ -x "$RANGEDB_BIN" ]] || die "RANGEDB_BIN=$RANGEDB_BIN is not an executable file"
        bin=$(cd "$(dirname "$RANGEDB_BIN")" && pwd)/$(basename "$RANGEDB_BIN")
    else
        "$REPO/scripts/setup.sh"
        say "building (cargo build --workspace --all-targets)..."
        # The same build as the test suite's: a plain `cargo build` resolves
        # features without dev-dependencies and would compile RocksDB a
        # second time (10+ minutes).
        (cd "$REPO" && cargo build --quiet --workspace --all-targets) || die "cargo build failed"
        local target=${CARGO_TARGET_DIR:-target}
        [[ "$target" == /* ]] || target="$REPO/$target"
        bin="$target/debug/rangedb"
        [[ -x "$bin" ]] || die "cargo build did not produce $bin"
    fi

    # A marker from a cluster whose data was deleted since would skip init.
    if [[ -f "$DIR/initialized" && ! -d "$(data_dir 1)" ]]; then
        rm -f "$DIR/initialized"
    fi

    local join="" started=()
    for ((i = 1; i <= NODES; i++)); do
        join+="${join:+,}127.0.0.1:$(rpc_port "$i")"
    done

    for ((i = 1; i <= NODES; i++)); do
        if node_alive "$i"; then
            say "node $i already running (pid $(node_pid "$i"))"
            continue
        fi
        NODE_CMD=("$bin" start
            --node-id "$i"
            --data-dir "$(data_dir "$i")"
            --listen-addr "127.0.0.1:$(rpc_port "$i")"
            --sql-addr "127.0.0.1:$(sql_port "$i")"
            --http-addr "127.0.0.1:$(http_port "$i")"
            --join "$join"
            ${EXTRA[@]+"${EXTRA[@]}"})
        printf '%q ' "${NODE_CMD[@]}" >"$(cmd_file "$i")"
        echo >>"$(cmd_file "$i")"
        launch "$i"
        started+=("$i")
    done

    local deadline=$((SECONDS + TIMEOUT))
    local rpc1 http1
    rpc1="127.0.0.1:$(rpc_port 1)"
    http1="127.0.0.1:$(http_port 1)"

    # 1. Every node answers /health.
    for ((i = 1; i <= NODES; i++)); do
        until health_ok "127.0.0.1:$(http_port "$i")"; do
            check_running ${started[@]+"${started[@]}"}
            ((SECONDS < deadline)) || timed_out "node $i /health on 127.0.0.1:$(http_port "$i")"
            sleep 0.2
        done
    done

    # 2. Bootstrap once.
    if [[ ! -f "$DIR/initialized" ]]; then
        local out left
        while true; do
            left=$((deadline - SECONDS))
            ((left >= 5)) || left=5
            if out=$(bounded "$left" "$bin" init --host "$rpc1" 2>&1); then
                say "$out"
                break
            elif [[ "$out" == *"already initialized"* ]]; then
                break
            fi
            check_running ${started[@]+"${started[@]}"}
            ((SECONDS < deadline)) || { say "last init output: ${out:-(none; it did not finish)}"; timed_out "rangedb init"; }
            sleep 0.5
        done
        date '+%Y-%m-%d %H:%M:%S' >"$DIR/initialized"
    fi

    # 3. Every range has a leader.
    local ranges=""
    while true; do
        if ranges=$(bounded 10 "$bin" debug ranges --host "$http1" 2>&1) \
            && [[ "$ranges" == *"range="* && "$ranges" != *"leader=none"* ]]; then
            break
        fi
        check_running ${started[@]+"${started[@]}"}
        ((SECONDS < deadline)) || { say "last debug ranges output:"; echo "$ranges" >&2; timed_out "a leader for every range"; }
        sleep 0.3
    done

    # 4. A write and a read through node 1.
    local probe="cluster-sh-probe-$$-$RANDOM" got=""
    while true; do
        if bounded 10 "$bin" kv --host "$rpc1" put __cluster_sh_probe "$probe" >/dev/null 2>&1 \
            && got=$(bounded 10 "$bin" kv --host "$rpc1" get __cluster_sh_probe 2>&1) \
            && [[ "$got" == "$probe" ]]; then
            break
        fi
        check_running ${started[@]+"${started[@]}"}
        ((SECONDS < deadline)) || { say "last kv get output: $got"; timed_out "a kv put/get round trip through node 1"; }
        sleep 0.3
    done
    bounded 10 "$bin" kv --host "$rpc1" delete __cluster_sh_probe >/dev/null 2>&1 || true

    local rel_bin=$bin
    [[ "$bin" == "$REPO/"* ]] && rel_bin=${bin#"$REPO/"}
    cat <<EOF
rangedb cluster is up: $NODES node(s) on 127.0.0.1, data in $DIR
$ranges

  $rel_bin kv --host $rpc1 put hello world
  $rel_bin kv --host $rpc1 get hello
  $rel_bin debug ranges --host $http1
  $0 status$(where_args)     # also: stop, kill N, restart N

  psql -h 127.0.0.1 -p $(sql_port 1) -U root -d postgres
EOF
}

cmd_stop() {
    # shellcheck disable=SC2046 # node numbers, one word each
    stop_nodes $(known_nodes)
}

cmd_status() {
    local i pid state ok=1 http="" bin=""
    printf '%-6s %-8s %-6s %-16s %-16s %s\n' node pid state rpc http sql
    for i in $(known_nodes); do
        pid=$(node_pid "$i")
        if pid_is_node "$i" "$pid"; then
            state=alive
        else
            state=down
            ok=0
        fi
        local rpc h sql
        rpc="127.0.0.1:$(rpc_port "$i")"
        h="127.0.0.1:$(http_port "$i")"
        sql="127.0.0.1:$(sql_port "$i")"
        if [[ -f "$(cmd_file "$i")" ]]; then
            load_cmd "$i"
            rpc=$(cmd_flag --listen-addr || echo "$rpc")
            h=$(cmd_flag --http-addr || echo "$h")
            sql=$(cmd_flag --sql-addr || echo "$sql")
            [[ -n "$bin" ]] || bin=${NODE_CMD[0]}
        fi
        printf '%-6s %-8s %-6s %-16s %-16s %s\n' "$i" "${pid:--}" "$state" "$rpc" "$h" "$sql"
        [[ "$state" == alive && -z "$http" ]] && http=$h
    done
    echo
    if [[ -z "$bin" ]]; then
        echo "(no cluster started in $DIR)"
        return 1
    fi
    if [[ -z "$http" ]]; then
        echo "(no node is running)"
        return 1
    fi
    echo "ranges (via $http):"
    if ! bounded 10 "$bin" debug ranges --host "$http"; then
        ok=0
    fi
    ((ok))
}

cmd_kill() {
    local pid
    pid=$(node_pid "$NODE")
    if ! pid_is_node "$NODE" "$pid"; then
        say "node $NODE is not running"
        rm -f "$(pid_file "$NODE")"
        return 0
    fi
    kill -KILL "$pid"
    local n
    for ((n = 0; n < 50; n++)); do
        pid_is_node "$NODE" "$pid" || break
        sleep 0.1
    done
    rm -f "$(pid_file "$NODE")"
    say "node $NODE (pid $pid) killed with SIGKILL"
}

cmd_restart() {
    load_cmd "$NODE"
    local http
    http=$(cmd_flag --http-addr) || die "$(cmd_file "$NODE") has no --http-addr"
    if node_alive "$NODE"; then
        stop_nodes "$NODE"
    fi
    launch "$NODE"
    local deadline=$((SECONDS + TIMEOUT))
    until health_ok "$http"; do
        check_running "$NODE"
        ((SECONDS < deadline)) || timed_out "node $NODE /health on $http"
        sleep 0.2
    done
    say "node $NODE is healthy ($http)"
}

case "$ACTION" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    kill) cmd_kill ;;
    restart) cmd_restart ;;
esac
