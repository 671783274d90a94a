#!/usr/bin/env bash
# Runs a test command with a time limit. A run still going after the limit is stuck (every
# test bounds its own waits, so the limit is far above a normal run): the test process's
# threads are printed (with gdb, when installed) and the run is stopped, so a hang ends as a
# failure with its stacks instead of using up CI's whole budget.
#
#   Tests/Tools/watchdog.sh SECONDS COMMAND [ARGUMENTS...]
set -uo pipefail
limit=$1
shift
"$@" &
pid=$!
waited=0
while kill -0 "$pid" 2>/dev/null; do
  if [ "$waited" -ge "$limit" ]; then
    echo "watchdog: the tests did not finish within ${limit} s; stopping them." >&2
    # The test binary is a child of `swift test`; print its threads' stacks.
    for child in $(pgrep -P "$pid") "$pid"; do
      if command -v gdb >/dev/null; then
        echo "watchdog: threads of process $child ($(tr '\0' ' ' < /proc/$child/cmdline 2>/dev/null | cut -c1-120)):" >&2
        gdb -p "$child" -batch -ex "thread apply all bt 25" 2>/dev/null | grep -E '^(Thread|#)' >&2
      fi
    done
    pkill -TERM -P "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
    sleep 5
    pkill -KILL -P "$pid" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    exit 124
  fi
  sleep 1
  waited=$((waited + 1))
done
wait "$pid"
