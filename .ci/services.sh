#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL 15 runs with logical decoding and that Redis answers.
set -euo pipefail
ver=$(ls /etc/postgresql | head -n1)
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
fi
# Logical decoding, and room for the replication slots and walsenders of connector tests running side by side
# (the defaults, 10 each, are what the embedded PostgreSQL raises to 20 too).
settings=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT string_agg(name || '=' || setting, ',' ORDER BY name) FROM pg_settings
  WHERE name IN ('max_replication_slots', 'max_wal_senders', 'wal_level')")
if [ "$settings" != "max_replication_slots=20,max_wal_senders=20,wal_level=logical" ]; then
  psql -h 127.0.0.1 -U postgres -qc 'ALTER SYSTEM SET wal_level = logical'
  psql -h 127.0.0.1 -U postgres -qc 'ALTER SYSTEM SET max_replication_slots = 20'
  psql -h 127.0.0.1 -U postgres -qc 'ALTER SYSTEM SET max_wal_senders = 20'
  pg_ctlcluster --skip-systemctl-redirect "$ver" main restart
fi
for _ in $(seq 1 50); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.2; done
psql -h 127.0.0.1 -U postgres -Atc 'SHOW wal_level'
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping
