package nomad

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/netnomad/netnomad/nomad/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// NodeRegister creates or updates a client node; it becomes ready and its
// heartbeat timer starts. A node coming back from down gets node-update
// evaluations for the jobs with allocations on it, and a ready node unblocks
// blocked evaluations. The caller's node is not modified.
func (s *Server) NodeRegister(node *structs.Node) (index uint64, err error) {
	if node == nil || node.ID == "" {
		return 0, structs.BadRequest(errors.New("missing node ID for client registration"))
	}
	n := node.Copy()
	if n.Datacenter == "" {
		n.Datacenter = s.config.Datacenter
	}
	n.Status = structs.NodeStatusReady
	n.StatusUpdatedAt = time.Now().Unix()

	existing, err := s.state.NodeByID(nil, n.ID)
	if err != nil {
		return 0, err
	}
	var evals []*structs.Evaluation
	if existing != nil && existing.Status != structs.NodeStatusReady {
		if evals, err = s.nodeEvals(n.ID); err != nil {
			return 0, err
		}
	}
	index, err = s.raftApply(NodeRegisterRequestType, &NodeRegisterApply{Node: n, Evals: evals})
	if err != nil {
		return 0, fmt.Errorf("failed to register node %q: %w", n.ID, err)
	}
	s.heartbeats.reset(n.ID)
	return index, nil
}

// NodeHeartbeat records that the node is alive and returns the TTL within which
// it must heartbeat again. A node that was marked down becomes ready again. An
// unknown node is a structs.ErrNotFound (the client must register).
func (s *Server) NodeHeartbeat(nodeID string) (time.Duration, error) {
	// Only the leader runs heartbeat timers: a heartbeat elsewhere would be lost.
	if !s.IsLeader() {
		return 0, ErrNotLeader
	}
	node, err := s.state.NodeByID(nil, nodeID)
	if err != nil {
		return 0, err
	}
	if node == nil {
		return 0, fmt.Errorf("node %q not found: %w", nodeID, structs.ErrNotFound)
	}
	ttl := s.heartbeats.reset(nodeID)
	if node.Status != structs.NodeStatusReady {
		if err := s.setNodeStatus(nodeID, structs.NodeStatusReady); err != nil {
			return 0, fmt.Errorf("failed to mark node %q ready: %w", nodeID, err)
		}
	}
	return ttl, nil
}

// NodeUpdateAllocs applies what a client reports about its allocations (only
// ClientStatus, ClientDescription, TaskStates, NetworkStatus are taken; ID
// identifies the allocation, unknown ones are skipped). An allocation that
// failed (or that the client reports lost) gets an alloc-failure evaluation so
// the scheduler can reschedule it; one that became terminal unblocks blocked
// evaluations.
func (s *Server) NodeUpdateAllocs(allocs []*structs.Allocation) (index uint64, err error) {
	if len(allocs) == 0 {
		return 0, structs.BadRequest(errors.New("must update at least one allocation"))
	}
	now := time.Now().UnixNano()
	updates := make([]*structs.Allocation, 0, len(allocs))
	var evals []*structs.Evaluation
	seen := map[jobKey]bool{}
	for _, a := range allocs {
		if a == nil || a.ID == "" {
			return 0, structs.BadRequest(errors.New("allocation update without an ID"))
		}
		updates = append(updates, &structs.Allocation{
			ID:                a.ID,
			ClientStatus:      a.ClientStatus,
			ClientDescription: a.ClientDescription,
			TaskStates:        a.TaskStates,
			NetworkStatus:     a.NetworkStatus,
			ModifyTime:        now,
		})
		if a.ClientStatus != structs.AllocClientStatusFailed && a.ClientStatus != structs.AllocClientStatusLost {
			continue
		}
		existing, err := s.state.AllocByID(nil, a.ID)
		if err != nil {
			return 0, err
		}
		if existing == nil || existing.ClientStatus == a.ClientStatus ||
			existing.DesiredStatus != structs.AllocDesiredStatusRun {
			continue
		}
		key := jobKey{existing.Namespace, existing.JobID}
		job, err := s.state.JobByID(nil, key.namespace, key.id)
		if err != nil {
			return 0, err
		}
		if job == nil || job.Stop || seen[key] {
			continue
		}
		seen[key] = true
		evals = append(evals, newJobEval(job, structs.EvalTriggerRetryFailedAlloc, now))
	}
	index, err = s.raftApply(AllocClientUpdateRequestType, &AllocClientUpdateApply{Allocs: updates, Evals: evals})
	if err != nil {
		return 0, fmt.Errorf("failed to update allocations: %w", err)
	}
	return index, nil
}

// NodeGetClientAllocs is the client's blocking query: it returns every
// allocation on the node (with its Job) once one changed past minIndex, or when
// ctx ends or five minutes pass. The allocations are copies the caller owns.
func (s *Server) NodeGetClientAllocs(ctx context.Context, nodeID string, minIndex uint64) ([]*structs.Allocation, uint64, error) {
	resp, index, err := s.state.BlockingQuery(ctx, minIndex, func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		allocs, err := st.AllocsByNode(ws, nodeID)
		if err != nil {
			return nil, 0, err
		}
		var index uint64
		for _, a := range allocs {
			index = max(index, a.ModifyIndex)
		}
		if index == 0 {
			if index, err = st.Index(state.TableAllocs); err != nil {
				return nil, 0, err
			}
		}
		return allocs, index, nil
	})
	if err != nil {
		return nil, 0, err
	}
	stored := resp.([]*structs.Allocation)
	out := make([]*structs.Allocation, len(stored))
	for i, a := range stored {
		out[i] = a.Copy()
	}
	return out, index, nil
}
