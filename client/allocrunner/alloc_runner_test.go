package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/client/state"
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/drivers/rawexec"
	"github.com/netnomad/netnomad/nomad/structs"
)

// recorder is an AllocStateHandler that keeps every update.
type recorder struct {
	mu      sync.Mutex
	updates []*structs.Allocation
}

func (r *recorder) AllocStateUpdated(a *structs.Allocation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, a)
}

func (r *recorder) statuses() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, a := range r.updates {
		if len(out) == 0 || out[len(out)-1] != a.ClientStatus {
			out = append(out, a.ClientStatus)
		}
	}
	return out
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func shTask(name, script string) *structs.Task {
	return &structs.Task{Name: name, Driver: "raw_exec", KillSignal: "SIGTERM", Config: map[string]any{
		"command": "/bin/sh", "args": []any{"-c", script},
	}}
}

func testAlloc(jobType string, tasks ...*structs.Task) *structs.Allocation {
	return &structs.Allocation{
		ID: fmt.Sprintf("alloc-%d", time.Now().UnixNano()), Name: "example.web[0]", TaskGroup: "web",
		Namespace: "default", DesiredStatus: structs.AllocDesiredStatusRun,
		Job: &structs.Job{ID: "example", Name: "example", Type: jobType, TaskGroups: []*structs.TaskGroup{{
			Name:          "web",
			RestartPolicy: &structs.RestartPolicy{Attempts: 0, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail},
			Tasks:         tasks,
		}}},
	}
}

type testRunner struct {
	*AllocRunner
	root string
	rec  *recorder
	db   state.StateDB
}

func newTestRunner(t *testing.T, alloc *structs.Allocation, nc *fakeConfigurator) *testRunner {
	t.Helper()
	return newTestRunnerWith(t, alloc, nc, nil)
}

// newTestRunnerWith is newTestRunner with configure, when set, applied to the
// runner's config before the runner is built.
func newTestRunnerWith(t *testing.T, alloc *structs.Allocation, nc *fakeConfigurator, configure func(*Config)) *testRunner {
	t.Helper()
	root := t.TempDir()
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})
	db, err := state.NewBoltStateDB(filepath.Join(root, "state"))
	must.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	rec := &recorder{}
	cfg := Config{
		Alloc: alloc, Logger: logger, AllocRoot: filepath.Join(root, "alloc"), Region: "global",
		Drivers:      map[string]drivers.Driver{"raw_exec": rawexec.New(logger, rawexec.Config{StateDir: filepath.Join(root, "driver")})},
		StateDB:      db,
		StateUpdater: rec,
	}
	if nc != nil {
		cfg.NetworkConfigurator = nc
	}
	if configure != nil {
		configure(&cfg)
	}
	ar, err := NewAllocRunner(cfg)
	must.NoError(t, err)
	t.Cleanup(func() {
		ar.Destroy()
		select {
		case <-ar.DestroyCh():
		case <-time.After(30 * time.Second):
			t.Errorf("alloc runner was not destroyed")
		}
	})
	return &testRunner{AllocRunner: ar, root: root, rec: rec, db: db}
}

func waitFor(t *testing.T, f func() error) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(f), wait.Timeout(20*time.Second), wait.Gap(20*time.Millisecond)))
}

func (ar *testRunner) waitDone(t *testing.T) {
	t.Helper()
	select {
	case <-ar.WaitCh():
	case <-time.After(30 * time.Second):
		t.Fatalf("alloc runner did not finish")
	}
}

func (ar *testRunner) waitStatus(t *testing.T, status string) {
	t.Helper()
	waitFor(t, func() error {
		if got := ar.Alloc().ClientStatus; got != status {
			return fmt.Errorf("client status %q, want %q", got, status)
		}
		return nil
	})
}

// waitReported waits until the last status sent to the client is status.
func (ar *testRunner) waitReported(t *testing.T, status string) {
	t.Helper()
	waitFor(t, func() error {
		st := ar.rec.statuses()
		if len(st) == 0 || st[len(st)-1] != status {
			return fmt.Errorf("updates %v", st)
		}
		return nil
	})
}

func eventTypes(ts *structs.TaskState) []string {
	var out []string
	for _, e := range ts.Events {
		out = append(out, e.Type)
	}
	return out
}

