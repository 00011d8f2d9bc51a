package nomad

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// simpleJob is mock.Job() without a network, so several allocations fit on one node.
func simpleJob(id string) *structs.Job {
	j := mock.Job()
	j.ID, j.Name = id, id
	j.TaskGroups[0].Networks = nil
	j.TaskGroups[0].Services = nil
	return j
}

func waitAllocCount(t *testing.T, s *Server, jobID string, want int) []*structs.Allocation {
	t.Helper()
	var allocs []*structs.Allocation
	waitFor(t, func() error {
		all, err := s.State().AllocsByJob(nil, "default", jobID)
		if err != nil {
			return err
		}
		allocs = nil
		for _, a := range all {
			if !a.TerminalStatus() {
				allocs = append(allocs, a)
			}
		}
		if len(allocs) != want {
			return fmt.Errorf("want %d running allocs of %q, have %d", want, jobID, len(allocs))
		}
		return nil
	})
	return allocs
}

func TestNodeRegister(t *testing.T) {
	s := testServer(t, nil)
	node := mock.Node()
	node.Status = structs.NodeStatusInit
	node.Datacenter = ""
	index, err := s.NodeRegister(node)
	must.NoError(t, err)
	must.Positive(t, index)

	got, _ := s.State().NodeByID(nil, node.ID)
	must.Eq(t, structs.NodeStatusReady, got.Status)
	must.Eq(t, "dc1", got.Datacenter)
	must.Eq(t, structs.NodeStatusInit, node.Status) // caller's node untouched

	_, err = s.NodeRegister(&structs.Node{})
	assertCode(t, err, 400)
}

func TestNodeHeartbeat_ExpiryMarksDownAndCreatesNodeEvals(t *testing.T) {
	s := testServer(t, func(c *Config) {
		c.MinHeartbeatTTL = 100 * time.Millisecond
		c.HeartbeatGrace = 50 * time.Millisecond
	})
	fixStagger(s, 20*time.Millisecond)
	node := mock.Node()
	_, err := s.NodeRegister(node)
	must.NoError(t, err)
	_, err = s.JobRegister(&JobRegisterRequest{Job: simpleJob("web")})
	must.NoError(t, err)
	_, err = s.JobRegister(&JobRegisterRequest{Job: simpleJob("api")})
	must.NoError(t, err)
	// Keep the node alive until both jobs are placed on it.
	waitFor(t, func() error {
		ttl, err := s.NodeHeartbeat(node.ID)
		must.NoError(t, err)
		must.Eq(t, 120*time.Millisecond, ttl)
		for _, id := range []string{"web", "api"} {
			allocs, _ := s.State().AllocsByJob(nil, "default", id)
			if len(allocs) != 1 {
				return fmt.Errorf("job %q not placed yet", id)
			}
		}
		return nil
	})

	// No more heartbeats: the node goes down, each job gets a node-update eval.
	waitFor(t, func() error {
		n, _ := s.State().NodeByID(nil, node.ID)
		if n.Status != structs.NodeStatusDown {
			return fmt.Errorf("node is %s", n.Status)
		}
		return nil
	})
	for _, jobID := range []string{"web", "api"} {
		evals, _ := s.State().EvalsByJob(nil, "default", jobID)
		found := false
		for _, e := range evals {
			if e.TriggeredBy == structs.EvalTriggerNodeUpdate && e.NodeID == node.ID {
				found = true
			}
		}
		must.True(t, found, must.Sprintf("no node-update eval for %q", jobID))
	}

	// A heartbeat brings it back.
	_, err = s.NodeHeartbeat(node.ID)
	must.NoError(t, err)
	n, _ := s.State().NodeByID(nil, node.ID)
	must.Eq(t, structs.NodeStatusReady, n.Status)

	_, err = s.NodeHeartbeat("unknown")
	must.True(t, errors.Is(err, structs.ErrNotFound))
}

func TestNodeGetClientAllocs_WakesOnNewAlloc(t *testing.T) {
	s := testServer(t, nil)
	node := mock.Node()
	_, err := s.NodeRegister(node)
	must.NoError(t, err)

	allocs, index, err := s.NodeGetClientAllocs(context.Background(), node.ID, 0)
	must.NoError(t, err)
	must.Len(t, 0, allocs)
	must.Positive(t, index)

	type result struct {
		allocs []*structs.Allocation
		index  uint64
		err    error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a, i, err := s.NodeGetClientAllocs(ctx, node.ID, index)
		done <- result{a, i, err}
	}()

	_, err = s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)
	select {
	case r := <-done:
		must.NoError(t, r.err)
		must.Greater(t, index, r.index)
		must.Len(t, 1, r.allocs)
		must.NotNil(t, r.allocs[0].Job)
		must.Eq(t, "example", r.allocs[0].Job.ID)
		// The caller owns what it got.
		r.allocs[0].ClientStatus = "mutated"
		stored, _ := s.State().AllocByID(nil, r.allocs[0].ID)
		must.Eq(t, structs.AllocClientStatusPending, stored.ClientStatus)
	case <-time.After(5 * time.Second):
		t.Fatal("blocking query did not return after an allocation was placed")
	}

	// With nothing new it times out and answers with the same index.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, last, err := s.NodeGetClientAllocs(ctx, node.ID, 0)
	must.NoError(t, err)
	_, again, err := s.NodeGetClientAllocs(ctx, node.ID, last)
	must.NoError(t, err)
	must.Eq(t, last, again)
}

