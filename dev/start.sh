#!/usr/bin/env bash
# Starts Conform locally in the background, or stops it.
#
# Usage: dev/start.sh [start|stop|status]
#
# Today the system is the wire (Foundation 1): the conform.wire.v1 probe service served over
# the Conform wire protocol on 127.0.0.1:7443 and over standard gRPC (HTTP/2) on :7444, both
# with mutual TLS from a development CA made on first start in .conform/bench-tls.
# A second start reuses what is there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
state="$root/.conform"
pidfile="$state/probe.pid"
log="$state/probe.log"
wire_port="${CONFORM_WIRE_PORT:-7443}"
grpc_port="${CONFORM_GRPC_PORT:-7444}"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-start}" in
    start)
        if running; then
            echo "Conform is already running (pid $(cat "$pidfile")); 'dev/start.sh stop' stops it."
            exit 0
        fi
        mkdir -p "$state"
        echo "Building (the first build takes several minutes)..."
        swift build --product conform-bench
        bin="$(swift build --show-bin-path)/conform-bench"
        nohup "$bin" serve --wire-port "$wire_port" --grpc-port "$grpc_port" --tls-dir "$state/bench-tls" >"$log" 2>&1 &
        echo $! >"$pidfile"
        for _ in $(seq 1 50); do
            if grep -q wirePort "$log" 2>/dev/null; then break; fi
            if ! running; then echo "Conform failed to start; see $log:" >&2; tail -20 "$log" >&2; exit 1; fi
            sleep 0.2
        done
        cat <<MSG
Conform is running (pid $(cat "$pidfile"), log $log):
  Conform wire   127.0.0.1:$wire_port   (mutual TLS)
  gRPC (HTTP/2)  127.0.0.1:$grpc_port   (mutual TLS)
TLS material: $state/bench-tls (CA, server and client certificates)

Try it:
  $bin probe --port $wire_port
  $bin probe --transport http2 --port $grpc_port
  $bin run --duration 5        # load test of both transports
Stop it:
  dev/start.sh stop
MSG
        ;;
    stop)
        if running; then
            kill "$(cat "$pidfile")"
            for _ in $(seq 1 50); do running || break; sleep 0.2; done
            echo "Conform stopped."
        else
            echo "Conform is not running."
        fi
        rm -f "$pidfile"
        ;;
    status)
        if running; then echo "running (pid $(cat "$pidfile"))"; else echo "not running"; exit 1; fi
        ;;
    *)
        sed -n '2,4p' "$0"; exit 2 ;;
esac
