package fingerprint

import (
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/client/network"
	"github.com/netnomad/netnomad/nomad/structs"
)

// bridgePlugins are the CNI plugins bridge mode's conflist chains.
var bridgePlugins = []string{"loopback", "bridge", "host-local", "firewall", "portmap"}

// bridgePluginsAttr and cniNetworkPluginsAttr are the node attributes naming
// the CNI plugins a network mode runs (comma separated, chain order); the
// scheduler (scheduler/feasible.go, which spells them too) filters nodes that
// lack one of them against plugins.cni.version.<plugin>: "missing CNI plugin".
const bridgePluginsAttr = "plugins.cni.bridge.plugins"

func cniNetworkPluginsAttr(name string) string { return "plugins.cni.network." + name + ".plugins" }

// fingerprintNetworkModes records which group network modes this node can serve
// and what they need, so the scheduler places bridge and cni/<name> groups only
// where they work and says why it did not:
//   - "plugins.cni.version.<plugin>" for every CNI plugin found in cni_path;
//   - {Mode: "none"} when the client has a network configurator;
//   - {Mode: "bridge"} when the kernel has bridge support and the client has a
//     network configurator, with bridgePluginsAttr listing the bridge chain;
//   - {Mode: "cni/<name>"} for every network configured in cni_config_dir, with
//     "plugins.cni.network.<name>.plugins" listing the plugins it runs.
func fingerprintNetworkModes(cfg *config.Config, n *structs.Node, logger hclog.Logger) {
	plugins := network.DetectPlugins(network.SplitCNIPath(cfg.CNIPath))
	for name, version := range plugins {
		n.Attributes["plugins.cni.version."+name] = version
	}
	if cfg.NetworkConfigurator == nil {
		return
	}
	// A namespace with only loopback needs nothing but the configurator.
	n.NodeResources.Networks = append(n.NodeResources.Networks, &structs.NetworkResource{Mode: structs.NetworkModeNone})
	missing := func(needed []string) []string {
		var out []string
		for _, p := range needed {
			if _, ok := plugins[p]; !ok {
				out = append(out, p)
			}
		}
		return out
	}
	if !network.BridgeSupported() {
		logger.Warn("bridge networking unavailable: the kernel has no bridge support")
	} else {
		// Offered even with plugins missing, so that the scheduler can name them.
		if m := missing(bridgePlugins); len(m) > 0 {
			logger.Warn("bridge networking unavailable: CNI plugins missing", "cni_path", cfg.CNIPath, "missing", m)
		}
		n.NodeResources.Networks = append(n.NodeResources.Networks, &structs.NetworkResource{Mode: structs.NetworkModeBridge})
		n.Attributes[bridgePluginsAttr] = strings.Join(bridgePlugins, ",")
	}
	networks, err := network.DetectNetworkPlugins(cfg.CNIConfigDir)
	if err != nil {
		logger.Debug("no CNI networks found", "cni_config_dir", cfg.CNIConfigDir, "error", err)
	}
	for _, name := range slices.Sorted(maps.Keys(networks)) {
		needed := networks[name]
		if m := missing(needed); len(m) > 0 {
			logger.Warn("CNI network unavailable: CNI plugins missing", "network", name, "cni_path", cfg.CNIPath, "missing", m)
		}
		n.NodeResources.Networks = append(n.NodeResources.Networks, &structs.NetworkResource{Mode: structs.NetworkModeCNIPrefix + name})
		n.Attributes[cniNetworkPluginsAttr(name)] = strings.Join(needed, ",")
	}
}
