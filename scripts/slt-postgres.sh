#!/usr/bin/env bash
# Run the SQL logic test corpus (sql/*.slt) against a throwaway PostgreSQL 15.
#
# Starts a private PostgreSQL 15 cluster (data directory in a temp dir, a free
# port on 127.0.0.1, stopped and deleted on exit), runs every sql/*.slt file with
# the rangedb-slt runner labelled `postgres`, and exits non-zero on any failure.
#
# Usage: scripts/slt-postgres.sh [FILE.slt ...]   (default: all of sql/)
#        scripts/slt-postgres.sh --override FILE.slt   (rewrite expected results)
#
# Works as root (the server runs as the `postgres` user via runuser) or as an
# ordinary user that can run initdb itself. Installs postgresql-15 with apt-get
# when run as root and /usr/lib/postgresql/15/bin is missing.
# Honors CARGO_TARGET_DIR for building the runner.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pgbin="${PGBIN:-/usr/lib/postgresql/15/bin}"

if [[ ! -x "$pgbin/initdb" ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "installing postgresql-15..." >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
    else
        echo "PostgreSQL 15 not found at $pgbin (set PGBIN or install postgresql-15)" >&2
        exit 2
    fi
fi

# Run server commands as `postgres` when we are root (initdb refuses root).
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Build the runner first so that compile errors don't leave a server behind.
(cd "$repo" && cargo build -q --workspace --all-targets)
runner="${CARGO_TARGET_DIR:-$repo/target}/debug/rangedb-slt"
[[ "$runner" = /* ]] || runner="$repo/$runner"

tmp="$(mktemp -d -t rangedb-slt-pg.XXXXXX)"
chmod 755 "$tmp"
if [[ "$(id -u)" == 0 ]]; then
    chown postgres "$tmp"
fi
started=""
cleanup() {
    if [[ -n "$started" ]]; then
        as_pg "$pgbin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# A free TCP port on 127.0.0.1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 20000))
    if port_free "$candidate"; then
        port="$candidate"
        break
    fi
done
[[ -n "$port" ]] || { echo "no free port found" >&2; exit 2; }

# C collation (byte order) and UTF8, like rangedb.
as_pg "$pgbin/initdb" -D "$tmp/data" -U postgres -E UTF8 --no-locale -A trust >/dev/null
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -w -t 60 -l "$tmp/server.log" \
    -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
started=1

url="host=127.0.0.1 port=$port user=postgres dbname=postgres"
cd "$repo"
if [[ $# -eq 0 ]]; then
    set -- sql
fi
status=0
"$runner" --engine postgres --url "$url" "$@" || status=$?
if [[ $status -ne 0 ]]; then
    echo "slt-postgres: FAILED (exit $status); server log: $tmp/server.log (deleted on exit)" >&2
fi
exit "$status"
