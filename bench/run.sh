#!/usr/bin/env bash
# `make bench`: ingestion, acknowledgement latency and end-to-end latency of the release
# host, in one run, printed as one table and appended to docs/performance.md.
#
#   bench/run.sh            (after `swift build -c release --product sandra/SandraBench`)
#
# Phases, each against a fresh host (release build, sandbox off, echo assistant, a fresh
# SQLite file, server.benchmark_routes: true):
#   0. fsync probe: 4 KiB write + fdatasync latency on the SQLite file's file system
#   1. wrk, closed loop: POST /bench/ack (bare 200 route) then POST /api/channels/instagram
#      with the same settings and same-size signed bodies from many senders; replies go to
#      `SandraBench graph`, a fake Graph Send API that answers at once
#   1b. diagnostic: the webhook run again on a fresh host whose Graph API never answers, so
#      the replies (at most max_concurrent_conversations in flight) stay out of the way and
#      the number is ingestion alone
#   1c. the Python peer (bench/peer.sh): pywa, the latest from PyPI in a throwaway virtualenv,
#      on FastAPI/uvicorn (one worker), then a fresh host's POST /api/channels/whatsapp, each
#      with phase 1's wrk settings and the same signed WhatsApp bodies; Sandra's WhatsApp
#      ingestion as a multiple of pywa's
#   2. `SandraBench open-loop`: signed webhooks at a fixed 5,000/s; ack latency from the
#      scheduled send time (no coordinated omission); first the same against the bare
#      route, the floor of the measurement (driver, loopback HTTP, scheduler). With the
#      replies running: when the last webhook is acknowledged, how many replies the fake
#      Graph API (`SandraBench graph`, asked on GET /bench/counts) has still to receive, and
#      how long until it has them all (the processing lag and its drain)
#   2b. diagnostic: the acknowledgement run again on a fresh host whose Graph API never
#      answers: acknowledgements alone, without the replies competing for the CPUs
#   3. `SandraBench e2e`: signed webhooks at a fixed 1,000/s from 200 senders; latency from
#      the send to the echo reply's arrival at SandraBench's own fake Graph API; the host's
#      CPU per answered message (replies at the fake Graph API, warm-up included)
#   3b. memory: a fresh host's VmRSS (/proc/<pid>/status) after start-up and BENCH_RSS_SETTLE
#      seconds, then after 10,000 and after 100,000 answered messages (`SandraBench e2e` at
#      BENCH_RSS_RATE msg/s from 1,000 senders, each run waiting for every reply, then the same
#      settle)
#   3c. `SandraBench capacity` on SQLite: the highest answered msg/s at which the end-to-end
#      p99 stays under 100 ms, searched on a fresh host: open-loop steps of 3 s from 200 msg/s
#      up by 1.6× until a step fails (a message unanswered within 3 s of the step's end, or p99
#      ≥ 100 ms), then bisection between the last pass and the first fail, the whole search
#      within BENCH_CAPACITY_BUDGET seconds; every step is printed
#   4. PostgreSQL (storage.postgres.url): the bench starts a throwaway PostgreSQL server of its
#      own (the newest /usr/lib/postgresql/<version>/bin; as the `postgres` user when run as
#      root), durable as in production: fsync, synchronous_commit and full_page_writes on, its
#      data folder beside the SQLite files (same file system); every host's pool at its
#      default size. Each phase gets a fresh database.
#   4a. the webhook run of phase 1 (same wrk settings and bodies) against a host on it
#   4b. the end-to-end run of phase 3 against a host on it (waiting at most BENCH_PG_DRAIN
#       seconds for the last replies)
#   4c. the capacity search of phase 3c against one host on PostgreSQL (fresh database)
#   4d. the same against two hosts on one fresh database, the webhooks spread over both: sender
#       s always to host s mod 2, so consecutive messages alternate; one fake Graph API
#   5. `SandraBench wakeup`: two hosts on one PostgreSQL database; per conversation (a new
#      sender) one message to one host, then, once acknowledged, the next to the same host or
#      to the other one, the fake Graph API answering every send after 50 ms; the gap between
#      the two replies, and what the other host's claim poll adds to it
#   6. `SandraBench json`: no host; the four webhook bodies of Sources/Bench/JSONBenchBodies.swift
#      read by the hand-written reader (MetaJSON) and by JSONDecoder into Codable models of
#      the same fields, and the stored events' JSON written and read; thread CPU per operation
#   6b. `SandraBench render`: no host; a ~4 KB Markdown reply (Sources/Bench/RenderBenchReply.swift)
#      rendered and split by the host's renderer with Instagram's profile (plain text, 1,000
#      UTF-8 bytes a part) and WhatsApp's (its dialect, 4,096 characters); thread CPU per reply
#   7. bench/instructions.py: instructions (valgrind --tool=callgrind, all threads, the host
#      pinned to one CPU) per no-op request, per accepted webhook with replies held back and
#      per answered message, two repetitions and their spread, each split into stages; on
#      SQLite, and on PostgreSQL too unless BENCH_POSTGRES=0 (a throwaway server of its own).
#      Printed after the table and appended under it to docs/performance.md
#   8. bench/pg_capacity.sh: PostgreSQL alone (no host), pgbench replaying one answered
#      message's statements (bench/pg_message.sql) at several client counts: transactions/s,
#      the server's CPU and WAL bytes per message; printed after the table and appended under
#      it (BENCH_PG_CAPACITY=0 skips it)
#
# Knobs (environment): BENCH_WRK_THREADS (1), BENCH_WRK_CONNECTIONS (64),
# BENCH_WRK_SECONDS (10), BENCH_WRK_BODIES (200000), BENCH_ACK_RATE (5000),
# BENCH_E2E_RATE (1000), BENCH_SECONDS (10, whole seconds), BENCH_LOG_LEVEL (info, the host's default),
# BENCH_QUIET_WAIT (60: seconds to wait for other work on the CPUs to stop before starting),
# BENCH_DOC (docs/performance.md; empty: do not write), BENCH_PROFILE (1: perf record
# the host during the webhook wrk run and print the top symbols), BENCH_POSTGRES (1; 0 skips
# phases 4 and 5), BENCH_WAKEUP_CONVERSATIONS (200 of each kind), BENCH_WAKEUP_GRAPH_DELAY_MS (50),
# BENCH_PG_DRAIN (10: seconds phase 4b waits for its last replies), BENCH_PEER (1; 0 skips
# phase 1c), BENCH_PEER_PYTHON (python3: the interpreter phase 1c's virtualenv is made with),
# BENCH_INSTRUCTIONS (1; 0 skips phase 7), BENCH_RSS (1; 0 skips phase 3b), BENCH_RSS_RATE (1000: phase 3's rate, one the host keeps up with; above what it answers, the
# backlog the dispatcher holds in memory is measured instead),
# BENCH_RSS_SETTLE (5 s), BENCH_CAPACITY (1; 0 skips phases 3c, 4c and 4d),
# BENCH_CAPACITY_BUDGET (180: seconds each capacity search may take), BENCH_PG_CAPACITY (1; 0 skips
# phase 8; skipped too with BENCH_POSTGRES=0), BENCH_PG_CAPACITY_CLIENTS ("1 4 16 64"),
# BENCH_PG_CAPACITY_SECONDS (10).
#
# Every phase also records the host's CPU time (user + system, all its threads, from
# /proc/<pid>/stat) per request it served, warm-up included; on PostgreSQL also the server's
# (the postmaster and all its processes).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${BENCH_BIN:-$ROOT/.build/release}
SANDRA=$BIN/sandra
BENCH=$BIN/SandraBench
LUA=$ROOT/bench/webhook.lua
WRK_THREADS=${BENCH_WRK_THREADS:-1}
WRK_CONNECTIONS=${BENCH_WRK_CONNECTIONS:-64}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
WRK_BODIES=${BENCH_WRK_BODIES:-200000}
WRK_SENDERS=1000
ACK_RATE=${BENCH_ACK_RATE:-5000}
E2E_RATE=${BENCH_E2E_RATE:-1000}
E2E_SENDERS=200
SECONDS_MEASURED=${BENCH_SECONDS:-10}
LOG_LEVEL=${BENCH_LOG_LEVEL:-info}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
DOC=${BENCH_DOC-$ROOT/docs/performance.md}
POSTGRES=${BENCH_POSTGRES:-1}
WAKEUP_CONVERSATIONS=${BENCH_WAKEUP_CONVERSATIONS:-200}
WAKEUP_GRAPH_DELAY_MS=${BENCH_WAKEUP_GRAPH_DELAY_MS:-50}
# How long the end-to-end run on PostgreSQL waits for its last replies (SQLite's waits up to 30 s):
# a host that falls behind there would otherwise add half a minute to the run.
PG_DRAIN=${BENCH_PG_DRAIN:-10}
INSTRUCTIONS=${BENCH_INSTRUCTIONS:-1}
RSS=${BENCH_RSS:-1}
RSS_RATE=${BENCH_RSS_RATE:-1000}
RSS_SETTLE=${BENCH_RSS_SETTLE:-5}
CAPACITY=${BENCH_CAPACITY:-1}
CAPACITY_BUDGET=${BENCH_CAPACITY_BUDGET:-180}
PG_CAPACITY=${BENCH_PG_CAPACITY:-1}
SECRET=bench-app-secret

