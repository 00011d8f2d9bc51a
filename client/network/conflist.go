package network

import (
	"encoding/json"
	"fmt"
	"net/netip"
)

// bridgeCNIVersion is the CNI spec version of the bridge conflist, as Nomad
// renders it. 0.4.0 is the first with CHECK and cached-result DEL.
const bridgeCNIVersion = "0.4.0"

// conflist is a CNI network configuration list.
type conflist struct {
	CNIVersion string `json:"cniVersion"`
	Name       string `json:"name"`
	Plugins    []any  `json:"plugins"`
}

type loopbackPlugin struct {
	Type string `json:"type"`
}

type bridgePlugin struct {
	Type         string `json:"type"`
	Bridge       string `json:"bridge"`
	IPMasq       bool   `json:"ipMasq"`
	IsGateway    bool   `json:"isGateway"`
	ForceAddress bool   `json:"forceAddress"`
	HairpinMode  bool   `json:"hairpinMode"`
	// IPMasqBackend is "nftables" or empty (the plugin's default, iptables).
	IPMasqBackend string        `json:"ipMasqBackend,omitempty"`
	IPAM          hostLocalIPAM `json:"ipam"`
}

type hostLocalIPAM struct {
	Type    string        `json:"type"`
	DataDir string        `json:"dataDir,omitempty"`
	Ranges  [][]ipamRange `json:"ranges"`
	Routes  []ipamRoute   `json:"routes"`
}

type ipamRange struct {
	Subnet string `json:"subnet"`
}

type ipamRoute struct {
	Dst string `json:"dst"`
}

type firewallPlugin struct {
	Type                   string `json:"type"`
	Backend                string `json:"backend"`
	IPTablesAdminChainName string `json:"iptablesAdminChainName"`
}

type portmapPlugin struct {
	Type         string          `json:"type"`
	Capabilities map[string]bool `json:"capabilities"`
	SNAT         bool            `json:"snat"`
	// Backend is "nftables" or empty (iptables, as Nomad renders it).
	Backend string `json:"backend,omitempty"`
}

// renderBridgeConflist renders Nomad's bridge-mode conflist for cfg (defaults
// applied): loopback -> bridge (+host-local IPAM, default route) -> firewall
// (admin chain) -> portmap (portMappings capability, snat). The only departure
// from Nomad's template is the explicit IPAM dataDir, so GC knows where the
// reservations are, and the nftables backends when cfg.NATBackend says so.
func renderBridgeConflist(cfg Config) ([]byte, error) {
	subnet, err := netip.ParsePrefix(cfg.BridgeSubnet)
	if err != nil || !subnet.Addr().Is4() {
		return nil, fmt.Errorf("invalid bridge_network_subnet %q: must be an IPv4 CIDR", cfg.BridgeSubnet)
	}
	nftBackend := ""
	switch cfg.NATBackend {
	case NATBackendIPTables:
	case NATBackendNFTables:
		nftBackend = NATBackendNFTables
	default:
		return nil, fmt.Errorf("invalid nat backend %q: must be %q or %q", cfg.NATBackend, NATBackendIPTables, NATBackendNFTables)
	}
	list := conflist{
		CNIVersion: bridgeCNIVersion,
		Name:       BridgeNetworkName,
		Plugins: []any{
			loopbackPlugin{Type: "loopback"},
			bridgePlugin{
				Type:          "bridge",
				Bridge:        cfg.BridgeName,
				IPMasq:        true,
				IsGateway:     true,
				ForceAddress:  true,
				HairpinMode:   cfg.HairpinMode,
				IPMasqBackend: nftBackend,
				IPAM: hostLocalIPAM{
					Type:    "host-local",
					DataDir: cfg.IPAMDataDir,
					Ranges:  [][]ipamRange{{{Subnet: subnet.Masked().String()}}},
					Routes:  []ipamRoute{{Dst: "0.0.0.0/0"}},
				},
			},
			firewallPlugin{
				Type:                   "firewall",
				Backend:                "iptables",
				IPTablesAdminChainName: cfg.AdminChain,
			},
			portmapPlugin{
				Type:         "portmap",
				Capabilities: map[string]bool{"portMappings": true},
				SNAT:         true,
				Backend:      nftBackend,
			},
		},
	}
	out, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("failed to render bridge conflist: %w", err)
	}
	return append(out, '\n'), nil
}
