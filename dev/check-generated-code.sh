#!/usr/bin/env bash
# Fails when the committed code under Shared/Generated/ differs from what Protos/ generates.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

"$root/dev/generate-protos.sh" "$scratch"
if ! diff -ru "$root/Shared/Generated" "$scratch"; then
    echo "check-generated-code: Shared/Generated/ is stale; run dev/generate-protos.sh and commit." >&2
    exit 1
fi
echo "check-generated-code: Shared/Generated/ matches Protos/." >&2