for tool in "$SANDRA" "$BENCH"; do
  [ -x "$tool" ] || { echo "bench: $tool is missing; run make bench" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
if [ "$INSTRUCTIONS" = 1 ]; then
  command -v valgrind >/dev/null || { echo "bench: valgrind is missing (apt-get install valgrind; or BENCH_INSTRUCTIONS=0)" >&2; exit 1; }
fi
# The PostgreSQL server's helpers (start_postgres, pg_sql, pg_ticks, …) and the hosts' configuration.
source "$ROOT/bench/postgres.sh"
source "$ROOT/bench/host_config.sh"
PG_BIN=""
if [ "$POSTGRES" = 1 ]; then
  PG_BIN=$(pg_bin) || { echo "bench: PostgreSQL is missing (apt-get install postgresql; or BENCH_POSTGRES=0)" >&2; exit 1; }
fi

# The SQLite files live on the same file system as ./data (not a tmpfs), so fsync costs
# what it costs in production.
mkdir -p "$ROOT/.build"
WORK=$(mktemp -d "$ROOT/.build/bench.XXXXXX")
RESULTS=$WORK/results.txt
PIDS=()
PG_DIR=""

stop_pid() { # pid [seconds]: SIGTERM, then SIGKILL after the grace period
  local pid=$1 grace=${2:-10} waited=0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((grace * 10)) ]; do
    sleep 0.1; waited=$((waited + 1))
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do stop_pid "$pid" 5; done
  if [ "$status" -ne 0 ] && [ -d "$WORK" ]; then
    for log in "$WORK"/*.log ${PG_DIR:+"$PG_DIR/server.log"}; do
      [ -f "$log" ] && { echo "--- last lines of $(basename "$log")" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  stop_postgres
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Phase 1c, the Python peer.
source "$ROOT/bench/peer.sh"

say() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS" >&2; }

# other_load: how busy the CPUs are over one second while none of the bench's processes
# run (anything above a few percent is other work that shares the CPUs with the run).
MAX_OTHER_LOAD=0
other_load() {
  local a b busy
  read -r _ a1 a2 a3 a4 a5 a6 a7 a8 _ < /proc/stat
  sleep 1
  read -r _ b1 b2 b3 b4 b5 b6 b7 b8 _ < /proc/stat
  busy=$(( (b1 + b2 + b3 + b6 + b7 + b8) - (a1 + a2 + a3 + a6 + a7 + a8) ))
  a=$(( busy + (b4 + b5) - (a4 + a5) ))
  b=$(( a > 0 ? busy * 100 / a : 0 ))
  [ "$b" -gt "$MAX_OTHER_LOAD" ] && MAX_OTHER_LOAD=$b
  echo "CPU busy with other work: ${b}%" >&2
  if [ "$b" -ge 10 ] && command -v top >/dev/null; then
    top -b -n 1 -o %CPU 2>/dev/null | sed -n '8,10p' | awk '{print "  busy: " $12 " (" $9 "%)"}' >&2 || true
  fi
}
result() { echo "$1" >> "$RESULTS"; }

# The host's CPU time (user + system, all threads) in clock ticks, for CPU per request.
CLK_TCK=$(getconf CLK_TCK)
# HOST_PIDS: the hosts measured together (the two of phase 4d); HOST_PID alone by default.
host_ticks() { local pid; for pid in ${HOST_PIDS:-$HOST_PID}; do cat "/proc/$pid/stat"; done | awk '{t += $14 + $15} END {print t}'; }
# rss_kib: the host's resident memory (VmRSS, KiB)
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$HOST_PID/status"; }
# host_cpu <result name> <ticks before> <requests>: records the host's CPU per request (µs)
host_cpu() {
  local after
  after=$(host_ticks)
  # No requests (or no count): nothing to divide by, and no reason to stop the run.
  if [ "${3:-0}" -gt 0 ] 2>/dev/null; then
    result "$1.host_cpu_us=$(( (after - $2) * 1000000 / CLK_TCK / $3 ))"
  fi
}

# start_host <name> <port> <graph port> [probe flags]: a fresh host on a fresh SQLite file,
# or on the PostgreSQL database HOST_DATABASE_URL names when set; sets HOST_PID
start_host() {
  local name=$1 port=$2 graph=$3 probe=${4:-}
  mkdir -p "$WORK/$name"
  host_config "$WORK/$name.yaml" "$port" "$WORK/$name/sandra.sqlite" "$graph" "${HOST_DATABASE_URL:-}"
  "$SANDRA" serve --config "$WORK/$name.yaml" --log-level "$LOG_LEVEL" > "$WORK/$name.log" 2>&1 &
  HOST_PID=$!
  PIDS+=("$HOST_PID")
  "$BENCH" wait-ready --url "http://127.0.0.1:$port/readyz" --timeout 60
  "$BENCH" probe --base "http://127.0.0.1:$port" --secret "$SECRET" $probe
}

# start_two_hosts <name> <database URL>: two fresh hosts on one PostgreSQL database, on
# HOST_PORT and HOST_B_PORT, both replying to E2E_GRAPH_PORT; sets HOST_A_PID and HOST_PID
start_two_hosts() {
  HOST_DATABASE_URL=$2 start_host "$1-a" "$HOST_PORT" "$E2E_GRAPH_PORT" --bare-only
  HOST_A_PID=$HOST_PID
  HOST_DATABASE_URL=$2 start_host "$1-b" "$HOST_B_PORT" "$E2E_GRAPH_PORT" --bare-only
}

# run_wrk <result name> <url> <bodies prefix> <seconds>; WRK_SETTLE: a function called with the
# result name after wrk, before the host's CPU time is read
run_wrk() {
  local name=$1 url=$2 bodies=$3 seconds=$4 path before
  path=/${url#http://*/}
  before=$(host_ticks)
  wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "${seconds}s" --timeout 10s -s "$LUA" "$url" -- "$bodies" "$path" \
    > "$WORK/wrk-$name.out"
  if [ "$name" != warmup ]; then
    if [ -n "${WRK_SETTLE:-}" ]; then "$WRK_SETTLE" "$name"; fi
    host_cpu "$name" "$before" "$(sed -n 's/^result:requests=//p' "$WORK/wrk-$name.out")"
    sed -n "s/^result:/$name./p" "$WORK/wrk-$name.out" >> "$RESULTS"
    grep "^$name\." "$RESULTS" | tr '\n' ' ' >&2; echo >&2
  fi
}

