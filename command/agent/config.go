package agent

import (
	"errors"
	"fmt"

	"github.com/netnomad/netnomad/client/network"
	"github.com/netnomad/netnomad/nomad"
)

// Config is the agent's configuration, with Nomad's HCL keys. Files are merged in
// the order given; flags win over files.
type Config struct {
	Region     string            `hcl:"region"`
	Datacenter string            `hcl:"datacenter"`
	NodeName   string            `hcl:"name"`
	DataDir    string            `hcl:"data_dir"`
	BindAddr   string            `hcl:"bind_addr"`
	LogLevel   string            `hcl:"log_level"`
	LogJSON    bool              `hcl:"log_json"`
	Ports      *Ports            `hcl:"ports"`
	Advertise  *AdvertiseAddrs   `hcl:"advertise"`
	Server     *ServerConfig     `hcl:"server"`
	Client     *ClientConfig     `hcl:"client"`
	Consul     *ConsulConfig     `hcl:"consul"`
	Plugins    []*PluginConfig   `hcl:"plugin"`
	Meta       map[string]string `hcl:"-"`

	// EnableDebug serves Go's profiler under /debug/pprof/ (debug_endpoint.go).
	EnableDebug bool `hcl:"enable_debug"`

	// DevMode is set by -dev: server and client in one process, state in memory.
	DevMode bool `hcl:"-"`
	// Files lists the configuration files that were loaded, for `agent/self`.
	Files []string `hcl:"-"`
}

// Ports are the agent's listening ports.
type Ports struct {
	HTTP int `hcl:"http"`
	RPC  int `hcl:"rpc"`
	Serf int `hcl:"serf"`
}

// AdvertiseAddrs are the addresses other agents and API clients should use.
type AdvertiseAddrs struct {
	HTTP string `hcl:"http"`
	RPC  string `hcl:"rpc"`
	Serf string `hcl:"serf"`
}

// ServerConfig is the `server` block.
type ServerConfig struct {
	Enabled         *bool                `hcl:"enabled"`
	BootstrapExpect int                  `hcl:"bootstrap_expect"`
	NumSchedulers   int                  `hcl:"num_schedulers"`
	Connect         *ServerConnectConfig `hcl:"connect"`
	ServerJoin      *ServerJoinConfig    `hcl:"server_join"`
	// DataDir holds the server's raft log and snapshots (<DataDir>/raft);
	// empty means <data_dir>/server, as Nomad's.
	DataDir string `hcl:"data_dir"`
	// HeartbeatGrace, MinHeartbeatTTL (durations such as "10s") and
	// MaxHeartbeatsPerSecond tune how soon a silent client node is marked
	// down; see heartbeat_config.go.
	HeartbeatGrace         string  `hcl:"heartbeat_grace"`
	MinHeartbeatTTL        string  `hcl:"min_heartbeat_ttl"`
	MaxHeartbeatsPerSecond float64 `hcl:"max_heartbeats_per_second"`
	// RaftSnapshotThreshold, RaftSnapshotInterval (a duration) and
	// RaftTrailingLogs tune when raft snapshots and how much log it keeps;
	// nil/empty keep the defaults. See raft_config.go.
	RaftSnapshotThreshold *int   `hcl:"raft_snapshot_threshold"`
	RaftSnapshotInterval  string `hcl:"raft_snapshot_interval"`
	RaftTrailingLogs      *int   `hcl:"raft_trailing_logs"`
}

// ServerJoinConfig is the `server { server_join { ... } }` block: the other
// servers of a new cluster. Entries are the peers' HTTP addresses (host, or
// host:port with 4646 by default); see server_join.go.
type ServerJoinConfig struct {
	RetryJoin     []string `hcl:"retry_join"`
	RetryInterval string   `hcl:"retry_interval"`
	RetryMax      int      `hcl:"retry_max"`
}

