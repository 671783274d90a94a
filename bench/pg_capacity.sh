#!/usr/bin/env bash
# PostgreSQL's own capacity for answered messages, without the host: pgbench replays one
# answered message's statements (bench/pg_message.sql: accept, claimHead, the assistant's
# context, recordReply, markSentAndComplete, the next message, as the store sends them)
# against a throwaway server, durable as in production (fsync, synchronous_commit, full_page_writes on), its data folder under .build
# (the file system the host's SQLite files and the bench's PostgreSQL use).
#
#   bench/pg_capacity.sh [--clients "1 4 16 64"] [--seconds 10] [--markdown FILE] [--async-commit]
#
# --async-commit: synchronous_commit off (not durable: for comparison only, it shows what the
# server does when commits no longer wait for the WAL's fsync).
# --notify: each message's last transaction also sends a NOTIFY (what waking the other hosts
# by LISTEN/NOTIFY would add; the host does not use it today: it polls).
# The schema is the host's own: a release `sandra` (BENCH_BIN, .build/release by default) is
# started once on the fresh database, which migrates it, and stopped. Then, per client count,
# a fresh database copied from that one and one pgbench run (extended protocol, as PostgresNIO
# speaks it; one connection and one thread per client): messages (transactions) per second,
# latency per message, the server's CPU per message (the postmaster and its processes, from
# /proc) and WAL bytes per message (pg_current_wal_lsn() before and after ÷ messages).
# Prints a Markdown table (and writes it to FILE with --markdown); `make bench` runs it as
# phase 8. Knobs: BENCH_PG_CAPACITY_CLIENTS, BENCH_PG_CAPACITY_SECONDS (the defaults of the flags).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_BIN:-$ROOT/.build/release}
SANDRA=$BIN/sandra
BENCH=$BIN/SandraBench
SCRIPT=$ROOT/bench/pg_message.sql
CLIENTS=${BENCH_PG_CAPACITY_CLIENTS:-1 4 16 64}
SECONDS_RUN=${BENCH_PG_CAPACITY_SECONDS:-10}
MARKDOWN=""
ASYNC_COMMIT=0
NOTIFY=0
while [ $# -gt 0 ]; do
  case $1 in
    --clients) CLIENTS=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --markdown) MARKDOWN=$2; shift 2 ;;
    --async-commit) ASYNC_COMMIT=1; shift ;;
    --notify) NOTIFY=1; shift ;;
    *) echo "pg_capacity: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in "$SANDRA" "$BENCH"; do
  [ -x "$tool" ] || { echo "pg_capacity: $tool is missing (swift build -c release --product sandra/SandraBench)" >&2; exit 1; }
done

