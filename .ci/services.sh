#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL 15 runs with logical decoding and that Redis answers.
set -euo pipefail
ver=$(ls /etc/postgresql | head -n1)
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
fi
level=$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW wal_level')
if [ "$level" != "logical" ]; then
  psql -h 127.0.0.1 -U postgres -qc 'ALTER SYSTEM SET wal_level = logical'
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
