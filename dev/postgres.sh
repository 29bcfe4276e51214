#!/usr/bin/env bash
# Starts and stops a private, throwaway PostgreSQL cluster (127.0.0.1 only) for local runs and tests;
# never touches a system instance. Superuser conform_admin, random password in DIR/admin-password.
#
# Usage: dev/postgres.sh start DIR PORT | stop DIR | restart DIR | status DIR | env DIR | destroy DIR
#   CONFORM_PG_FAST=1 (tests) starts the server with fsync, synchronous_commit, full_page_writes off.
set -euo pipefail

me="dev/postgres.sh"
admin_user="conform_admin"
host="127.0.0.1"

usage() {
    cat <<EOF
Starts and stops a private, throwaway PostgreSQL cluster for local runs and tests.

Usage:
  $me start DIR [PORT]   create the cluster in DIR if missing (PORT needed then), start it, wait until ready
  $me stop DIR           fast shutdown (fine if it is not running)
  $me restart DIR        stop, then start again on the same port
  $me status DIR         print "running on $host:PORT" and exit 0, or exit 1 if not running
  $me env DIR            print export lines: CONFORM_PG_HOST CONFORM_PG_PORT CONFORM_PG_ADMIN_USER
                         CONFORM_PG_ADMIN_PASSWORD CONFORM_PG_DIR (use: eval "\$($me env DIR)")
  $me destroy DIR        stop the server and delete DIR

DIR holds data/ (PGDATA), socket/, port, admin-password (superuser $admin_user), log.
The server listens on $host only; pg_hba allows scram-sha-256 over TCP and peer on the socket.
Set CONFORM_PG_FAST=1 (tests do) to start with fsync=off, synchronous_commit=off, full_page_writes=off.
EOF
}

die() { echo "$me: $*" >&2; exit 1; }
note() { echo "$me: $*" >&2; }

# Never let the caller's libpq/server environment (PGHOST, PGPORT, PGDATA, ...) leak into what we run.
while read -r var; do
    case "$var" in PG*) unset "$var" ;; esac
done < <(compgen -e)

# Run a PostgreSQL program as the postgres user (initdb refuses root); directly if we are not root.
# fd 9 (our lock on DIR) is closed so the server does not inherit and hold it forever.
is_root=false
if [ "$(id -u)" -eq 0 ]; then is_root=true; fi
as_pg() {
    if $is_root; then
        runuser -u postgres -- "$@" 9>&-
    else
        "$@" 9>&-
    fi
}

# Newest installed server version's bin directory, e.g. /usr/lib/postgresql/15/bin (empty if none).
newest_bindir() {
    local d
    d="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null \
        | sed 's|/initdb$||' | sort -V | tail -n 1)"
    echo "$d"
}

ensure_server_installed() {
    if [ -n "$(newest_bindir)" ]; then return; fi
    $is_root || die "the PostgreSQL server is not installed; run 'apt-get install -y postgresql' as root, then retry"
    command -v apt-get >/dev/null 2>&1 \
        || die "the PostgreSQL server is not installed and there is no apt-get; install PostgreSQL 15 server binaries under /usr/lib/postgresql/15/bin"
    note "PostgreSQL server not found; installing the Debian package 'postgresql' (apt-get update && apt-get install -y postgresql)..."
    local out
    out="$(mktemp)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >"$out" 2>&1; then
        tail -n 20 "$out" >&2
        rm -f "$out"
        die "installing 'postgresql' failed (output above); fix apt (network, sources) and retry"
    fi
    rm -f "$out"
    [ -n "$(newest_bindir)" ] || die "installed 'postgresql' but found no server under /usr/lib/postgresql/*/bin; check the package"
}

# Bin directory to use for the cluster in $data: the version it was created with, else the newest.
bindir_for_cluster() {
    if [ -f "$data/PG_VERSION" ]; then
        local v
        v="$(cat "$data/PG_VERSION")"
        [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] \
            || die "the cluster in $dir was created by PostgreSQL $v, whose server is not installed; install postgresql-$v or '$me destroy $dir'"
        echo "/usr/lib/postgresql/$v/bin"
    else
        newest_bindir
    fi
}

# --- arguments -----------------------------------------------------------------------------------

