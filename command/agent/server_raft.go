package agent

import (
	"fmt"
	"net"
	"strconv"
)

// advertiseRPC is the server's raft address as other servers reach it:
// advertise.rpc, else bind_addr:ports.rpc (0.0.0.0 becomes 127.0.0.1).
func (a *Agent) advertiseRPC() string {
	if a.config.Advertise != nil && a.config.Advertise.RPC != "" {
		return withDefaultPort(a.config.Advertise.RPC, a.config.Ports.RPC)
	}
	return a.rpcAddr()
}

// advertiseSerf is the address `server members` shows: advertise.serf (its
// port defaulting to ports.serf), else the RPC host with ports.serf. No gossip
// listens there; the column keeps Nomad's shape.
func (a *Agent) advertiseSerf() string {
	if a.config.Advertise != nil && a.config.Advertise.Serf != "" {
		return withDefaultPort(a.config.Advertise.Serf, a.config.Ports.Serf)
	}
	host, _, _ := net.SplitHostPort(a.advertiseRPC())
	return net.JoinHostPort(host, strconv.Itoa(a.config.Ports.Serf))
}

// raftBindAddr is where raft listens: bind_addr:ports.rpc; nothing in -dev, whose
// raft is in memory as Nomad's.
func (a *Agent) raftBindAddr() string {
	if a.config.DevMode {
		return ""
	}
	return net.JoinHostPort(a.config.BindAddr, strconv.Itoa(a.config.Ports.RPC))
}

// serverID is the server's raft ID: its advertised HTTP address, so every server
// knows where to forward writes once it knows the leader's ID.
func (a *Agent) serverID() string {
	if a.config.Advertise != nil && a.config.Advertise.HTTP != "" {
		return withDefaultPort(a.config.Advertise.HTTP, a.config.Ports.HTTP)
	}
	host := a.config.BindAddr
	if host == "0.0.0.0" || host == "::" || host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(a.config.Ports.HTTP))
}

// withDefaultPort adds port to addr when it has none.
func withDefaultPort(addr string, port int) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(addr, strconv.Itoa(port))
}

// CheckAdvertise refuses, as Nomad does, to advertise a loopback bind address
// outside -dev: other agents could not reach it. `nomad agent` calls it; in-process
// tests that never leave the machine skip it.
func (c *Config) CheckAdvertise() error {
	if c.DevMode {
		return nil
	}
	ip := net.ParseIP(c.BindAddr)
	if ip == nil || !ip.IsLoopback() {
		return nil
	}
	adv := c.Advertise
	if adv == nil {
		adv = &AdvertiseAddrs{}
	}
	const msg = "Defaulting advertise to localhost is unsafe, please set advertise manually"
	if adv.HTTP == "" {
		return fmt.Errorf("Failed to parse HTTP advertise address (%v, %v, %v, %v): %v", adv.HTTP, c.BindAddr, c.Ports.HTTP, c.DevMode, msg)
	}
	if c.ServerEnabled() && adv.RPC == "" {
		return fmt.Errorf("Failed to parse RPC advertise address (%v, %v, %v, %v): %v", adv.RPC, c.BindAddr, c.Ports.RPC, c.DevMode, msg)
	}
	if c.ServerEnabled() && adv.Serf == "" {
		return fmt.Errorf("Failed to parse Serf advertise address (%v, %v, %v, %v): %v", adv.Serf, c.BindAddr, c.Ports.Serf, c.DevMode, msg)
	}
	return nil
}
