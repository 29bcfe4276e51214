#!/usr/bin/env bash
# Runs every test of the project: the compose file and shell scripts, the build, the worked
# example of the partner API (a stock Python gRPC client against the demo, dev/partner-example.sh),
# a release's spans received over OTLP as one trace across the services (dev/tracing-test.sh),
# then XCTest and Swift Testing against a private throwaway PostgreSQL, then the compose deployment
# run for real under podman (dev/compose-test.sh: images, the stack, the demo and the partner
# example through its published ports, batch scaled to 3 with a replica killed under load, data
# kept across down and up, a schema's backup and restore), then the Kubernetes manifests
# (dev/kube-test.sh: validated, scanned with checkov, and run with podman kube play, probes
# included). Each stage prints its time.
#
# Usage: dev/test.sh [--check-generated] [-- SWIFT-TEST-ARGS...]
#   --check-generated  also fail if Shared/Generated/ drifted from Protos/ (always on in CI;
#                      installs protoc and builds the two plugins on first use).
# Extra arguments after `--` go to `swift test` (e.g. -- --filter Customer); the partner example,
# the tracing test and the compose and Kubernetes deployments then do not run.
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
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "dev/test.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# Each stage says how long the one before it took, and the run ends with the whole time.
began=$SECONDS
stage_began=$SECONDS
stage_name=""
stage() {
    if [ -n "$stage_name" ]; then echo "-- $stage_name: $((SECONDS - stage_began)) s"; fi
    stage_name="$1"
    stage_began=$SECONDS
    echo "== $1"
}
finish() {
    local status=$?
    if [ -n "$stage_name" ]; then echo "-- $stage_name: $((SECONDS - stage_began)) s"; fi
    echo "-- dev/test.sh: $((SECONDS - began)) s in all"
    return $status
}

if ! command -v swift >/dev/null 2>&1; then
    echo "dev/test.sh: no 'swift' on PATH; install the Swift 6 toolchain first" >&2
    exit 1
fi

if $check_generated; then
    stage "generated code matches Protos/"
    dev/check-generated-code.sh
fi

stage "docker-compose deployment and shell scripts"
dev/check-compose.sh

stage "build (debug, with tests)"
swift build --build-tests

pg_dir="$root/.conform/test-postgres"
trap 'finish || true; dev/postgres.sh destroy "$pg_dir" >/dev/null 2>&1 || true' EXIT

if [ ${#extra[@]} -eq 0 ]; then
    stage "the partner API from a stock Python gRPC client (examples/python)"
    dev/partner-example.sh
    stage "one trace across the services for a release, over OTLP (dev/tracing-test.sh)"
    dev/tracing-test.sh
fi

stage "PostgreSQL for the tests"
dev/postgres.sh destroy "$pg_dir" >/dev/null 2>&1 || true
CONFORM_PG_FAST=1 dev/postgres.sh start "$pg_dir" "${CONFORM_TEST_PG_PORT:-7499}"
eval "$(dev/postgres.sh env "$pg_dir")"
export CONFORM_PG_FAST=1

stage "tests"
swift test --skip-build "${extra[@]}"

if [ ${#extra[@]} -eq 0 ]; then
    stage "the compose deployment under podman (dev/compose-test.sh)"
    dev/compose-test.sh
    stage "the Kubernetes manifests: validated, scanned, run with podman kube play (dev/kube-test.sh)"
    dev/kube-test.sh
fi
