#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for the vault's tests.
#
#   bash vault/server/tests/pg.sh start DIR   # prints the connection string
#   bash vault/server/tests/pg.sh stop DIR    # stops it and removes DIR
#
# Debian's postgresql binaries (initdb, pg_ctl); as root, the cluster runs
# as the unprivileged `postgres` user (PostgreSQL refuses to run as root).
# It listens on 127.0.0.1 only, on a free port, with trust authentication
# for one role (`vault`), fsync and synchronous commits on (the crash tests
# rely on a commit being durable).
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop DIR}
dir=${2:?usage: pg.sh start|stop DIR}
bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "pg.sh: no PostgreSQL server binaries under /usr/lib/postgresql" >&2; exit 1; }
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case $cmd in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    as_pg "$bin/initdb" -D "$dir/data" -U vault --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c synchronous_commit=on -c max_connections=300" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "host=127.0.0.1 port=$port user=vault dbname=postgres"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg.sh start|stop DIR" >&2
    exit 2
    ;;
esac
