#!/usr/bin/env bash
# A primary and a streaming read replica of PostgreSQL 15 for `make test-replica` (issue 20): two clusters of
# our own (never the main one on 5432), the standby made with `pg_basebackup -R`. Idempotent.
#   bash .ci/replica.sh          install if needed, create, start, wait until the standby streams
#   bash .ci/replica.sh drop     stop and drop both clusters
set -euo pipefail
PRIMARY_PORT="${NGOSO_REPLICA_PRIMARY_PORT:-18709}"
STANDBY_PORT="${NGOSO_REPLICA_STANDBY_PORT:-18710}"
PRIMARY=ngoso_primary
STANDBY=ngoso_standby

if [ "${1:-}" = "drop" ]; then
  for c in "$STANDBY" "$PRIMARY"; do
    pg_lsclusters -h | grep -q "^15 *$c " && pg_dropcluster --stop 15 "$c"
  done
  exit 0
fi

if ! command -v pg_createcluster >/dev/null 2>&1 || ! dpkg -s postgresql-15 >/dev/null 2>&1; then
  (apt-get update -qq || true)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
fi

psql_p() { su postgres -c "psql -p $PRIMARY_PORT -qAtc \"$1\""; }

if ! pg_lsclusters -h | grep -q "^15 *$PRIMARY "; then
  pg_createcluster 15 "$PRIMARY" -p "$PRIMARY_PORT" >/dev/null
fi
pg_ctlcluster 15 "$PRIMARY" start 2>/dev/null || true
for i in $(seq 1 30); do psql_p 'select 1' >/dev/null 2>&1 && break; sleep 1; done
psql_p "select 1 from pg_roles where rolname='ngoso'" | grep -q 1 || \
  psql_p "create role ngoso login createdb password 'ngoso'"
psql_p "select 1 from pg_database where datname='ngoso'" | grep -q 1 || \
  su postgres -c "createdb -p $PRIMARY_PORT -O ngoso ngoso"

if ! pg_lsclusters -h | grep -q "^15 *$STANDBY "; then
  pg_createcluster 15 "$STANDBY" -p "$STANDBY_PORT" >/dev/null
  data="/var/lib/postgresql/15/$STANDBY"
  rm -rf "$data" && install -d -o postgres -g postgres -m 700 "$data"
  # -R: standby.signal and primary_conninfo; local socket, replication by peer authentication (Debian's pg_hba)
  su postgres -c "pg_basebackup -p $PRIMARY_PORT -D $data -R -X stream -c fast"
fi
pg_ctlcluster 15 "$STANDBY" start 2>/dev/null || true
for i in $(seq 1 30); do
  [ "$(su postgres -c "psql -p $STANDBY_PORT -qAtc 'select pg_is_in_recovery()'" 2>/dev/null)" = "t" ] && \
  [ "$(psql_p 'select count(*) from pg_stat_replication' 2>/dev/null)" -ge 1 ] && break
  sleep 1
done
echo "primary :$PRIMARY_PORT, standby :$STANDBY_PORT ($(psql_p "select state from pg_stat_replication"))"
