package agent

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	consulapi "github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/client"
	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	clientconfig "github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/client/network"
	"github.com/netnomad/netnomad/client/servers"
	"github.com/netnomad/netnomad/client/serviceregistration/consul"
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/drivers/rawexec"
	"github.com/netnomad/netnomad/nomad"
)

// Agent is one running `nomad agent`: a server, a client, or both (-dev), and the
// HTTP API in front of them.
type Agent struct {
	config *Config
	logger hclog.Logger

	server *nomad.Server
	client *client.Client
	http   *HTTPServer

	// tempDataDir is removed on shutdown (dev mode without -data-dir).
	tempDataDir string
	// joiner bootstraps a new multi-server cluster (server_join.go).
	joiner *serverJoiner
}

// NewAgent starts the server and/or client the config asks for, then the HTTP API.
// On error everything already started is shut down again.
func NewAgent(config *Config, logger hclog.Logger) (_ *Agent, err error) {
	a := &Agent{config: config, logger: logger}
	defer func() {
		if err != nil {
			a.Shutdown()
		}
	}()
	if config.DataDir == "" && config.DevMode {
		dir, err := os.MkdirTemp("", "NomadDev")
		if err != nil {
			return nil, fmt.Errorf("failed to create dev data dir: %w", err)
		}
		a.tempDataDir = dir
		config.DataDir = dir
	}
	if config.ServerEnabled() {
		if err := a.setupServer(); err != nil {
			return nil, err
		}
	}
	// The HTTP listener comes before the client so the node can advertise its
	// real address (the port may be 0 in tests).
	httpAddr := net.JoinHostPort(config.BindAddr, strconv.Itoa(config.Ports.HTTP))
	if a.http, err = NewHTTPServer(a, httpAddr); err != nil {
		return nil, err
	}
	if a.server != nil && !a.server.Bootstrapped() {
		a.joiner = a.startServerJoin()
	}
	if config.ClientEnabled() {
		if err := a.setupClient(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *Agent) setupServer() error {
	hb, err := a.config.Server.heartbeat()
	if err != nil {
		return err
	}
	snaps, err := a.config.Server.raftSnapshots()
	if err != nil {
		return err
	}
	srv, err := nomad.NewServer(&nomad.Config{
		Region:                 a.config.Region,
		Datacenter:             a.config.Datacenter,
		NodeName:               a.nodeName(),
		NumSchedulers:          a.config.Server.NumSchedulers,
		Logger:                 a.logger.Named("nomad"),
		MinHeartbeatTTL:        hb.minTTL,
		HeartbeatGrace:         hb.grace,
		MaxHeartbeatsPerSecond: hb.maxPerSecond,
		DevMode:                a.config.DevMode,
		DataDir:                a.serverDataDir(),
		// Raft: see server_raft.go.
		RPCAddr:               a.advertiseRPC(),
		RaftBindAddr:          a.raftBindAddr(),
		ServerID:              a.serverID(),
		BootstrapExpect:       a.config.Server.BootstrapExpect,
		RaftSnapshotThreshold: snaps.threshold,
		RaftSnapshotInterval:  snaps.interval,
		RaftTrailingLogs:      snaps.trailingLogs,
		// Validated with the agent config.
		ConnectSidecar: a.devConnectSidecar(a.config.Server.Connect.nomadConfig()),
	})
	if err != nil {
		return fmt.Errorf("failed to start server: %w", err)
	}
	a.server = srv
	return nil
}

// serverDataDir is where the server keeps its state: nowhere in -dev (in memory,
// as Nomad's dev mode), else server.data_dir, by default <data_dir>/server.
func (a *Agent) serverDataDir() string {
	if a.config.DevMode {
		return ""
	}
	return firstNonEmpty(a.config.Server.DataDir, filepath.Join(a.config.DataDir, "server"))
}

// clientStateDir is client.state_dir, by default <data_dir>/client.
func (a *Agent) clientStateDir() string {
	return firstNonEmpty(a.config.Client.StateDir, filepath.Join(a.config.DataDir, "client"))
}

func (a *Agent) setupClient() error {
	serverAPI, err := a.clientServerAPI()
	if err != nil {
		return err
	}
	c := a.config.Client
	cfg := &clientconfig.Config{
		Region:              a.config.Region,
		Datacenter:          a.config.Datacenter,
		NodeName:            a.nodeName(),
		NodeClass:           c.NodeClass,
		DataDir:             a.config.DataDir,
		StateDir:            a.clientStateDir(),
		AllocDir:            firstNonEmpty(c.AllocDir, filepath.Join(a.config.DataDir, "alloc")),
		NetworkInterface:    c.NetworkInterface,
		Meta:                c.Meta,
		Options:             c.Options,
		MinDynamicPort:      c.MinDynamicPort,
		MaxDynamicPort:      c.MaxDynamicPort,
		CNIPath:             c.CNIPath,
		CNIConfigDir:        c.CNIConfigDir,
		BridgeNetworkName:   c.BridgeNetworkName,
		BridgeNetworkSubnet: c.BridgeNetworkSubnet,
		HTTPAddr:            a.advertiseHTTP(),
		Logger:              a.logger.Named("client"),
		DevMode:             a.config.DevMode,
		Drivers:             a.enabledDrivers(),
	}
	cfg.NetworkConfigurator = a.networkConfigurator()
	if err := a.setupConsul(cfg); err != nil {
		return err
	}
	cl, err := client.NewClient(cfg, serverAPI)
	if err != nil {
		return fmt.Errorf("failed to start client: %w", err)
	}
	a.client = cl
	return nil
}

// clientServerAPI is how the client reaches the servers: in process when this
// agent is a server too, else over HTTP to `client { servers = [...] }`.
//
// A client beside a server that is not alone (bootstrap_expect > 1) goes through
// this agent's own HTTP API too: when the local server is a follower, its writes
// must reach the leader, and the HTTP layer forwards them.
func (a *Agent) clientServerAPI() (client.ServerAPI, error) {
	addrs := a.config.Client.Servers
	if a.server != nil {
		if a.config.DevMode || a.config.Server.BootstrapExpect <= 1 {
			return newLocalServerAPI(a.server), nil
		}
		addrs = []string{a.advertiseHTTP()}
	}
	if len(addrs) == 0 {
		return nil, errors.New("client: servers must list at least one server address when the server is not enabled")
	}
	api, err := servers.New(servers.Config{
		Servers: addrs,
		Logger:  a.logger.Named("client.servers"),
	})
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return api, nil
}

// setupConsul gives the client the agent's consul block and a service registration
// handler over the local Consul agent, as Nomad does by default. A Consul that is
// not running does not stop tasks: registrations retry in the background and the
// task events say so.
func (a *Agent) setupConsul(cfg *clientconfig.Config) error {
	cc := a.config.Consul
	if cc == nil {
		return nil
	}
	cfg.Consul = &clientconfig.ConsulConfig{
		Address: cc.Address, GRPCAddress: cc.GRPCAddress, Token: cc.Token,
		SSL: cc.SSL != nil && *cc.SSL, CAFile: cc.CAFile, CertFile: cc.CertFile, KeyFile: cc.KeyFile,
	}
	client, err := consulapi.NewClient(cfg.Consul.APIConfig())
	if err != nil {
		return fmt.Errorf("failed to create Consul client: %w", err)
	}
	cfg.ServiceRegistration = consul.NewServiceClient(client.Agent(), a.logger.Named("consul"), true)
	return nil
}

// networkConfigurator builds the CNI configurator for bridge, none and cni/<name>
// group networks, or returns nil where it cannot work (not Linux): such a node does
// not offer those modes, so the scheduler places their groups elsewhere.
func (a *Agent) networkConfigurator() interfaces.NetworkConfigurator {
	c := a.config.Client
	nc, err := network.NewConfigurator(network.Config{
		Logger:       a.logger.Named("client.network"),
		CNIPath:      network.SplitCNIPath(c.CNIPath),
		CNIConfigDir: c.CNIConfigDir,
		BridgeName:   c.BridgeNetworkName,
		BridgeSubnet: c.BridgeNetworkSubnet,
		HairpinMode:  c.BridgeNetworkHairpinMode,
		NATBackend:   c.BridgeNetworkNATBackend,
	})
	if err != nil {
		a.logger.Warn("group networking unavailable", "error", err)
		return nil
	}
	return nc
}

// enabledDrivers returns the task drivers the config enables.
func (a *Agent) enabledDrivers() map[string]drivers.Driver {
	out := map[string]drivers.Driver{}
	if a.config.PluginEnabled("raw_exec") {
		out["raw_exec"] = rawexec.New(a.logger.Named("driver"), rawexec.Config{
			StateDir: filepath.Join(a.clientStateDir(), "driver", "raw_exec"),
		})
	}
	return out
}

// Shutdown stops the HTTP API, the client (tasks keep running) and the server.
func (a *Agent) Shutdown() {
	if a.joiner != nil {
		a.joiner.stop()
	}
	if a.http != nil {
		a.http.Shutdown()
	}
	if a.client != nil {
		if err := a.client.Shutdown(); err != nil {
			a.logger.Warn("client shutdown failed", "error", err)
		}
	}
	if a.server != nil {
		a.server.Shutdown()
	}
	if a.tempDataDir != "" {
		// Allocations of a dev agent die with it (their tasks are stopped by the
		// client on shutdown in dev mode), so its scratch dir can go.
		os.RemoveAll(a.tempDataDir)
	}
}

// HTTPAddr is the address the HTTP API listens on.
func (a *Agent) HTTPAddr() string { return a.http.Addr() }

func (a *Agent) requireServer() (*nomad.Server, error) {
	if a.server == nil {
		return nil, errors.New("this agent is not a server")
	}
	return a.server, nil
}

func (a *Agent) requireClient() (*client.Client, error) {
	if a.client == nil {
		return nil, errors.New("this agent is not a client")
	}
	return a.client, nil
}

func (a *Agent) nodeName() string {
	if a.config.NodeName != "" {
		return a.config.NodeName
	}
	name, err := os.Hostname()
	if err != nil {
		return "nomad"
	}
	return name
}

// advertiseHTTP is the HTTP address put on the node, where servers send
// `nomad alloc logs`: advertise.http, its port defaulting (as Nomad's) to the
// HTTP port, else the HTTP listener with 0.0.0.0 shown as 127.0.0.1. The port
// is the listener's, which is ports.http unless that is 0 (tests).
func (a *Agent) advertiseHTTP() string {
	host, port, _ := net.SplitHostPort(a.http.Addr())
	if a.config.Advertise != nil && a.config.Advertise.HTTP != "" {
		p, _ := strconv.Atoi(port)
		return withDefaultPort(a.config.Advertise.HTTP, p)
	}
	if host == "0.0.0.0" || host == "::" || host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func (a *Agent) rpcAddr() string {
	host := a.config.BindAddr
	if host == "0.0.0.0" || host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(a.config.Ports.RPC))
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
