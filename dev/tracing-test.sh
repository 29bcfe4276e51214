#!/usr/bin/env bash
# Distributed tracing end to end: starts a small OTLP/gRPC receiver (dev/tracing/otlp_receiver.py,
# Python, opentelemetry-proto), starts the demo (dev/start.sh) with OTEL_EXPORTER_OTLP_ENDPOINT
# pointing at it, releases a batch of its own under a W3C traceparent of its own, stops the
# services (which flushes their spans) and checks that the release's spans form one trace
# across the batch, evidence and supplier services, over every service-to-service call, with
# database spans in each (dev/tracing/check_release_trace.py).
#
# A health check over HTTP/2 with a traceparent of its own shows the other transport carries it.
#
# Usage: dev/tracing-test.sh        (refuses while a demo runs: its services have no OTEL_* settings)
# Python packages from PyPI (dev/tracing/requirements.txt) go into .conform/python-tracing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
me="tracing-test"
state="$root/.conform/tracing-test"
case "${1:-}" in -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
# shellcheck source=lib/harness.sh
. "$root/dev/lib/harness.sh"

stage "receiver"
venv="$root/.conform/python-tracing"
wanted="$(sha256sum dev/tracing/requirements.txt | cut -c1-16)"
python_venv "$venv" "$wanted" -r dev/tracing/requirements.txt
if dev/start.sh status >/dev/null 2>&1; then
    fail "a demo is running without OTEL_* settings: stop it first (dev/start.sh stop)"
fi
rm -f "$state/port" "$state/spans.jsonl"
"$venv/bin/python" dev/tracing/otlp_receiver.py --port 0 --port-file "$state/port" --out "$state/spans.jsonl" &
receiver=$!
started=false
teardown() {
    local status=$?
    trap - EXIT
    if $started; then dev/start.sh stop >/dev/null 2>&1 || true; fi
    kill "$receiver" 2>/dev/null || true
    wait "$receiver" 2>/dev/null || true
    echo "$me: done in $((SECONDS - began)) s$([ "$status" = 0 ] || echo " (failed)")"
    exit "$status"
}
trap teardown EXIT
for _ in $(seq 1 100); do [ -s "$state/port" ] && break; kill -0 "$receiver" 2>/dev/null || fail "the receiver stopped"; sleep 0.1; done
[ -s "$state/port" ] || fail "the receiver did not start within 10 s"
port=$(cat "$state/port")
note "receiving OTLP/gRPC on 127.0.0.1:$port"

stage "the demo, exporting its spans"
started=true
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_BSP_SCHEDULE_DELAY=200 \
    dev/start.sh start >"$state/start.log" 2>&1 || { tail -20 "$state/start.log" >&2; fail "dev/start.sh failed (log: $state/start.log)"; }
bin="$(swift build --show-bin-path)"
conform="$bin/conform"
export CONFORM_TLS_DIR="$root/.conform/tls"

stage "a release under a traceparent of the test's own"
number="TR-$(date +%s)-$RANDOM"
"$conform" batch create "$number" --product ABC --customer D --date 2025-03-10 --quantity 1 \
    --order PO-D-5531 --idempotency-key "tracing-$number" >/dev/null
"$conform" batch consume "$number" --lot NC-2025-007 >/dev/null
"$conform" sign batch "$number" --meaning approved --as inspector >/dev/null
trace_id=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
parent_id=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(8))')
TRACEPARENT="00-$trace_id-$parent_id-01" "$conform" batch release "$number" --as quality-manager \
    || fail "batch $number was not released"
# The same over HTTP/2, as a partner's own gRPC client sends it.
http2_trace=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
http2_parent=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(8))')
"$venv/bin/python" dev/tracing/http2_call.py "$CONFORM_TLS_DIR" 7201 "00-$http2_trace-$http2_parent-01"
# Spans are exported in batches (every 200 ms here): wait until the whole trace has arrived,
# at most 30 s, before stopping the services.
for _ in $(seq 1 60); do
    "$venv/bin/python" dev/tracing/check_release_trace.py "$state/spans.jsonl" "$trace_id" "$parent_id" >/dev/null 2>&1 && break
    sleep 0.5
done
dev/start.sh stop >/dev/null
started=false

stage "one trace across the services"
"$venv/bin/python" dev/tracing/check_release_trace.py "$state/spans.jsonl" "$trace_id" "$parent_id"
"$venv/bin/python" - "$state/spans.jsonl" "$http2_trace" "$http2_parent" <<'PY'
import json, sys
spans, trace, parent = sys.argv[1], sys.argv[2], sys.argv[3]
served = [s for s in map(json.loads, open(spans)) if s["trace_id"] == trace and s["kind"] == "SPAN_KIND_SERVER"]
assert any(s["service"] == "conform-requirement" and s["parent_span_id"] == parent and s["name"] == "grpc.health.v1.Health/Check" for s in served), \
    f"no requirement server span continuing the HTTP/2 call's trace {trace}: {served}"
print(f"HTTP/2 trace {trace}: the requirement service's span continues the caller's")
PY
stage "done"
