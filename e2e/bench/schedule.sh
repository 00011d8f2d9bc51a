#!/usr/bin/env bash
# Scheduling and job registration benchmark through the API (issue 5): builds nomad and schedbench,
# then runs schedbench and prints its table. See e2e/bench/schedbench.
#
# Usage: e2e/bench/schedule.sh [schedbench flags], e.g. -servers 3 -allocs 2000
# Everything it starts (server agents on loopback, their data dirs, temp dirs)
# is stopped and removed on exit, failure and interrupt included. No root needed.
set -euo pipefail

cd "$(dirname "$0")/../.."
GO="${GO:-go}"
work="$(mktemp -d -t schedbench-bin.XXXXXX)"
bench_pid=""

cleanup() {
  # schedbench stops its agents itself; this is the net for one that died hard.
  set +e
  if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -INT "$bench_pid" 2>/dev/null
    wait "$bench_pid" 2>/dev/null
  fi
  # Agents are started from $work/nomad: any left is ours.
  for pid in $(pgrep -f "^$work/nomad agent " 2>/dev/null); do
    kill -INT "$pid" 2>/dev/null
  done
  rm -rf "$work"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$GO" build -o "$work/nomad" .
"$GO" build -o "$work/schedbench" ./e2e/bench/schedbench

"$work/schedbench" -nomad "$work/nomad" "$@" &
bench_pid=$!
status=0
wait "$bench_pid" || status=$?
bench_pid=""
exit "$status"
