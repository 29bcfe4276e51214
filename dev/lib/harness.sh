# shellcheck shell=bash
# What dev/compose-test.sh and dev/kube-test.sh share: messages that name the script ($me),
# one run at a time under a lock in $state, and stages that print their time.
# Source it after setting me and state.
# shellcheck disable=SC2154 # me and state are the sourcing script's

note() { echo "$me: $*"; }
fail() { echo "$me: FAILED: $*" >&2; exit 1; }
skip() { echo "$me: SKIPPED: $*"; exit 0; }

# A second run would share, and tear down, the first one's containers.
mkdir -p "$state"
exec 9>"$state/lock"
flock -n 9 || fail "another dev/$me.sh is running (lock $state/lock)"

# shellcheck disable=SC2034 # the sourcing script reports the whole time
began=$SECONDS
stage_name=""
stage_began=$SECONDS
# stage NAME: ends the stage before (printing its time) and begins NAME.
stage() {
    if [ -n "$stage_name" ]; then echo "-- $stage_name: $((SECONDS - stage_began)) s"; fi
    stage_name="$1"
    stage_began=$SECONDS
    echo "== $me: $1"
}

# python_venv DIR STAMP PIP-ARGS...: a virtual environment in DIR with PIP-ARGS installed from
# PyPI, made again only when STAMP (what is wanted) changes. Debian's Python refuses packages
# installed beside its own.
python_venv() {
    local venv="$1" stamp="$2"; shift 2
    [ "$(cat "$venv/.requirements" 2>/dev/null || true)" = "$stamp" ] && return 0
    if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    fi
    note "installing $* from PyPI into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
    echo "$stamp" >"$venv/.requirements"
}
