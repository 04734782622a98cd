#!/bin/sh
# What the official image's entrypoint does for compose.yaml: a first start creates the cluster,
# the POSTGRES_USER role with POSTGRES_PASSWORD (scram) and the POSTGRES_DB database.
set -eu
if [ "$1" = postgres ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    printf '%s' "$POSTGRES_PASSWORD" > /tmp/pwfile && chown postgres /tmp/pwfile
    runuser -u postgres -- initdb --username="${POSTGRES_USER:-postgres}" --pwfile=/tmp/pwfile \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm /tmp/pwfile
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    runuser -u postgres -- pg_ctl -w -o "-c listen_addresses=''" start >/dev/null
    if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
      runuser -u postgres -- createdb -U "${POSTGRES_USER:-postgres}" "$POSTGRES_DB"
    fi
    runuser -u postgres -- pg_ctl -w stop -m fast >/dev/null
  fi
  exec runuser -u postgres -- "$@" -c listen_addresses='*'
fi
exec "$@"
