package fingerprint

import (
	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/client/network"
	"github.com/netnomad/netnomad/nomad/structs"
)

// bridgePlugins are the CNI plugins bridge mode's conflist chains.
var bridgePlugins = []string{"loopback", "bridge", "host-local", "firewall", "portmap"}

// fingerprintNetworkModes records which group network modes this node can serve,
// so the scheduler places bridge and cni/<name> groups only where they work:
//   - "plugins.cni.version.<plugin>" for every CNI plugin found in cni_path;
//   - {Mode: "bridge"} when the kernel has bridge support, the client has a
//     network configurator and every plugin of the bridge chain is present;
//   - {Mode: "cni/<name>"} for every network configured in cni_config_dir.
func fingerprintNetworkModes(cfg *config.Config, n *structs.Node, logger hclog.Logger) {
	plugins := network.DetectPlugins(network.SplitCNIPath(cfg.CNIPath))
	for name, version := range plugins {
		n.Attributes["plugins.cni.version."+name] = version
	}
	if cfg.NetworkConfigurator == nil {
		return
	}
	var missing []string
	for _, p := range bridgePlugins {
		if _, ok := plugins[p]; !ok {
			missing = append(missing, p)
		}
	}
	switch {
	case !network.BridgeSupported():
		logger.Warn("bridge networking unavailable: the kernel has no bridge support")
	case len(missing) > 0:
		logger.Warn("bridge networking unavailable: CNI plugins missing", "cni_path", cfg.CNIPath, "missing", missing)
	default:
		n.NodeResources.Networks = append(n.NodeResources.Networks, &structs.NetworkResource{Mode: structs.NetworkModeBridge})
	}
	names, err := network.DetectNetworks(cfg.CNIConfigDir)
	if err != nil {
		logger.Debug("no CNI networks found", "cni_config_dir", cfg.CNIConfigDir, "error", err)
	}
	for _, name := range names {
		n.NodeResources.Networks = append(n.NodeResources.Networks, &structs.NetworkResource{Mode: structs.NetworkModeCNIPrefix + name})
	}
}
