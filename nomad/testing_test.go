package nomad

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/scheduler"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// testServer starts a server whose workers run fakeScheduler, stopped at cleanup.
func testServer(t *testing.T, mutate func(*Config)) *Server {
	t.Helper()
	useFakeScheduler(t)
	cfg := &Config{Logger: testLogger(t), NumSchedulers: 1}
	if mutate != nil {
		mutate(cfg)
	}
	s, err := NewServer(cfg)
	must.NoError(t, err)
	t.Cleanup(s.Shutdown)
	return s
}

func testLogger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Debug, Output: testWriter{t}})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// useFakeScheduler makes workers and plans run fakeScheduler until the test ends.
func useFakeScheduler(t testing.TB) {
	old := newScheduler
	newScheduler = func(jobType string, logger hclog.Logger, st scheduler.State, p scheduler.Planner) (scheduler.Scheduler, error) {
		return &fakeScheduler{state: st, planner: p}, nil
	}
	t.Cleanup(func() { newScheduler = old })
}

// fakeScheduler is a minimal stand-in for the real scheduler: it stops every
// allocation of a stopped or purged job, places missing allocations of each group
// on the first ready node (static ports only), and creates a blocked evaluation
// when no node is ready.
type fakeScheduler struct {
	state   scheduler.State
	planner scheduler.Planner
}

func (f *fakeScheduler) Process(eval *structs.Evaluation) error {
	job, err := f.state.JobByID(eval.Namespace, eval.JobID)
	if err != nil {
		return err
	}
	allocs, err := f.state.AllocsByJob(eval.Namespace, eval.JobID)
	if err != nil {
		return err
	}
	plan := &structs.Plan{EvalID: eval.ID, Priority: eval.Priority, Job: job,
		Annotations: &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{}}}
	failed := map[string]*structs.AllocMetric{}
	if job == nil || job.Stop {
		for _, a := range allocs {
			if !a.TerminalStatus() {
				plan.AppendStoppedAlloc(a, "alloc not needed due to job update", "")
			}
		}
	} else {
		nodes, err := f.state.Nodes()
		if err != nil {
			return err
		}
		var node *structs.Node
		for _, n := range nodes {
			if n.Ready() {
				node = n
				break
			}
		}
		for _, tg := range job.TaskGroups {
			running := 0
			for _, a := range allocs {
				if a.TaskGroup == tg.Name && !a.TerminalStatus() {
					running++
				}
			}
			du := &structs.DesiredUpdates{Ignore: uint64(running)}
			plan.Annotations.DesiredTGUpdates[tg.Name] = du
			for i := running; i < tg.Count; i++ {
				du.Place++
				if node == nil {
					failed[tg.Name] = &structs.AllocMetric{NodesEvaluated: 0}
					continue
				}
				a := fakeAlloc(job, tg, node, i)
				a.EvalID = eval.ID
				plan.AppendAlloc(a)
			}
		}
	}
	if ap, ok := f.planner.(interface{ AnnotatePlan() bool }); !plan.IsNoOp() || (ok && ap.AnnotatePlan()) {
		if _, _, err := f.planner.SubmitPlan(plan); err != nil {
			return err
		}
	}
	done := eval.Copy()
	done.Status = structs.EvalStatusComplete
	if len(failed) > 0 {
		done.FailedTGAllocs = failed
		blocked := &structs.Evaluation{
			ID: uuid.NewString(), Namespace: eval.Namespace, Priority: eval.Priority, Type: eval.Type,
			TriggeredBy: eval.TriggeredBy, JobID: eval.JobID, JobModifyIndex: eval.JobModifyIndex,
			Status: structs.EvalStatusBlocked, PreviousEval: eval.ID, FailedTGAllocs: failed,
		}
		if err := f.planner.CreateEval(blocked); err != nil {
			return err
		}
		done.BlockedEval = blocked.ID
	}
	return f.planner.UpdateEval(done)
}

func fakeAlloc(job *structs.Job, tg *structs.TaskGroup, node *structs.Node, i int) *structs.Allocation {
	res := &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{}}
	for _, t := range tg.Tasks {
		res.Tasks[t.Name] = &structs.AllocatedTaskResources{CPUShares: int64(t.Resources.CPU), MemoryMB: int64(t.Resources.MemoryMB)}
	}
	for _, n := range tg.Networks {
		c := n.Copy()
		c.IP = "192.168.0.100"
		c.DynamicPorts = nil
		res.Shared.Networks = append(res.Shared.Networks, c)
	}
	return &structs.Allocation{
		ID: uuid.NewString(), Namespace: job.Namespace, Name: job.ID + "." + tg.Name + "[" + string(rune('0'+i)) + "]",
		NodeID: node.ID, NodeName: node.Name, JobID: job.ID, TaskGroup: tg.Name,
		AllocatedResources: res, DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
	}
}

// waitFor waits up to five seconds for f to succeed.
func waitFor(t *testing.T, f func() error) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(f), wait.Timeout(5*time.Second), wait.Gap(10*time.Millisecond)))
}