read -r HOST_PORT GRAPH_PORT E2E_GRAPH_PORT HOST_B_PORT <<< "$("$BENCH" free-ports --count 4)"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD 2>/dev/null; then COMMIT="$COMMIT + uncommitted changes"; fi
result "meta.date=$(date -u '+%Y-%m-%d %H:%M UTC')"
result "meta.commit=$COMMIT"
result "meta.kernel=$(uname -r)"
result "meta.swift=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([^ ]*\).*/\1/p' | head -n 1)"
result "meta.storage_fs=$(df -T "$WORK" | awk 'NR==2 {print $2}')"
result "meta.wrk_senders=$WRK_SENDERS"
result "meta.load_before=$(cut -d' ' -f1-3 /proc/loadavg)"

# Other work (builds, tests) on the same two CPUs distorts everything: wait a little for it
# to stop, then go ahead anyway (the report warns).
waited=0
while [ "$waited" -lt "$QUIET_WAIT" ]; do
  MAX_OTHER_LOAD=0
  other_load
  [ "$MAX_OTHER_LOAD" -lt 10 ] && break
  [ "$waited" = 0 ] && echo "bench: the CPUs are busy with other work; waiting up to ${QUIET_WAIT} s for them to calm down" >&2
  sleep 4; waited=$((waited + 5))
