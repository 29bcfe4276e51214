#!/usr/bin/env bash
# Runs every test of the project: the compose file and shell scripts, a private throwaway
# PostgreSQL, the build, then XCTest and Swift Testing.
#
# Usage: dev/test.sh [--check-generated] [-- SWIFT-TEST-ARGS...]
#   --check-generated  also fail if Shared/Generated/ drifted from Protos/ (always on in CI;
#                      installs protoc and builds the two plugins on first use).
# Extra arguments after `--` go to `swift test` (e.g. -- --filter Customer).
# PostgreSQL (Debian's package, installed when missing) runs from .conform/test-postgres on
# 127.0.0.1:${CONFORM_TEST_PG_PORT:-7499} for the run and is deleted afterwards.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

check_generated=false
if [ "${CI:-}" = "true" ]; then check_generated=true; fi
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --check-generated) check_generated=true ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "dev/test.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if ! command -v swift >/dev/null 2>&1; then
    echo "dev/test.sh: no 'swift' on PATH; install the Swift 6 toolchain first" >&2
    exit 1
fi

if $check_generated; then
    echo "== generated code matches Protos/"
    dev/check-generated-code.sh
fi

echo "== docker-compose deployment and shell scripts"
dev/check-compose.sh

echo "== build (debug, with tests)"
swift build --build-tests

echo "== PostgreSQL for the tests"
pg_dir="$root/.conform/test-postgres"
dev/postgres.sh destroy "$pg_dir" >/dev/null 2>&1 || true
CONFORM_PG_FAST=1 dev/postgres.sh start "$pg_dir" "${CONFORM_TEST_PG_PORT:-7499}"
trap 'dev/postgres.sh destroy "$pg_dir" >/dev/null 2>&1 || true' EXIT
eval "$(dev/postgres.sh env "$pg_dir")"
export CONFORM_PG_FAST=1

echo "== tests"
swift test --skip-build "${extra[@]}"
