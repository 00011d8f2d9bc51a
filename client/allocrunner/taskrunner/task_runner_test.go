package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/client/allocdir"
	"github.com/netnomad/netnomad/client/state"
	"github.com/netnomad/netnomad/drivers/rawexec"
	"github.com/netnomad/netnomad/drivers/shared/executor"
	"github.com/netnomad/netnomad/nomad/structs"
)

type harness struct {
	root    string
	allocID string
	alloc   *structs.Allocation
	dir     *allocdir.AllocDir
	db      state.StateDB
	logger  hclog.Logger
}

func newHarness(t *testing.T, jobType string, task *structs.Task, policy *structs.RestartPolicy) *harness {
	t.Helper()
	root := t.TempDir()
	id := fmt.Sprintf("alloc-%d", time.Now().UnixNano())
	alloc := &structs.Allocation{
		ID: id, Name: "example.web[0]", TaskGroup: "web", Namespace: "default",
		Job: &structs.Job{ID: "example", Name: "example", Type: jobType, TaskGroups: []*structs.TaskGroup{{
			Name: "web", RestartPolicy: policy, Tasks: []*structs.Task{task},
		}}},
	}
	dir := allocdir.NewAllocDir(root, id)
	must.NoError(t, dir.Build())
	// Backstop for failed tests: kill any task process still recorded in a pid
	// file (runs after the runners' own cleanup).
	t.Cleanup(func() {
		for _, f := range []string{"pid", "pids"} {
			for _, pid := range readPIDs(t, filepath.Join(dir.AllocDir, task.Name, f)) {
				if alive(pid) {
					_ = syscall.Kill(-pid, syscall.SIGKILL)
				}
			}
		}
	})
	db, err := state.NewBoltStateDB(filepath.Join(root, "state"))
	must.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return &harness{root: root, allocID: id, alloc: alloc, dir: dir, db: db, logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newRunner returns a task runner on a fresh raw_exec driver; it is killed when
// the test ends.
func (h *harness) newRunner(t *testing.T, restore bool) *TaskRunner {
	t.Helper()
	task := h.alloc.Job.TaskGroups[0].Tasks[0]
	tr, err := NewTaskRunner(Config{
		Alloc: h.alloc, Task: task, TaskDir: h.dir.NewTaskDir(task.Name), AllocDir: h.dir.AllocDir,
		Logger: h.logger, Region: "global", Driver: rawexec.New(h.logger, rawexec.Config{StateDir: filepath.Join(h.root, "driver")}),
		StateDB: h.db,
	})
	must.NoError(t, err)
	if restore {
		must.NoError(t, tr.Restore())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		tr.Kill(ctx, structs.NewTaskEvent(structs.TaskKilling))
	})
	return tr
}

func shTask(script string) *structs.Task {
	return &structs.Task{Name: "web", Driver: "raw_exec", Config: map[string]any{
		"command": "/bin/sh", "args": []any{"-c", script},
	}}
}

func eventTypes(ts *structs.TaskState) []string {
	var out []string
	for _, e := range ts.Events {
		out = append(out, e.Type)
	}
	return out
}

func waitFor(t *testing.T, f func() error) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(f), wait.Timeout(15*time.Second), wait.Gap(20*time.Millisecond)))
}

// waitStarts waits until tr is running and pidFile holds n pids (one per
// start of the task), and returns them.
func waitStarts(t *testing.T, tr *TaskRunner, pidFile string, n int) []int {
	t.Helper()
	waitFor(t, func() error {
		if got := len(readPIDs(t, pidFile)); got != n {
			return fmt.Errorf("%d starts, want %d", got, n)
		}
		if tr.TaskState().State != structs.TaskStateRunning {
			return errors.New("not running")
		}
		return nil
	})
	return readPIDs(t, pidFile)
}

func waitDone(t *testing.T, tr *TaskRunner) {
	t.Helper()
	select {
	case <-tr.WaitCh():
	case <-time.After(20 * time.Second):
		t.Fatalf("task runner did not finish")
	}
}