done
say "0. fsync latency in $(dirname "$WORK")"
"$BENCH" fsync --dir "$WORK" --results "$RESULTS" >&2

say "1. ingestion (wrk, closed loop): bare route vs webhook route"
RUN_ID=$(date +%s)
"$BENCH" wrk-bodies --out "$WORK/bodies" --threads "$WRK_THREADS" --count "$WRK_BODIES" \
  --senders "$WRK_SENDERS" --secret "$SECRET" --run "w$RUN_ID" | sed 's/^/meta./' >> "$RESULTS"
"$BENCH" wrk-bodies --out "$WORK/warmup" --threads "$WRK_THREADS" --count 100000 \
  --senders "$WRK_SENDERS" --secret "$SECRET" --run "v$RUN_ID" > /dev/null
"$BENCH" graph --port "$GRAPH_PORT" > "$WORK/graph.log" 2>&1 &
GRAPH_PID=$!
PIDS+=("$GRAPH_PID")
start_host ingest "$HOST_PORT" "$GRAPH_PORT"
result "bare.threads=$WRK_THREADS"
result "bare.connections=$WRK_CONNECTIONS"
run_wrk warmup "http://127.0.0.1:$HOST_PORT/bench/ack" "$WORK/bodies" 2
run_wrk bare "http://127.0.0.1:$HOST_PORT/bench/ack" "$WORK/bodies" "$WRK_SECONDS"
run_wrk warmup "http://127.0.0.1:$HOST_PORT/api/channels/instagram" "$WORK/warmup" 2
if [ "${BENCH_PROFILE:-0}" = 1 ] && command -v perf >/dev/null; then
  perf record -F 999 -g -p "$HOST_PID" -o "$WORK/perf.data" -- sleep "$WRK_SECONDS" > /dev/null 2>&1 &
  PERF_PID=$!
