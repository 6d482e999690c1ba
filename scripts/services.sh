#!/usr/bin/env bash
# Private PostgreSQL + Redis servers for the test suite, run as this project's
# own processes (never the system services).
#
#   scripts/services.sh start|stop|status|check
#
# Data lives under ${IDENTRA_SERVICES_DIR:-./var/services}. `start` is
# idempotent and prints the URLs the tests read; progress goes to stderr so
# `eval "$(scripts/services.sh start | sed 's/^/export /')"` works.
# `check` only tells (exit status) whether the server binaries are installed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_PORT=${SERVICES_PG_PORT:-54329}
REDIS_PORT=${SERVICES_REDIS_PORT:-63799}
TIMEOUT=${IDENTRA_SERVICES_TIMEOUT:-30}
DATABASE_URL="postgresql+asyncpg://identra:identra@127.0.0.1:${PG_PORT}/identra_test"
REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/0"

SERVICES_DIR=$(realpath -m "${IDENTRA_SERVICES_DIR:-./var/services}")
REDIS_DIR="$SERVICES_DIR/redis"
PG_DIR="$SERVICES_DIR/postgres"
if [[ ${1:-} == start ]]; then mkdir -p "$REDIS_DIR" "$PG_DIR"; fi

log() { echo "services: $*" >&2; }

# Highest installed Debian PostgreSQL; fall back to whatever is on PATH.
PG_BIN=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null |
  sort -V | tail -n 1 | xargs -r dirname)
if [[ -z $PG_BIN ]] && command -v pg_ctl >/dev/null; then
  PG_BIN=$(dirname "$(command -v pg_ctl)")
fi

check() {
  local ok=0
  [[ -n $PG_BIN && -x $PG_BIN/initdb ]] || { log "PostgreSQL server binaries (initdb/pg_ctl) not found"; ok=1; }
  command -v redis-server >/dev/null || { log "redis-server not found"; ok=1; }
  command -v redis-cli >/dev/null || { log "redis-cli not found"; ok=1; }
  return "$ok"
}

# PostgreSQL refuses to run as root: as root, run its tools as `postgres`
# (from / so it never trips over an unreadable cwd).
if [[ $EUID -eq 0 ]]; then
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
  # The postgres user must be able to reach the data dir; a clone under
  # e.g. /root is not traversable, so fall back to a per-checkout dir in /tmp.
  if [[ -d $PG_DIR ]] && ! as_pg test -x "$PG_DIR"; then
    PG_DIR="/tmp/identra-pg-$(printf %s "$SERVICES_DIR" | md5sum | cut -c1-12)"
  fi
else
  as_pg() { "$@"; }
fi
PGDATA="$PG_DIR/data"

pg_running() { [[ -f $PGDATA/PG_VERSION ]] && as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; }
pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }
redis_pid() { [[ -f $REDIS_DIR/redis.pid ]] && cat "$REDIS_DIR/redis.pid"; }
redis_running() { local pid; pid=$(redis_pid) && kill -0 "$pid" 2>/dev/null; }
redis_ready() { [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

wait_for() { # wait_for NAME CHECK-FUNCTION
  local i
  for ((i = 0; i < TIMEOUT * 5; i++)); do "$2" && return 0; sleep 0.2; done
  log "$1 did not accept connections within ${TIMEOUT}s"
  return 1
}

pg_start() {
  if [[ ! -f $PGDATA/PG_VERSION ]]; then
    log "initialising PostgreSQL ($PG_BIN) in $PGDATA"
    rm -rf "$PG_DIR" && mkdir -p "$PG_DIR"
    printf 'identra\n' >"$PG_DIR/pwfile"
    if [[ $EUID -eq 0 ]]; then chown -R postgres: "$PG_DIR"; fi
    as_pg "$PG_BIN/initdb" -D "$PGDATA" -U identra --pwfile="$PG_DIR/pwfile" \
      -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=md5 >"$PG_DIR/initdb.log" ||
      { cat "$PG_DIR/initdb.log" >&2; return 1; }
    # TCP on loopback only, no Unix socket (the default socket dir may not be
    # writable), and durability off: this is throwaway test data.
    cat >>"$PGDATA/postgresql.conf" <<EOF

# --- identra test server ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi
  if pg_running; then
    log "PostgreSQL already running"
  else
    as_pg "$PG_BIN/pg_ctl" start -D "$PGDATA" -l "$PG_DIR/postgres.log" -w -t "$TIMEOUT" >/dev/null ||
      { tail -n 20 "$PG_DIR/postgres.log" >&2; return 1; }
    log "PostgreSQL started on 127.0.0.1:$PG_PORT"
  fi
  wait_for PostgreSQL pg_ready
  # Created here rather than at initdb time so an interrupted first start heals.
  local psql=("$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U identra -d postgres -v ON_ERROR_STOP=1)
  if [[ -z $(PGPASSWORD=identra "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'identra_test'") ]]; then
    PGPASSWORD=identra "${psql[@]}" -c 'CREATE DATABASE identra_test'
  fi
}

redis_start() {
  if redis_running; then
    log "Redis already running"
  else
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
      --dir "$REDIS_DIR"
    log "Redis started on 127.0.0.1:$REDIS_PORT"
  fi
  wait_for Redis redis_ready
}

pg_stop() {
  if pg_running; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t "$TIMEOUT" >/dev/null
    log "PostgreSQL stopped"
  else
    log "PostgreSQL not running"
  fi
}

redis_stop() {
  local pid i
  if redis_running; then
    pid=$(redis_pid)
    kill "$pid"
    for ((i = 0; i < TIMEOUT * 5; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    ! kill -0 "$pid" 2>/dev/null || { log "Redis (pid $pid) did not stop"; return 1; }
    rm -f "$REDIS_DIR/redis.pid"
    log "Redis stopped"
  else
    log "Redis not running"
  fi
}

print_urls() {
  echo "IDENTRA_TEST_DATABASE_URL=$DATABASE_URL"
  echo "IDENTRA_TEST_REDIS_URL=$REDIS_URL"
}

case "${1:-}" in
  check) check ;;
  start)
    # Plain statements (not an && chain) so `set -e` stays active inside.
    check
    pg_start
    redis_start
    print_urls
    ;;
  stop)
    rc=0
    if [[ -n $PG_BIN ]]; then pg_stop || rc=1; fi
    redis_stop || rc=1
    exit "$rc"
    ;;
  status)
    rc=0
    if [[ -n $PG_BIN ]] && pg_running; then log "PostgreSQL running ($PGDATA)"; else log "PostgreSQL stopped"; rc=3; fi
    if redis_running; then log "Redis running (pid $(redis_pid))"; else log "Redis stopped"; rc=3; fi
    [[ $rc -ne 0 ]] || print_urls
    exit "$rc"
    ;;
  *)
    echo "usage: $0 start|stop|status|check" >&2
    exit 2
    ;;
esac
