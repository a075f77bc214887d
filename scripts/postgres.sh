#!/usr/bin/env bash
# Starts a private PostgreSQL (Debian's server packages) for the database tests and prints the environment to use:
#   eval "$(bash scripts/postgres.sh start)"   ...   bash scripts/postgres.sh stop
# Installs postgresql from Debian's packages when missing and apt-get is usable. Prints nothing to eval (and a
# warning on stderr) when no server can run; the PostgreSQL tests are then skipped and reported as such.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${FUSIONINFER_PG_PORT:-55432}"
DIR="${FUSIONINFER_PG_DIR:-/tmp/fusioninfer-pg-$(echo "$ROOT" | cksum | cut -d' ' -f1)}"

find_bin() {
  local b
  for b in /usr/lib/postgresql/*/bin; do [ -x "$b/initdb" ] && { echo "$b"; return 0; }; done
  return 1
}

run_as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    BIN="$(find_bin)" || {
      if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
        echo "installing postgresql from Debian's packages..." >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2 2>&1 || true
      fi
      BIN="$(find_bin)" || { echo "warning: no PostgreSQL server available; PostgreSQL tests will be skipped" >&2; exit 0; }
    }
    if ! "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
      mkdir -p "$DIR"
      [ "$(id -u)" = "0" ] && chown postgres "$DIR"
      if [ ! -f "$DIR/data/PG_VERSION" ]; then
        run_as_pg "$BIN/initdb" -D "$DIR/data" -A trust -U postgres >"$DIR/initdb.log" 2>&1 || { echo "warning: initdb failed (see $DIR/initdb.log); PostgreSQL tests will be skipped" >&2; exit 0; }
      fi
      run_as_pg "$BIN/pg_ctl" -D "$DIR/data" -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" -l "$DIR/server.log" -w -t 60 start >&2 \
        || { echo "warning: PostgreSQL did not start (see $DIR/server.log); PostgreSQL tests will be skipped" >&2; exit 0; }
    fi
    echo "export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING=postgresql://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    BIN="$(find_bin)" || exit 0
    [ -f "$DIR/data/postmaster.pid" ] && run_as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2
    exit 0
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
