# Phase 1c of `make bench`, sourced by bench/run.sh: the Python peer. pywa (latest from PyPI)
# on FastAPI/uvicorn, one worker (bench/peer_pywa.py), and the host's WhatsApp route, each
# driven by phase 1's wrk settings with the same signed WhatsApp text webhooks (a distinct
# wamid per request, the BSUID fields present; written by bench/peer.py). pywa is installed
# into a throwaway virtualenv under the run's folder (.build/bench.*), removed with it.
#
# Uses run.sh's WORK, RESULTS, ROOT, BENCH, SECRET, WRK_*, RUN_ID, GRAPH_PORT, HOST_PORT, PIDS
# and its functions (say, result, start_host, run_wrk, stop_pid, other_load).
# Knobs: BENCH_PEER (1; 0 skips the phase), BENCH_PEER_PYTHON (python3).

PEER=${BENCH_PEER:-1}
PEER_PYTHON=${BENCH_PEER_PYTHON:-python3}
PEER_VERIFY_TOKEN=bench-verify-token
PEER_TOOL=$ROOT/bench/peer.py

# peer_skip <reason>: the peer is not measured; the report says why
peer_skip() {
  echo "bench: pywa not measured: $1" >&2
  result "peer.skipped=$1"
}

# peer_install <venv>: a fresh virtualenv with the latest pywa, FastAPI and uvicorn (with
# uvloop and httptools, as uvicorn recommends for production); records the versions
peer_install() {
  local venv=$1
  "$PEER_PYTHON" -m venv "$venv" > "$WORK/peer-venv.log" 2>&1 || {
    peer_skip "\`$PEER_PYTHON -m venv\` failed (Debian: apt-get install python3-venv)"; return 1; }
  # Few retries and a short timeout: without PyPI the bench goes on after ~1 minute at most.
  if ! "$venv/bin/pip" install --disable-pip-version-check --no-input -q --timeout 15 --retries 1 \
      pywa fastapi 'uvicorn[standard]' > "$WORK/peer-pip.log" 2>&1; then
    tail -n 3 "$WORK/peer-pip.log" >&2
    peer_skip "pip could not install pywa, fastapi and uvicorn (is PyPI reachable?)"
    return 1
  fi
  result "peer.versions=$("$venv/bin/python" - <<'PY'
import platform
from importlib.metadata import version
names = ["pywa", "fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools"]
print(f"Python {platform.python_version()}, " + ", ".join(f"{name} {version(name)}" for name in names))
PY
)"
}

# peer_settle <result name>: waits until pywa's handler has seen every accepted request so far
# (PEER_ACCEPTED), so that the CPU read after it includes the parsing pywa does after answering
peer_settle() {
  local out=$WORK/wrk-$1.out requests errors
  requests=$(sed -n 's/^result:requests=//p' "$out")
  errors=$(sed -n 's/^result:status_errors=//p' "$out")
  PEER_ACCEPTED=$(( PEER_ACCEPTED + requests - errors ))
  "$PEER_PYTHON" "$PEER_TOOL" handled --url "http://127.0.0.1:$PEER_PORT/bench/handled" --at-least "$PEER_ACCEPTED" \
    --timeout 30 | sed "s/^/$1./" > "$WORK/peer-settle.out"
  [ "$1" = warmup ] || { cat "$WORK/peer-settle.out" >> "$RESULTS"; result "$1.expected=$PEER_ACCEPTED"; }
}

