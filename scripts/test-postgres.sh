#!/usr/bin/env bash
# Starts a PostgreSQL cluster for the tests on 127.0.0.1:54329 (Debian's postgresql, a cluster of its own named
# yolofuse_test) with a role that is neither superuser nor exempt from row-level security, as the service runs.
# Safe to run again. The tests read YOLOFUSE_TEST_POSTGRES_URL, defaulting to the URL printed at the end.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

port=54329
if ! command -v pg_createcluster >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
major=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $2}' | grep -qx yolofuse_test; then
  as_root pg_createcluster "$major" yolofuse_test -p "$port" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
fi
if ! pg_lsclusters -h | awk '$2 == "yolofuse_test" {print $4}' | grep -qx online; then
  as_root pg_ctlcluster "$major" yolofuse_test start
fi
as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'CREATE ROLE yolofuse LOGIN PASSWORD ''yolofuse'' NOSUPERUSER NOBYPASSRLS NOCREATEROLE'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'yolofuse') \gexec
SELECT 'CREATE DATABASE yolofuse_test OWNER yolofuse'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'yolofuse_test') \gexec
SQL
echo "postgres://yolofuse:yolofuse@127.0.0.1:$port/yolofuse_test?sslmode=disable"
