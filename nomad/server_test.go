package nomad

import (
	"fmt"
	"testing"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestServer_Defaults(t *testing.T) {
	s := testServer(t, func(c *Config) { c.NumSchedulers = 0; c.DevMode = true })
	must.Eq(t, "global", s.Region())
	must.Eq(t, "127.0.0.1:4647", s.Leader())
	must.Eq(t, 1, s.config.NumSchedulers)
	must.Eq(t, DefaultMinHeartbeatTTL, s.config.MinHeartbeatTTL)
	must.Eq(t, DefaultHeartbeatGrace, s.config.HeartbeatGrace)
	must.Eq(t, DefaultMaxHeartbeatsPerSecond, s.config.MaxHeartbeatsPerSecond)
	s.Shutdown() // twice is fine (cleanup calls it again)
}

// TestServer_RealScheduler runs a job through the real scheduler: register, eval,
// placement with host ports, then stop.
func TestServer_RealScheduler(t *testing.T) {
	s, err := NewServer(&Config{Logger: testLogger(t), NumSchedulers: 1})
	must.NoError(t, err)
	t.Cleanup(s.Shutdown)

	node := mock.Node()
	_, err = s.NodeRegister(node)
	must.NoError(t, err)
	resp, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
	must.NoError(t, err)

	waitFor(t, func() error {
		eval, _ := s.State().EvalByID(nil, resp.EvalID)
		if eval == nil || eval.Status != structs.EvalStatusComplete {
			return fmt.Errorf("eval not complete: %+v", eval)
		}
		return nil
	})
	allocs, _ := s.State().AllocsByJob(nil, "default", "example")
	must.Len(t, 1, allocs)
	must.Eq(t, node.ID, allocs[0].NodeID)
	http, ok := allocs[0].AllocatedResources.Shared.Ports.Get("http")
	must.True(t, ok)
	must.Eq(t, 8080, http.Value)

	plan, err := s.JobPlan(&JobPlanRequest{Job: mock.Job(), Diff: true})
	must.NoError(t, err)
	must.Eq(t, resp.JobModifyIndex, plan.JobModifyIndex)

	_, err = s.JobDeregister("default", "example", false)
	must.NoError(t, err)
	waitFor(t, func() error {
		a, _ := s.State().AllocByID(nil, allocs[0].ID)
		if a.DesiredStatus != structs.AllocDesiredStatusStop {
			return fmt.Errorf("alloc still %s", a.DesiredStatus)
		}
		return nil
	})
}

// TestServer_QueuedJobStartsWhenResourcesFree: a job that does not fit waits in a
// blocked eval and is placed once the client reports the allocation in its way
// finished.
func TestServer_QueuedJobStartsWhenResourcesFree(t *testing.T) {
	s, err := NewServer(&Config{Logger: testLogger(t), NumSchedulers: 1})
	must.NoError(t, err)
	t.Cleanup(s.Shutdown)

	node := mock.Node() // 4000 MHz, 100 reserved
	_, err = s.NodeRegister(node)
	must.NoError(t, err)

	big := func(id string) *structs.Job {
		j := mock.BatchJob()
		j.ID, j.Name = id, id
		j.TaskGroups[0].Tasks[0].Resources.CPU = 3000
		return j
	}
	_, err = s.JobRegister(&JobRegisterRequest{Job: big("first")})
	must.NoError(t, err)
	var first *structs.Allocation
	waitFor(t, func() error {
		allocs, _ := s.State().AllocsByJob(nil, "default", "first")
		if len(allocs) != 1 {
			return fmt.Errorf("first not placed")
		}
		first = allocs[0]
		return nil
	})

	_, err = s.JobRegister(&JobRegisterRequest{Job: big("second")})
	must.NoError(t, err)
	waitFor(t, func() error {
		if s.blocked.Blocked() != 1 {
			return fmt.Errorf("second is not blocked")
		}
		return nil
	})
	allocs, _ := s.State().AllocsByJob(nil, "default", "second")
	must.Len(t, 0, allocs)

	_, err = s.NodeUpdateAllocs([]*structs.Allocation{{ID: first.ID, ClientStatus: structs.AllocClientStatusComplete}})
	must.NoError(t, err)
	waitFor(t, func() error {
		allocs, _ := s.State().AllocsByJob(nil, "default", "second")
		if len(allocs) != 1 {
			return fmt.Errorf("second not placed after first completed")
		}
		return nil
	})
	job, _ := s.State().JobByID(nil, "default", "first")
	must.Eq(t, structs.JobStatusDead, job.Status)
}
