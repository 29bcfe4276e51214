#!/usr/bin/env bash
# Validates the docker-compose deployment without Docker, and lints the project's shell scripts.
#
# Usage: dev/check-compose.sh
# Installs what it needs when missing: compose-spec and PyYAML (PyPI), shellcheck (Debian).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! python3 -c "import compose_spec, yaml" >/dev/null 2>&1; then
    echo "check-compose: installing compose-spec and PyYAML from PyPI" >&2
    python3 -m pip install --quiet --disable-pip-version-check compose-spec pyyaml >&2
fi
python3 dev/check_compose.py

if ! command -v shellcheck >/dev/null 2>&1; then
    echo "check-compose: installing shellcheck" >&2
    apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null
fi
scripts=(dev/*.sh dev/lib/*.sh .ci/run)
shellcheck -x -P SCRIPTDIR "${scripts[@]}"
echo "check-compose: ${#scripts[@]} shell scripts pass shellcheck."