mkdir -p "$ROOT/.build"
WORK=$(mktemp -d "$ROOT/.build/pg-capacity.XXXXXX")
META=$WORK/meta.txt
result() { echo "$1" >> "$META"; }
source "$ROOT/bench/postgres.sh"
source "$ROOT/bench/host_config.sh"
PG_BIN=$(pg_bin) || { echo "pg_capacity: PostgreSQL is missing (apt-get install postgresql)" >&2; exit 1; }
[ -x "$PG_BIN/pgbench" ] || { echo "pg_capacity: $PG_BIN/pgbench is missing" >&2; exit 1; }
PG_DIR=""
HOST_PID=""
cleanup() {
  local status=$?
  [ -n "$HOST_PID" ] && kill "$HOST_PID" 2>/dev/null && wait "$HOST_PID" 2>/dev/null
  [ "$status" -ne 0 ] && [ -n "$PG_DIR" ] && tail -n 15 "$PG_DIR/server.log" >&2
  stop_postgres
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_postgres
if [ "$ASYNC_COMMIT" = 1 ]; then
  pg_sql postgres "ALTER SYSTEM SET synchronous_commit = off" >&2
  pg_sql postgres "SELECT pg_reload_conf()" > /dev/null
  result "meta.pg_settings=$(sed -n 's/^meta.pg_settings=//p' "$META" | sed 's/synchronous_commit=on/synchronous_commit=off (not durable)/')"
fi
# The template: the host's schema, made by the host.
url=$(pg_database template_sandra)
read -r port <<< "$("$BENCH" free-ports --count 1)"
host_config "$WORK/host.yaml" "$port" "$WORK/unused.sqlite" 9 "$url"
"$SANDRA" serve --config "$WORK/host.yaml" > "$WORK/host.log" 2>&1 &
HOST_PID=$!
"$BENCH" wait-ready --url "http://127.0.0.1:$port/readyz" --timeout 60
kill "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true
HOST_PID=""

if [ "$NOTIFY" = 1 ]; then
  # The same statements, and a NOTIFY after the reply is marked sent (the statement that
  # completes the item is one statement, its own transaction: the NOTIFY is one more).
  awk '{ print } /^SELECT 1 FROM done;/ { print "NOTIFY inbox_wakeup, '"'"'wake'"'"';" }' "$SCRIPT" > "$WORK/message-notify.sql"
  SCRIPT=$WORK/message-notify.sql
  if [ "$(id -u)" = 0 ]; then chown postgres "$WORK" "$SCRIPT"; fi
fi

CLK_TCK=$(getconf CLK_TCK)
rows=()
for clients in $CLIENTS; do
  db=messages_$clients
  pg_sql postgres "CREATE DATABASE $db TEMPLATE template_sandra" >&2
  lsn_before=$(pg_sql postgres "SELECT pg_current_wal_lsn()")
  ticks_before=$(pg_ticks)
  as_pg "$PG_BIN/pgbench" -n -r -M extended -h "$PG_DIR" -p "$PG_PORT" -U postgres -c "$clients" -j "$clients" \
    -T "$SECONDS_RUN" -f "$SCRIPT" "$db" > "$WORK/pgbench-$clients.out" 2>&1 \
    || { cat "$WORK/pgbench-$clients.out" >&2; exit 1; }
  ticks_after=$(pg_ticks)
  wal=$(pg_sql postgres "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn_before')")
  done_count=$(pg_sql "$db" "SELECT count(*) FROM inbox WHERE state = 'done'")
  messages=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench-$clients.out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench-$clients.out")
  tps=$(printf '%.0f' "$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench-$clients.out" | head -n 1)")
  latency=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$WORK/pgbench-$clients.out")
  if [ "${messages:-0}" -gt 0 ]; then
    cpu_us=$(( (ticks_after - ticks_before) * 1000000 / CLK_TCK / messages ))
    wal_per=$(( ${wal%.*} / messages ))
  else
    cpu_us=0; wal_per=0
  fi
  echo "pg_capacity: $clients clients: $tps messages/s, latency $latency ms, ${cpu_us} µs server CPU and $wal_per WAL bytes per message, $done_count of $messages done, ${failed:-0} failed" >&2
  rows+=("| $clients | $tps | $latency ms | $cpu_us µs | $wal_per B | $done_count / $messages |")
  # Per statement (pgbench -r): mean latency in ms, the slowest first.
  echo "pg_capacity: $clients clients, the slowest statements (mean ms):" >&2
  sed -n '/statement latencies/,$p' "$WORK/pgbench-$clients.out" | grep -E '^ +[0-9.]+ +[0-9]+ ' |
    sort -k1,1nr | head -n 5 | cut -c1-140 >&2 || true
  pg_sql postgres "DROP DATABASE $db" >&2
done

{
  echo "PostgreSQL $(sed -n 's/^meta.pg_version=//p' "$META") on $(sed -n 's/^meta.pg_fs=//p' "$META") ($(sed -n 's/^meta.pg_settings=//p' "$META" | tail -n 1)); $(nproc) CPUs, pgbench on the same CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Each transaction is one answered message's statements (bench/pg_message.sql, 8 statements: 2 for accept, 1 for claimHead, 2 reads of the assistant's context, 1 each for recordReply and markSentAndComplete, 1 read of the conversation's next message$([ "$NOTIFY" = 1 ] && echo ', plus a NOTIFY after the reply is marked sent')); ${SECONDS_RUN} s per client count."
  echo
  echo "| pgbench clients | messages/s | latency per message | server CPU per message | WAL per message | messages done / run |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$WORK/table.md"
cat "$WORK/table.md"
[ -z "$MARKDOWN" ] || cp "$WORK/table.md" "$MARKDOWN"