func TestBlockedEval_RerunsWhenNodeRegisters(t *testing.T) {
	s := testServer(t, nil)
	resp, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)

	// No node: the eval completes with a blocked follow-up. The scheduler creates
	// the blocked eval before it records the first one's outcome: wait for both.
	waitFor(t, func() error {
		if s.blocked.Blocked() != 1 {
			return fmt.Errorf("want 1 blocked eval, have %d", s.blocked.Blocked())
		}
		if first, _ := s.State().EvalByID(nil, resp.EvalID); first == nil || !first.TerminalStatus() {
			return fmt.Errorf("first eval not finished: %+v", first)
		}
		return nil
	})
	first, _ := s.State().EvalByID(nil, resp.EvalID)
	must.MapContainsKey(t, first.FailedTGAllocs, "web")
	job, _ := s.State().JobByID(nil, "default", "example")
	must.Eq(t, structs.JobStatusPending, job.Status)

	node := mock.Node()
	_, err = s.NodeRegister(node)
	must.NoError(t, err)
	allocs := waitAllocCount(t, s, "example", 1)
	must.Eq(t, node.ID, allocs[0].NodeID)

	rerun, _ := s.State().EvalByID(nil, allocs[0].EvalID)
	must.Eq(t, structs.EvalTriggerQueuedAllocs, rerun.TriggeredBy)
	blocked, _ := s.State().EvalByID(nil, rerun.PreviousEval)
	must.Eq(t, structs.EvalStatusComplete, blocked.Status)
	must.Eq(t, 0, s.blocked.Blocked())
}

func TestNodeUpdateAllocs(t *testing.T) {
	s := testServer(t, nil)
	_, err := s.NodeRegister(mock.Node())
	must.NoError(t, err)
	_, err = s.JobRegister(&JobRegisterRequest{Job: simpleJob("web")})
	must.NoError(t, err)
	alloc := waitAllocCount(t, s, "web", 1)[0]

	t.Run("running", func(t *testing.T) {
		_, err := s.NodeUpdateAllocs([]*structs.Allocation{{
			ID: alloc.ID, ClientStatus: structs.AllocClientStatusRunning,
			NetworkStatus: &structs.AllocNetworkStatus{Address: "10.0.0.2"},
		}})
		must.NoError(t, err)
		got, _ := s.State().AllocByID(nil, alloc.ID)
		must.Eq(t, structs.AllocClientStatusRunning, got.ClientStatus)
		must.Eq(t, "10.0.0.2", got.NetworkStatus.Address)
		must.Positive(t, got.ModifyTime)
	})

	t.Run("failed creates a replacement eval", func(t *testing.T) {
		_, err := s.NodeUpdateAllocs([]*structs.Allocation{{ID: alloc.ID, ClientStatus: structs.AllocClientStatusFailed}})
		must.NoError(t, err)
		evals, _ := s.State().EvalsByJob(nil, "default", "web")
		found := false
		for _, e := range evals {
			found = found || e.TriggeredBy == structs.EvalTriggerRetryFailedAlloc
		}
		must.True(t, found)
		// The fake scheduler replaces the failed allocation.
		waitAllocCount(t, s, "web", 1)
	})

	t.Run("empty update", func(t *testing.T) {
		_, err := s.NodeUpdateAllocs(nil)
		assertCode(t, err, 400)
	})
}

func TestAllocStop(t *testing.T) {
	s := testServer(t, nil)
	_, err := s.NodeRegister(mock.Node())
	must.NoError(t, err)
	_, err = s.JobRegister(&JobRegisterRequest{Job: simpleJob("web")})
	must.NoError(t, err)
	alloc := waitAllocCount(t, s, "web", 1)[0]

	evalID, index, err := s.AllocStop(alloc.ID)
	must.NoError(t, err)
	must.Positive(t, index)
	eval, _ := s.State().EvalByID(nil, evalID)
	must.Eq(t, structs.EvalTriggerAllocStop, eval.TriggeredBy)
	stopped, _ := s.State().AllocByID(nil, alloc.ID)
	must.Eq(t, structs.AllocDesiredStatusStop, stopped.DesiredStatus)
	must.Eq(t, allocStopDesc, stopped.DesiredDescription)

	// A replacement is placed.
	replacement := waitAllocCount(t, s, "web", 1)[0]
	must.NotEq(t, alloc.ID, replacement.ID)

	_, _, err = s.AllocStop("unknown")
	must.True(t, errors.Is(err, structs.ErrNotFound))
}
