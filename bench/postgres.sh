# PostgreSQL helpers of `make bench`, sourced by bench/run.sh and bench/pg_capacity.sh: a
# throwaway server the bench starts itself, durable as in production.
#
# Uses the sourcing script's WORK, BENCH (SandraBench, for free-ports) and result; sets PG_DIR,
# PG_PORT, PG_PASSWORD and PG_SECRET_KEY; needs PG_BIN (see pg_bin).

# pg_bin: the newest /usr/lib/postgresql/<version>/bin with initdb, pg_ctl and psql; fails if none
pg_bin() {
  local dir found=""
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4n); do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/psql" ] && found=$dir
  done
  [ -n "$found" ] && echo "$found"
}

# PostgreSQL: runs its programs as the `postgres` user when the bench runs as root (the server
# refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_sql() { # <database> <sql>: runs one statement as the superuser over the unix socket
  as_pg "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres -d "$1" -c "$2"
}
# The postmaster's and its processes' CPU time in clock ticks: the live ones', and the ended
# ones' (reaped by the postmaster: its children's times, cutime and cstime).
pg_ticks() {
  local pid stat line
  pid=$(head -n 1 "$PG_DIR/data/postmaster.pid")
  # One file at a time: a process may end between the listing and the read.
  for stat in /proc/[0-9]*/stat; do { read -r line < "$stat" && echo "$line"; } 2>/dev/null || true; done |
    awk -v pm="$pid" '{ own = $1 == pm; sub(/^.*\) /, ""); if (own || $2 == pm) t += $12 + $13; if (own) t += $14 + $15 } END { print t + 0 }'
}
# pg_cpu <result name> <ticks before> <requests>: the server's CPU per request (µs)
pg_cpu() {
  local after
  after=$(pg_ticks)
  if [ "${3:-0}" -gt 0 ] 2>/dev/null; then
    result "$1.pg_cpu_us=$(( (after - $2) * 1000000 / CLK_TCK / $3 ))"
  fi
}
# start_postgres: initdb into a fresh folder beside the SQLite files and start the server on a
# free loopback port, durable as in production (fsync, synchronous_commit, full_page_writes on)
start_postgres() {
  PG_DIR=$(mktemp -d "$ROOT/.build/bench-pg.XXXXXX")
  PG_PORT=$("$BENCH" free-ports --count 1)
  PG_PASSWORD=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  PG_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
  printf '%s' "$PG_PASSWORD" > "$PG_DIR/password"
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$PG_DIR"; fi
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --pwfile="$PG_DIR/password" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C > "$WORK/pg-initdb.log" 2>&1
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o \
    "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on" \
    start > "$WORK/pg-start.log" 2>&1
  result "meta.pg_version=$(pg_sql postgres 'SHOW server_version' | cut -d' ' -f1)"
  result "meta.pg_settings=$(pg_sql postgres "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings
    WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', 'max_connections')")"
  result "meta.pg_fs=$(df -T "$PG_DIR" | awk 'NR==2 {print $2}')"
}
stop_postgres() {
  [ -n "$PG_DIR" ] || return 0
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop > /dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  PG_DIR=""
}
# pg_database <name>: a fresh database; prints its URL
pg_database() {
  pg_sql postgres "CREATE DATABASE $1" >&2
  echo "postgres://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/$1?sslmode=disable"
}
