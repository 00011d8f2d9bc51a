// Package config holds the client agent's configuration: where it keeps state and
// allocation directories, how it names and describes its node, and which drivers
// the agent enabled.
package config

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Defaults used by Canonicalize.
const (
	DefaultGCInterval        = time.Minute
	DefaultMaxKillTimeout    = 30 * time.Second
	DefaultBridgeNetworkName = "nomad"
	DefaultBridgeSubnet      = "172.26.64.0/20"
	DefaultCNIPath           = "/opt/cni/bin"
	DefaultCNIConfigDir      = "/opt/cni/config"
)

// Config is the client's configuration. The agent fills it from its HCL config and
// flags; NewClient calls Canonicalize, so zero values mean "default".
type Config struct {
	Region     string
	Datacenter string
	NodeName   string
	NodeClass  string
	// NodeID is the node's identity. When empty it is read from (or generated and
	// written to) <StateDir>/node-id, so it survives agent restarts; in DevMode a
	// fresh ID is generated and not persisted.
	NodeID string

	// DataDir is the agent's data_dir; StateDir defaults to <DataDir>/client and
	// AllocDir to <DataDir>/alloc.
	DataDir  string
	StateDir string
	AllocDir string

	// NetworkInterface forces the host network device; empty picks the interface
	// holding the default route.
	NetworkInterface string

	Meta    map[string]string
	Options map[string]string

	MinDynamicPort int
	MaxDynamicPort int

	// CNI and bridge settings are carried for the network configurator.
	CNIPath             string
	CNIConfigDir        string
	BridgeNetworkName   string
	BridgeNetworkSubnet string

	// HTTPAddr is the advertised "host:port" of this agent's HTTP API (becomes
	// Node.HTTPAddr; the CLI streams logs from it).
	HTTPAddr string

	Logger  hclog.Logger
	DevMode bool

	// Drivers are the task drivers the agent enabled, by name.
	Drivers map[string]drivers.Driver

	// NetworkConfigurator sets up group networks other than host mode (bridge,
	// cni/<name>). Nil means only host mode is supported.
	NetworkConfigurator interfaces.NetworkConfigurator

	// Consul is the agent's consul block; nil when Consul is not configured.
	// Connect sidecars take the gRPC address, token and TLS files from it.
	Consul *ConsulConfig

	// ServiceRegistration registers group and task services (the agent builds
	// it from the consul block); nil means services are not registered
	// anywhere. When it also has a RunSync method (consul.ServiceClient), the
	// client runs the periodic sync with its live allocations.
	ServiceRegistration serviceregistration.Handler

	// GCInterval is how often stopped, finished allocations are garbage
	// collected (their directories removed).
	GCInterval time.Duration
	// MaxKillTimeout caps a task's kill_timeout.
	MaxKillTimeout time.Duration
}

// Canonicalize fills defaults in place.
func (c *Config) Canonicalize() {
	if c.Region == "" {
		c.Region = structs.DefaultRegion
	}
	if c.Datacenter == "" {
		c.Datacenter = structs.DefaultDatacenter
	}
	if c.StateDir == "" && c.DataDir != "" {
		c.StateDir = filepath.Join(c.DataDir, "client")
	}
	if c.AllocDir == "" && c.DataDir != "" {
		c.AllocDir = filepath.Join(c.DataDir, "alloc")
	}
	if c.MinDynamicPort == 0 {
		c.MinDynamicPort = structs.DefaultMinDynamicPort
	}
	if c.MaxDynamicPort == 0 {
		c.MaxDynamicPort = structs.DefaultMaxDynamicPort
	}
	if c.CNIPath == "" {
		c.CNIPath = DefaultCNIPath
	}
	if c.CNIConfigDir == "" {
		c.CNIConfigDir = DefaultCNIConfigDir
	}
	if c.BridgeNetworkName == "" {
		c.BridgeNetworkName = DefaultBridgeNetworkName
	}
	if c.BridgeNetworkSubnet == "" {
		c.BridgeNetworkSubnet = DefaultBridgeSubnet
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.GCInterval == 0 {
		c.GCInterval = DefaultGCInterval
	}
	if c.MaxKillTimeout == 0 {
		c.MaxKillTimeout = DefaultMaxKillTimeout
	}
	if c.Meta == nil {
		c.Meta = map[string]string{}
	}
	if c.Options == nil {
		c.Options = map[string]string{}
	}
}

// Validate reports configuration the client cannot run with.
func (c *Config) Validate() error {
	if c.StateDir == "" {
		return fmt.Errorf("client state dir is not set (set data_dir)")
	}
	if c.AllocDir == "" {
		return fmt.Errorf("client alloc dir is not set (set data_dir)")
	}
	if c.MinDynamicPort > c.MaxDynamicPort {
		return fmt.Errorf("min_dynamic_port %d is greater than max_dynamic_port %d", c.MinDynamicPort, c.MaxDynamicPort)
	}
	return nil
}
