package agent

import (
	"net/http"
)

// operatorRaftPeerPath is where `nomad operator raft remove-peer` sends its
// DELETE; it runs on the leader (forward.go).
const operatorRaftPeerPath = "/v1/operator/raft/peer"

// operatorRaftPeerRequest serves DELETE /v1/operator/raft/peer?address=ip:port
// or ?id=raft-id: the leader removes that server from the raft configuration.
// Messages are Nomad's.
func (s *HTTPServer) operatorRaftPeerRequest(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodDelete {
		return nil, errMethodNotAllowed
	}
	srv, err := s.agent.requireServer()
	if err != nil {
		return nil, err
	}
	params := r.URL.Query()
	_, hasID := params["id"]
	_, hasAddress := params["address"]
	switch {
	case !hasID && !hasAddress:
		return nil, badRequest("Must specify either ?id with the server's ID or ?address with IP:port of peer to remove")
	case hasID && hasAddress:
		return nil, badRequest("Must specify only one of ?id or ?address")
	case hasID:
		err = srv.RemovePeerByID(params.Get("id"))
	default:
		err = srv.RemovePeerByAddress(params.Get("address"))
	}
	if err != nil {
		return nil, err
	}
	return nil, nil
}
