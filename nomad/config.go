package nomad

import (
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Defaults, as Nomad's.
const (
	// DefaultHeartbeatTTL is the heartbeat TTL handed to clients (Nomad's minimum).
	DefaultHeartbeatTTL = 10 * time.Second
	// DefaultRPCAddr is what Leader reports for this single server.
	DefaultRPCAddr = "127.0.0.1:4647"
)

// Config configures a Server. Zero values get defaults in NewServer.
type Config struct {
	Region     string
	Datacenter string
	NodeName   string
	// NumSchedulers is how many scheduling workers run: 1 in dev mode, 2 otherwise
	// by default.
	NumSchedulers int
	Logger        hclog.Logger
	// HeartbeatTTL is the TTL handed to clients (default 10s).
	HeartbeatTTL time.Duration
	// HeartbeatGrace is added to the TTL before a silent node is marked down
	// (default: the TTL, i.e. Nomad's 10s grace for the default TTL).
	HeartbeatGrace time.Duration
	// DevMode selects dev defaults (one scheduler).
	DevMode bool
	// RPCAddr is reported by Leader (default 127.0.0.1:4647).
	RPCAddr string
	// DataDir, when set, keeps the server's state on disk (<DataDir>/server) so it
	// survives restarts; empty keeps it in memory only (-dev).
	DataDir string
	// ConnectSidecar, when its Driver is set, is the operator's default for the
	// Connect sidecar task the admission hook injects (agent config
	// `server { connect { ... } }`); nil keeps Nomad's docker Envoy task. A job's
	// own sidecar_task is still merged over it.
	ConnectSidecar *ConnectSidecarConfig
}

func (c *Config) withDefaults() *Config {
	out := *c
	if out.Region == "" {
		out.Region = structs.DefaultRegion
	}
	if out.Datacenter == "" {
		out.Datacenter = structs.DefaultDatacenter
	}
	if out.Logger == nil {
		out.Logger = hclog.NewNullLogger()
	}
	if out.NumSchedulers <= 0 {
		out.NumSchedulers = 2
		if out.DevMode {
			out.NumSchedulers = 1
		}
	}
	if out.HeartbeatTTL <= 0 {
		out.HeartbeatTTL = DefaultHeartbeatTTL
	}
	if out.HeartbeatGrace <= 0 {
		out.HeartbeatGrace = out.HeartbeatTTL
	}
	if out.RPCAddr == "" {
		out.RPCAddr = DefaultRPCAddr
	}
	return &out
}
