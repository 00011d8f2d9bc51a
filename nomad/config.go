package nomad

import (
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Defaults, as Nomad's.
const (
	// DefaultMinHeartbeatTTL is the shortest heartbeat TTL handed to clients
	// (Nomad's min_heartbeat_ttl).
	DefaultMinHeartbeatTTL = 10 * time.Second
	// DefaultHeartbeatGrace is added to a TTL before a silent node is marked down
	// (Nomad's heartbeat_grace).
	DefaultHeartbeatGrace = 10 * time.Second
	// DefaultMaxHeartbeatsPerSecond is the heartbeat rate the TTLs aim not to
	// exceed across all nodes (Nomad's max_heartbeats_per_second).
	DefaultMaxHeartbeatsPerSecond = 50.0
	// DefaultRPCAddr is the raft address of a server without one.
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
	// MinHeartbeatTTL is the shortest TTL handed to clients (default 10s); see
	// heartbeatTTL for how the TTL grows with the number of nodes.
	MinHeartbeatTTL time.Duration
	// MaxHeartbeatsPerSecond bounds the heartbeat rate of all nodes together by
	// lengthening the TTL (default 50).
	MaxHeartbeatsPerSecond float64
	// HeartbeatGrace is added to the TTL before a silent node is marked down
	// (default 10s), covering the client's network and retry delays.
	HeartbeatGrace time.Duration
	// DevMode selects dev defaults (one scheduler).
	DevMode bool
	// RPCAddr is this server's advertised raft address (default 127.0.0.1:4647),
	// what /v1/status/leader and /v1/status/peers report.
	RPCAddr string
	// RaftBindAddr, when set (host:port), runs raft over TCP there; empty keeps
	// raft on an in-memory transport (a server alone in its process: -dev, tests).
	RaftBindAddr string
	// ServerID is the server's raft ID (default RPCAddr). The agent sets it to the
	// server's advertised HTTP address, where followers forward writes.
	ServerID string
	// BootstrapExpect is how many servers form a new cluster: 0 or 1 bootstraps
	// this server alone; more waits for BootstrapCluster.
	BootstrapExpect int
	// RaftHeartbeatTimeout overrides raft's heartbeat and election timeouts
	// (default raft's 1s, or 100ms on the in-memory transport).
	RaftHeartbeatTimeout time.Duration
	// RaftSnapshotThreshold is how many raft log entries since the last
	// snapshot make the next check take one; 0 keeps raft's (and Nomad's) 8192.
	RaftSnapshotThreshold uint64
	// RaftSnapshotInterval is how often raft checks whether to snapshot (it
	// waits a random time between one and two intervals); 0 keeps 120s.
	RaftSnapshotInterval time.Duration
	// RaftTrailingLogs is how many log entries a snapshot leaves behind, so a
	// follower that lags by less catches up from the log instead of receiving
	// the whole snapshot; 0 keeps 10240.
	RaftTrailingLogs uint64
	// LeaderWait bounds how long NewServer waits to lead when it bootstraps alone
	// (default 30s).
	LeaderWait time.Duration
	// DataDir is the server's own directory (the agent's <data_dir>/server or
	// server.data_dir). When set, the raft log and snapshots are kept on disk
	// (<DataDir>/raft) so the state survives restarts; empty keeps them in
	// memory only (-dev).
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
	if out.MinHeartbeatTTL <= 0 {
		out.MinHeartbeatTTL = DefaultMinHeartbeatTTL
	}
	if out.MaxHeartbeatsPerSecond <= 0 {
		out.MaxHeartbeatsPerSecond = DefaultMaxHeartbeatsPerSecond
	}
	if out.HeartbeatGrace <= 0 {
		out.HeartbeatGrace = DefaultHeartbeatGrace
	}
	if out.RPCAddr == "" {
		out.RPCAddr = DefaultRPCAddr
	}
	if out.ServerID == "" {
		out.ServerID = out.RPCAddr
	}
	if out.RaftHeartbeatTimeout <= 0 && out.RaftBindAddr == "" {
		out.RaftHeartbeatTimeout = 100 * time.Millisecond
	}
	if out.LeaderWait <= 0 {
		out.LeaderWait = 30 * time.Second
	}
	return &out
}
