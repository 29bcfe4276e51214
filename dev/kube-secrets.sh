#!/usr/bin/env bash
# Makes what the Kubernetes dev overlay's Secrets are generated from: a development CA and a
# certificate per service and for PostgreSQL (`conform certs init`, in DIR/tls, with the
# people's certificates for the CLI), and a database password per role. A second run keeps
# what is there, so the Secrets only change when you delete a file.
#
# Usage: dev/kube-secrets.sh [DIR]      (default: Compose/kubernetes/overlays/dev/secrets)
#   CONFORM_BIN   the conform CLI (default: conform on PATH, else .build/release or .build/debug)
#
# DIR/tls holds the CA's key: keep it where the CA's holder works, never in the cluster. In
# production, cert-manager makes the <service>-tls Secrets in the same shape (tls.crt, tls.key,
# ca.crt) and your secret store the <service>-db ones.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/Compose/kubernetes/overlays/dev/secrets}"
case "${1:-}" in -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

conform="${CONFORM_BIN:-}"
if [ -z "$conform" ]; then
    for candidate in "$(command -v conform || true)" "$root/.build/release/conform" "$root/.build/debug/conform"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then conform="$candidate"; break; fi
    done
fi
if [ -z "$conform" ] || [ ! -x "$conform" ]; then
    echo "kube-secrets: no conform CLI found: build it (swift build --product conform) or set CONFORM_BIN" >&2
    exit 1
fi

umask 077
mkdir -p "$dir"
"$conform" certs init --dir "$dir/tls" --database-host postgres >/dev/null
cp "$dir/tls/ca.pem" "$dir/ca.crt"
# password FILE: 32 letters and digits, unless FILE exists.
password() {
    [ -s "$1" ] || python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)), end="")' >"$1"
}
for name in requirement batch evidence supplier reporting postgres; do
    mkdir -p "$dir/$name"
    cp "$dir/tls/$name.pem" "$dir/$name/tls.crt"
    cp "$dir/tls/$name-key.pem" "$dir/$name/tls.key"
    if [ "$name" = postgres ]; then password "$dir/postgres/admin-password"; else password "$dir/$name/db-password"; fi
done
echo "kube-secrets: wrote $dir (the CA and people's certificates in $dir/tls; point CONFORM_TLS_DIR there for the CLI)"
