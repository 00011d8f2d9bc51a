package nomad

import (
	"fmt"
	"testing"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/shoenig/test/must"
)

// TestCluster_RemovePeer: a dead server is removed by address and a live one by
// ID; the peers of every remaining server shrink and the leader keeps
// committing writes. Only the leader removes, and unknown peers are errors.
func TestCluster_RemovePeer(t *testing.T) {
	servers := testCluster(t, 3, nil)
	leader := waitLeader(t, servers)
	var followers []*Server
	for _, s := range servers {
		if s != leader {
			followers = append(followers, s)
		}
	}
	dead, live := followers[0], followers[1]

	must.ErrorIs(t, live.RemovePeerByAddress(dead.config.RPCAddr), ErrNotLeader)
	must.ErrorIs(t, live.RemovePeerByID(dead.config.ServerID), ErrNotLeader)
	must.EqError(t, leader.RemovePeerByAddress("127.0.0.1:1"),
		`address "127.0.0.1:1" was not found in the Raft configuration`)
	must.EqError(t, leader.RemovePeerByID("nope"), `id "nope" was not found in the Raft configuration`)

	dead.Shutdown()
	must.NoError(t, leader.RemovePeerByAddress(dead.config.RPCAddr))
	waitPeers(t, []*Server{leader, live}, leader, live)

	must.NoError(t, leader.RemovePeerByID(live.config.ServerID))
	waitPeers(t, []*Server{leader}, leader)
	// Alone in the configuration, the leader is its own quorum.
	_, err := leader.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)
}

// waitPeers waits until every server in on lists exactly want as raft peers.
func waitPeers(t *testing.T, on []*Server, want ...*Server) {
	t.Helper()
	for _, s := range on {
		waitFor(t, func() error {
			peers, err := s.Peers()
			if err != nil {
				return err
			}
			if len(peers) != len(want) {
				return fmt.Errorf("%s has %d peers: %v", s.config.ServerID, len(peers), peers)
			}
			for i, w := range want {
				found := false
				for _, p := range peers {
					found = found || p.ID == w.config.ServerID
				}
				if !found {
					return fmt.Errorf("%s lacks peer %d %s", s.config.ServerID, i, w.config.ServerID)
				}
			}
			return nil
		})
	}
}