func TestAllocRunner_BatchCompletes(t *testing.T) {
	alloc := testAlloc(structs.JobTypeBatch, shTask("one", "echo one"), shTask("two", "echo two"))
	ar := newTestRunner(t, alloc, nil)
	go ar.Run()
	ar.waitDone(t)

	a := ar.Alloc()
	must.Eq(t, structs.AllocClientStatusComplete, a.ClientStatus)
	must.Eq(t, "All tasks have completed", a.ClientDescription)
	for _, name := range []string{"one", "two"} {
		must.Eq(t, structs.TaskStateDead, a.TaskStates[name].State)
		must.False(t, a.TaskStates[name].Failed)
		out, err := os.ReadFile(filepath.Join(ar.AllocDir().LogDir, name+".stdout.0"))
		must.NoError(t, err)
		must.Eq(t, name+"\n", string(out))
	}
	ar.waitReported(t, structs.AllocClientStatusComplete)
}

func TestAllocRunner_FailedTaskFailsAllocAndKillsSibling(t *testing.T) {
	alloc := testAlloc(structs.JobTypeService,
		shTask("bad", "exit 7"),
		shTask("good", "while true; do sleep 0.05; done"))
	alloc.Job.TaskGroups[0].RestartPolicy = &structs.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail}
	ar := newTestRunner(t, alloc, nil)
	go ar.Run()
	ar.waitDone(t)

	a := ar.Alloc()
	must.Eq(t, structs.AllocClientStatusFailed, a.ClientStatus)
	must.Eq(t, "Failed tasks", a.ClientDescription)
	must.True(t, a.TaskStates["bad"].Failed)
	must.Eq(t, uint64(2), a.TaskStates["bad"].Restarts)
	must.Eq(t, structs.TaskNotRestarting, a.TaskStates["bad"].Events[len(a.TaskStates["bad"].Events)-1].Type)
	// The client saw the allocation go through running to failed.
	ar.waitReported(t, structs.AllocClientStatusFailed)
	good := a.TaskStates["good"]
	must.Eq(t, structs.TaskStateDead, good.State)
	must.False(t, good.Failed)
	types := eventTypes(good)
	must.SliceContains(t, types, structs.TaskSiblingFailed)
	must.SliceContains(t, types, structs.TaskKilled)
	for _, e := range good.Events {
		if e.Type == structs.TaskSiblingFailed {
			must.Eq(t, `Task's sibling "bad" failed`, e.DisplayMessage)
		}
	}
}

func TestAllocRunner_LeaderDeadKillsOthers(t *testing.T) {
	leader := shTask("leader", "exit 0")
	leader.Leader = true
	alloc := testAlloc(structs.JobTypeBatch, leader, shTask("follower", "while true; do sleep 0.05; done"))
	ar := newTestRunner(t, alloc, nil)
	go ar.Run()
	ar.waitDone(t)
	a := ar.Alloc()
	must.Eq(t, structs.AllocClientStatusComplete, a.ClientStatus)
	must.SliceContains(t, eventTypes(a.TaskStates["follower"]), structs.TaskLeaderDead)
}

func TestAllocRunner_LifecycleOrder(t *testing.T) {
	appendName := func(name string) string { return fmt.Sprintf(`echo %s >> "$NOMAD_ALLOC_DIR/order"`, name) }
	initTask := shTask("init", "sleep 0.2; "+appendName("init"))
	initTask.Lifecycle = &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPrestart}
	sidecar := shTask("sidecar", `touch "$NOMAD_ALLOC_DIR/sidecar-up"; while true; do sleep 0.05; done`)
	sidecar.Lifecycle = &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPrestart, Sidecar: true}
	// The main tasks fail unless the prestart tasks ran first.
	mainA := shTask("main-a", `test -f "$NOMAD_ALLOC_DIR/sidecar-up" && grep -q init "$NOMAD_ALLOC_DIR/order" && `+appendName("main"))
	mainB := shTask("main-b", `test -f "$NOMAD_ALLOC_DIR/sidecar-up" && grep -q init "$NOMAD_ALLOC_DIR/order"`)
	cleanup := shTask("cleanup", appendName("cleanup"))
	cleanup.Lifecycle = &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPoststop}

	announce := shTask("announce", `test -f "$NOMAD_ALLOC_DIR/sidecar-up"`)
	announce.Lifecycle = &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPoststart}

	alloc := testAlloc(structs.JobTypeBatch, cleanup, mainA, announce, sidecar, mainB, initTask)
	ar := newTestRunner(t, alloc, nil)
	go ar.Run()
	ar.waitDone(t)

	a := ar.Alloc()
	for name, ts := range a.TaskStates {
		t.Logf("%s: %s failed=%v %v", name, ts.State, ts.Failed, eventTypes(ts))
	}
	must.Eq(t, structs.AllocClientStatusComplete, a.ClientStatus)
	order, err := os.ReadFile(filepath.Join(ar.AllocDir().SharedDir, "order"))
	must.NoError(t, err)
	must.Eq(t, "init\nmain\ncleanup\n", string(order))
	must.SliceContains(t, eventTypes(a.TaskStates["sidecar"]), structs.TaskMainDead)
	must.False(t, a.TaskStates["sidecar"].Failed)
	must.SliceContains(t, eventTypes(a.TaskStates["announce"]), structs.TaskStarted)
	must.False(t, a.TaskStates["announce"].Failed)
}