// ServerConnectConfig is the `server { connect { ... } }` block: the default
// driver and command of the Connect sidecar task the server injects, for nodes
// that run Envoy from the host instead of Docker. A job's sidecar_task is still
// merged over it.
type ServerConnectConfig struct {
	// SidecarDriver replaces "docker", e.g. "raw_exec".
	SidecarDriver string `hcl:"sidecar_driver"`
	// SidecarCommand is the Envoy binary (config.command); required unless the
	// driver is docker.
	SidecarCommand string `hcl:"sidecar_command"`
	// SidecarArgs replace Nomad's Envoy arguments when set.
	SidecarArgs []string `hcl:"sidecar_args"`
}

// ClientConfig is the `client` block.
type ClientConfig struct {
	Enabled             *bool    `hcl:"enabled"`
	Servers             []string `hcl:"servers"`
	StateDir            string   `hcl:"state_dir"`
	AllocDir            string   `hcl:"alloc_dir"`
	NodeClass           string   `hcl:"node_class"`
	NetworkInterface    string   `hcl:"network_interface"`
	CNIPath             string   `hcl:"cni_path"`
	CNIConfigDir        string   `hcl:"cni_config_dir"`
	BridgeNetworkName   string   `hcl:"bridge_network_name"`
	BridgeNetworkSubnet string   `hcl:"bridge_network_subnet"`
	// BridgeNetworkHairpinMode lets an allocation reach itself through its own
	// host port (Nomad's bridge_network_hairpin_mode).
	BridgeNetworkHairpinMode bool `hcl:"bridge_network_hairpin_mode"`
	// BridgeNetworkNATBackend is netnomad's own key (Nomad has none): "nftables"
	// or "iptables" for the bridge plugin's masquerade and portmap; empty picks
	// nftables where the nft command works.
	BridgeNetworkNATBackend string            `hcl:"bridge_network_nat_backend"`
	MinDynamicPort          int               `hcl:"min_dynamic_port"`
	MaxDynamicPort          int               `hcl:"max_dynamic_port"`
	Meta                    map[string]string `hcl:"meta"`
	Options                 map[string]string `hcl:"options"`
}

// ConsulConfig is the `consul` block.
type ConsulConfig struct {
	Address     string `hcl:"address"`
	GRPCAddress string `hcl:"grpc_address"`
	Token       string `hcl:"token"`
	SSL         *bool  `hcl:"ssl"`
	CAFile      string `hcl:"ca_file"`
	CertFile    string `hcl:"cert_file"`
	KeyFile     string `hcl:"key_file"`
}

// PluginConfig is a `plugin "<name>" { config { ... } }` block.
type PluginConfig struct {
	Name   string         `hcl:",key"`
	Config map[string]any `hcl:"config"`
}

// DefaultConfig returns Nomad's defaults.
func DefaultConfig() *Config {
	return &Config{
		Region:     "global",
		Datacenter: "dc1",
		BindAddr:   "0.0.0.0",
		LogLevel:   "INFO",
		Ports:      &Ports{HTTP: 4646, RPC: 4647, Serf: 4648},
		Advertise:  &AdvertiseAddrs{},
		Server:     &ServerConfig{},
		Client: &ClientConfig{
			CNIPath:             "/opt/cni/bin",
			CNIConfigDir:        "/opt/cni/config",
			BridgeNetworkName:   "nomad",
			BridgeNetworkSubnet: "172.26.64.0/20",
		},
		Consul: &ConsulConfig{Address: "127.0.0.1:8500", GRPCAddress: "127.0.0.1:8502"},
	}
}

// DevConfig returns the -dev configuration: one process, bound to loopback,
// DEBUG logging, raw_exec enabled.
func DevConfig() *Config {
	c := DefaultConfig()
	c.DevMode = true
	c.BindAddr = "127.0.0.1"
	c.LogLevel = "DEBUG"
	t := true
	c.Server.Enabled = &t
	c.Server.BootstrapExpect = 1
	c.Client.Enabled = &t
	c.Plugins = append(c.Plugins, &PluginConfig{Name: "raw_exec", Config: map[string]any{"enabled": true}})
	return c
}

