#!/usr/bin/env bash
# Network setup benchmark (issue 3): builds nomad, the test workload and netbench,
# then runs netbench as root and prints its table. See e2e/bench/netbench.
#
# Usage: e2e/bench/network.sh [netbench flags], e.g. -runs 50 -agent-allocs 0
# Everything it creates (a throwaway network namespace, the agent's own bridge
# nbench0 and subnet 172.31.253.0/24, temp dirs) is removed on exit, failure and
# interrupt included.
set -euo pipefail

cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
  echo "network.sh: must run as root" >&2
  exit 1
fi
GO="${GO:-go}"
work="$(mktemp -d -t netbench-bin.XXXXXX)"
bench_pid=""

cleanup() {
  # netbench cleans up after itself; this is the net for a netbench that died hard.
  set +e
  if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -INT "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  for m in $(grep -o " /tmp/netbench-[^ ]*" /proc/self/mounts 2>/dev/null | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  ip link delete nbench0 2>/dev/null
  rm -rf "$work"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$GO" build -o "$work/nomad" .
"$GO" build -o "$work/testapp" ./e2e/testapp
"$GO" build -o "$work/netbench" ./e2e/bench/netbench

"$work/netbench" -nomad "$work/nomad" -testapp "$work/testapp" "$@" &
bench_pid=$!
status=0
wait "$bench_pid" || status=$?
bench_pid=""
exit "$status"
