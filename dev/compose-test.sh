#!/usr/bin/env bash
# Runs the compose deployment (Compose/docker-compose.yml) for real, under podman: builds the
# images, brings the stack up, waits until every service is healthy, loads the demo through
# the published ports and runs the partner example against them, then tears it all down,
# whatever happened.
#
# Usage: dev/compose-test.sh
#
# No registry is needed: the base image is made once with debootstrap from Debian's packages
# (localhost/conform-debian:bookworm, kept in podman's image store); PostgreSQL and HAProxy
# install into it from Debian (Compose/images/); the Conform image takes release binaries
# built here (--static-swift-stdlib, in .build-static) through Compose/Dockerfile's
# `prebuilt` target. Installs podman, runc, debootstrap (Debian) and podman-compose (PyPI)
# when missing. Skips, saying exactly why, only where this machine cannot run containers.
#   CONFORM_DEBIAN_MIRROR  the Debian mirror for debootstrap (default http://deb.debian.org/debian)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
me="compose-test"
state="$root/.conform/compose-test"
project="conform-test"
compose_file="Compose/docker-compose.yml"
base_image="localhost/conform-debian:bookworm"
postgres_image="localhost/conform-postgres:15"
haproxy_image="localhost/conform-haproxy:bookworm"
conform_tag="compose-test"
services=(requirement batch evidence supplier reporting)

# shellcheck source=lib/harness.sh
. "$root/dev/lib/harness.sh"
# The stack's volumes are read from the host and its containers reached by their addresses:
# rootful podman only.
[ "$(id -u)" = 0 ] || skip "it needs root: it reads the stack's volumes and reaches its containers from the host (rootful podman)"

# ---- tools ----------------------------------------------------------------------------
stage "tools: podman, runc, debootstrap, podman-compose"
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        skip "podman, runc or debootstrap is missing, and this is not a Debian machine where they can be installed as root"
    fi
    note "installing podman, runc and debootstrap from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap uidmap slirp4netns fuse-overlayfs >/dev/null
fi
# podman-compose from PyPI, in a virtual environment of its own (Debian's Python refuses
# packages installed beside its own).
venv="$state/venv"
if [ ! -x "$venv/bin/podman-compose" ]; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    fi
    note "installing podman-compose from PyPI into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "podman-compose==1.6.0"
fi
# runc, not Debian's default crun (which fails on hybrid cgroups); ulimits within the host's
# hard limits (podman's defaults exceed them); no systemd: cgroupfs and a file event log.
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] && nofile=65536
[ "$nproc" = unlimited ] && nproc=65536
cat >"$state/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(( nofile < 65536 ? nofile : 65536 )):$(( nofile < 65536 ? nofile : 65536 ))", "nproc=$(( nproc < 32768 ? nproc : 32768 )):$(( nproc < 32768 ? nproc : 32768 ))"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$state/containers.conf"

# ---- images ---------------------------------------------------------------------------
stage "images"
if ! podman image exists "$base_image"; then
    mirror="${CONFORM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
    note "making $base_image with debootstrap from $mirror (once; kept in podman's image store)"
    rm -rf "$state/rootfs"
    if ! debootstrap --variant=minbase --include=ca-certificates,tzdata bookworm "$state/rootfs" "$mirror" >"$state/debootstrap.log" 2>&1; then
        tail -5 "$state/debootstrap.log" >&2
        fail "debootstrap failed (log: $state/debootstrap.log)"
    fi
    rm -rf "$state/rootfs/var/cache/apt/archives/"*.deb "$state/rootfs/var/lib/apt/lists/"*
    tar -C "$state/rootfs" -c . | podman import - "$base_image" >/dev/null
    rm -rf "$state/rootfs"
fi
if ! probe=$(podman run --rm "$base_image" true 2>&1); then
    # In CI the machine is one that runs containers: a failure there is a failure.
    [ "${CI:-}" = true ] && fail "podman cannot run a container: $probe"
    skip "this machine cannot run containers: $probe"
fi