func TestAllocRunner_StopHonoursKillTimeoutAndShutdownDelay(t *testing.T) {
	stubborn := shTask("stubborn", `trap '' TERM; while true; do sleep 0.05; done`)
	stubborn.KillTimeout = 500 * time.Millisecond
	polite := shTask("polite", `trap 'exit 0' TERM; while true; do sleep 0.05; done`)
	polite.KillTimeout = 10 * time.Second
	alloc := testAlloc(structs.JobTypeService, stubborn, polite)
	delay := 300 * time.Millisecond
	alloc.Job.TaskGroups[0].ShutdownDelay = &delay
	ar := newTestRunner(t, alloc, nil)
	go ar.Run()
	ar.waitStatus(t, structs.AllocClientStatusRunning)
	waitFor(t, func() error {
		for name, ts := range ar.Alloc().TaskStates {
			if ts.State != structs.TaskStateRunning {
				return fmt.Errorf("task %s is %s", name, ts.State)
			}
		}
		return nil
	})

	stop := alloc.Copy()
	stop.DesiredStatus = structs.AllocDesiredStatusStop
	start := time.Now()
	ar.Update(stop)
	ar.waitDone(t)
	elapsed := time.Since(start)
	must.GreaterEq(t, delay+stubborn.KillTimeout, elapsed)
	must.Less(t, 8*time.Second, elapsed)

	a := ar.Alloc()
	must.Eq(t, structs.AllocClientStatusComplete, a.ClientStatus)
	for _, name := range []string{"stubborn", "polite"} {
		ts := a.TaskStates[name]
		must.Eq(t, structs.TaskStateDead, ts.State)
		must.False(t, ts.Failed)
		types := eventTypes(ts)
		must.Eq(t, []string{structs.TaskKilling, structs.TaskKilled}, types[len(types)-2:])
	}
}

func TestAllocRunner_UserRestart(t *testing.T) {
	alloc := testAlloc(structs.JobTypeService,
		shTask("a", `echo $$ >> "$NOMAD_ALLOC_DIR/a.pids"; while true; do sleep 0.05; done`),
		shTask("b", `echo $$ >> "$NOMAD_ALLOC_DIR/b.pids"; while true; do sleep 0.05; done`))
	ar := newTestRunner(t, alloc, nil)
	go ar.Run()
	starts := func(name string) int {
		b, _ := os.ReadFile(filepath.Join(ar.AllocDir().SharedDir, name+".pids"))
		return len(strings.Fields(string(b)))
	}
	waitFor(t, func() error {
		if starts("a") != 1 || starts("b") != 1 {
			return errors.New("not started")
		}
		for name, ts := range ar.Alloc().TaskStates {
			if ts.State != structs.TaskStateRunning {
				return fmt.Errorf("task %s is %s", name, ts.State)
			}
		}
		return nil
	})
	ev := structs.NewTaskEvent(structs.TaskRestartSignal)
	ev.RestartReason = "User requested restart"
	must.NoError(t, ar.RestartAll(ev))
	waitFor(t, func() error {
		if starts("a") != 2 || starts("b") != 2 {
			return fmt.Errorf("starts a=%d b=%d", starts("a"), starts("b"))
		}
		for name, ts := range ar.Alloc().TaskStates {
			if ts.State != structs.TaskStateRunning || ts.Restarts != 1 {
				return fmt.Errorf("task %s: %s restarts=%d", name, ts.State, ts.Restarts)
			}
		}
		return nil
	})
	must.ErrorIs(t, ar.RestartTask("nope", ev), structs.ErrNotFound)
}

// fakeConfigurator records Setup/Teardown calls; its first failSetups Setups
// fail (after rolling back, as the real one does).
type fakeConfigurator struct {
	mu         sync.Mutex
	setups     int
	teardowns  int
	failSetups int
}

func (f *fakeConfigurator) Setup(_ context.Context, alloc *structs.Allocation, spec *structs.NetworkResource) (*structs.AllocNetworkStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setups++
	if f.failSetups > 0 {
		f.failSetups--
		return nil, errors.New("plugin type=\"portmap\" failed (add): iptables: Resource temporarily unavailable")
	}
	// The host's own namespace stands in for a real one: the driver joins it.
	return &structs.AllocNetworkStatus{InterfaceName: "eth0", Address: "172.26.64.9", NetnsPath: "/proc/self/ns/net"}, nil
}