case "${1:-}" in
    -h|--help|help) usage; exit 0 ;;
    "") usage >&2; exit 2 ;;
    start|stop|restart|status|env|destroy) cmd="$1"; shift ;;
    *) echo "$me: unknown command '$1'; expected start, stop, restart, status, env or destroy (see --help)" >&2; exit 2 ;;
esac

if [ $# -lt 1 ] || [ -z "$1" ]; then echo "$me: '$cmd' needs a DIR argument (see --help)" >&2; exit 2; fi
if [ "$cmd" = start ]; then
    [ $# -le 2 ] || { echo "$me: too many arguments for 'start'; usage: $me start DIR PORT" >&2; exit 2; }
else
    [ $# -eq 1 ] || { echo "$me: too many arguments for '$cmd'; usage: $me $cmd DIR" >&2; exit 2; }
fi
arg_port="${2:-}"
if [ -n "$arg_port" ]; then
    if ! [[ "$arg_port" =~ ^[0-9]+$ ]] || [ "$arg_port" -lt 1024 ] || [ "$arg_port" -gt 65535 ]; then
        die "PORT must be a number from 1024 to 65535, got '$arg_port'"
    fi
    arg_port="$((10#$arg_port))"
fi

dir="$(realpath -m -- "$1")"
[[ "$dir" =~ ^/[A-Za-z0-9._+@/-]+$ ]] \
    || die "DIR '$dir' has characters PostgreSQL settings do not like (spaces, quotes, commas...); choose a plainer path"
[ "$dir" != / ] || die "DIR must not be /; choose a dedicated directory such as /tmp/conform-pg"
data="$dir/data"
socket="$dir/socket"
portfile="$dir/port"
pwfile="$dir/admin-password"
logfile="$dir/log"
cd /  # the postgres user may not be able to enter the caller's cwd; avoid its warnings

# --- helpers on the cluster ----------------------------------------------------------------------

have_cluster() { [ -f "$data/PG_VERSION" ]; }

recorded_port() {
    local p=""
    if [ -f "$portfile" ]; then p="$(tr -d '[:space:]' <"$portfile")"; fi
    [[ "$p" =~ ^[0-9]+$ ]] || die "$portfile is missing or not a number; the cluster in $dir is damaged: '$me destroy $dir' and start again"
    echo "$p"
}

is_running() {
    have_cluster || return 1
    local bin
    bin="$(bindir_for_cluster)"
    as_pg "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

# Who (if anyone) listens on TCP port $1, on any address. Prints a description; exit 0 if in use.
port_user() {
    local port="$1" lines
    if command -v ss >/dev/null 2>&1; then
        lines="$(ss -Hltnp "sport = :$port" 2>/dev/null || true)"
        [ -n "$lines" ] || return 1
        echo "$lines" | sed -n 's/.*users:((\(.*\)))/\1/p' | sed -n 1p
        return 0
    fi
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null || return 1
    echo "unknown process"
}

lock_dir() {
    exec 9>"$dir/.lock"
    flock -w 120 9 || die "another $me is working on $dir (lock $dir/.lock held for 120 s); wait for it or remove the lock"
}

# Make sure the postgres user can reach $dir: it and every existing ancestor must be traversable.
# Walks from / down so the message names the first directory that blocks it.
check_traversable() {
    $is_root || return 0
    if [ -d "$dir" ]; then chmod o+x "$dir"; fi
    local p="" part
    local -a parts
    IFS=/ read -r -a parts <<<"${dir#/}"
    for part in "${parts[@]}"; do
        p="$p/$part"
        [ -d "$p" ] || return 0
        if ! runuser -u postgres -- test -x "$p"; then
            die "the postgres user cannot enter $p (mode $(stat -c %a "$p")), so the server cannot use $dir; run 'chmod o+x $p' or choose a DIR elsewhere (e.g. under /tmp)"
        fi
    done
}

init_cluster() {
    local port="$1" bin locale
    ensure_server_installed
    bin="$(newest_bindir)"

    if [ -d "$data" ] && [ -n "$(ls -A "$data")" ]; then
        die "$data exists but is not a PostgreSQL cluster (an earlier initdb failed?); run '$me destroy $dir' and start again"
    fi
    local who
    if who="$(port_user "$port")"; then
        die "port $port is already in use (by ${who:-another process}); pick another PORT or stop that process"
    fi
    local sockpath="$socket/.s.PGSQL.$port"
    [ "${#sockpath}" -le 107 ] || die "DIR '$dir' is too long for a unix socket path ($sockpath is ${#sockpath} bytes, max 107); choose a shorter DIR"

    chmod 711 "$dir"
    check_traversable

    mkdir -p "$data" "$socket"
    touch "$logfile"
    if $is_root; then chown postgres:postgres "$data" "$socket" "$logfile"; fi
    chmod 700 "$data"
    chmod 755 "$socket"
    chmod 600 "$logfile"

    # Superuser password: 32 random hex characters, readable by the owner (root) only.
    local password
    password="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
    [ "${#password}" -eq 32 ] || die "could not read 16 random bytes from /dev/urandom"
    (umask 077 && printf '%s' "$password" >"$pwfile")
    chmod 600 "$pwfile"
    # initdb (as postgres) cannot read root's file: hand it a private copy, removed right after.
    local tmp_pw="$dir/.initdb-pw"
    (umask 077 && printf '%s\n' "$password" >"$tmp_pw")
    if $is_root; then chown postgres:postgres "$tmp_pw"; fi

    locale="C"
    if locale -a 2>/dev/null | grep -ix 'c\.utf-\?8' >/dev/null; then locale="C.UTF-8"; fi

    if ! as_pg "$bin/initdb" -D "$data" --username="$admin_user" --pwfile="$tmp_pw" \
            --auth-host=scram-sha-256 --auth-local=peer --encoding=UTF8 --locale="$locale" \
            >>"$logfile" 2>&1; then
        rm -f "$tmp_pw"
        rm -rf "$data"
        tail -n 20 "$logfile" >&2
        die "initdb failed (last lines of $logfile above); fix the cause, then '$me destroy $dir' and start again"
    fi
    rm -f "$tmp_pw"

    cat >>"$data/postgresql.conf" <<EOF

# --- written by $me (Conform): a private cluster, reachable from this machine only ---
listen_addresses = '$host'
port = $port
unix_socket_directories = '$socket'
# Test suites run side by side, each service with its pool (one connection of it listening for its feed).
max_connections = 1000
EOF
    # Exactly these rules: no trust, no ::1, nothing remote.
    cat >"$data/pg_hba.conf" <<EOF
# Written by $me (Conform). TYPE DATABASE USER ADDRESS METHOD
local   all             all                                     peer
host    all             all             127.0.0.1/32            scram-sha-256
local   replication     all                                     peer
host    replication     all             127.0.0.1/32            scram-sha-256
EOF
    if $is_root; then chown postgres:postgres "$data/postgresql.conf" "$data/pg_hba.conf"; fi
    chmod 600 "$data/pg_hba.conf"
    if grep -Ev '^[[:space:]]*(#|$)' "$data/pg_hba.conf" | grep -w trust >/dev/null; then
        die "pg_hba.conf in $data has a 'trust' rule; this should not happen, '$me destroy $dir' and retry"
    fi
    echo "$port" >"$portfile"
}

start_server() {
    local port="$1" bin
    bin="$(bindir_for_cluster)"
    if is_running; then
        echo "PostgreSQL already running on $host:$port ($dir)"
        return
    fi
    local who
    if who="$(port_user "$port")"; then
        die "cannot start: port $port is already in use (by ${who:-another process}); stop that process, or '$me destroy $dir' and start on another PORT"
    fi
    check_traversable
    local opts=""
    if [ "${CONFORM_PG_FAST:-}" = 1 ]; then
        opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    if ! as_pg "$bin/pg_ctl" start -D "$data" -l "$logfile" -w -t 30 -s -o "$opts" >/dev/null 2>&1; then
        echo "---- last 20 lines of $logfile ----" >&2
        tail -n 20 "$logfile" >&2
        die "PostgreSQL in $dir did not start within 30 s on port $port (log above)"
    fi
    local i
    for i in $(seq 1 100); do
        if "$bin/pg_isready" -q -h "$host" -p "$port" -t 1; then
            local fast=""
            if [ -n "$opts" ]; then fast=" (CONFORM_PG_FAST: fsync off)"; fi
            echo "PostgreSQL $(cat "$data/PG_VERSION") running on $host:$port ($dir)$fast"
            return
        fi
        [ "$i" -eq 100 ] || sleep 0.1
    done
    tail -n 20 "$logfile" >&2
    die "PostgreSQL in $dir started but does not accept connections on $host:$port (log above)"
}

stop_server() {
    if ! have_cluster; then
        echo "no cluster in $dir; nothing to stop"
        return
    fi
    if ! is_running; then
        echo "PostgreSQL in $dir is not running"
        return
    fi
    local bin
    bin="$(bindir_for_cluster)"
    if ! as_pg "$bin/pg_ctl" stop -D "$data" -m fast -w -t 60 -s >/dev/null 2>&1; then
        tail -n 20 "$logfile" >&2
        die "PostgreSQL in $dir did not stop within 60 s (log above); try again, or 'kill -QUIT' the pid in $data/postmaster.pid"
    fi
    echo "PostgreSQL in $dir stopped"
}

require_cluster() {
    have_cluster || die "no cluster in $dir; create one with '$me start $dir PORT'"
}

# --- commands ------------------------------------------------------------------------------------

case "$cmd" in
    start)
        if [ -e "$dir" ] && [ ! -d "$dir" ]; then die "$dir exists and is not a directory; choose another DIR"; fi
        if ! have_cluster && [ -n "$arg_port" ] && who="$(port_user "$arg_port")"; then
            # Checked again under the lock; this early check just avoids leaving an empty DIR behind.
            die "port $arg_port is already in use (by ${who:-another process}); pick another PORT or stop that process"
        fi
        if ! have_cluster && [ -z "$arg_port" ]; then
            die "no cluster in $dir yet; give a PORT to create one: '$me start $dir PORT'"
        fi
        check_traversable
        mkdir -p "$dir"
        lock_dir
        if have_cluster; then
            port="$(recorded_port)"
            if [ -n "$arg_port" ] && [ "$arg_port" != "$port" ]; then
                note "the cluster in $dir was created with port $port; using $port, not $arg_port ('$me destroy $dir' to change it)"
            fi
        else
            [ -n "$arg_port" ] || die "no cluster in $dir yet; give a PORT to create one: '$me start $dir PORT'"
            port="$arg_port"
            init_cluster "$port"
        fi
        start_server "$port"
        ;;
    stop)
        [ -d "$dir" ] || { echo "no cluster in $dir; nothing to stop"; exit 0; }
        lock_dir
        stop_server
        ;;
    restart)
        require_cluster
        lock_dir
        port="$(recorded_port)"
        stop_server >/dev/null
        start_server "$port"
        ;;
    status)
        if is_running; then
            port="$(recorded_port)"
            echo "running on $host:$port"
            exit 0
        fi
        if have_cluster; then echo "not running ($dir)"; else echo "no cluster in $dir"; fi
        exit 1
        ;;
    env)
        require_cluster
        [ -r "$pwfile" ] || die "cannot read $pwfile (run as root, or '$me destroy $dir' and start again)"
        printf 'export CONFORM_PG_HOST=%q\n' "$host"
        printf 'export CONFORM_PG_PORT=%q\n' "$(recorded_port)"
        printf 'export CONFORM_PG_ADMIN_USER=%q\n' "$admin_user"
        printf 'export CONFORM_PG_ADMIN_PASSWORD=%q\n' "$(cat "$pwfile")"
        printf 'export CONFORM_PG_DIR=%q\n' "$dir"
        ;;
    destroy)
        [ -e "$dir" ] || { echo "$dir does not exist; nothing to destroy"; exit 0; }
        [ -d "$dir" ] || die "$dir is not a directory; refusing to delete it"
        # Only delete what this script made: refuse if DIR holds anything else.
        while IFS= read -r entry; do
            case "$entry" in
                data|socket|port|admin-password|log|.lock|.initdb-pw) ;;
                *) die "$dir contains '$entry', which $me did not create; refusing to delete it (remove it by hand if you are sure)" ;;
            esac
        done < <(ls -A "$dir")
        lock_dir
        stop_server >/dev/null
        rm -rf "$dir"
        echo "destroyed $dir"
        ;;
esac
