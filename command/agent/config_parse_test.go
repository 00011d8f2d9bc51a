package agent

import (
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

func TestParseConfig_NomadKeys(t *testing.T) {
	src := `
region     = "eu"
datacenter = "dc2"
name       = "node-a"
data_dir   = "/var/lib/nomad"
bind_addr  = "0.0.0.0"
log_level  = "WARN"
ports {
  http = 5646
  rpc  = 5647
  serf = 5648
}
client {
  enabled               = true
  cni_path              = "/usr/lib/cni"
  cni_config_dir        = "/etc/cni/net.d"
  bridge_network_name   = "nomad0"
  bridge_network_subnet = "172.30.0.0/20"
  network_interface     = "eth0"
  meta {
    "rack" = "r1"
  }
  options {
    "driver.raw_exec.enable" = "1"
  }
}
plugin "raw_exec" {
  config {
    enabled = true
  }
}
consul {
  address = "127.0.0.1:8501"
}
`
	c, err := ParseConfig("agent.hcl", []byte(src))
	must.NoError(t, err)
	full := DefaultConfig().Merge(c)
	must.Eq(t, "eu", full.Region)
	must.Eq(t, "dc2", full.Datacenter)
	must.Eq(t, "node-a", full.NodeName)
	must.Eq(t, 5646, full.Ports.HTTP)
	must.Eq(t, 5647, full.Ports.RPC)
	must.True(t, full.ClientEnabled())
	must.False(t, full.ServerEnabled())
	must.Eq(t, "/usr/lib/cni", full.Client.CNIPath)
	must.Eq(t, "/etc/cni/net.d", full.Client.CNIConfigDir)
	must.Eq(t, "nomad0", full.Client.BridgeNetworkName)
	must.Eq(t, "172.30.0.0/20", full.Client.BridgeNetworkSubnet)
	must.Eq(t, "eth0", full.Client.NetworkInterface)
	must.Eq(t, "r1", full.Client.Meta["rack"])
	must.Eq(t, "127.0.0.1:8501", full.Consul.Address)
	must.True(t, full.PluginEnabled("raw_exec"))
	must.False(t, full.PluginEnabled("exec"))
}

func TestParseConfig_UnknownKeysAllReported(t *testing.T) {
	src := `
datacentre = "dc1"
client {
  enabled = true
  cni_paht = "/x"
}
`
	_, err := ParseConfig("bad.hcl", []byte(src))
	must.Error(t, err)
	msg := err.Error()
	must.StrContains(t, msg, `bad.hcl:2:1: invalid key "datacentre"`)
	must.StrContains(t, msg, `bad.hcl:5:3: invalid key "cni_paht" in client`)
	must.Eq(t, 2, strings.Count(msg, "invalid key"))
}

func TestConfig_LegacyOptionEnablesDriver(t *testing.T) {
	c, err := ParseConfig("a.hcl", []byte(`client { options { "driver.raw_exec.enable" = "1" } }`))
	must.NoError(t, err)
	must.True(t, DefaultConfig().Merge(c).PluginEnabled("raw_exec"))
}

func TestParseConfig_ServerConnect(t *testing.T) {
	src := `
server {
  enabled = true
  connect {
    sidecar_driver  = "raw_exec"
    sidecar_command = "/usr/local/bin/envoy"
    sidecar_args    = ["-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json", "-l", "${meta.connect.log_level}"]
  }
}
`
	c, err := ParseConfig("agent.hcl", []byte(src))
	must.NoError(t, err)
	full := DefaultConfig().Merge(c)
	must.Eq(t, &ServerConnectConfig{
		SidecarDriver:  "raw_exec",
		SidecarCommand: "/usr/local/bin/envoy",
		SidecarArgs:    []string{"-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json", "-l", "${meta.connect.log_level}"},
	}, full.Server.Connect)
	full.DataDir = t.TempDir()
	must.NoError(t, full.Validate())

	// A later file overrides key by key; unset keys keep the earlier value.
	later, err := ParseConfig("later.hcl", []byte(`server { connect { sidecar_command = "/opt/envoy" } }`))
	must.NoError(t, err)
	merged := full.Merge(later)
	must.Eq(t, "raw_exec", merged.Server.Connect.SidecarDriver)
	must.Eq(t, "/opt/envoy", merged.Server.Connect.SidecarCommand)
	must.Len(t, 4, merged.Server.Connect.SidecarArgs)
	// The earlier config is not changed by the merge.
	must.Eq(t, "/usr/local/bin/envoy", full.Server.Connect.SidecarCommand)

	// Without the block the server keeps Nomad's docker sidecar.
	must.Nil(t, DefaultConfig().Server.Connect.nomadConfig())
}

func TestParseConfig_ServerConnectErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want string
	}{
		{"unknown key", `server { connect { sidecar_drvier = "raw_exec" } }`,
			`bad.hcl:1:20: invalid key "sidecar_drvier" in server -> connect`},
		{"command without driver", `server {
  enabled = true
  connect { sidecar_command = "/usr/local/bin/envoy" }
}`, "server: connect: sidecar_command and sidecar_args require sidecar_driver"},
		{"driver without command", `server {
  enabled = true
  connect { sidecar_driver = "raw_exec" }
}`, `server: connect: sidecar_driver "raw_exec" requires sidecar_command`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig("bad.hcl", []byte(tc.src))
			if err == nil {
				full := DefaultConfig().Merge(c)
				full.DataDir = t.TempDir()
				err = full.Validate()
			}
			must.EqError(t, err, tc.want)
		})
	}
}
