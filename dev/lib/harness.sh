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
