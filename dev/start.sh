#!/usr/bin/env bash
# Starts the whole of Conform locally in the background, with demo data; or stops it.
#
# Usage: dev/start.sh [start|stop|status]
#
# start: builds, starts a private PostgreSQL (Debian's, installed when missing) in
#        .conform/postgres on 127.0.0.1:${CONFORM_PG_PORT:-7432}, makes a development CA and
#        certificates in .conform/tls, provisions each service's role, schema and audit trail,
#        starts the five services (each migrates its own schema), loads the demo data, and
#        prints how to use the CLI. A second start reuses all of it. CONFORM_BUILD=release
#        builds and runs optimized binaries (for benchmarks).
# stop:  drains the services (SIGTERM) and stops PostgreSQL; the data stays for next time.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
state="$root/.conform"
services=(requirement batch evidence supplier reporting)

pid_of() { cat "$state/run/$1.pid" 2>/dev/null || true; }
running() { local pid; pid="$(pid_of "$1")"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

start() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "dev/start.sh: no 'swift' on PATH; install the Swift 6 toolchain first" >&2
        exit 1
    fi
    # CONFORM_BUILD=release runs optimized services (for benchmarks); the default is debug.
    local configuration="${CONFORM_BUILD:-debug}"
    echo "== build ($configuration; the first build takes several minutes)"
    swift build -c "$configuration"
    bin="$(swift build -c "$configuration" --show-bin-path)"

    echo "== PostgreSQL"
    dev/postgres.sh start "$state/postgres" "${CONFORM_PG_PORT:-7432}"
    eval "$(dev/postgres.sh env "$state/postgres")"

    echo "== certificates and database roles"
    "$bin/conform" certs init --dir "$state/tls"
    "$bin/conform" db provision --secrets-dir "$state/secrets" >/dev/null
    echo "Provisioned roles, schemas and audit trails for: ${services[*]}"

    echo "== services"
    mkdir -p "$state/run" "$state/logs"
    for service in "${services[@]}"; do
        if running "$service"; then
            echo "$service: already running (pid $(pid_of "$service"))"
            continue
        fi
        CONFORM_TLS_DIR="$state/tls" \
        CONFORM_DB_HOST="$CONFORM_PG_HOST" CONFORM_DB_PORT="$CONFORM_PG_PORT" \
        CONFORM_DB_PASSWORD_FILE="$state/secrets/$service.password" \
        CONFORM_EXPORT_DIR="$state/exports" \
            nohup "$bin/conform-$service" >>"$state/logs/$service.log" 2>&1 &
        echo $! >"$state/run/$service.pid"
        echo "$service: started (pid $!, log .conform/logs/$service.log)"
    done

    export CONFORM_TLS_DIR="$state/tls"
    for _ in $(seq 1 60); do
        if "$bin/conform" health --as operator >/dev/null 2>&1; then break; fi
        for service in "${services[@]}"; do
            if ! running "$service"; then
                echo "dev/start.sh: $service stopped; the end of .conform/logs/$service.log:" >&2
                tail -15 "$state/logs/$service.log" >&2
                exit 1
            fi
        done
        sleep 0.5
    done
    "$bin/conform" health --as operator

    echo "== demo data"
    dev/demo.sh "$bin/conform"

    cat <<MSG

Conform is running. Try it (every command has --help):
  export PATH="$bin:\$PATH" CONFORM_TLS_DIR="$state/tls"
  conform customer list
  conform product list --family FASTENERS
  conform customer get B --json
  conform product requirements ABC
  conform requirement resolve --customer B --product ABC --date 2025-01-05
  conform customer add E --name "Customer E" --industry medical-device --as operator    # denied: wrong role
  conform audit list --service requirement --as auditor
  conform audit verify --service requirement --as auditor
Principals (--as): quality-engineer (default), quality-manager, operator, inspector, auditor,
  admin, customer-a-auditor; 'conform certs list --dir $state/tls' shows their roles.
Metrics: http://127.0.0.1:7301/metrics (requirement; 7302-7305 for the others).
Stop it: dev/start.sh stop
MSG
}

stop() {
    for service in "${services[@]}"; do
        if running "$service"; then
            kill -TERM "$(pid_of "$service")"
            for _ in $(seq 1 50); do running "$service" || break; sleep 0.2; done
            if running "$service"; then kill -KILL "$(pid_of "$service")"; fi
            echo "$service: stopped"
        fi
        rm -f "$state/run/$service.pid"
    done
    if [ -d "$state/postgres" ]; then dev/postgres.sh stop "$state/postgres"; fi
}

status() {
    local all=0
    for service in "${services[@]}"; do
        if running "$service"; then echo "$service: running (pid $(pid_of "$service"))"; else echo "$service: not running"; all=1; fi
    done
    if [ -d "$state/postgres" ]; then dev/postgres.sh status "$state/postgres" || all=1; else echo "postgres: not created"; all=1; fi
    return $all
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    -h|--help) sed -n '2,12p' "$0" ;;
    *) echo "dev/start.sh: unknown command '$1'; use start, stop or status" >&2; exit 2 ;;
esac
