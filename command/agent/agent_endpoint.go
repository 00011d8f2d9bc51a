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

// member describes this agent as Nomad's serf member would.
func (a *Agent) member() *api.AgentMember {
	host, port, _ := net.SplitHostPort(a.advertiseRPC())
	p, _ := strconv.Atoi(port)
	role := "client"
	if a.server != nil {
		role = "nomad"
	}
	return &api.AgentMember{
		Name:   a.nodeName() + "." + a.config.Region,
		Addr:   host,
		Port:   uint16(p),
		Status: "alive",
		// Nomad's serf protocol numbers, for `server members`.
		ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2,
		Tags: map[string]string{
			"role": role, "region": a.config.Region, "dc": a.config.Datacenter,
			"build": version.Version, "port": port, "bootstrap": "1",
		},
	}
}