fi
run_wrk webhook "http://127.0.0.1:$HOST_PORT/api/channels/instagram" "$WORK/bodies" "$WRK_SECONDS"
if [ -n "${PERF_PID:-}" ]; then
  wait "$PERF_PID" || true
  perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -n 40 >&2 || true
fi
stop_pid "$HOST_PID"
stop_pid "$GRAPH_PID"

say "1b. diagnostic: the webhook run with replies held back (fake Graph API never answers)"
"$BENCH" graph --port "$GRAPH_PORT" --stall > "$WORK/graph-stall.log" 2>&1 &
GRAPH_PID=$!
PIDS+=("$GRAPH_PID")
start_host ingest-only "$HOST_PORT" "$GRAPH_PORT" --bare-only
run_wrk warmup "http://127.0.0.1:$HOST_PORT/api/channels/instagram" "$WORK/warmup" 2
run_wrk ingest_only "http://127.0.0.1:$HOST_PORT/api/channels/instagram" "$WORK/bodies" "$WRK_SECONDS"
stop_pid "$HOST_PID" 5
stop_pid "$GRAPH_PID" 1
other_load
peer_phase
"$BENCH" graph --port "$GRAPH_PORT" > "$WORK/graph.log" 2>&1 &
GRAPH_PID=$!
PIDS+=("$GRAPH_PID")

# open_loop <result name> <run id> [flags]: the open-loop driver at ACK_RATE for 2 + SECONDS_MEASURED s,
# with the host's CPU per request over all of it
open_loop() {
  local name=$1 run=$2 before
  shift 2
  before=$(host_ticks)
  "$BENCH" open-loop --port "$HOST_PORT" --rate "$ACK_RATE" --duration "$SECONDS_MEASURED" --warmup 2 \
    --senders "$WRK_SENDERS" --secret "$SECRET" --run "$run" --name "$name" --results "$RESULTS" "$@" | tr '\n' ' ' >&2; echo >&2
  host_cpu "$name" "$before" "$(( ACK_RATE * (SECONDS_MEASURED + 2) ))"
}

