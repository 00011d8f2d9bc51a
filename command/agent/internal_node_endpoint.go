package agent

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/netnomad/netnomad/client/servers"
	"github.com/netnomad/netnomad/nomad"
	"github.com/netnomad/netnomad/nomad/structs"
)

// internalNodeRequest serves the endpoints separate client agents use to talk to
// this server (see client/servers for the protocol):
//
//	PUT /v1/internal/node/register
//	PUT /v1/internal/node/<id>/heartbeat
//	GET /v1/internal/node/<id>/allocations?index=&wait=   (blocking)
//	PUT /v1/internal/node/<id>/allocations
//
// Every call carries the node's SecretID in X-Nomad-Node-Secret: the first
// registration of a node ID binds it, any later call with another secret is a 403.
func (s *HTTPServer) internalNodeRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	secret := r.Header.Get(servers.NodeSecretHeader)
	if secret == "" {
		return nil, errPermissionDenied
	}
	parts := pathParts(r, servers.PathPrefix)
	switch {
	case len(parts) == 1 && parts[0] == "register":
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			return nil, errMethodNotAllowed
		}
		return s.internalNodeRegister(srv, r, secret)
	case len(parts) == 2 && parts[1] == "heartbeat":
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			return nil, errMethodNotAllowed
		}
		if err := s.nodeSecrets.check(srv, parts[0], secret, false); err != nil {
			return nil, err
		}
		ttl, err := srv.NodeHeartbeat(parts[0])
		if err != nil {
			return nil, err
		}
		return servers.HeartbeatResponse{HeartbeatTTL: ttl}, nil
	case len(parts) == 2 && parts[1] == "allocations":
		if err := s.nodeSecrets.check(srv, parts[0], secret, false); err != nil {
			return nil, err
		}
		switch r.Method {
		case http.MethodGet:
			return s.internalNodeGetAllocs(srv, w, r, parts[0])
		case http.MethodPut, http.MethodPost:
			return s.internalNodeUpdateAllocs(srv, w, r, parts[0])
		}
		return nil, errMethodNotAllowed
	}
	return nil, notFound("unknown internal node endpoint %q", r.URL.Path)
}

func (s *HTTPServer) internalNodeRegister(srv *nomad.Server, r *http.Request, secret string) (any, error) {
	var node structs.Node
	if err := decodeBody(r, &node); err != nil {
		return nil, err
	}
	if node.ID == "" {
		return nil, badRequest("missing node ID for client registration")
	}
	if err := s.nodeSecrets.check(srv, node.ID, secret, true); err != nil {
		return nil, err
	}
	// SecretID is not part of the JSON body: it travels in the header.
	node.SecretID = secret
	if _, err := srv.NodeRegister(&node); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *HTTPServer) internalNodeGetAllocs(srv *nomad.Server, w http.ResponseWriter, r *http.Request, nodeID string) (any, error) {
	opts, err := parseBlocking(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := opts.context(r)
	defer cancel()
	allocs, index, err := srv.NodeGetClientAllocs(ctx, nodeID, opts.minIndex)
	if err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) && r.Context().Err() == nil {
		// The wait ran out: answer with the current allocations, as Nomad does.
		allocs, index, err = srv.NodeGetClientAllocs(r.Context(), nodeID, 0)
	}
	if err != nil {
		return nil, err
	}
	setIndex(w, index)
	if allocs == nil {
		allocs = []*structs.Allocation{}
	}
	return allocs, nil
}

func (s *HTTPServer) internalNodeUpdateAllocs(srv *nomad.Server, w http.ResponseWriter, r *http.Request, nodeID string) (any, error) {
	var allocs []*structs.Allocation
	if err := decodeBody(r, &allocs); err != nil {
		return nil, err
	}
	// A node may only report on its own allocations.
	for _, a := range allocs {
		if a == nil {
			return nil, badRequest("allocation update without an ID")
		}
		existing, err := srv.State().AllocByID(nil, a.ID)
		if err != nil {
			return nil, err
		}
		if existing != nil && existing.NodeID != nodeID {
			return nil, errPermissionDenied
		}
	}
	index, err := srv.NodeUpdateAllocs(allocs)
	if err != nil {
		return nil, err
	}
	setIndex(w, index)
	return struct{}{}, nil
}

// errPermissionDenied is Nomad's 403 message.
var errPermissionDenied = structs.NewCodedError(http.StatusForbidden, "Permission denied")

// nodeSecrets binds node IDs to the SecretID they first registered with.
type nodeSecrets struct {
	mu     sync.Mutex
	byNode map[string]string
}

// check verifies that secret is the node's. Without a binding in memory, the
// SecretID stored on the node in the state store is the binding (after a server
// restart); a node with neither is bound to secret when bind is set (register),
// and denied otherwise (it must register first).
func (n *nodeSecrets) check(srv *nomad.Server, nodeID, secret string, bind bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.byNode == nil {
		n.byNode = map[string]string{}
	}
	known, ok := n.byNode[nodeID]
	if !ok {
		node, err := srv.State().NodeByID(nil, nodeID)
		if err != nil {
			return err
		}
		if node != nil && node.SecretID != "" {
			known, ok = node.SecretID, true
			n.byNode[nodeID] = known
		}
	}
	switch {
	case ok && known == secret:
		return nil
	case ok:
		return errPermissionDenied
	case bind:
		n.byNode[nodeID] = secret
		return nil
	}
	return errPermissionDenied
}
