package network

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/containernetworking/cni/libcni"
	"github.com/shoenig/test/must"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestRenderBridgeConflist_Golden(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Config
		golden string
	}{
		{name: "defaults", cfg: Config{NATBackend: NATBackendIPTables}, golden: "bridge_default.conflist.json"},
		{name: "nftables", cfg: Config{NATBackend: NATBackendNFTables}, golden: "bridge_nftables.conflist.json"},
		{name: "custom", cfg: Config{BridgeName: "br-test", BridgeSubnet: "10.200.0.0/16", HairpinMode: true,
			IPAMDataDir: "/var/run/cni", AdminChain: "MY-ADMIN", NATBackend: NATBackendIPTables}, golden: "bridge_custom.conflist.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := renderBridgeConflist(tc.cfg.withDefaults())
			must.NoError(t, err)
			path := filepath.Join("testdata", tc.golden)
			if *update {
				must.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			must.NoError(t, err)
			must.Eq(t, string(want), string(got))

			// libcni accepts it and sees the chain in Nomad's order.
			list, err := libcni.NetworkConfFromBytes(got)
			must.NoError(t, err)
			must.Eq(t, "nomad", list.Name)
			var types []string
			for _, p := range list.Plugins {
				types = append(types, p.Network.Type)
			}
			must.Eq(t, []string{"loopback", "bridge", "firewall", "portmap"}, types)
			must.True(t, list.Plugins[3].Network.Capabilities["portMappings"])
		})
	}
}

func TestRenderBridgeConflist_BadSubnet(t *testing.T) {
	for _, subnet := range []string{"nonsense", "fd00::/64"} {
		t.Run(subnet, func(t *testing.T) {
			_, err := renderBridgeConflist(Config{BridgeSubnet: subnet}.withDefaults())
			must.ErrorContains(t, err, "invalid bridge_network_subnet")
		})
	}
}

func TestRenderBridgeConflist_BadNATBackend(t *testing.T) {
	_, err := renderBridgeConflist(Config{NATBackend: "pf"}.withDefaults())
	must.ErrorContains(t, err, `invalid nat backend "pf"`)
}
