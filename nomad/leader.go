package nomad

import (
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// barrierTimeout bounds the wait for the log to be applied on leadership gain.
const barrierTimeout = time.Minute

// monitorLeadership runs leader-only work while this server leads: the eval
// broker and blocked evals (the workers and plan applier only get work from the
// broker) and heartbeat timers. It returns when the server shuts down.
func (s *Server) monitorLeadership() {
	defer close(s.leaderDone)
	for {
		select {
		case <-s.shutdownCh:
			s.revokeLeadership()
			return
		case isLeader := <-s.leaderNotify:
			if isLeader {
				if err := s.establishLeadership(); err != nil {
					s.logger.Error("failed to establish leadership", "error", err)
				}
			} else {
				s.revokeLeadership()
			}
		}
	}
}

// establishLeadership waits for every committed entry to be applied, then turns
// the broker and blocked evals on and fills them from the state: pending evals
// are enqueued, blocked ones tracked, and every ready node gets a heartbeat timer
// so a client that never comes back is marked down.
func (s *Server) establishLeadership() error {
	if err := s.raft.Barrier(barrierTimeout).Error(); err != nil {
		return err
	}
	s.fsm.mu.Lock()
	s.broker.SetEnabled(true)
	s.blocked.SetEnabled(true)
	evals, err := s.state.Evals(nil, "")
	if err == nil {
		for _, e := range evals {
			switch e.Status {
			case structs.EvalStatusPending:
				s.broker.Enqueue(e)
			case structs.EvalStatusBlocked:
				s.blocked.Block(e)
			}
		}
	}
	s.fsm.mu.Unlock()
	if err != nil {
		return err
	}
	s.heartbeats.setEnabled(true)
	nodes, err := s.state.Nodes(nil, "")
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if n.Status == structs.NodeStatusReady {
			s.heartbeats.reset(n.ID)
		}
	}
	index, _ := s.state.LatestIndex()
	s.logger.Info("cluster leadership acquired", "index", index, "evals", len(evals), "nodes", len(nodes))
	s.leaderReady.Store(true)
	return nil
}

// revokeLeadership stops leader-only work; the state stays.
func (s *Server) revokeLeadership() {
	if !s.leaderReady.Swap(false) {
		s.broker.SetEnabled(false)
		s.blocked.SetEnabled(false)
		s.heartbeats.setEnabled(false)
		return
	}
	s.fsm.mu.Lock()
	s.broker.SetEnabled(false)
	s.blocked.SetEnabled(false)
	s.fsm.mu.Unlock()
	s.heartbeats.setEnabled(false)
	s.logger.Info("cluster leadership lost")
}

// waitForLeadership blocks until this server leads with its leader-only work
// running, or the timeout passes.
func (s *Server) waitForLeadership(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if s.leaderReady.Load() && s.IsLeader() {
			return true
		}
		select {
		case <-s.shutdownCh:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}
