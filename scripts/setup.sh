#!/usr/bin/env bash
# Installs what building rangedb needs on a Debian/Ubuntu machine.
# Idempotent: does nothing (and prints nothing) when everything is present.
#
#   - libclang-dev   (bindgen, used by the RocksDB build), via apt-get as root
#   - cargo          (must already exist: install Rust from https://rustup.rs)
#   - cargo-nextest  (test runner), via `cargo install` if missing
#   - psql and pgbench (the SQL tests drive a cluster with them), via
#     apt-get install postgresql-client postgresql-15 as root when missing
set -euo pipefail

say() { echo "setup: $*" >&2; }
die() { say "error: $*"; exit 1; }

# --- libclang ------------------------------------------------------------
have_libclang() {
    # An explicit LLVM installation wins (non-Debian systems, custom toolchains).
    if [[ -n "${LIBCLANG_PATH:-}" ]] && compgen -G "${LIBCLANG_PATH}/libclang*.so*" >/dev/null; then
        return 0
    fi
    command -v dpkg-query >/dev/null 2>&1 || return 1
    # libclang-dev, or a versioned libclang-NN-dev, installed via apt.
    local status
    status=$(dpkg-query -W -f='${Status}\n' libclang-dev 'libclang-*-dev' 2>/dev/null || true)
    grep -q 'install ok installed' <<<"$status"
}

if ! have_libclang; then
    command -v apt-get >/dev/null 2>&1 \
        || die "libclang is missing and apt-get is not available; install libclang (LLVM) and set LIBCLANG_PATH"
    if [[ "$(id -u)" -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO=(sudo)
        else
            die "libclang-dev is missing; run as root: apt-get update && apt-get install -y libclang-dev"
        fi
    else
        SUDO=()
    fi
    say "installing libclang-dev (needed to build RocksDB bindings)..."
    log=$(mktemp)
    if ! { "${SUDO[@]}" apt-get update -q && \
           DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q libclang-dev; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "apt-get install libclang-dev failed"
    fi
    rm -f "$log"
    say "libclang-dev installed"
fi

# --- cargo ---------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1 && [[ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 \
    || die "cargo not found; install Rust with rustup (https://rustup.rs) and re-run"

# --- cargo-nextest -------------------------------------------------------
if ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest (cargo install cargo-nextest --locked)..."
    cargo install cargo-nextest --locked --quiet \
        || die "cargo install cargo-nextest failed"
    cargo nextest --version >/dev/null 2>&1 \
        || die "cargo-nextest installed but 'cargo nextest' still fails (is ~/.cargo/bin on PATH?)"
    say "cargo-nextest installed"
fi

# --- psql / pgbench --------------------------------------------------------
if ! command -v psql >/dev/null 2>&1 || ! command -v pgbench >/dev/null 2>&1; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing postgresql-client and postgresql-15 (psql; pgbench ships with the server package)..."
        log=$(mktemp)
        if ! { apt-get update -q && \
               DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-client postgresql-15; } >"$log" 2>&1; then
            cat "$log" >&2
            rm -f "$log"
            die "apt-get install postgresql-client postgresql-15 failed"
        fi
        rm -f "$log"
    else
        die "psql/pgbench missing; install postgresql-client (apt-get install -y postgresql-client)"
    fi
fi