func readPIDs(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var pids []int
	for _, l := range strings.Fields(string(b)) {
		p, err := strconv.Atoi(l)
		must.NoError(t, err)
		pids = append(pids, p)
	}
	return pids
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool { return executor.ProcessRunning(pid, 0) }

func TestTaskRunner_BatchCompletes(t *testing.T) {
	h := newHarness(t, structs.JobTypeBatch, shTask(`echo "hello from $NOMAD_TASK_NAME in $NOMAD_ALLOC_ID"`), nil)
	tr := h.newRunner(t, false)
	go tr.Run()
	waitDone(t, tr)

	ts := tr.TaskState()
	must.Eq(t, structs.TaskStateDead, ts.State)
	must.False(t, ts.Failed)
	must.Eq(t, []string{structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskTerminated}, eventTypes(ts))
	must.Eq(t, "Exit Code: 0", ts.Events[3].DisplayMessage)
	must.False(t, ts.StartedAt.IsZero())
	must.False(t, ts.FinishedAt.IsZero())

	logs, err := os.ReadFile(filepath.Join(h.dir.LogDir, "web.stdout.0"))
	must.NoError(t, err)
	must.Eq(t, "hello from web in "+h.allocID+"\n", string(logs))

	// The final state was persisted.
	_, persisted, err := h.db.GetTaskRunnerState(h.allocID, "web")
	must.NoError(t, err)
	must.Eq(t, structs.TaskStateDead, persisted.State)
}

func TestTaskRunner_FailingTaskRestartsThenFails(t *testing.T) {
	policy := &structs.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail}
	h := newHarness(t, structs.JobTypeBatch, shTask("exit 3"), policy)
	tr := h.newRunner(t, false)
	go tr.Run()
	waitDone(t, tr)

	ts := tr.TaskState()
	must.Eq(t, structs.TaskStateDead, ts.State)
	must.True(t, ts.Failed)
	must.Eq(t, uint64(2), ts.Restarts)
	must.False(t, ts.LastRestart.IsZero())
	last := ts.Events[len(ts.Events)-1]
	must.Eq(t, structs.TaskNotRestarting, last.Type)
	must.Eq(t, `Exceeded allowed attempts 2 in interval 1m0s and mode is "fail"`, last.DisplayMessage)
	must.True(t, last.FailsTask)
	var terminated int
	for _, e := range ts.Events {
		if e.Type == structs.TaskTerminated {
			terminated++
			must.Eq(t, 3, e.ExitCode)
		}
	}
	must.Eq(t, 3, terminated)
}

func TestTaskRunner_KillHonoursKillTimeout(t *testing.T) {
	for _, tc := range []struct {
		name          string
		script        string
		killTimeout   time.Duration
		shutdownDelay time.Duration
		minElapsed    time.Duration
	}{
		{name: "exits on SIGTERM", script: `trap 'exit 0' TERM; echo $$ > pid; while true; do sleep 0.05; done`, killTimeout: 5 * time.Second},
		{name: "ignores SIGTERM", script: `trap '' TERM; echo $$ > pid; while true; do sleep 0.05; done`, killTimeout: 700 * time.Millisecond, minElapsed: 700 * time.Millisecond},
		{name: "shutdown delay first", script: `trap 'exit 0' TERM; echo $$ > pid; while true; do sleep 0.05; done`, killTimeout: 5 * time.Second, shutdownDelay: 400 * time.Millisecond, minElapsed: 400 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task := shTask(tc.script)
			task.KillTimeout = tc.killTimeout
			task.ShutdownDelay = tc.shutdownDelay
			task.KillSignal = "SIGTERM"
			h := newHarness(t, structs.JobTypeService, task, nil)
			tr := h.newRunner(t, false)
			go tr.Run()
			pidFile := filepath.Join(h.dir.AllocDir, "web", "pid")
			pid := waitStarts(t, tr, pidFile, 1)[0]
			must.True(t, alive(pid))

			start := time.Now()
			must.NoError(t, tr.Kill(context.Background(), structs.NewTaskEvent(structs.TaskKilling)))
			elapsed := time.Since(start)
			must.GreaterEq(t, tc.minElapsed, elapsed)
			must.Less(t, tc.killTimeout+3*time.Second, elapsed)
			must.False(t, alive(pid))

			ts := tr.TaskState()
			must.Eq(t, structs.TaskStateDead, ts.State)
			must.False(t, ts.Failed)
			types := eventTypes(ts)
			must.Eq(t, []string{structs.TaskKilling, structs.TaskKilled}, types[len(types)-2:])
			must.Eq(t, tc.killTimeout, ts.Events[len(ts.Events)-2].KillTimeout)
			if tc.shutdownDelay > 0 {
				must.Eq(t, structs.TaskWaitingShuttingDown, types[len(types)-3])
			}
		})
	}
}

func TestTaskRunner_UserRestart(t *testing.T) {
	// No restarts allowed: a user restart must still happen and not count.
	policy := &structs.RestartPolicy{Attempts: 0, Interval: time.Minute, Delay: time.Second, Mode: structs.RestartPolicyModeFail}
	h := newHarness(t, structs.JobTypeService, shTask(`echo $$ >> pids; while true; do sleep 0.05; done`), policy)
	tr := h.newRunner(t, false)
	go tr.Run()
	pidFile := filepath.Join(h.dir.AllocDir, "web", "pids")
	waitStarts(t, tr, pidFile, 1)

	ev := structs.NewTaskEvent(structs.TaskRestartSignal)
	ev.RestartReason = "User requested restart"
	must.NoError(t, tr.Restart(context.Background(), ev, false))
	pids := waitStarts(t, tr, pidFile, 2)
	must.NotEq(t, pids[0], pids[1])
	must.False(t, alive(pids[0]))

	ts := tr.TaskState()
	must.False(t, ts.Failed)
	must.Eq(t, uint64(1), ts.Restarts)
	must.SliceContains(t, eventTypes(ts), structs.TaskRestartSignal)
	for _, e := range ts.Events {
		if e.Type == structs.TaskRestartSignal {
			must.Eq(t, "User requested restart", e.DisplayMessage)
		}
	}
}