// Merge overlays b on c: set values of b win.
func (c *Config) Merge(b *Config) *Config {
	r := *c
	str := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	str(&r.Region, b.Region)
	str(&r.Datacenter, b.Datacenter)
	str(&r.NodeName, b.NodeName)
	str(&r.DataDir, b.DataDir)
	str(&r.BindAddr, b.BindAddr)
	str(&r.LogLevel, b.LogLevel)
	r.LogJSON = r.LogJSON || b.LogJSON
	r.EnableDebug = r.EnableDebug || b.EnableDebug
	r.DevMode = r.DevMode || b.DevMode
	if b.Ports != nil {
		p := *r.Ports
		if b.Ports.HTTP != 0 {
			p.HTTP = b.Ports.HTTP
		}
		if b.Ports.RPC != 0 {
			p.RPC = b.Ports.RPC
		}
		if b.Ports.Serf != 0 {
			p.Serf = b.Ports.Serf
		}
		r.Ports = &p
	}
	if b.Advertise != nil {
		a := *r.Advertise
		str(&a.HTTP, b.Advertise.HTTP)
		str(&a.RPC, b.Advertise.RPC)
		str(&a.Serf, b.Advertise.Serf)
		r.Advertise = &a
	}
	if b.Server != nil {
		s := *r.Server
		if b.Server.Enabled != nil {
			s.Enabled = b.Server.Enabled
		}
		if b.Server.BootstrapExpect != 0 {
			s.BootstrapExpect = b.Server.BootstrapExpect
		}
		str(&s.DataDir, b.Server.DataDir)
		if b.Server.NumSchedulers != 0 {
			s.NumSchedulers = b.Server.NumSchedulers
		}
		s.Connect = s.Connect.merge(b.Server.Connect)
		if b.Server.ServerJoin != nil {
			s.ServerJoin = b.Server.ServerJoin
		}
		str(&s.HeartbeatGrace, b.Server.HeartbeatGrace)
		str(&s.MinHeartbeatTTL, b.Server.MinHeartbeatTTL)
		if b.Server.MaxHeartbeatsPerSecond != 0 {
			s.MaxHeartbeatsPerSecond = b.Server.MaxHeartbeatsPerSecond
		}
		if b.Server.RaftSnapshotThreshold != nil {
			s.RaftSnapshotThreshold = b.Server.RaftSnapshotThreshold
		}
		str(&s.RaftSnapshotInterval, b.Server.RaftSnapshotInterval)
		if b.Server.RaftTrailingLogs != nil {
			s.RaftTrailingLogs = b.Server.RaftTrailingLogs
		}
		r.Server = &s
	}
	if b.Client != nil {
		cl := *r.Client
		bc := b.Client
		if bc.Enabled != nil {
			cl.Enabled = bc.Enabled
		}
		if len(bc.Servers) > 0 {
			cl.Servers = bc.Servers
		}
		str(&cl.StateDir, bc.StateDir)
		str(&cl.AllocDir, bc.AllocDir)
		str(&cl.NodeClass, bc.NodeClass)
		str(&cl.NetworkInterface, bc.NetworkInterface)
		str(&cl.CNIPath, bc.CNIPath)
		str(&cl.CNIConfigDir, bc.CNIConfigDir)
		str(&cl.BridgeNetworkName, bc.BridgeNetworkName)
		str(&cl.BridgeNetworkSubnet, bc.BridgeNetworkSubnet)
		cl.BridgeNetworkHairpinMode = cl.BridgeNetworkHairpinMode || bc.BridgeNetworkHairpinMode
		str(&cl.BridgeNetworkNATBackend, bc.BridgeNetworkNATBackend)
		if bc.MinDynamicPort != 0 {
			cl.MinDynamicPort = bc.MinDynamicPort
		}
		if bc.MaxDynamicPort != 0 {
			cl.MaxDynamicPort = bc.MaxDynamicPort
		}
		cl.Meta = mergeMaps(cl.Meta, bc.Meta)
		cl.Options = mergeMaps(cl.Options, bc.Options)
		r.Client = &cl
	}
	if b.Consul != nil {
		cc := *r.Consul
		str(&cc.Address, b.Consul.Address)
		str(&cc.GRPCAddress, b.Consul.GRPCAddress)
		str(&cc.Token, b.Consul.Token)
		str(&cc.CAFile, b.Consul.CAFile)
		str(&cc.CertFile, b.Consul.CertFile)
		str(&cc.KeyFile, b.Consul.KeyFile)
		if b.Consul.SSL != nil {
			cc.SSL = b.Consul.SSL
		}
		r.Consul = &cc
	}
	r.Plugins = mergePlugins(r.Plugins, b.Plugins)
	r.Files = append(append([]string(nil), c.Files...), b.Files...)
	return &r
}

