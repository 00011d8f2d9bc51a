package rawexec

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/drivers/shared/executor"
	"github.com/netnomad/netnomad/e2e/framework"
)

func newTestDriver(t *testing.T) *Driver {
	t.Helper()
	d := New(hclog.New(&hclog.LoggerOptions{Output: hclog.DefaultOutput, Level: hclog.Debug}), Config{StateDir: t.TempDir()})
	t.Cleanup(func() {
		d.mu.Lock()
		ids := make([]string, 0, len(d.tasks))
		for id := range d.tasks {
			ids = append(ids, id)
		}
		d.mu.Unlock()
		for _, id := range ids {
			must.NoError(t, d.DestroyTask(id, true))
		}
	})
	return d
}

// newTaskConfig builds an allocation dir in a temp dir and a task that runs
// /bin/sh -c script in it.
func newTaskConfig(t *testing.T, script string) *drivers.TaskConfig {
	t.Helper()
	allocID := uuid.NewString()
	allocDir := t.TempDir()
	taskDir := filepath.Join(allocDir, "web")
	logDir := filepath.Join(allocDir, "alloc", "logs")
	must.NoError(t, os.MkdirAll(taskDir, 0o755))
	must.NoError(t, os.MkdirAll(logDir, 0o755))
	return &drivers.TaskConfig{
		ID:          allocID + "/web",
		AllocID:     allocID,
		Name:        "web",
		Env:         map[string]string{"PATH": "/usr/local/bin:/usr/bin:/bin"},
		Config:      map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
		AllocDir:    allocDir,
		TaskDir:     taskDir,
		LogDir:      logDir,
		LogMaxFiles: 2,
	}
}

func waitExit(t *testing.T, d *Driver, id string, timeout time.Duration) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ch, err := d.WaitTask(ctx, id)
	must.NoError(t, err)
	res, ok := <-ch
	must.True(t, ok, must.Sprintf("task %s did not exit within %s", id, timeout))
	must.NotNil(t, res)
	return res
}

func readLog(t *testing.T, cfg *drivers.TaskConfig, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cfg.LogDir, name))
	if os.IsNotExist(err) {
		return ""
	}
	must.NoError(t, err)
	return string(b)
}

// startUntilLog starts cfg on d and waits until the task has printed line.
func startUntilLog(t *testing.T, d *Driver, cfg *drivers.TaskConfig, line string) *drivers.TaskHandle {
	t.Helper()
	h, err := d.StartTask(cfg)
	must.NoError(t, err)
	waitLog(t, cfg, line)
	return h
}

// handleState decodes the driver state a task handle carries.
func handleState(t *testing.T, h *drivers.TaskHandle) TaskState {
	t.Helper()
	var st TaskState
	must.NoError(t, json.Unmarshal(h.State, &st))
	return st
}

// waitLog waits until the task's stdout.0 contains s.
func waitLog(t *testing.T, cfg *drivers.TaskConfig, s string) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(
		wait.BoolFunc(func() bool { return strings.Contains(readLog(t, cfg, "web.stdout.0"), s) }),
		wait.Timeout(10*time.Second), wait.Gap(20*time.Millisecond)))
}

func TestRawExec_Fingerprint(t *testing.T) {
	fp := New(hclog.NewNullLogger(), Config{}).Fingerprint(context.Background())
	must.True(t, fp.Detected)
	must.True(t, fp.Healthy)
	must.Eq(t, "raw_exec", New(hclog.NewNullLogger(), Config{}).Name())
}

func TestRawExec_ExitCodeAndLogs(t *testing.T) {
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "echo hello; echo oops >&2; exit 3")
	h, err := d.StartTask(cfg)
	must.NoError(t, err)
	must.Eq(t, "raw_exec", h.Driver)

	res := waitExit(t, d, cfg.ID, 10*time.Second)
	must.Eq(t, 3, res.ExitCode)
	must.Eq(t, 0, res.Signal)
	must.NoError(t, res.Err)
	must.False(t, res.Successful())
	must.Eq(t, "hello\n", readLog(t, cfg, "web.stdout.0"))
	must.Eq(t, "oops\n", readLog(t, cfg, "web.stderr.0"))

	// A second waiter still gets the result.
	res2 := waitExit(t, d, cfg.ID, time.Second)
	must.Eq(t, 3, res2.ExitCode)
}

