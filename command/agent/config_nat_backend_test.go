package agent

import (
	"testing"

	"github.com/shoenig/test/must"
)

func TestParseConfig_BridgeNetworkNATBackend(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want string // the merged value
		err  string // or the error parsing or validation gives
	}{
		{name: "unset picks at start", src: `client { enabled = true }`, want: ""},
		{name: "nftables", src: `client {
  enabled                    = true
  bridge_network_nat_backend = "nftables"
}`, want: "nftables"},
		{name: "iptables", src: `client {
  enabled                    = true
  bridge_network_nat_backend = "iptables"
}`, want: "iptables"},
		{name: "bad value", src: `client {
  enabled                    = true
  bridge_network_nat_backend = "pf"
}`, err: `client -> bridge_network_nat_backend: must be "nftables" or "iptables", got "pf"`},
		{name: "misspelt key", src: `client {
  enabled                 = true
  bridge_network_nat_mode = "iptables"
}`, err: `bad.hcl:3:3: invalid key "bridge_network_nat_mode" in client`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig("bad.hcl", []byte(tc.src))
			var full *Config
			if err == nil {
				full = DefaultConfig().Merge(c)
				full.DataDir = t.TempDir()
				err = full.Validate()
			}
			if tc.err != "" {
				must.EqError(t, err, tc.err)
				return
			}
			must.NoError(t, err)
			must.Eq(t, tc.want, full.Client.BridgeNetworkNATBackend)
		})
	}

	// A later file overrides it; one without the key keeps it.
	a, err := ParseConfig("a.hcl", []byte(`client { bridge_network_nat_backend = "iptables" }`))
	must.NoError(t, err)
	b, err := ParseConfig("b.hcl", []byte(`client { bridge_network_name = "nomad1" }`))
	must.NoError(t, err)
	must.Eq(t, "iptables", DefaultConfig().Merge(a).Merge(b).Client.BridgeNetworkNATBackend)
}
