package agent

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/nomad"
)

// raftSelfInfo is GET /v1/internal/raft/self: this server's raft identity, the
// leader it knows and its member entry (server_join.go, `server members`).
type raftSelfInfo struct {
	raftSelf
	Member *api.AgentMember
}

func (s *HTTPServer) raftSelfRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	self := srv.Self()
	return &raftSelfInfo{
		raftSelf: raftSelf{ID: self.ID, Address: self.Address, LeaderID: srv.LeaderID()},
		Member:   s.agent.member(),
	}, nil
}

// raftJoinRequest serves PUT /v1/internal/raft/join: the leader adds the server
// in the body as a voter (followers forward it, see forward.go).
func (s *HTTPServer) raftJoinRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		return nil, errMethodNotAllowed
	}
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	var p nomad.Peer
	if err := decodeBody(r, &p); err != nil {
		return nil, err
	}
	if p.ID == "" || p.Address == "" {
		return nil, badRequest("join needs ID and Address")
	}
	if err := srv.AddPeer(p); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// operatorRaftConfigurationRequest serves GET /v1/operator/raft/configuration.
func (s *HTTPServer) operatorRaftConfigurationRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	peers, err := srv.Peers()
	if err != nil {
		return nil, err
	}
	out := &api.RaftConfiguration{}
	for _, p := range peers {
		node := "(unknown)"
		if p.ID == srv.Self().ID {
			node = s.agent.nodeName() + "." + s.agent.config.Region
		} else if m := s.agent.peerMember(r.Context(), p.ID); m != nil {
			node = m.Name
		}
		out.Servers = append(out.Servers, &api.RaftServer{
			ID: p.ID, Node: node, Address: p.Address, Leader: p.Leader, Voter: p.Voter, RaftProtocol: "3",
		})
	}
	return out, nil
}

// peerMember asks another server (by raft ID, its HTTP address) for its member
// entry; nil when it does not answer.
func (a *Agent) peerMember(ctx context.Context, id string) *api.AgentMember {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+id+raftSelfPath, nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var info raftSelfInfo
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&info) != nil {
		return nil
	}
	return info.Member
}

// serverMembers lists every server of the raft configuration as a member: this
// one, the others as they describe themselves, or "failed" when they do not
// answer.
func (a *Agent) serverMembers(ctx context.Context) ([]*api.AgentMember, error) {
	self := a.member()
	peers, err := a.server.Peers()
	if err != nil {
		return nil, err
	}
	out := []*api.AgentMember{self}
	for _, p := range peers {
		if p.ID == a.server.Self().ID {
			continue
		}
		m := a.peerMember(ctx, p.ID)
		if m == nil {
			// Its serf port is unknown: servers of one cluster usually share
			// their ports, so this agent's is the best guess.
			m = &api.AgentMember{Name: p.ID, Addr: p.Address, Port: uint16(a.config.Ports.Serf), Status: "failed",
				Tags: map[string]string{"role": "nomad", "region": a.config.Region, "id": p.ID}}
			if host, port, err := net.SplitHostPort(p.Address); err == nil {
				m.Addr, m.Tags["rpc_addr"], m.Tags["port"] = host, host, port
			}
		}
		out = append(out, m)
	}
	return out, nil
}