say "2. acknowledgement latency at $ACK_RATE webhooks/s (open loop)"
start_host ack "$HOST_PORT" "$GRAPH_PORT"
# The floor of the measurement: the same driver and rate against the bare route.
open_loop bare5000 "b$RUN_ID" --path /bench/ack
open_loop ack5000 "a$RUN_ID" --graph-counts "http://127.0.0.1:$GRAPH_PORT/bench/counts"
stop_pid "$HOST_PID"
stop_pid "$GRAPH_PID"
other_load

say "2b. diagnostic: acknowledgement latency at $ACK_RATE webhooks/s with replies held back"
"$BENCH" graph --port "$GRAPH_PORT" --stall > "$WORK/graph-stall.log" 2>&1 &
GRAPH_PID=$!
PIDS+=("$GRAPH_PID")
start_host ack-only "$HOST_PORT" "$GRAPH_PORT" --bare-only
open_loop ack_only5000 "o$RUN_ID"
stop_pid "$HOST_PID" 5
stop_pid "$GRAPH_PID" 1
other_load

say "3. end to end at $E2E_RATE messages/s (open loop, webhook → reply at the fake Graph API)"
start_host e2e "$HOST_PORT" "$E2E_GRAPH_PORT" --bare-only
before=$(host_ticks)
"$BENCH" e2e --port "$HOST_PORT" --graph-port "$E2E_GRAPH_PORT" --rate "$E2E_RATE" --duration "$SECONDS_MEASURED" \
  --warmup 1 --senders "$E2E_SENDERS" --secret "$SECRET" --run "e$RUN_ID" --name e2e --results "$RESULTS" | tr '\n' ' ' >&2; echo >&2
# Per answered message (replies at the fake Graph API, warm-up included).
host_cpu e2e "$before" "$(sed -n 's/^e2e.graph_messages=//p' "$RESULTS")"
stop_pid "$HOST_PID"

if [ "$RSS" = 1 ]; then
  other_load
  say "3b. resident memory: idle, after 10k and after 100k answered messages (SQLite, $RSS_RATE msg/s)"
  start_host rss "$HOST_PORT" "$E2E_GRAPH_PORT" --bare-only
  sleep "$RSS_SETTLE"
  result "rss.settle_s=$RSS_SETTLE"
  result "rss.rate=$RSS_RATE"
  result "rss.idle_kib=$(rss_kib)"
  answered=0
  # rss_run <name> <messages>: messages at RSS_RATE, every reply awaited; then the host's RSS
  rss_run() {
    "$BENCH" e2e --port "$HOST_PORT" --graph-port "$E2E_GRAPH_PORT" --rate "$RSS_RATE" \
      --duration "$(awk -v n="$2" -v r="$RSS_RATE" 'BEGIN {print n / r}')" --warmup 0 --drain 120 \
      --senders "$WRK_SENDERS" --secret "$SECRET" --run "$1$RUN_ID" --name "$1" > "$WORK/$1.out"
    answered=$(( answered + $(sed -n "s/^$1.replied=//p" "$WORK/$1.out") ))
    echo "$1: $(sed -n -E "/^$1\.(sent|replied|p99_us)=/p" "$WORK/$1.out" | tr '\n' ' ')" >&2
  }
  rss_run rss10k 10000
  result "rss.busy10k_kib=$(rss_kib)"
  sleep "$RSS_SETTLE"
  result "rss.after10k_kib=$(rss_kib)"
  result "rss.answered10k=$answered"
  rss_run rss100k 90000
  result "rss.busy100k_kib=$(rss_kib)"
  sleep "$RSS_SETTLE"
  result "rss.after100k_kib=$(rss_kib)"
  result "rss.answered100k=$answered"
  grep '^rss\.' "$RESULTS" | tr '\n' ' ' >&2; echo >&2
  stop_pid "$HOST_PID"
fi

