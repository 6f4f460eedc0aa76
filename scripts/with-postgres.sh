#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster, then stops and deletes it.
#
#   scripts/with-postgres.sh cargo test --manifest-path tests/postgres/Cargo.toml
#
# The cluster lives in a fresh temporary directory, listens on 127.0.0.1 on a free port,
# trusts local connections (no password) and is removed on exit, even on failure or Ctrl-C.
# The command sees ORDINANCE_PG_URL=postgres://postgres@127.0.0.1:PORT/postgres (plus PGHOST,
# PGPORT, PGUSER, PGDATABASE for psql and libpq clients). Its exit status is this script's.
#
# Needs the server binaries (Debian: `apt-get install -y postgresql`); PGBIN overrides where
# they are looked for. As root the server runs as the `postgres` user, which the package
# creates. ORDINANCE_PG_PORT picks the port.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG]..." >&2
  exit 2
fi

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  if command -v initdb >/dev/null 2>&1; then
    PGBIN=$(dirname "$(command -v initdb)")
  else
    echo "error: PostgreSQL server binaries not found (install them: apt-get install -y postgresql, or set PGBIN)" >&2
    exit 2
  fi
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}
PORT=${ORDINANCE_PG_PORT:-$(free_port)}

PGTMP=$(mktemp -d "${TMPDIR:-/tmp}/ordinance-pg.XXXXXX")
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$PGTMP"
fi

cleanup() {
  status=$?
  if [ -f "$PGTMP/data/postmaster.pid" ]; then
    as_owner "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PGTMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s.%N)
as_owner "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust --no-sync -E UTF8 --no-locale >"$PGTMP/initdb.log" 2>&1 \
  || { cat "$PGTMP/initdb.log" >&2; exit 1; }
as_owner "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
  -o "-k $PGTMP -p $PORT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$PGTMP/server.log" >&2; exit 1; }
ready=$(date +%s.%N)
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" \
  "(started in $(awk "BEGIN {printf \"%.1f\", $ready - $started}") s, data in $PGTMP)" >&2

export ORDINANCE_PG_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
"$@"