# build_image TAG DIR [ARGS...]: builds DIR's Containerfile unless TAG was built from exactly
# these files (their digest is the image's label).
build_image() {
    local tag="$1" dir="$2"; shift 2
    local digest
    digest=$(find "$dir" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
    if [ "$(podman image inspect --format '{{ index .Labels "conform.source" }}' "$tag" 2>/dev/null || true)" = "$digest" ]; then
        return 0
    fi
    note "building $tag"
    podman build --quiet --format docker --label "conform.source=$digest" --build-arg "BASE_IMAGE=$base_image" "$@" -t "$tag" "$dir" >/dev/null
}
build_image "$postgres_image" Compose/images/postgres
build_image "$haproxy_image" Compose/images/haproxy

note "release build with the Swift runtime linked in (.build-static)"
if ! swift build -c release --static-swift-stdlib --scratch-path .build-static >"$state/build.log" 2>&1; then
    grep -E "error:" "$state/build.log" | sed -n 1,20p >&2
    fail "the release build failed (log: $state/build.log)"
fi
bin="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)"
rm -rf "$state/image" && mkdir -p "$state/image/bin"
for product in conform conform-requirement conform-batch conform-evidence conform-supplier conform-reporting conform-bench; do
    [ -x "$bin/$product" ] || fail "the release build did not make $product"
    cp "$bin/$product" "$state/image/bin/"
done
podman build --quiet --format docker -f Compose/Dockerfile --target prebuilt --build-arg "RUNTIME_IMAGE=$base_image" \
    -t "localhost/conform:$conform_tag" "$state/image" >/dev/null
note "images: $base_image, $postgres_image, $haproxy_image, localhost/conform:$conform_tag"

# ---- the stack ------------------------------------------------------------------------
cat >"$state/env" <<EOF
CONFORM_VERSION=$conform_tag
CONFORM_POSTGRES_IMAGE=$postgres_image
CONFORM_HAPROXY_IMAGE=$haproxy_image
CONFORM_PUBLISH_HOST=127.0.0.1
CONFORM_PUBLIC_HOST=localhost
CONFORM_LOG_LEVEL=info
CONFORM_LOG_FORMAT=json
EOF
compose() { "$venv/bin/podman-compose" --env-file "$state/env" -p "$project" -f "$compose_file" "$@"; }

# Whatever happens from here on, the stack and its volumes go.
secret_made=false
checker=""
workers=()
teardown() {
    local status=$?
    trap - EXIT
    if [ -n "$checker" ]; then kill "$checker" 2>/dev/null || true; wait "$checker" 2>/dev/null || true; fi
    if [ ${#workers[@]} -gt 0 ]; then kill "${workers[@]}" 2>/dev/null || true; wait 2>/dev/null || true; fi
    echo "== $me: tearing down"
    if [ "$status" != 0 ]; then
        for container in $(podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'); do
            echo "---- last lines of $container's log ----" >&2
            podman logs --tail 15 "$container" >&2 2>&1 || true
        done
    fi
    compose down -v >/dev/null 2>&1 || true
    podman pod rm -f "pod_$project" >/dev/null 2>&1 || true
    # What down leaves when a container outlived it (the scaled replicas): volumes hold keys.
    podman ps -a -q --filter "label=io.podman.compose.project=$project" | xargs -r podman rm -f >/dev/null 2>&1 || true
    podman volume ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
    podman network ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman network rm -f >/dev/null 2>&1 || true
    if $secret_made; then rm -f Compose/secrets/postgres-admin-password; fi
    # Every principal's key was copied out of the stack: it goes with it.
    rm -rf "$state/tls"
    echo "$me: done in $((SECONDS - began)) s$([ "$status" = 0 ] || echo " (failed)")"
    exit "$status"
}
trap teardown EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

stage "compose up"
# What a run killed before its teardown left behind would hold the ports.
compose down -v >/dev/null 2>&1 || true
for port in 7101 7102 7103 7104 7105 7201 7202 7203 7204 7205; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        fail "port $port is in use (dev/start.sh's demo? 'dev/start.sh stop' first): the stack publishes 7101-7105 and 7201-7205"
    fi
done
if [ ! -f Compose/secrets/postgres-admin-password ]; then
    head -c 24 /dev/urandom | base64 | tr -d '/+=' >Compose/secrets/postgres-admin-password
    secret_made=true
fi

# podman runs healthchecks through systemd timers, absent here: this loop runs them, so that
# `depends_on: condition: service_healthy` can be met.
healthchecks() {
    while true; do
        for container in $(podman ps --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'); do
            podman healthcheck run "$container" >/dev/null 2>&1 || true
        done
        sleep 2
    done
}
healthchecks &
checker=$!

# healthy SERVICE: the service's containers are all running and healthy.
healthy() {
    local names states
    names=$(podman ps -a --filter "label=io.podman.compose.project=$project" --filter "label=io.podman.compose.service=$1" --format '{{.Names}}')
    [ -n "$names" ] || return 1
    for name in $names; do
        states=$(podman inspect --format '{{.State.Status}} {{.State.Health.Status}}' "$name")
        [ "$states" = "running healthy" ] || return 1
    done
}
# wait_healthy SERVICE...: until each is running and healthy, at most 240 s.
wait_healthy() {
    local deadline=$((SECONDS + 240)) waiting service
    while true; do
        waiting=()
        for service in "$@"; do healthy "$service" || waiting+=("$service"); done
        [ ${#waiting[@]} = 0 ] && return 0
        if [ $SECONDS -ge $deadline ]; then
            fail "not healthy within 240 s: ${waiting[*]}"
        fi
        sleep 2
    done
}
# finished JOB: waits until the one-shot job's container has exited, and fails unless with 0.
finished() {
    local container code deadline=$((SECONDS + 120))
    while true; do
        container=$(podman ps -a --filter "label=io.podman.compose.project=$project" --filter "label=io.podman.compose.service=$1" --format '{{.Names}}')
        [ -n "$container" ] || fail "the $1 job's container is missing"
        [ "$(podman inspect --format '{{.State.Status}}' "$container")" = exited ] && break
        [ $SECONDS -lt $deadline ] || fail "the $1 job did not finish within 120 s"
        sleep 1
    done
    code=$(podman inspect --format '{{.State.ExitCode}}' "$container")
    [ "$code" = 0 ] || fail "the $1 job ($container) ended with exit code $code"
}
# up SERVICE...: starts them without their dependencies (see bring_up).
up() { compose up -d --no-deps "$@" >>"$state/up.log" 2>&1 || { tail -20 "$state/up.log" >&2; fail "podman-compose up $* failed (log: $state/up.log)"; }; }
# The order the compose file's depends_on conditions give. podman 4.3 cannot wait for a
# dependency to be healthy, and a dependency on a one-shot job that has exited fails to
# start ("not found in input list"), so each step is started without its dependencies.
bring_up() {
    up certs && finished certs
    up postgres && wait_healthy postgres
    up provision && finished provision
    up "${services[@]}" && wait_healthy "${services[@]}"
    up batch-lb && wait_healthy batch-lb
}
bring_up
note "every service is healthy: postgres, ${services[*]}, batch-lb"

# ---- through the published ports --------------------------------------------------------
stage "the demo and the partner example through the published ports"
rm -rf "$state/tls"
certs_volume=$(podman volume ls --filter "label=io.podman.compose.project=$project" --format '{{.Name}}' | grep -E '[_-]certs$' || true)
[ -n "$certs_volume" ] || fail "the stack's certs volume is missing"
cp -r "$(podman volume inspect --format '{{.Mountpoint}}' "$certs_volume")" "$state/tls"
export CONFORM_TLS_DIR="$state/tls"
dev/demo.sh "$bin/conform" >"$state/demo.log" 2>&1 || { tail -20 "$state/demo.log" >&2; fail "loading the demo through the published ports failed"; }
dev/partner-example.sh --tls-dir "$state/tls"

# ---- scale out and a replica lost under load ----------------------------------------------
stage "batch scaled to 3 behind batch-lb, one replica killed under load"
up --scale batch=3 batch
wait_healthy batch
replicas=$(podman ps --filter "label=io.podman.compose.project=$project" --filter "label=io.podman.compose.service=batch" --format '{{.Names}}' | wc -l)
[ "$replicas" = 3 ] || fail "batch runs $replicas replicas, not 3"
run="$(date +%s)"
today="$(date -u +%F)"
mkdir -p "$state/load" && rm -f "$state/load/"*
# worker W: 20 keyed creates through batch-lb; a failed call is retried with the same key,
# as a client must, at most 5 times. Writes one line per batch: NUMBER ATTEMPTS.
worker() {
    local w="$1" i number attempt
    for i in $(seq 1 20); do
        number="CT-$run-$w-$i"
        for attempt in 1 2 3 4 5; do
            if "$bin/conform" batch create "$number" --product FAST-M8-12.9 --customer A --date "$today" --quantity 1 \
                --idempotency-key "compose-test-$number" --timeout 15 >/dev/null 2>>"$state/load/errors"; then
                echo "$number $attempt" >>"$state/load/done-$w"
                break
            fi
            [ "$attempt" = 5 ] && { echo "$number failed 5 times" >>"$state/load/failed"; break; }
            sleep 1
        done
    done
}
for w in 1 2 3 4; do worker "$w" & workers+=($!); done
deadline=$((SECONDS + 120))
until [ "$(cat "$state/load/done-"* 2>/dev/null | wc -l)" -ge 20 ]; do
    [ $SECONDS -lt $deadline ] || fail "20 batches were not created within 120 s through batch-lb"
    sleep 0.2
done
# sed, not head: sed reads to the end, where head would end podman with SIGPIPE (fatal under pipefail).
victim=$(podman ps --filter "label=io.podman.compose.project=$project" --filter "label=io.podman.compose.service=batch" --format '{{.Names}}' | sed -n 1p)
done_before=$(cat "$state/load/done-"* | wc -l)
[ "$done_before" -lt 80 ] || fail "the load ended before the replica could be killed under it"
note "killing $victim (SIGKILL) with $done_before of 80 batches created"
podman kill --signal KILL "$victim" >/dev/null
for pid in "${workers[@]}"; do wait "$pid"; done
workers=()
[ ! -s "$state/load/failed" ] || fail "calls a retry with their idempotency key could not finish: $(cat "$state/load/failed")"
created=$(cat "$state/load/done-"* | wc -l)
retried=$(awk '$2 > 1' "$state/load/done-"* | wc -l)
[ "$created" = 80 ] || fail "$created of 80 batches created"
"$bin/conform" batch list --customer A --all --json >"$state/load/listed" || fail "batch list failed"
listed=$(grep -c "\"CT-$run-" "$state/load/listed" || true)
[ "$listed" = 80 ] || fail "batch list shows $listed of the 80 batches, each exactly once expected"
note "80 of 80 batches created, $retried after a retry with their key; each listed once"

# ---- data kept across down and up ------------------------------------------------------------
stage "down and up again: the data is kept in the volumes"
compose down >/dev/null 2>&1 || fail "podman-compose down failed"
bring_up
"$bin/conform" batch get "CT-$run-1-1" >/dev/null || fail "batch CT-$run-1-1 is gone after down and up"
"$bin/conform" customer get A >/dev/null || fail "customer A is gone after down and up"
note "batch CT-$run-1-1 and customer A are still there"

# ---- backup and restore of one service's schema ---------------------------------------------
stage "backup and restore of the requirement schema (dev/backup.sh)"
postgres=$(podman ps --filter "label=io.podman.compose.project=$project" --filter "label=io.podman.compose.service=postgres" --format '{{.Names}}')
CONFORM_PG_HOST=$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$postgres")
CONFORM_PG_PORT=5432 CONFORM_PG_ADMIN_USER=conform_admin CONFORM_PG_ADMIN_PASSWORD="$(head -n 1 Compose/secrets/postgres-admin-password)"
export CONFORM_PG_HOST CONFORM_PG_PORT CONFORM_PG_ADMIN_USER CONFORM_PG_ADMIN_PASSWORD
dev/backup.sh backup requirement "$state/requirement.dump"
"$bin/conform" customer add "CT$run" --name "Added after the backup" --industry automotive --idempotency-key "compose-test-customer-$run" >/dev/null
compose stop requirement >/dev/null 2>&1 || fail "stopping the requirement service failed"
dev/backup.sh restore requirement "$state/requirement.dump"
compose start requirement >/dev/null 2>&1 || fail "starting the requirement service failed"
wait_healthy requirement
"$bin/conform" customer get A >/dev/null || fail "customer A is missing after the restore"
if "$bin/conform" customer get "CT$run" >"$state/restored" 2>&1; then fail "customer CT$run, added after the backup, survived the restore"; fi
grep -i "no customer" "$state/restored" >/dev/null || fail "asking for customer CT$run after the restore failed otherwise: $(cat "$state/restored")"
note "restored: customer A is there, the customer added after the backup is not"

stage "done"