func (f *fakeConfigurator) Teardown(_ context.Context, _ *structs.Allocation, _ *structs.NetworkResource, status *structs.AllocNetworkStatus) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if status == nil {
		return errors.New("teardown without status")
	}
	f.teardowns++
	return nil
}

func TestAllocRunner_NetworkModes(t *testing.T) {
	for _, tc := range []struct {
		name         string
		mode         string
		configurator *fakeConfigurator
		wantStatus   string
		wantErr      string
	}{
		{name: "host", mode: "host", wantStatus: structs.AllocClientStatusComplete},
		{name: "bridge unsupported", mode: "bridge", wantStatus: structs.AllocClientStatusFailed, wantErr: `network mode "bridge" is not supported yet on this client`},
		{name: "cni unsupported", mode: "cni/mynet", wantStatus: structs.AllocClientStatusFailed, wantErr: `network mode "cni/mynet" is not supported yet on this client`},
		{name: "bridge with configurator", mode: "bridge", configurator: &fakeConfigurator{}, wantStatus: structs.AllocClientStatusComplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alloc := testAlloc(structs.JobTypeBatch, shTask("web", "true"), shTask("web2", "true"))
			alloc.Job.TaskGroups[0].Networks = structs.NetworkResources{{Mode: tc.mode}}
			ar := newTestRunner(t, alloc, tc.configurator)
			go ar.Run()
			ar.waitDone(t)
			a := ar.Alloc()
			must.Eq(t, tc.wantStatus, a.ClientStatus)
			if tc.wantErr != "" {
				for _, name := range []string{"web", "web2"} {
					ts := a.TaskStates[name]
					last := ts.Events[len(ts.Events)-1]
					must.Eq(t, structs.TaskSetupFailure, last.Type)
					must.StrContains(t, last.DisplayMessage, tc.wantErr)
				}
			}
			if tc.configurator != nil {
				must.Eq(t, 1, tc.configurator.setups)
				must.Eq(t, 1, tc.configurator.teardowns)
				must.Eq(t, "172.26.64.9", a.NetworkStatus.Address)
				persisted, err := ar.db.GetNetworkStatus(alloc.ID)
				must.NoError(t, err)
				must.Eq(t, a.NetworkStatus, persisted)
			}
		})
	}
}

func TestAllocRunner_DestroyRemovesDirAndState(t *testing.T) {
	alloc := testAlloc(structs.JobTypeService, shTask("web", "while true; do sleep 0.05; done"))
	ar := newTestRunner(t, alloc, nil)
	must.NoError(t, ar.db.PutAllocation(alloc))
	go ar.Run()
	ar.waitStatus(t, structs.AllocClientStatusRunning)
	dir := ar.AllocDir().AllocDir
	_, err := os.Stat(dir)
	must.NoError(t, err)

	ar.Destroy()
	select {
	case <-ar.DestroyCh():
	case <-time.After(20 * time.Second):
		t.Fatal("not destroyed")
	}
	_, err = os.Stat(dir)
	must.True(t, os.IsNotExist(err))
	allocs, err := ar.db.GetAllAllocations()
	must.NoError(t, err)
	must.Len(t, 0, allocs)
	must.Eq(t, structs.TaskStateDead, ar.Alloc().TaskStates["web"].State)
}

