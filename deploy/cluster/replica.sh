#!/bin/sh
# A PostgreSQL streaming read replica for Tandem (DATABASE_REPLICA_URL), on this machine.
#
#   replica.sh allow-replication PG_HBA_FILE [CIDR]   let CIDR (default 127.0.0.1/32) stream
#                                                      from the primary, and reload it
#   replica.sh create PRIMARY_PORT REPLICA_DIR REPLICA_PORT [PRIMARY_HOST]
#                                                      copy the primary (pg_basebackup -R) and
#                                                      start the copy as a hot standby
#   replica.sh start  REPLICA_DIR REPLICA_PORT         start a replica made before
#   replica.sh stop   REPLICA_DIR                      stop it (fast: no waiting for clients)
#
# Run as root or as the PostgreSQL user; the server runs as $PG_OS_USER (postgres). The
# primary keeps its default wal_level (replica) and max_wal_senders (10): only pg_hba.conf
# needs a "replication" line, since "all" in pg_hba.conf does not cover replication.
# Tandem itself then reads from the replica through DATABASE_REPLICA_URL; see
# docs/deployment.md and tandem/core/replica.py.
set -eu

PG_OS_USER=${PG_OS_USER:-postgres}
REPLICATION_USER=${REPLICATION_USER:-postgres}
PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | tail -n 1)}

as_pg() {
    if [ "$(id -un)" = "$PG_OS_USER" ]; then "$@"; else runuser -u "$PG_OS_USER" -- "$@"; fi
}

start() {
    dir=$1 port=$2
    # The replica's own socket directory, so it never contends for the primary's lock file.
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir" start
}

case "${1:-}" in
allow-replication)
    hba=$2 cidr=${3:-127.0.0.1/32}
    line="host replication $REPLICATION_USER $cidr trust"
    grep -qxF "$line" "$hba" || printf '%s\n' "$line" >>"$hba"
    as_pg psql -h 127.0.0.1 -U postgres -Atc "SELECT pg_reload_conf()" >/dev/null
    echo "replication from $cidr allowed in $hba (trust: use scram-sha-256 and a password off loopback)"
    ;;
create)
    primary_port=$2 dir=$3 port=$4 host=${5:-127.0.0.1}
    mkdir -p "$(dirname "$dir")"
    # -R writes standby.signal and primary_conninfo; -X stream copies the WAL written
    # meanwhile, so the copy starts consistent; -c fast does not wait for a checkpoint.
    as_pg "$PG_BIN/pg_basebackup" -h "$host" -p "$primary_port" -U "$REPLICATION_USER" \
        -D "$dir" -R -X stream -c fast
    # Debian-style clusters keep their configuration in /etc, outside the data directory
    # pg_basebackup copies: the replica then needs files of its own to start.
    [ -f "$dir/postgresql.conf" ] || as_pg touch "$dir/postgresql.conf"
    if [ ! -f "$dir/pg_hba.conf" ]; then
        printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | as_pg tee "$dir/pg_hba.conf" >/dev/null
    fi
    start "$dir" "$port"
    as_pg psql -h 127.0.0.1 -p "$port" -U postgres -Atc "SELECT 'replica in recovery: ' || pg_is_in_recovery()"
    ;;
start) start "$2" "$3" ;;
stop) as_pg "$PG_BIN/pg_ctl" -D "$2" -m fast -w stop ;;
*)
    sed -n '2,16p' "$0"
    exit 2
    ;;
esac
