#!/usr/bin/env bash
# Everything CI checks: formatting, clippy (warnings are errors) and the whole
# test suite under cargo-nextest (dev profile). Every step runs even if an
# earlier one failed; the script exits non-zero if any step failed.
#
# The first run compiles RocksDB from source: expect 10+ minutes on 2 cores.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh

failed=()
step() {
    printf '\n==> %s\n' "$*"
    if ! "$@"; then
        failed+=("$*")
        printf '==> FAILED: %s\n' "$*"
    fi
}

step cargo fmt --all -- --check
step cargo clippy --workspace --all-targets -- -D warnings
step cargo nextest run --workspace --all-targets --no-fail-fast
# The same SQL logic tests against PostgreSQL 15: expected results are
# PostgreSQL's own, so the corpus must pass there too.
step scripts/slt-postgres.sh

echo
if ((${#failed[@]})); then
    printf '==> %d step(s) failed:\n' "${#failed[@]}"
    printf '      %s\n' "${failed[@]}"
    exit 1
fi
echo "==> all checks passed"