func TestRawExec_BadConfig(t *testing.T) {
	cases := []struct {
		name   string
		config map[string]any
		want   string
	}{
		{"missing command", map[string]any{"args": []any{"x"}}, `missing required field "command"`},
		{"args not strings", map[string]any{"command": "/bin/true", "args": []any{1}}, "args[0] must be a string"},
		{"unknown key", map[string]any{"command": "/bin/true", "image": "x"}, `unsupported argument "image"`},
		{"command not found", map[string]any{"command": "no-such-command-xyz"}, `failed to find command "no-such-command-xyz"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t)
			cfg := newTaskConfig(t, "")
			cfg.Config = tc.config
			_, err := d.StartTask(cfg)
			must.ErrorContains(t, err, tc.want)
			_, err = d.WaitTask(context.Background(), cfg.ID)
			must.ErrorIs(t, err, drivers.ErrTaskNotFound)
		})
	}
}

func TestRawExec_EnvIsExactlyTaskEnv(t *testing.T) {
	t.Setenv("RAWEXEC_AGENT_ONLY", "leaked")
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "")
	cfg.Env = map[string]string{"FOO": "bar baz", "NOMAD_TASK_NAME": "web"}
	cfg.Config = map[string]any{"command": "/usr/bin/env"}
	_, err := d.StartTask(cfg)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, d, cfg.ID, 10*time.Second).ExitCode)
	lines := strings.Split(strings.TrimSpace(readLog(t, cfg, "web.stdout.0")), "\n")
	sort.Strings(lines)
	must.Eq(t, []string{"FOO=bar baz", "NOMAD_TASK_NAME=web"}, lines)
}

func TestRawExec_WorkingDirAndRelativeCommand(t *testing.T) {
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "")
	must.NoError(t, os.MkdirAll(filepath.Join(cfg.TaskDir, "local"), 0o755))
	must.NoError(t, os.WriteFile(filepath.Join(cfg.TaskDir, "local", "run.sh"), []byte("#!/bin/sh\npwd\n"), 0o755))
	cfg.Config = map[string]any{"command": "run.sh"}
	_, err := d.StartTask(cfg)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, d, cfg.ID, 10*time.Second).ExitCode)
	must.Eq(t, cfg.TaskDir+"\n", readLog(t, cfg, "web.stdout.0"))
}

func TestRawExec_User(t *testing.T) {
	framework.RequireRoot(t)
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "id -u; id -g")
	cfg.User = "nobody"
	// t.TempDir makes 0700 dirs: let nobody reach its task dir.
	for _, dir := range []string{filepath.Dir(cfg.AllocDir), cfg.AllocDir, cfg.TaskDir} {
		must.NoError(t, os.Chmod(dir, 0o755))
	}
	_, err := d.StartTask(cfg)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, d, cfg.ID, 10*time.Second).ExitCode)
	must.Eq(t, "65534\n65534\n", readLog(t, cfg, "web.stdout.0"))
}

func TestRawExec_StopWithSignal(t *testing.T) {
	cases := []struct {
		name   string
		signal string
		trap   string
	}{
		{"default is SIGTERM", "", "TERM"},
		{"SIGINT by name", "SIGINT", "INT"},
		{"short name", "HUP", "HUP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t)
			cfg := newTaskConfig(t, "trap 'echo got "+tc.trap+"; exit 0' "+tc.trap+"; echo ready; while :; do sleep 0.05; done")
			startUntilLog(t, d, cfg, "ready")
			must.NoError(t, d.StopTask(cfg.ID, 10*time.Second, tc.signal))
			res := waitExit(t, d, cfg.ID, time.Second)
			must.Eq(t, 0, res.ExitCode)
			must.Eq(t, 0, res.Signal)
			must.StrContains(t, readLog(t, cfg, "web.stdout.0"), "got "+tc.trap)
		})
	}
}

func TestRawExec_StopKillsAfterTimeout(t *testing.T) {
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "trap '' TERM; echo ready; while :; do sleep 0.05; done")
	h := startUntilLog(t, d, cfg, "ready")
	start := time.Now()
	must.NoError(t, d.StopTask(cfg.ID, 300*time.Millisecond, "SIGTERM"))
	must.GreaterEq(t, 300*time.Millisecond, time.Since(start))
	res := waitExit(t, d, cfg.ID, time.Second)
	must.Eq(t, int(syscall.SIGKILL), res.Signal)
	must.Eq(t, 128+9, res.ExitCode)

	st := handleState(t, h)
	must.False(t, executor.ProcessRunning(st.TaskPID, st.TaskStartTime))
	// Stopping an exited task is fine.
	must.NoError(t, d.StopTask(cfg.ID, time.Second, ""))
}

func TestRawExec_SignalTask(t *testing.T) {
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "trap 'echo got usr1; exit 5' USR1; echo ready; while :; do sleep 0.05; done")
	startUntilLog(t, d, cfg, "ready")
	must.ErrorContains(t, d.SignalTask(cfg.ID, "SIGBOGUS"), "unknown signal")
	must.NoError(t, d.SignalTask(cfg.ID, "SIGUSR1"))
	must.Eq(t, 5, waitExit(t, d, cfg.ID, 10*time.Second).ExitCode)
	must.StrContains(t, readLog(t, cfg, "web.stdout.0"), "got usr1")
}

func TestRawExec_Destroy(t *testing.T) {
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "echo ready; while :; do sleep 0.05; done")
	st := handleState(t, startUntilLog(t, d, cfg, "ready"))

	must.ErrorContains(t, d.DestroyTask(cfg.ID, false), "still running")
	must.True(t, executor.ProcessRunning(st.TaskPID, st.TaskStartTime))
	must.NoError(t, d.DestroyTask(cfg.ID, true))
	must.False(t, executor.ProcessRunning(st.TaskPID, st.TaskStartTime))
	_, err := os.Stat(st.StateDir)
	must.True(t, os.IsNotExist(err))
	// Idempotent, and the task is forgotten.
	must.NoError(t, d.DestroyTask(cfg.ID, true))
	must.NoError(t, d.DestroyTask("nope/nope", false))
	_, err = d.WaitTask(context.Background(), cfg.ID)
	must.ErrorIs(t, err, drivers.ErrTaskNotFound)
	must.ErrorIs(t, d.StopTask(cfg.ID, time.Second, ""), drivers.ErrTaskNotFound)
}

func TestRawExec_Recover(t *testing.T) {
	d1 := newTestDriver(t)
	cfg := newTaskConfig(t, "echo started; while [ ! -f go ]; do sleep 0.05; done; exit 7")
	h := startUntilLog(t, d1, cfg, "started")

	// A new driver instance (a restarted agent) re-attaches from the handle.
	d2 := newTestDriver(t)
	must.NoError(t, d2.RecoverTask(h))
	must.NoError(t, d2.RecoverTask(h)) // already tracked: no-op
	must.NoError(t, os.WriteFile(filepath.Join(cfg.TaskDir, "go"), nil, 0o644))
	must.Eq(t, 7, waitExit(t, d2, cfg.ID, 10*time.Second).ExitCode)

	// Recovering a task that exited while no agent watched still yields its code.
	d3 := newTestDriver(t)
	must.NoError(t, d3.RecoverTask(h))
	must.Eq(t, 7, waitExit(t, d3, cfg.ID, 5*time.Second).ExitCode)
	// The original driver sees the exit too.
	must.Eq(t, 7, waitExit(t, d1, cfg.ID, 5*time.Second).ExitCode)
	must.NoError(t, d1.DestroyTask(cfg.ID, false))
}

func TestRawExec_RecoverGone(t *testing.T) {
	d := newTestDriver(t)
	dir := t.TempDir()
	st, err := json.Marshal(TaskState{ExecutorPID: 1 << 22, TaskPID: 1<<22 + 1, StateDir: dir, ExitFile: filepath.Join(dir, "exit.json")})
	must.NoError(t, err)
	err = d.RecoverTask(&drivers.TaskHandle{Driver: Name, Config: &drivers.TaskConfig{ID: "a/web"}, State: st})
	must.ErrorIs(t, err, drivers.ErrTaskNotFound)
}

// TestRawExec_SurvivesAgentKill starts a task from a separate "agent" process,
// SIGKILLs that process and re-attaches from this one.
func TestRawExec_SurvivesAgentKill(t *testing.T) {
	cfg := newTaskConfig(t, "echo started; while [ ! -f go ]; do sleep 0.05; done; exit 7")
	cfgPath := filepath.Join(t.TempDir(), "task.json")
	b, err := json.Marshal(cfg)
	must.NoError(t, err)
	must.NoError(t, os.WriteFile(cfgPath, b, 0o644))

	self, err := os.Executable()
	must.NoError(t, err)
	agent := exec.Command(self, "-test.run=^$")
	agent.Env = append(os.Environ(), fakeAgentEnv+"="+cfgPath)
	agent.Stderr = os.Stderr
	must.NoError(t, agent.Start())
	t.Cleanup(func() { _ = agent.Process.Kill(); _ = agent.Wait() })

	var hb []byte
	must.Wait(t, wait.InitialSuccess(wait.BoolFunc(func() bool {
		hb, err = os.ReadFile(cfgPath + ".handle")
		return err == nil
	}), wait.Timeout(10*time.Second), wait.Gap(20*time.Millisecond)))
	waitLog(t, cfg, "started")

	must.NoError(t, agent.Process.Signal(syscall.SIGKILL))
	_ = agent.Wait()

	var h drivers.TaskHandle
	must.NoError(t, json.Unmarshal(hb, &h))
	st := handleState(t, &h)
	t.Cleanup(func() {
		killGroup(st.TaskPID, st.TaskStartTime, syscall.SIGKILL)
		if executor.ProcessRunning(st.ExecutorPID, st.ExecutorStartTime) {
			_ = syscall.Kill(st.ExecutorPID, syscall.SIGKILL)
		}
	})
	must.True(t, executor.ProcessRunning(st.TaskPID, st.TaskStartTime), must.Sprint("task died with the agent"))
	must.True(t, executor.ProcessRunning(st.ExecutorPID, st.ExecutorStartTime), must.Sprint("executor died with the agent"))

	d := newTestDriver(t)
	must.NoError(t, d.RecoverTask(&h))
	must.NoError(t, os.WriteFile(filepath.Join(cfg.TaskDir, "go"), nil, 0o644))
	must.Eq(t, 7, waitExit(t, d, cfg.ID, 10*time.Second).ExitCode)
}

func TestRawExec_LogRotation(t *testing.T) {
	d := newTestDriver(t)
	d.logFileBytes = 10
	cfg := newTaskConfig(t, "for i in 1 2 3 4 5 6; do echo line$i; done")
	cfg.LogMaxFiles = 3
	_, err := d.StartTask(cfg)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, d, cfg.ID, 10*time.Second).ExitCode)

	// 36 bytes in 10-byte files: .0 .1 .2 .3, of which the newest 3 are kept.
	full := "line1\nline2\nline3\nline4\nline5\nline6\n"
	must.Eq(t, "", readLog(t, cfg, "web.stdout.0"))
	got := readLog(t, cfg, "web.stdout.1") + readLog(t, cfg, "web.stdout.2") + readLog(t, cfg, "web.stdout.3")
	must.Eq(t, full[10:], got)
	must.Eq(t, 6, len(readLog(t, cfg, "web.stdout.3")))
	_, err = os.Stat(filepath.Join(cfg.LogDir, "web.stdout.0"))
	must.True(t, os.IsNotExist(err))
}

func TestRawExec_RestartSameID(t *testing.T) {
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "echo run; while [ ! -f go ]; do sleep 0.05; done; exit 4")
	startUntilLog(t, d, cfg, "run")
	_, err := d.StartTask(cfg)
	must.ErrorContains(t, err, "already started")

	must.NoError(t, os.WriteFile(filepath.Join(cfg.TaskDir, "go"), nil, 0o644))
	must.Eq(t, 4, waitExit(t, d, cfg.ID, 10*time.Second).ExitCode)

	cfg.Config = map[string]any{"command": "/bin/sh", "args": []string{"-c", "echo again; exit 0"}}
	_, err = d.StartTask(cfg)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, d, cfg.ID, 10*time.Second).ExitCode)
	must.Eq(t, "run\nagain\n", readLog(t, cfg, "web.stdout.0"))
}

func TestRawExec_ExecutorKilled(t *testing.T) {
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "echo ready; while :; do sleep 0.05; done")
	st := handleState(t, startUntilLog(t, d, cfg, "ready"))

	// Losing the executor fails the task (rather than hanging) and kills it.
	must.NoError(t, syscall.Kill(st.ExecutorPID, syscall.SIGKILL))
	res := waitExit(t, d, cfg.ID, 10*time.Second)
	must.ErrorContains(t, res.Err, "executor exited without recording")
	must.False(t, res.Successful())
	must.Wait(t, wait.InitialSuccess(
		wait.BoolFunc(func() bool { return !executor.ProcessRunning(st.TaskPID, st.TaskStartTime) }),
		wait.Timeout(5*time.Second), wait.Gap(20*time.Millisecond)))
}
