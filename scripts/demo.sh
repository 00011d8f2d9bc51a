#!/usr/bin/env bash
# Starts a dev agent, runs examples/hello.nomad.hcl, shows it running, and stops
# everything on Ctrl-C (or after the first look with DEMO_ONCE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/nomad
export NOMAD_ADDR=${NOMAD_ADDR:-http://127.0.0.1:4646}
log=$(mktemp -t nomad-dev.XXXX.log)
$bin agent -dev >"$log" 2>&1 &
agent=$!
trap 'kill -INT $agent 2>/dev/null; wait $agent 2>/dev/null || true; echo "agent log: $log"' EXIT
for _ in $(seq 1 100); do
  if $bin node status 2>/dev/null | grep -q ready; then break; fi
  sleep 0.1
done
$bin node status
$bin job run examples/hello.nomad.hcl
for _ in $(seq 1 100); do
  if $bin job status hello | grep -q ' running '; then break; fi
  sleep 0.1
done
$bin job status hello
alloc=$($bin job status hello | sed -n '/^Allocations/,$p' | grep -oE '^[0-9a-f]{8}' | head -n1)
if [ -n "${alloc:-}" ]; then
  $bin alloc status "$alloc"
  $bin alloc logs "$alloc" server || true
  addr=$($bin alloc status "$alloc" | sed -n '/^Allocation Addresses/,/^$/p' | grep -oE '[0-9.]+:[0-9]+' | head -n1)
  if [ -n "${addr:-}" ] && command -v curl >/dev/null; then
    echo "==> curl http://$addr/"
    for _ in $(seq 1 50); do curl -sf "http://$addr/" >/dev/null && break; sleep 0.1; done
    curl -s "http://$addr/" | head -n 4 || true
  fi
fi
if [ "${DEMO_ONCE:-0}" = 1 ]; then exit 0; fi
echo "==> The dev agent keeps running; press Ctrl-C to stop it."
wait $agent
