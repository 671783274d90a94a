#!/usr/bin/env bash
# Where the host's time goes, per message (not part of `make bench`; needs perf, as root).
#
#   bench/profile.sh ingest        # wrk flood on the webhook route, replies held back
#   bench/profile.sh e2e [rate]    # webhooks at a fixed rate (default 200/s), replies flowing
#
# Starts the release host (as `make bench` does) and, while the load runs, counts with
# `perf stat` the host's CPU time, context switches, SQLite statements run (sqlite3_reset,
# called once after every statement: prepared statements are cached, so prepares no longer
# count them) and syncs (unixSync, one per fsync/fdatasync), then divides them by the
# messages handled; `perf record -g` gives the top symbols and the split per thread.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_BIN:-$ROOT/.build/release}
MODE=${1:-e2e}
RATE=${2:-200}
SECONDS_RUN=8
SECRET=bench-app-secret
command -v perf >/dev/null || { echo "perf is missing (apt-get install linux-perf)" >&2; exit 1; }

mkdir -p "$ROOT/.build"
WORK=$(mktemp -d "$ROOT/.build/profile.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 3
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; { wait "$pid"; } 2>/dev/null || true; done
  perf probe -q -d 'probe_sandra:*' 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

read -r HOST_PORT GRAPH_PORT <<< "$("$BIN/SandraBench" free-ports --count 2)"
cat > "$WORK/host.yaml" <<YAML
server: {host: 127.0.0.1, port: $HOST_PORT, shutdown_timeout_seconds: 2, benchmark_routes: true}
storage: {path: "$WORK/db/sandra.sqlite"}
assistant: {type: echo}
identity: {enabled: false}
channels:
  instagram: {type: instagram, sandbox: false, access_token: t, verify_token: v, app_secret: $SECRET,
              graph_api_base_url: "http://127.0.0.1:$GRAPH_PORT"}
YAML

EVENTS=task-clock,context-switches
perf probe -q -d 'probe_sandra:*' 2>/dev/null || true
if perf probe -q -x "$BIN/sandra" -a sqlite_nio_sqlite3_reset -a unixSync 2>/dev/null; then
  EVENTS=$EVENTS,probe_sandra:sqlite_nio_sqlite3_reset,probe_sandra:unixSync
fi

if [ "$MODE" = ingest ]; then   # (the e2e command runs its own fake Graph API)
  "$BIN/SandraBench" graph --port "$GRAPH_PORT" --stall > /dev/null 2>&1 &
  PIDS+=($!)
fi
"$BIN/sandra" serve --config "$WORK/host.yaml" > "$WORK/host.log" 2>&1 &
HOST=$!
PIDS+=("$HOST")
"$BIN/SandraBench" wait-ready --url "http://127.0.0.1:$HOST_PORT/readyz"

perf stat -e "$EVENTS" -p "$HOST" -o "$WORK/stat.txt" -- sleep $((SECONDS_RUN + 1)) &
STAT=$!
perf record -F 1999 -g -p "$HOST" -o "$WORK/perf.data" -- sleep $((SECONDS_RUN + 1)) > /dev/null 2>&1 &
RECORD=$!
if [ "$MODE" = ingest ]; then
  "$BIN/SandraBench" wrk-bodies --out "$WORK/bodies" --count 100000 --secret "$SECRET" > /dev/null
  wrk -t1 -c64 -d${SECONDS_RUN}s -s "$ROOT/bench/webhook.lua" "http://127.0.0.1:$HOST_PORT/api/channels/instagram" \
    -- "$WORK/bodies" /api/channels/instagram > "$WORK/wrk.out"
  MESSAGES=$(sed -n 's/^result:requests=//p' "$WORK/wrk.out")
  echo "webhooks accepted: $MESSAGES ($(sed -n 's/^result:rps=//p' "$WORK/wrk.out")/s)"
else
  "$BIN/SandraBench" e2e --port "$HOST_PORT" --graph-port "$GRAPH_PORT" --rate "$RATE" --duration "$SECONDS_RUN" \
    --warmup 0.5 --senders 200 --secret "$SECRET" --drain 1 > "$WORK/e2e.out"
  MESSAGES=$(sed -n 's/^e2e.graph_messages=//p' "$WORK/e2e.out")
  tr '\n' ' ' < "$WORK/e2e.out"; echo
fi
wait "$STAT" "$RECORD" || true

echo
echo "per message ($MESSAGES messages; perf stat over the run):"
awk -v n="$MESSAGES" '
  /task-clock/ { gsub(",", "", $1); printf "  CPU time            %8.0f us\n", $1 * 1000 / n }
  /context-switches/ { gsub(",", "", $1); printf "  context switches    %8.1f\n", $1 / n }
  /sqlite3_reset/ { gsub(",", "", $1); printf "  SQLite statements   %8.1f\n", $1 / n }
  /unixSync/ { gsub(",", "", $1); printf "  fsyncs              %8.2f\n", $1 / n }
' "$WORK/stat.txt"
echo
echo "CPU per thread:"
{ perf report -i "$WORK/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep '%' | grep -v '^#' | head -n 8; } || true
echo
echo "top symbols (self):"
{ perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep '%' | grep -v '^#' | head -n 25 | cut -c1-150; } || true
echo
echo "inclusive, selected frames:"
{ perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | grep '%' \
  | grep -E 'sqlite3LockAndPrepare|MetaJSONReaderV8document|sqlite_nio_sqlite3_step *$|0A4JSONO4from|JSONDecoderC6decode_4fromxxm_AA4DataVtKSeRzlF *$|JSONEncoderC6encodeyAA4DataVxKSERzlF *$|WebhookVerifierV15verify|MarkdownRendererV8rendered|EchoAssistantV5reply|GraphAPIClientV4post|StreamLogHandlerV3log|llhttp__internal_execute|finish_task_switch' \
  | head -n 20 | cut -c1-150; } || true