# capacity <result name> <port>...: the capacity search against hosts already running
# (HOST_PIDS or HOST_PID), with their CPU (and PostgreSQL's, when PG_DIR is set) per answered message
capacity() {
  local name=$1 before pg_before="" answered flags=()
  shift
  for port in "$@"; do flags+=(--port "$port"); done
  before=$(host_ticks)
  [ -n "$PG_DIR" ] && pg_before=$(pg_ticks)
  "$BENCH" capacity "${flags[@]}" --graph-port "$E2E_GRAPH_PORT" --senders "$E2E_SENDERS" --secret "$SECRET" \
    --run "$name$RUN_ID" --budget "$CAPACITY_BUDGET" --name "$name" --results "$RESULTS" | sed '/=/d' >&2
  answered=$(sed -n "s/^$name.answered_total=//p" "$RESULTS")
  host_cpu "$name" "$before" "$answered"
  [ -n "$pg_before" ] && pg_cpu "$name" "$pg_before" "$answered"
  sed -n -E "/^$name\.(max_rps|first_fail_rps|best_p99_us|host_cpu_us|pg_cpu_us)=/p" "$RESULTS" | tr '\n' ' ' >&2; echo >&2
}

if [ "$CAPACITY" = 1 ]; then
  other_load
  say "3c. capacity on SQLite: highest answered msg/s with end-to-end p99 < 100 ms (search, at most ${CAPACITY_BUDGET} s)"
  start_host cap-sqlite "$HOST_PORT" "$E2E_GRAPH_PORT" --bare-only
  capacity cap_sqlite "$HOST_PORT"
  stop_pid "$HOST_PID"
fi

if [ "$POSTGRES" = 1 ]; then
  other_load
  say "4. PostgreSQL: a throwaway server, durable (fsync, synchronous_commit, full_page_writes on)"
  start_postgres
  grep '^meta.pg_' "$RESULTS" >&2

  say "4a. ingestion on PostgreSQL (wrk, closed loop): webhook route"
  "$BENCH" graph --port "$GRAPH_PORT" > "$WORK/graph.log" 2>&1 &
  GRAPH_PID=$!
  PIDS+=("$GRAPH_PID")
  url=$(pg_database ingest)
  HOST_DATABASE_URL=$url start_host pg-ingest "$HOST_PORT" "$GRAPH_PORT"
  run_wrk warmup "http://127.0.0.1:$HOST_PORT/api/channels/instagram" "$WORK/warmup" 2
  pg_before=$(pg_ticks)
  run_wrk pg_webhook "http://127.0.0.1:$HOST_PORT/api/channels/instagram" "$WORK/bodies" "$WRK_SECONDS"
  pg_cpu pg_webhook "$pg_before" "$(sed -n 's/^result:requests=//p' "$WORK/wrk-pg_webhook.out")"
  stop_pid "$HOST_PID"
  stop_pid "$GRAPH_PID"
  other_load

  say "4b. end to end at $E2E_RATE messages/s on PostgreSQL (open loop)"
  url=$(pg_database e2e)
  HOST_DATABASE_URL=$url start_host pg-e2e "$HOST_PORT" "$E2E_GRAPH_PORT" --bare-only
  before=$(host_ticks)
  pg_before=$(pg_ticks)
  "$BENCH" e2e --port "$HOST_PORT" --graph-port "$E2E_GRAPH_PORT" --rate "$E2E_RATE" --duration "$SECONDS_MEASURED" \
    --warmup 1 --senders "$E2E_SENDERS" --secret "$SECRET" --run "p$RUN_ID" --drain "$PG_DRAIN" --name pg_e2e --results "$RESULTS" | tr '\n' ' ' >&2; echo >&2
  # Per answered message (replies at the fake Graph API, warm-up included): a host that falls
  # behind answers fewer than were offered.
  answered=$(sed -n 's/^pg_e2e.graph_messages=//p' "$RESULTS")
  host_cpu pg_e2e "$before" "$answered"
  pg_cpu pg_e2e "$pg_before" "$answered"
  stop_pid "$HOST_PID"
  other_load

  if [ "$CAPACITY" = 1 ]; then
    say "4c. capacity on PostgreSQL, one host (search, at most ${CAPACITY_BUDGET} s)"
    url=$(pg_database capacity1)
    HOST_DATABASE_URL=$url start_host pg-cap1 "$HOST_PORT" "$E2E_GRAPH_PORT" --bare-only
    capacity cap_pg1 "$HOST_PORT"
    stop_pid "$HOST_PID"
    other_load

    say "4d. capacity on PostgreSQL, two hosts on one database (sender s to host s mod 2)"
    url=$(pg_database capacity2)
    start_two_hosts pg-cap2 "$url"
    HOST_PIDS="$HOST_A_PID $HOST_PID" capacity cap_pg2 "$HOST_PORT" "$HOST_B_PORT"
    stop_pid "$HOST_PID"
    stop_pid "$HOST_A_PID"
    other_load
  fi

  say "5. cross-host wake-up delay: two hosts on one PostgreSQL database"
  url=$(pg_database wakeup)
  start_two_hosts pg-wakeup "$url"
  "$BENCH" wakeup --port-a "$HOST_PORT" --port-b "$HOST_B_PORT" --graph-port "$E2E_GRAPH_PORT" \
    --graph-delay-ms "$WAKEUP_GRAPH_DELAY_MS" --conversations "$WAKEUP_CONVERSATIONS" --secret "$SECRET" \
    --run "k$RUN_ID" --name wakeup --results "$RESULTS" | tr '\n' ' ' >&2; echo >&2
  stop_pid "$HOST_PID"
  stop_pid "$HOST_A_PID"
  stop_postgres