func TestAllocRunner_RestoreReusesNetworkAndTasks(t *testing.T) {
	root := t.TempDir()
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})
	db, err := state.NewBoltStateDB(filepath.Join(root, "state"))
	must.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	nc := &fakeConfigurator{}
	alloc := testAlloc(structs.JobTypeService, shTask("web", `echo $$ >> "$NOMAD_ALLOC_DIR/pids"; while true; do sleep 0.05; done`))
	alloc.Job.TaskGroups[0].Networks = structs.NetworkResources{{Mode: "bridge"}}
	newRunner := func() *AllocRunner {
		ar, err := NewAllocRunner(Config{
			Alloc: alloc, Logger: logger, AllocRoot: filepath.Join(root, "alloc"),
			Drivers:             map[string]drivers.Driver{"raw_exec": rawexec.New(logger, rawexec.Config{StateDir: filepath.Join(root, "driver")})},
			StateDB:             db,
			StateUpdater:        &recorder{},
			NetworkConfigurator: nc,
		})
		must.NoError(t, err)
		return ar
	}
	pids := func(ar *AllocRunner) []string {
		b, _ := os.ReadFile(filepath.Join(ar.AllocDir().SharedDir, "pids"))
		return strings.Fields(string(b))
	}

	ar1 := newRunner()
	go ar1.Run()
	waitFor(t, func() error {
		if len(pids(ar1)) != 1 || ar1.Alloc().ClientStatus != structs.AllocClientStatusRunning {
			return errors.New("not running")
		}
		return nil
	})
	ar1.Shutdown() // agent restart: tasks and network stay

	ar2 := newRunner()
	must.NoError(t, ar2.Restore())
	go ar2.Run()
	t.Cleanup(func() {
		ar2.Destroy()
		<-ar2.DestroyCh()
	})
	waitFor(t, func() error {
		if ar2.Alloc().ClientStatus != structs.AllocClientStatusRunning {
			return errors.New("not running")
		}
		return nil
	})
	must.Eq(t, "/proc/self/ns/net", ar2.Alloc().NetworkStatus.NetnsPath)
	must.Eq(t, 1, len(pids(ar2)))

	taskState := ar2.Alloc().TaskStates["web"]
	must.Eq(t, uint64(0), taskState.Restarts)
	must.SliceNotContains(t, eventTypes(taskState), structs.TaskTerminated)

	ar2.Destroy()
	<-ar2.DestroyCh()
	nc.mu.Lock()
	defer nc.mu.Unlock()
	must.Eq(t, 1, nc.setups)    // not set up again after the restart
	must.Eq(t, 1, nc.teardowns) // torn down once, with the persisted status
}

func TestAllocRunner_StoppedBeforeRunStartsNothing(t *testing.T) {
	alloc := testAlloc(structs.JobTypeService,
		shTask("a", `touch "$NOMAD_ALLOC_DIR/a-ran"; sleep 10`),
		shTask("b", `touch "$NOMAD_ALLOC_DIR/b-ran"; sleep 10`))
	alloc.DesiredStatus = structs.AllocDesiredStatusStop
	ar := newTestRunner(t, alloc, nil)
	go ar.Run()
	ar.waitDone(t)
	a := ar.Alloc()
	must.Eq(t, structs.AllocClientStatusComplete, a.ClientStatus)
	for _, name := range []string{"a", "b"} {
		must.Eq(t, structs.TaskStateDead, a.TaskStates[name].State)
		must.SliceNotContains(t, eventTypes(a.TaskStates[name]), structs.TaskStarted)
		_, err := os.Stat(filepath.Join(ar.AllocDir().SharedDir, name+"-ran"))
		must.True(t, os.IsNotExist(err))
	}
}

// A failed network setup is retried as the group's restart policy allows, each
// failure and restart shown on every task; when the policy gives up the
// allocation fails with the setup error.
func TestAllocRunner_NetworkSetupFailureFollowsRestartPolicy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		attempts   int
		failSetups int
		wantStatus string
		wantSetups int
	}{
		{name: "retried within policy", attempts: 2, failSetups: 2, wantStatus: structs.AllocClientStatusComplete, wantSetups: 3},
		{name: "policy exhausted", attempts: 1, failSetups: 5, wantStatus: structs.AllocClientStatusFailed, wantSetups: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alloc := testAlloc(structs.JobTypeBatch, shTask("web", "true"), shTask("web2", "true"))
			tg := alloc.Job.TaskGroups[0]
			tg.Networks = structs.NetworkResources{{Mode: "bridge"}}
			tg.RestartPolicy = &structs.RestartPolicy{Attempts: tc.attempts, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail}
			nc := &fakeConfigurator{failSetups: tc.failSetups}
			ar := newTestRunner(t, alloc, nc)
			go ar.Run()
			ar.waitDone(t)

			a := ar.Alloc()
			must.Eq(t, tc.wantStatus, a.ClientStatus)
			must.Eq(t, tc.wantSetups, nc.setups)
			for _, name := range []string{"web", "web2"} {
				var failures, restarts int
				for _, ev := range a.TaskStates[name].Events {
					switch ev.Type {
					case structs.TaskSetupFailure:
						failures++
						must.StrContains(t, ev.DisplayMessage, `failed to configure network mode "bridge": plugin type="portmap" failed`)
					case structs.TaskRestarting:
						restarts++
					}
				}
				must.Eq(t, tc.attempts, restarts, must.Sprintf("task %s", name))
				if tc.wantStatus == structs.AllocClientStatusFailed {
					must.Eq(t, tc.attempts+1, failures, must.Sprintf("task %s", name))
					must.True(t, a.TaskStates[name].Failed)
				} else {
					must.Eq(t, tc.attempts, failures, must.Sprintf("task %s", name))
				}
			}
		})
	}
}
