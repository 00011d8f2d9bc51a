package nomad

import (
	"fmt"

	"github.com/hashicorp/raft"
)

// RemovePeerByAddress removes the server with this raft address from the raft
// configuration, as `nomad operator raft remove-peer -peer-address` does: for a
// server that is gone for good and would otherwise count against the quorum.
// Only the leader can; others return ErrNotLeader. An address that is not in the
// configuration is an error (most likely a typo), with Nomad's wording.
func (s *Server) RemovePeerByAddress(address string) error {
	return s.removePeer(func(sv raft.Server) bool { return string(sv.Address) == address },
		fmt.Sprintf("address %q", address))
}

// RemovePeerByID is RemovePeerByAddress for a raft ID (`-peer-id`).
func (s *Server) RemovePeerByID(id string) error {
	return s.removePeer(func(sv raft.Server) bool { return string(sv.ID) == id },
		fmt.Sprintf("id %q", id))
}

// removePeer removes the one server that match selects; what names it in
// messages. Raft itself refuses foot-guns such as removing the last voter.
func (s *Server) removePeer(match func(raft.Server) bool, what string) error {
	if !s.IsLeader() {
		return ErrNotLeader
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("failed to read raft configuration: %w", err)
	}
	for _, sv := range f.Configuration().Servers {
		if !match(sv) {
			continue
		}
		if err := s.raft.RemoveServer(sv.ID, 0, raftApplyTimeout).Error(); err != nil {
			return fmt.Errorf("failed to remove raft peer %s: %w", what, err)
		}
		s.logger.Warn("removed raft peer", "id", sv.ID, "address", sv.Address)
		return nil
	}
	return fmt.Errorf("%s was not found in the Raft configuration", what)
}