fi
rm -f "$WORK"/bodies.* "$WORK"/warmup.*

other_load
say "6. JSON in process: webhook bodies read by the hand-written reader and by JSONDecoder; stored events written and read"
"$BENCH" json --results "$RESULTS" >&2
say "6b. rendering in process: a 4 KB Markdown reply rendered and split for Instagram and WhatsApp"
"$BENCH" render --results "$RESULTS" >&2

if [ "$INSTRUCTIONS" = 1 ]; then
  other_load
  say "7. instructions per request and per message (callgrind, the host pinned to one CPU)"
  stores=sqlite
  [ "$POSTGRES" = 1 ] && stores=both
  # A failed count (valgrind, the shim) loses only this phase, not the times measured above.
  python3 "$ROOT/bench/instructions.py" --bin "$SANDRA" --out "$WORK/instructions" --store "$stores" \
    --markdown "$WORK/instructions.md" > /dev/null || echo "bench: the instruction counts failed (see above); the report goes on without them" >&2
fi

if [ "$POSTGRES" = 1 ] && [ "$PG_CAPACITY" = 1 ]; then
  other_load
  say "8. PostgreSQL alone: one answered message's statements under pgbench"
  BENCH_BIN=$BIN bash "$ROOT/bench/pg_capacity.sh" --markdown "$WORK/pg_capacity.md" >&2 \
    || echo "bench: the PostgreSQL capacity run failed (see above); the report goes on without it" >&2
fi

other_load
result "meta.load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
result "meta.other_load_pct=$MAX_OTHER_LOAD"

say "Results"
"$BENCH" report --results "$RESULTS" --nproc "$(nproc)" ${DOC:+--doc "$DOC"}
peer_report
if [ -f "$WORK/instructions.md" ]; then
  # Beside the times: the instruction counts of the same build, under the run's section.
  { printf '\n### Instructions per request and per message (callgrind)\n\n'; cat "$WORK/instructions.md"; } > "$WORK/instructions.section"
  cat "$WORK/instructions.section"
  [ -n "$DOC" ] && cat "$WORK/instructions.section" >> "$DOC"
fi
if [ -f "$WORK/pg_capacity.md" ]; then
  { printf '\n### PostgreSQL alone: one answered message'"'"'s statements under pgbench\n\n'; cat "$WORK/pg_capacity.md"; } > "$WORK/pg_capacity.section"
  cat "$WORK/pg_capacity.section"
  [ -n "$DOC" ] && cat "$WORK/pg_capacity.section" >> "$DOC"
fi
[ -n "$DOC" ] && echo "(appended to ${DOC#"$ROOT"/})" >&2
exit 0
