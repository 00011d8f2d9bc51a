package agent

import (
	"net"
	"net/http"
	"strconv"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/version"
)

// agentSelfRequest serves GET /v1/agent/self: the agent's config and member info.
func (s *HTTPServer) agentSelfRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodGet {
		return nil, errMethodNotAllowed
	}
	c := s.agent.config
	self := map[string]any{
		"config": map[string]any{
			"Region":     c.Region,
			"Datacenter": c.Datacenter,
			"NodeName":   s.agent.nodeName(),
			"DataDir":    c.DataDir,
			"BindAddr":   c.BindAddr,
			"LogLevel":   c.LogLevel,
			"DevMode":    c.DevMode,
			"Ports":      c.Ports,
			"Server":     map[string]any{"Enabled": c.ServerEnabled(), "BootstrapExpect": c.Server.BootstrapExpect},
			"Client":     map[string]any{"Enabled": c.ClientEnabled(), "CNIPath": c.Client.CNIPath, "CNIConfigDir": c.Client.CNIConfigDir, "BridgeNetworkName": c.Client.BridgeNetworkName, "BridgeNetworkSubnet": c.Client.BridgeNetworkSubnet},
			"Version":    map[string]any{"Version": version.Version, "VersionPrerelease": version.Prerelease},
			"Files":      c.Files,
		},
		"member": s.agent.member(),
		"stats":  map[string]any{},
	}
	return self, nil
}

// agentHealthRequest serves GET /v1/agent/health.
func (s *HTTPServer) agentHealthRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	out := map[string]any{}
	if s.agent.server != nil {
		out["server"] = map[string]any{"ok": true, "message": "ok"}
	}
	if s.agent.client != nil {
		out["client"] = map[string]any{"ok": true, "message": "ok"}
	}
	return out, nil
}

// agentMembersRequest serves GET /v1/agent/members: this agent when it is a server.
func (s *HTTPServer) agentMembersRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	out := &api.ServerMembers{ServerName: s.agent.nodeName(), ServerRegion: s.agent.config.Region, ServerDC: s.agent.config.Datacenter}
	if s.agent.server != nil {
		members, err := s.agent.serverMembers(r.Context())
		if err != nil {
			return nil, err
		}
		out.Members = members
	}
	return out, nil
}

func (s *HTTPServer) statusLeaderRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.agent.server == nil {
		return "", nil
	}
	return s.agent.server.Leader(), nil
}

func (s *HTTPServer) statusPeersRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.agent.server == nil {
		return []string{}, nil
	}
	peers, err := s.agent.server.Peers()
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, p := range peers {
		out = append(out, p.Address)
	}
	return out, nil
}

func (s *HTTPServer) regionsRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	return []string{s.agent.config.Region}, nil
}

// member describes this agent as Nomad's serf member would: Addr and Port are
// the serf address (advertise.serf, ports.serf) although netnomad runs no
// gossip, so that `server members` has Nomad's shape; the raft address is in the
// rpc_addr and port tags, as Nomad's.
func (a *Agent) member() *api.AgentMember {
	serfHost, serfPort, _ := splitHostPort(a.advertiseSerf())
	rpcHost, rpcPort, _ := net.SplitHostPort(a.advertiseRPC())
	tags := map[string]string{
		"role": "client", "region": a.config.Region, "dc": a.config.Datacenter,
		"build": version.Version, "vsn": "1", "mvn": "1",
	}
	if a.server != nil {
		tags["role"] = "nomad"
		tags["id"] = a.server.Self().ID
		tags["rpc_addr"], tags["port"] = rpcHost, rpcPort
		tags["raft_vsn"] = "3"
		if expect := a.config.Server.BootstrapExpect; expect > 0 {
			tags["expect"] = strconv.Itoa(expect)
		}
		if a.config.DevMode || a.config.Server.BootstrapExpect == 1 {
			tags["bootstrap"] = "1"
		}
	}
	return &api.AgentMember{
		Name:   a.nodeName() + "." + a.config.Region,
		Addr:   serfHost,
		Port:   serfPort,
		Status: "alive",
		// Nomad's serf protocol numbers, for `server members`.
		ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2,
		Tags: tags,
	}
}
