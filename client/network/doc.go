// Package network builds the network of an allocation whose group network is not
// in host mode, the way Nomad 0.10+ does on Linux:
//
//   - every allocation gets a network namespace bind-mounted at
//     <NetnsDir>/<alloc_id> (default /var/run/netns, so `ip netns list` shows it);
//   - "bridge" runs Nomad's CNI chain (loopback, bridge + host-local, firewall,
//     portmap) with libcni against the real plugin binaries in cni_path (masquerade
//     and port mappings in the plugins' nftables backends where nft works, else
//     in iptables as Nomad renders it; Config.NATBackend picks one);
//   - "cni/<name>" runs the operator's conflist from cni_config_dir;
//   - "none" is the namespace with only `lo`, brought UP.
//
// Configurator implements interfaces.NetworkConfigurator for the alloc runner's
// network hook, plus Check (restore after an agent restart) and GC (reclaim what
// dead allocations leaked). DetectPlugins, DetectNetworks and BridgeSupported are
// the client fingerprint's helpers.
//
// Everything that touches the host (namespaces, links, iptables) is Linux-only and
// lives in _linux.go files; on other systems NewConfigurator fails with
// ErrUnsupported.
package network
