#!/usr/bin/env bash
# Runs the worked example of the partner API (examples/python/partner_client.py): a stock
# Python gRPC client, stubs generated from Protos/, against the real services over HTTP/2.
#
# Usage: dev/partner-example.sh [--tls-dir DIR]
# Uses the running demo (dev/start.sh) if there is one, else starts it and stops it after.
# With --tls-dir, uses the services already answering on 127.0.0.1 (7201-7205) with the
# principals' certificates in DIR, e.g. the compose stack (dev/compose-test.sh).
# The Python packages (examples/python/requirements.txt, from PyPI) go to a virtual
# environment in .conform/python, made once and remade when the requirements change.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tls_dir=""
if [ "${1:-}" = --tls-dir ] && [ $# -eq 2 ]; then
    tls_dir="$(CDPATH="" cd "$OLDPWD" && CDPATH="" cd "$2" && pwd)"
elif [ $# -gt 0 ]; then
    echo "usage: dev/partner-example.sh [--tls-dir DIR]" >&2
    exit 2
fi
venv="$root/.conform/python"
stubs="$root/.conform/python-stubs"

if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    echo "partner-example: installing python3-venv"
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
wanted="$(sha256sum examples/python/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements" 2>/dev/null || true)" != "$wanted" ]; then
    echo "partner-example: installing examples/python/requirements.txt into .conform/python"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r examples/python/requirements.txt
    echo "$wanted" >"$venv/.requirements"
fi
rm -rf "$stubs"
PYTHON="$venv/bin/python" examples/python/generate.sh "$stubs" >/dev/null

started=false
if [ -n "$tls_dir" ]; then
    echo "partner-example: using the services answering on 127.0.0.1 with the certificates in $tls_dir"
elif dev/start.sh status >/dev/null 2>&1; then
    echo "partner-example: using the demo that is running (dev/start.sh stop first to test this build)"
else
    dev/start.sh start >/dev/null
    started=true
fi
stop_demo() { if $started; then dev/start.sh stop >/dev/null 2>&1 || true; fi; }
trap stop_demo EXIT

"$venv/bin/python" examples/python/partner_client.py --tls-dir "${tls_dir:-$root/.conform/tls}" --stubs "$stubs"
