package nomad

import (
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/structs"
)

// heartbeats keeps one timer per client node. A node that does not heartbeat
// within TTL + grace is marked down, and every job with allocations on it gets a
// node-update evaluation so the scheduler can replace them.
type heartbeats struct {
	srv    *Server
	logger hclog.Logger
	// stagger randomises each TTL (randomStagger; fixed in tests).
	stagger func(time.Duration) time.Duration

	mu      sync.Mutex
	timers  map[string]*time.Timer
	stopped bool
	// enabled is true while this server is the leader: only the leader runs
	// heartbeat timers.
	enabled bool
}

func newHeartbeats(srv *Server) *heartbeats {
	return &heartbeats{srv: srv, logger: srv.logger.Named("heartbeat"), stagger: randomStagger,
		timers: map[string]*time.Timer{}}
}

// reset (re)starts the node's timer and returns the TTL to hand the client; the
// node is marked down when TTL + heartbeat_grace pass without another reset.
func (h *heartbeats) reset(nodeID string) time.Duration {
	cfg := h.srv.config
	h.mu.Lock()
	defer h.mu.Unlock()
	ttl := heartbeatTTL(cfg.MinHeartbeatTTL, cfg.MaxHeartbeatsPerSecond, len(h.timers), h.stagger)
	if h.stopped || !h.enabled {
		return ttl
	}
	if t, ok := h.timers[nodeID]; ok {
		t.Stop()
	}
	h.timers[nodeID] = time.AfterFunc(ttl+cfg.HeartbeatGrace, func() { h.expire(nodeID) })
	return ttl
}

func (h *heartbeats) expire(nodeID string) {
	h.mu.Lock()
	if h.stopped || !h.enabled {
		h.mu.Unlock()
		return
	}
	delete(h.timers, nodeID)
	h.mu.Unlock()

	h.logger.Warn("node TTL expired", "node_id", nodeID)
	if err := h.srv.setNodeStatus(nodeID, structs.NodeStatusDown); err != nil {
		h.logger.Error("failed to mark node down", "node_id", nodeID, "error", err)
	}
}

func (h *heartbeats) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	for id, t := range h.timers {
		t.Stop()
		delete(h.timers, id)
	}
}

// setNodeStatus writes a node's new status together with the node-update
// evaluations of the jobs that have allocations on it. Nothing is written when
// the status does not change.
func (s *Server) setNodeStatus(nodeID, status string) error {
	node, err := s.state.NodeByID(nil, nodeID)
	if err != nil {
		return err
	}
	if node == nil || node.Status == status {
		return nil
	}
	evals, err := s.nodeEvals(nodeID)
	if err != nil {
		return err
	}
	_, err = s.raftApply(NodeUpdateStatusRequestType, &NodeUpdateStatusApply{
		NodeID:    nodeID,
		Status:    status,
		UpdatedAt: time.Now().Unix(),
		Evals:     evals,
	})
	return err
}

// nodeEvals returns one pending node-update evaluation per job with a
// non-terminal allocation on the node.
func (s *Server) nodeEvals(nodeID string) ([]*structs.Evaluation, error) {
	allocs, err := s.state.AllocsByNode(nil, nodeID)
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixNano()
	seen := map[jobKey]bool{}
	var evals []*structs.Evaluation
	for _, a := range allocs {
		key := jobKey{a.Namespace, a.JobID}
		if a.TerminalStatus() || seen[key] {
			continue
		}
		seen[key] = true
		job, err := s.state.JobByID(nil, a.Namespace, a.JobID)
		if err != nil {
			return nil, err
		}
		if job == nil {
			job = a.Job
		}
		if job == nil {
			continue
		}
		eval := newJobEval(job, structs.EvalTriggerNodeUpdate, now)
		eval.NodeID = nodeID
		evals = append(evals, eval)
	}
	return evals, nil
}

// setEnabled starts (leadership gained) or stops (lost) enforcing TTLs. Disabling
// stops every timer; the caller resets the timers of ready nodes after enabling.
func (h *heartbeats) setEnabled(enabled bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.enabled = enabled
	if !enabled {
		for id, t := range h.timers {
			t.Stop()
			delete(h.timers, id)
		}
	}
}
