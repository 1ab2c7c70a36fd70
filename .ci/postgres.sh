#!/usr/bin/env bash
# Install and start Debian's PostgreSQL 15 and create the role the tests use. Idempotent.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! dpkg -s postgresql >/dev/null 2>&1; then
  (apt-get update -qq || true)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
fi
if ! pg_lsclusters -h | grep -q '^15 *main'; then
  pg_createcluster 15 main
fi
pg_ctlcluster 15 main start 2>/dev/null || true
for i in $(seq 1 30); do
  su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qAtc \"select 1 from pg_roles where rolname='ngoso'\"" | grep -q 1 || \
  su postgres -c "psql -qc \"create role ngoso login createdb password 'ngoso'\""
su postgres -c "psql -qAtc \"select 1 from pg_database where datname='ngoso'\"" | grep -q 1 || \
  su postgres -c "createdb -O ngoso ngoso"
# Tests drop the databases they made WITH (FORCE), which must stop an autovacuum worker woken by a restore.
su postgres -c "psql -qc 'set client_min_messages = warning; grant pg_signal_backend to ngoso'" >/dev/null
