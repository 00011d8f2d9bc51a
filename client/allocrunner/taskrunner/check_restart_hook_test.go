package taskrunner

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/allocrunner/taskrunner/restarts"
	"github.com/netnomad/netnomad/client/serviceregistration/consul"
	"github.com/netnomad/netnomad/client/serviceregistration/watcher"
	"github.com/netnomad/netnomad/drivers/rawexec"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/testutil/fakeconsul"
)

// checkRestartWorld is a raw_exec task with a service whose HTTP check has a
// check_restart, registered in the fake Consul agent, which the test drives
// the check's status through, and a client check watcher polling it.
type checkRestartWorld struct {
	tr        *TaskRunner
	fake      *fakeconsul.Server
	checkName string
}

const checkRestartInterval = 100 * time.Millisecond

func newCheckRestartWorld(t *testing.T, cr *structs.CheckRestart) *checkRestartWorld {
	t.Helper()
	fake := fakeconsul.New(t)
	cfg := api.DefaultConfig()
	cfg.Address = fake.Addr()
	c, err := api.NewClient(cfg)
	must.NoError(t, err)
	sc := consul.NewServiceClient(c.Agent(), hclog.NewNullLogger(), true)

	w := watcher.New(watcher.Config{
		Getter: consul.CheckStatuses{Agent: c.Agent()}, Logger: hclog.NewNullLogger(), PollInterval: 10 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	task := shTask("while true; do sleep 0.05; done")
	task.Services = []*structs.Service{{Name: "api", PortLabel: "http", Checks: []*structs.ServiceCheck{{
		Name: "api-health", Type: "http", Path: "/health", Interval: checkRestartInterval, Timeout: time.Second,
		// Re-registered after a restart as passing, so that only the test's
		// statuses count.
		InitialStatus: api.HealthPassing,
		CheckRestart:  cr,
	}}}}
	policy := &structs.RestartPolicy{Attempts: 2, Interval: time.Minute, Mode: structs.RestartPolicyModeFail}
	h := newHarness(t, structs.JobTypeService, task, policy)
	h.alloc.ID = uuid.NewString()
	h.alloc.AllocatedResources = &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
		Ports: structs.AllocatedPorts{{Label: "http", Value: 23456}},
	}}
	node := &structs.Node{Attributes: map[string]string{"unique.network.ip-address": "10.0.0.5"}}
	tr, err := NewTaskRunner(Config{
		Alloc: h.alloc, Task: task, TaskDir: h.dir.NewTaskDir("web"), AllocDir: h.dir.AllocDir,
		Logger: h.logger, Region: "global", Driver: rawexec.New(h.logger, rawexec.Config{StateDir: filepath.Join(h.root, "driver")}),
		StateDB:             h.db,
		Node:                func() *structs.Node { return node },
		ServiceRegistration: sc,
		CheckWatcher:        w,
	})
	must.NoError(t, err)
	go tr.Run()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = tr.Kill(ctx, nil)
	})
	world := &checkRestartWorld{tr: tr, fake: fake, checkName: "api-health"}
	world.checkID(t) // registered
	waitFor(t, func() error {
		if !w.Watched(tr.allocID + "/web") {
			return fmt.Errorf("check not watched yet")
		}
		return nil
	})
	return world
}

// checkID waits for the check to be registered and returns its ID.
func (w *checkRestartWorld) checkID(t *testing.T) string {
	t.Helper()
	var id string
	waitFor(t, func() error {
		for cid, c := range w.fake.Checks() {
			if c.Name == w.checkName {
				id = cid
				return nil
			}
		}
		return fmt.Errorf("check %q not registered", w.checkName)
	})
	return id
}

// setStatus reports the check's result as Consul would after running it.
func (w *checkRestartWorld) setStatus(t *testing.T, status string) {
	t.Helper()
	must.NoError(t, w.fake.SetCheckStatus(w.checkID(t), status, "HTTP GET http://10.0.0.5:23456/health: "+status))
}

// waitPolls waits until the watcher read the checks n more times.
func (w *checkRestartWorld) waitPolls(t *testing.T, n int) {
	t.Helper()
	polls := func() int {
		return len(slices.DeleteFunc(w.fake.Requests(), func(r string) bool { return r != "GET /v1/agent/checks" }))
	}
	want := polls() + n
	waitFor(t, func() error {
		if got := polls(); got < want {
			return fmt.Errorf("%d polls, want %d", got, want)
		}
		return nil
	})
}

func eventsOf(ts *structs.TaskState, typ string) []*structs.TaskEvent {
	var out []*structs.TaskEvent
	for _, e := range ts.Events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestCheckRestart_UnhealthyCheckRestartsTaskOnce(t *testing.T) {
	w := newCheckRestartWorld(t, &structs.CheckRestart{Limit: 3})
	firstStart := w.tr.RunningSince()

	failedAt := time.Now()
	for range 3 { // Consul ran the check three times, each failed
		w.setStatus(t, api.HealthCritical)
		w.waitPolls(t, 1)
	}
	waitFor(t, func() error {
		ts := w.tr.TaskState()
		if ts.Restarts != 1 || ts.State != structs.TaskStateRunning || !w.tr.RunningSince().After(firstStart) {
			return fmt.Errorf("task %s after %d restarts", ts.State, ts.Restarts)
		}
		return nil
	})

	ts := w.tr.TaskState()
	signaled := eventsOf(ts, structs.TaskRestartSignal)
	must.Len(t, 1, signaled)
	must.Eq(t, `healthcheck: check "api-health" unhealthy`, signaled[0].DisplayMessage)
	// Not at the first failure: after limit-1 check intervals of failing.
	must.GreaterEq(t, 2*checkRestartInterval, time.Unix(0, signaled[0].Time).Sub(failedAt))
	// The restart policy counted it (a user restart would not be "within policy").
	restarting := eventsOf(ts, structs.TaskRestarting)
	must.Len(t, 1, restarting)
	must.Eq(t, restarts.ReasonWithinPolicy, restarting[0].RestartReason)

	// The re-registered check passes: the task is left alone from now on.
	w.waitPolls(t, 20)
	ts = w.tr.TaskState()
	must.Eq(t, uint64(1), ts.Restarts)
	must.Len(t, 1, eventsOf(ts, structs.TaskRestartSignal))
}

func TestCheckRestart_NoRestart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cr     *structs.CheckRestart
		status string
	}{
		{"passing", &structs.CheckRestart{Limit: 1}, api.HealthPassing},
		{"critical within grace", &structs.CheckRestart{Limit: 1, Grace: time.Hour}, api.HealthCritical},
		{"warning with ignore_warnings", &structs.CheckRestart{Limit: 1, IgnoreWarnings: true}, api.HealthWarning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newCheckRestartWorld(t, tc.cr)
			w.setStatus(t, tc.status)
			// With limit 1 a restart would follow the first poll that saw it.
			w.waitPolls(t, 20)
			ts := w.tr.TaskState()
			must.Eq(t, structs.TaskStateRunning, ts.State)
			must.Eq(t, uint64(0), ts.Restarts)
			must.Len(t, 0, eventsOf(ts, structs.TaskRestartSignal))
		})
	}
}
