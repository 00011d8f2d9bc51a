package nomad

import (
	"fmt"
	"testing"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// TestServer_RestartKeepsState: a server with a data dir comes back from its raft
// snapshot plus the log after it with every job, version, evaluation, allocation
// and node, and keeps counting indexes from where it was.
func TestServer_RestartKeepsState(t *testing.T) {
	for _, tc := range []struct {
		name     string
		snapshot bool
	}{
		{"log only", false},
		{"snapshot and log", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			start := func() *Server {
				s, err := NewServer(&Config{Logger: testLogger(t), NumSchedulers: 1, DataDir: dir})
				must.NoError(t, err)
				t.Cleanup(s.Shutdown)
				return s
			}
			s := start()
			node := mock.Node()
			_, err := s.NodeRegister(node)
			must.NoError(t, err)
			resp, err := s.JobRegister(&JobRegisterRequest{Job: mock.Job()})
			must.NoError(t, err)
			waitFor(t, func() error {
				allocs, _ := s.State().AllocsByJob(nil, "default", "example")
				if len(allocs) != 1 {
					return fmt.Errorf("%d allocs", len(allocs))
				}
				return nil
			})
			if tc.snapshot {
				must.NoError(t, s.snapshot())
			}
			// Written after the snapshot: only in the log.
			job2 := mock.Job()
			job2.TaskGroups[0].Tasks[0].Env = map[string]string{"V": "2"}
			_, err = s.JobRegister(&JobRegisterRequest{Job: job2})
			must.NoError(t, err)
			other := mock.Job()
			other.ID, other.Name = "other", "other"
			_, err = s.JobRegister(&JobRegisterRequest{Job: other})
			must.NoError(t, err)
			before, _ := s.State().AllocsByJob(nil, "default", "example")
			index, _ := s.State().LatestIndex()
			s.Shutdown()

			s2 := start()
			job, err := s2.State().JobByID(nil, "default", "example")
			must.NoError(t, err)
			must.NotNil(t, job)
			must.Eq(t, "2", job.TaskGroups[0].Tasks[0].Env["V"])
			versions, _ := s2.State().JobVersionsByID(nil, "default", "example")
			must.Len(t, 2, versions)
			o, _ := s2.State().JobByID(nil, "default", "other")
			must.NotNil(t, o)
			n, _ := s2.State().NodeByID(nil, node.ID)
			must.NotNil(t, n)
			must.Eq(t, structs.NodeStatusReady, n.Status)
			// The node's secret is replicated: any server can authenticate it.
			must.Eq(t, node.SecretID, n.SecretID)
			eval, _ := s2.State().EvalByID(nil, resp.EvalID)
			must.NotNil(t, eval)

			// Allocations come back as they were; the index continues.
			waitFor(t, func() error {
				after, _ := s2.State().AllocsByJob(nil, "default", "example")
				for _, a := range before {
					found := false
					for _, b := range after {
						found = found || b.ID == a.ID
					}
					if !found {
						return fmt.Errorf("alloc %s lost", a.ID)
					}
				}
				return nil
			})
			_, err = s2.NodeRegister(node)
			must.NoError(t, err)
			newIndex, _ := s2.State().LatestIndex()
			must.Greater(t, index, newIndex)
		})
	}
}