# peer_pywa: phase 1's wrk run against pywa; HOST_PID is uvicorn's process while it runs
peer_pywa() {
  local venv=$WORK/peer-venv
  peer_install "$venv" || return 0
  PEER_PORT=$("$BENCH" free-ports --count 1)
  PEER_APP_SECRET=$SECRET PEER_VERIFY_TOKEN=$PEER_VERIFY_TOKEN "$venv/bin/python" -m uvicorn peer_pywa:app \
    --app-dir "$ROOT/bench" --host 127.0.0.1 --port "$PEER_PORT" --workers 1 > "$WORK/pywa.log" 2>&1 &
  HOST_PID=$!
  PIDS+=("$HOST_PID")
  # A pywa release that no longer starts, or refuses these bodies, is reported, not fatal.
  if ! "$BENCH" wait-ready --url "http://127.0.0.1:$PEER_PORT/bench/handled" --timeout 60 ||
     ! "$PEER_PYTHON" "$PEER_TOOL" probe --url "http://127.0.0.1:$PEER_PORT/webhook" --secret "$SECRET" \
       --verify-token "$PEER_VERIFY_TOKEN" --name pywa_probe --run "q$RUN_ID" --results "$RESULTS"; then
    tail -n 15 "$WORK/pywa.log" >&2
    peer_skip "the pywa app did not start or failed its probe (its log: the bench's output)"
    stop_pid "$HOST_PID" 5
    return 0
  fi
  PEER_ACCEPTED=1
  run_wrk warmup "http://127.0.0.1:$PEER_PORT/webhook" "$WORK/wa-warmup" 2
  peer_settle warmup
  WRK_SETTLE=peer_settle run_wrk pywa "http://127.0.0.1:$PEER_PORT/webhook" "$WORK/wa-bodies" "$WRK_SECONDS"
  stop_pid "$HOST_PID" 5
}

# peer_sandra: the same run against a fresh host's WhatsApp channel (replies to the fake Graph API)
peer_sandra() {
  "$BENCH" graph --port "$GRAPH_PORT" > "$WORK/graph-wa.log" 2>&1 &
  local graph_pid=$!
  PIDS+=("$graph_pid")
  HOST_EXTRA_CHANNELS=$(cat <<YAML
  whatsapp:
    type: whatsapp
    sandbox: false
    access_token: bench-access-token
    verify_token: $PEER_VERIFY_TOKEN
    app_secret: $SECRET
    phone_number_id: "106540352242922"
    graph_api_base_url: http://127.0.0.1:$GRAPH_PORT
YAML
) start_host whatsapp "$HOST_PORT" "$GRAPH_PORT"
  "$PEER_PYTHON" "$PEER_TOOL" probe --url "http://127.0.0.1:$HOST_PORT/api/channels/whatsapp" --secret "$SECRET" \
    --verify-token "$PEER_VERIFY_TOKEN" --name wa_probe --run "s$RUN_ID" --results "$RESULTS"
  run_wrk warmup "http://127.0.0.1:$HOST_PORT/api/channels/whatsapp" "$WORK/wa-warmup" 2
  run_wrk wa_webhook "http://127.0.0.1:$HOST_PORT/api/channels/whatsapp" "$WORK/wa-bodies" "$WRK_SECONDS"
  stop_pid "$HOST_PID"
  stop_pid "$graph_pid"
}

peer_phase() {
  [ "$PEER" = 1 ] || return 0
  say "1c. Python peer: pywa on FastAPI/uvicorn and the host's WhatsApp route (wrk, closed loop, same bodies)"
  result "peer.run=1"
  command -v "$PEER_PYTHON" > /dev/null || { peer_skip "$PEER_PYTHON is missing"; return 0; }
  "$PEER_PYTHON" "$PEER_TOOL" bodies --out "$WORK/wa-bodies" --threads "$WRK_THREADS" --count "$WRK_BODIES" \
    --senders "$WRK_SENDERS" --secret "$SECRET" --run "p$RUN_ID" | sed 's/^/peer./' >> "$RESULTS"
  "$PEER_PYTHON" "$PEER_TOOL" bodies --out "$WORK/wa-warmup" --threads "$WRK_THREADS" --count 50000 \
    --senders "$WRK_SENDERS" --secret "$SECRET" --run "r$RUN_ID" > /dev/null
  peer_pywa
  other_load
  peer_sandra
  rm -rf "$WORK"/wa-bodies.* "$WORK"/wa-warmup.* "$WORK/peer-venv"
  other_load
}

# peer_report: the phase's subsection, printed and appended after the report's table
peer_report() {
  [ "$PEER" = 1 ] && command -v "$PEER_PYTHON" > /dev/null || return 0
  "$PEER_PYTHON" "$PEER_TOOL" report --results "$RESULTS" > "$WORK/peer-report.md"
  [ -s "$WORK/peer-report.md" ] || return 0
  cat "$WORK/peer-report.md"
  if [ -n "$DOC" ]; then { echo; cat "$WORK/peer-report.md"; } >> "$DOC"; fi
}