func TestTaskRunner_RestoreReattaches(t *testing.T) {
	h := newHarness(t, structs.JobTypeService, shTask(`echo $$ >> pids; while true; do sleep 0.05; done`), nil)
	tr1 := h.newRunner(t, false)
	go tr1.Run()
	pidFile := filepath.Join(h.dir.AllocDir, "web", "pids")
	pid := waitStarts(t, tr1, pidFile, 1)[0]

	// Agent shutdown: the task keeps running.
	tr1.Shutdown()
	must.True(t, alive(pid))

	// A new agent (new driver instance) restores and re-attaches.
	tr2 := h.newRunner(t, true)
	must.Eq(t, structs.TaskStateRunning, tr2.TaskState().State)
	go tr2.Run()
	waitFor(t, func() error {
		// The new driver instance knows the task only once it re-attached.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := tr2.driver.WaitTask(ctx, tr2.taskID)
		return err
	})
	must.Eq(t, []int{pid}, readPIDs(t, pidFile))

	// The re-attached task is really controlled: killing it stops the process.
	must.NoError(t, tr2.Kill(context.Background(), structs.NewTaskEvent(structs.TaskKilling)))
	must.False(t, alive(pid))
	must.Eq(t, []int{pid}, readPIDs(t, pidFile))
}

func TestTaskRunner_RestoreTaskGoneRestarts(t *testing.T) {
	policy := &structs.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail}
	h := newHarness(t, structs.JobTypeService, shTask(`echo $$ >> pids; while true; do sleep 0.05; done`), policy)
	tr1 := h.newRunner(t, false)
	go tr1.Run()
	pidFile := filepath.Join(h.dir.AllocDir, "web", "pids")
	pid := waitStarts(t, tr1, pidFile, 1)[0]
	tr1.Shutdown()
	// The task dies while no agent runs.
	must.NoError(t, syscall.Kill(-pid, syscall.SIGKILL))
	waitFor(t, func() error {
		if alive(pid) {
			return errors.New("still alive")
		}
		return nil
	})

	tr2 := h.newRunner(t, true)
	go tr2.Run()
	waitStarts(t, tr2, pidFile, 2)
	must.Eq(t, uint64(1), tr2.TaskState().Restarts)
}

func TestTaskRunner_MissingDriverFailsWithoutRestart(t *testing.T) {
	policy := &structs.RestartPolicy{Attempts: 3, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail}
	task := shTask("true")
	task.Driver = "docker"
	h := newHarness(t, structs.JobTypeService, task, policy)
	tr, err := NewTaskRunner(Config{
		Alloc: h.alloc, Task: task, TaskDir: h.dir.NewTaskDir(task.Name), AllocDir: h.dir.AllocDir,
		Logger: h.logger, StateDB: h.db, // no driver
	})
	must.NoError(t, err)
	go tr.Run()
	waitDone(t, tr)
	ts := tr.TaskState()
	must.True(t, ts.Failed)
	must.Eq(t, uint64(0), ts.Restarts)
	types := eventTypes(ts)
	must.Eq(t, []string{structs.TaskDriverFailure, structs.TaskNotRestarting}, types[len(types)-2:])
	must.StrContains(t, ts.Events[len(ts.Events)-2].DisplayMessage, `driver not available: "docker"`)
	must.Eq(t, "Error was unrecoverable", ts.Events[len(ts.Events)-1].DisplayMessage)
}

func TestTaskRunner_KillRestoredBeforeRun(t *testing.T) {
	h := newHarness(t, structs.JobTypeService, shTask(`echo $$ >> pids; while true; do sleep 0.05; done`), nil)
	tr1 := h.newRunner(t, false)
	go tr1.Run()
	pidFile := filepath.Join(h.dir.AllocDir, "web", "pids")
	pid := waitStarts(t, tr1, pidFile, 1)[0]
	tr1.Shutdown()

	// Restored but killed before Run: the live task must still be stopped.
	tr2 := h.newRunner(t, true)
	must.NoError(t, tr2.Kill(context.Background(), structs.NewTaskEvent(structs.TaskKilling)))
	waitFor(t, func() error {
		if alive(pid) {
			return errors.New("task still alive")
		}
		return nil
	})
	must.Eq(t, structs.TaskStateDead, tr2.TaskState().State)
	go tr2.Run()
	waitDone(t, tr2)
	must.Eq(t, []int{pid}, readPIDs(t, pidFile))
}
