#!/usr/bin/env bash
# Installs what netnomad's tests need on a fresh Debian machine. Idempotent; needs root.
set -euo pipefail
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v nft >/dev/null 2>&1 || need+=(nftables)          # the CNI plugins' nftables backend (tests)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)    # script checks' namespace tests
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${need[*]} and not root" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
go mod download
"$(dirname "$0")/install-cni.sh"
