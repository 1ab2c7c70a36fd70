#!/usr/bin/env bash
# PgBouncer in transaction mode in front of the PostgreSQL 15 of .ci/postgres.sh, for `make test-pgbouncer`
# (issue 20). Its own config and port, started as the postgres user. Idempotent.
#   bash .ci/pgbouncer.sh        install if needed, (re)start on port 18711
#   bash .ci/pgbouncer.sh stop
set -euo pipefail
PORT="${NGOSO_PGBOUNCER_PORT:-18711}"
PG_PORT="${NGOSO_PG_PORT:-5432}"
DIR="${NGOSO_PGBOUNCER_DIR:-/tmp/ngoso-pgbouncer-$PORT}"

stop() {
  if [ -f "$DIR/pgbouncer.pid" ] && kill -0 "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null; then
    kill "$(cat "$DIR/pgbouncer.pid")"
    for i in $(seq 1 20); do [ -f "$DIR/pgbouncer.pid" ] || break; sleep 0.5; done  # it removes its pid file on exit
  fi
}
if [ "${1:-}" = "stop" ]; then stop; exit 0; fi

if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  (apt-get update -qq || true)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer
fi
PGBOUNCER="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
# Debian's package starts its own service on 6432: not ours, left alone.
stop
install -d -o postgres -g postgres -m 700 "$DIR"
cat > "$DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $DIR/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 40
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
echo '"ngoso" "ngoso"' > "$DIR/userlist.txt"
chown postgres:postgres "$DIR"/*
chmod 600 "$DIR/userlist.txt"
su postgres -c "$PGBOUNCER -d -q $DIR/pgbouncer.ini"
for i in $(seq 1 20); do
  PGPASSWORD=ngoso psql -h 127.0.0.1 -p "$PORT" -U ngoso -d ngoso -qAtc 'select 1' >/dev/null 2>&1 && break
  sleep 0.5
done
echo "pgbouncer :$PORT (transaction pooling) -> PostgreSQL :$PG_PORT"
