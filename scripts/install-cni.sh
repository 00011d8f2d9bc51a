#!/usr/bin/env bash
# Installs what bridge and cni/<name> networking need on a fresh Debian machine:
# the reference CNI plugins at a pinned version in /opt/cni/bin (Nomad's default
# cni_path), built from github.com/containernetworking/plugins, and iptables.
#
# Debian's containernetworking-plugins 1.1.1 is deliberately NOT used: its portmap
# CHECK always fails ("could not check ipv6 dnat"), which breaks restore after an
# agent restart (see ../shared/reference/perf-reliability.md, 3a).
#
# Idempotent: a plugin is rebuilt only when `<plugin> --version` does not already
# report the pinned version. Needs root (writes /opt/cni/bin, may apt-get install).
#
# Environment:
#   CNI_PLUGINS_VERSION  version to install (default v1.10.0)
#   CNI_BIN_DIR          target directory (default /opt/cni/bin)
set -euo pipefail

version="${CNI_PLUGINS_VERSION:-v1.10.0}"
bindir="${CNI_BIN_DIR:-/opt/cni/bin}"
module="github.com/containernetworking/plugins"
plugins=(main/bridge main/loopback ipam/host-local meta/portmap meta/firewall)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-cni: must run as root" >&2
  exit 1
fi

if ! command -v iptables >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables
fi

mkdir -p "$bindir"
# has_version NAME: the installed plugin reports the pinned version. (Output is
# captured first: `grep -q` on a pipe would SIGPIPE the plugin under pipefail.)
has_version() {
  local out
  [ -x "$bindir/$1" ] || return 1
  out="$("$bindir/$1" --version 2>&1 || true)"
  [[ "$out" == *"plugin $version"* ]]
}

missing=()
for p in "${plugins[@]}"; do
  name="${p##*/}"
  has_version "$name" && continue
  missing+=("$module/plugins/$p@$version")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-cni: CNI plugins $version already in $bindir"
  exit 0
fi

echo "install-cni: building ${#missing[@]} CNI plugin(s) $version into $bindir"
# The upstream release build stamps the version with the linker; do the same so
# `--version` (and our fingerprint, plugins.cni.version.<name>) reports it.
GOBIN="$bindir" CGO_ENABLED=0 go install \
  -ldflags "-s -w -X $module/pkg/utils/buildversion.BuildVersion=$version" \
  "${missing[@]}"
for p in "${plugins[@]}"; do
  name="${p##*/}"
  has_version "$name" || {
    echo "install-cni: $bindir/$name does not report $version after install" >&2
    exit 1
  }
done
echo "install-cni: done"
