#!/usr/bin/env bash
# Backs up or restores one service's schema (its tables, its audit trail, its outbox) with
# pg_dump / pg_restore, as the PostgreSQL administrator.
#
# Usage: dev/backup.sh backup SERVICE FILE     write SERVICE's schema to FILE (custom format)
#        dev/backup.sh restore SERVICE FILE    replace SERVICE's schema with FILE's, in one transaction
# SERVICE: requirement, batch, evidence, supplier or reporting. The administrator comes from
# CONFORM_PG_HOST, CONFORM_PG_PORT, CONFORM_PG_ADMIN_USER, CONFORM_PG_ADMIN_PASSWORD
# ('eval "$(dev/postgres.sh env .conform/postgres)"' sets them for the local run); the
# database from CONFORM_PG_DATABASE (default conform). Stop the service before a restore.
set -euo pipefail

me="dev/backup.sh"
usage() { sed -n '2,11p' "$0"; }

[ $# -eq 3 ] || { usage >&2; exit 2; }
action="$1" service="$2" file="$3"
case "$service" in
    requirement|batch|evidence|supplier|reporting) ;;
    *) echo "$me: unknown service '$service'; one of requirement, batch, evidence, supplier, reporting" >&2; exit 2 ;;
esac
for variable in CONFORM_PG_HOST CONFORM_PG_PORT CONFORM_PG_ADMIN_USER CONFORM_PG_ADMIN_PASSWORD; do
    if [ -z "${!variable:-}" ]; then
        echo "$me: $variable is not set; for the local run: eval \"\$(dev/postgres.sh env .conform/postgres)\"" >&2
        exit 2
    fi
done

# The client tools of the newest installed server, so the dump format matches the server.
bin=""
while IFS= read -r dir; do
    if [ -x "$dir/pg_dump" ]; then bin="$dir"; break; fi
done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V -r)
if [ -z "$bin" ]; then
    if command -v pg_dump >/dev/null 2>&1; then bin="$(dirname "$(command -v pg_dump)")"; else
        echo "$me: no pg_dump; install it with: apt-get install -y postgresql-client" >&2; exit 1
    fi
fi

export PGHOST="$CONFORM_PG_HOST" PGPORT="$CONFORM_PG_PORT" PGUSER="$CONFORM_PG_ADMIN_USER"
export PGPASSWORD="$CONFORM_PG_ADMIN_PASSWORD" PGDATABASE="${CONFORM_PG_DATABASE:-conform}"

case "$action" in
    backup)
        "$bin/pg_dump" --schema="$service" --format=custom --file="$file"
        echo "Backed up schema '$service' of database '$PGDATABASE' to $file ($(wc -c <"$file") bytes)."
        ;;
    restore)
        [ -f "$file" ] || { echo "$me: no backup file '$file'" >&2; exit 2; }
        # grep reads the whole list: with -q it would stop early, and pg_restore, killed by
        # SIGPIPE, would fail the pipeline (pipefail) although the schema is there.
        if ! "$bin/pg_restore" --list "$file" | grep "SCHEMA - $service " >/dev/null; then
            echo "$me: $file holds no schema '$service'; was it made with 'dev/backup.sh backup $service'?" >&2
            exit 2
        fi
        # Drop what is there first: one transaction, so a failed restore leaves the schema as it was.
        "$bin/pg_restore" --clean --if-exists --single-transaction --exit-on-error --dbname="$PGDATABASE" "$file"
        echo "Restored schema '$service' of database '$PGDATABASE' from $file."
        ;;
    *) usage >&2; exit 2 ;;
esac