// merge overlays b on c: set values of b win. Either may be nil.
func (c *ServerConnectConfig) merge(b *ServerConnectConfig) *ServerConnectConfig {
	switch {
	case b == nil:
		return c
	case c == nil:
		out := *b
		return &out
	}
	out := *c
	if b.SidecarDriver != "" {
		out.SidecarDriver = b.SidecarDriver
	}
	if b.SidecarCommand != "" {
		out.SidecarCommand = b.SidecarCommand
	}
	if b.SidecarArgs != nil {
		out.SidecarArgs = b.SidecarArgs
	}
	return &out
}

func mergeMaps(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return a
	}
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// mergePlugins replaces a plugin's config by a later one of the same name.
func mergePlugins(a, b []*PluginConfig) []*PluginConfig {
	out := append([]*PluginConfig(nil), a...)
	for _, p := range b {
		replaced := false
		for i, q := range out {
			if q.Name == p.Name {
				out[i] = p
				replaced = true
			}
		}
		if !replaced {
			out = append(out, p)
		}
	}
	return out
}

// ServerEnabled reports whether this agent runs a server.
func (c *Config) ServerEnabled() bool {
	return c.Server != nil && c.Server.Enabled != nil && *c.Server.Enabled
}

// ClientEnabled reports whether this agent runs a client.
func (c *Config) ClientEnabled() bool {
	return c.Client != nil && c.Client.Enabled != nil && *c.Client.Enabled
}

// PluginEnabled reports whether a driver plugin is enabled by
// `plugin "<name>" { config { enabled = true } }` or the legacy client option
// `"driver.<name>.enable" = "1"`.
func (c *Config) PluginEnabled(name string) bool {
	for _, p := range c.Plugins {
		if p.Name != name {
			continue
		}
		if v, ok := p.Config["enabled"]; ok {
			switch e := v.(type) {
			case bool:
				return e
			case string:
				return e == "true" || e == "1"
			}
		}
	}
	if c.Client != nil {
		switch c.Client.Options["driver."+name+".enable"] {
		case "1", "true":
			return true
		}
	}
	return false
}

// Validate checks combinations the parser cannot.
func (c *Config) Validate() error {
	if !c.ServerEnabled() && !c.ClientEnabled() {
		return fmt.Errorf("must specify either server, client or dev mode for the agent")
	}
	if c.Ports.HTTP <= 0 || c.Ports.HTTP > 65535 {
		return fmt.Errorf("invalid http port %d", c.Ports.HTTP)
	}
	if !c.DevMode && c.DataDir == "" {
		return fmt.Errorf("must specify data directory")
	}
	if c.ClientEnabled() {
		switch b := c.Client.BridgeNetworkNATBackend; b {
		case "", network.NATBackendNFTables, network.NATBackendIPTables:
		default:
			return fmt.Errorf("client -> bridge_network_nat_backend: must be %q or %q, got %q",
				network.NATBackendNFTables, network.NATBackendIPTables, b)
		}
	}
	if c.ServerEnabled() {
		if err := c.Server.Connect.nomadConfig().Validate(); err != nil {
			return fmt.Errorf("server: %w", err)
		}
		_, hbErr := c.Server.heartbeat()
		_, raftErr := c.Server.raftSnapshots()
		if err := errors.Join(hbErr, raftErr); err != nil {
			return err
		}
	}
	return nil
}

// nomadConfig converts the block for the server; nil stays nil (Nomad's docker
// sidecar).
func (c *ServerConnectConfig) nomadConfig() *nomad.ConnectSidecarConfig {
	if c == nil {
		return nil
	}
	return &nomad.ConnectSidecarConfig{Driver: c.SidecarDriver, Command: c.SidecarCommand, Args: c.SidecarArgs}
}
