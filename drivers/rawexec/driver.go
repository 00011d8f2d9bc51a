// Package rawexec is Nomad's raw_exec driver: it runs a command on the host,
// without isolation, through a detached executor process (drivers/shared/executor)
// so that tasks outlive the agent and a restarted agent can re-attach to them.
package rawexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/drivers/shared/executor"
)

// Name is the driver's name in job files and node attributes.
const Name = "raw_exec"

// Log defaults when the task has no logs block, as in Nomad.
const (
	defaultLogMaxFiles      = 10
	defaultLogMaxFileSizeMB = 10
)

// killGrace bounds how long StopTask and DestroyTask wait after SIGKILL.
const killGrace = 10 * time.Second

// Config configures the driver.
type Config struct {
	// StateDir holds each task's executor state under <StateDir>/<alloc_id>/<task>.
	// It must survive agent restarts (e.g. <data_dir>/client/driver/raw_exec).
	// Empty means <AllocDir>/.executor/<task>.
	StateDir string
	// ExecutorPath is the binary run as "<path> executor <spec>"; empty means the
	// running agent binary (os.Executable).
	ExecutorPath string
	// PollInterval is how often a task's exit file is checked; 0 means 100ms.
	PollInterval time.Duration
}

// Driver is the raw_exec driver. It is safe for concurrent use.
type Driver struct {
	logger hclog.Logger
	cfg    Config

	// logFileBytes overrides LogMaxFileSizeMB (tests only).
	logFileBytes int64

	mu    sync.Mutex
	tasks map[string]*taskHandle
}

var _ drivers.Driver = (*Driver)(nil)

// New returns a raw_exec driver.
func New(logger hclog.Logger, cfg Config) *Driver {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	return &Driver{
		logger: logger.Named(Name),
		cfg:    cfg,
		tasks:  map[string]*taskHandle{},
	}
}

// Name returns "raw_exec".
func (d *Driver) Name() string { return Name }

// Fingerprint reports the driver as detected and healthy; the client adds the
// node attribute "driver.raw_exec" = "1".
func (d *Driver) Fingerprint(ctx context.Context) *drivers.Fingerprint {
	return &drivers.Fingerprint{
		Detected:          true,
		Healthy:           true,
		HealthDescription: "Healthy",
		Attributes:        map[string]string{},
	}
}

// StartTask starts the task through a new executor and returns the handle to
// persist. Starting an ID whose task is still running is an error; starting one
// that has exited (a restart) replaces it, and its logs continue in the newest
// log file.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if cfg == nil {
		return nil, errors.New("failed to start task: missing task config")
	}
	tc, err := parseTaskConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	old, exists := d.tasks[cfg.ID]
	if exists && old.exited() {
		// A restart of a task that has exited: forget the old run.
		old.stop()
		delete(d.tasks, cfg.ID)
		exists = false
	}
	d.mu.Unlock()
	if exists {
		return nil, fmt.Errorf("failed to start task %q: task with that ID already started", cfg.ID)
	}

	stateDir := d.stateDir(cfg)
	exitFile := filepath.Join(stateDir, "exit.json")
	if err := os.Remove(exitFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("failed to remove stale exit file %q: %w", exitFile, err)
	}
	spec := &executor.Spec{
		Command:         tc.Command,
		Args:            tc.Args,
		TaskDir:         cfg.TaskDir,
		Env:             envList(cfg.Env),
		User:            cfg.User,
		NetnsPath:       cfg.NetnsPath,
		LogDir:          cfg.LogDir,
		StdoutName:      cfg.Name + ".stdout",
		StderrName:      cfg.Name + ".stderr",
		LogMaxFiles:     cfg.LogMaxFiles,
		LogMaxFileBytes: d.logFileSize(cfg),
		ExitFile:        exitFile,
	}
	if spec.LogMaxFiles <= 0 {
		spec.LogMaxFiles = defaultLogMaxFiles
	}
	if spec.LogDir == "" {
		spec.LogDir = filepath.Join(cfg.AllocDir, "alloc", "logs")
	}
	l, err := executor.Launch(spec, stateDir, d.cfg.ExecutorPath)
	if err != nil {
		return nil, fmt.Errorf("failed to start task %q: %w", cfg.ID, err)
	}
	st := TaskState{
		ExecutorPID:       l.ExecutorPID,
		ExecutorStartTime: l.ExecutorStartTime,
		TaskPID:           l.TaskPID,
		TaskStartTime:     l.TaskStartTime,
		StateDir:          stateDir,
		ExitFile:          exitFile,
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("failed to encode task state: %w", err)
	}
	d.track(cfg.ID, st, l.Exited)
	d.logger.Debug("task started", "task_id", cfg.ID, "pid", st.TaskPID, "executor_pid", st.ExecutorPID)
	return &drivers.TaskHandle{Driver: Name, Config: cfg, State: raw, StartedAt: time.Now()}, nil
}

// RecoverTask re-attaches to a task from its persisted handle. It is a no-op for
// a task already tracked. When the executor is gone without recording an exit
// status, any leftover task processes are killed and an error wrapping
// drivers.ErrTaskNotFound is returned.
func (d *Driver) RecoverTask(h *drivers.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("failed to recover task: missing handle or task config")
	}
	id := h.Config.ID
	d.mu.Lock()
	_, exists := d.tasks[id]
	d.mu.Unlock()
	if exists {
		return nil
	}
	var st TaskState
	if err := json.Unmarshal(h.State, &st); err != nil {
		return fmt.Errorf("failed to decode state of task %q: %w", id, err)
	}
	if _, err := executor.ReadExitState(st.ExitFile); err != nil {
		if !executor.ProcessRunning(st.ExecutorPID, st.ExecutorStartTime) {
			// Check again: the executor may have written the file and exited.
			if _, err := executor.ReadExitState(st.ExitFile); err != nil {
				killGroup(st.TaskPID, st.TaskStartTime, syscall.SIGKILL)
				return fmt.Errorf("failed to recover task %q: executor is gone: %w", id, drivers.ErrTaskNotFound)
			}
		}
	}
	d.track(id, st, nil)
	d.logger.Debug("task recovered", "task_id", id, "pid", st.TaskPID, "executor_pid", st.ExecutorPID)
	return nil
}

// WaitTask returns a channel that yields the task's exit result once, then is
// closed. If ctx ends (or the task is destroyed) first, the channel is closed
// without a value.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (<-chan *drivers.ExitResult, error) {
	h, err := d.get(taskID)
	if err != nil {
		return nil, err
	}
	ch := make(chan *drivers.ExitResult, 1)
	go func() {
		defer close(ch)
		select {
		case <-h.done:
			ch <- h.result
		case <-ctx.Done():
		case <-h.quit:
		}
	}()
	return ch, nil
}

// StopTask sends signal (default SIGTERM) to the task's process group, waits up to
// timeout for the task to exit, then SIGKILLs the group. Stopping a task that has
// already exited succeeds.
func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	h, err := d.get(taskID)
	if err != nil {
		return err
	}
	sig, err := parseSignal(signal, syscall.SIGTERM)
	if err != nil {
		return fmt.Errorf("failed to stop task %q: %w", taskID, err)
	}
	if h.exited() {
		return nil
	}
	killGroup(h.state.TaskPID, h.state.TaskStartTime, sig)
	if h.waitDone(timeout) {
		return nil
	}
	d.logger.Debug("task did not exit in time, killing it", "task_id", taskID, "timeout", timeout)
	killGroup(h.state.TaskPID, h.state.TaskStartTime, syscall.SIGKILL)
	if !h.waitDone(killGrace) {
		return fmt.Errorf("failed to stop task %q: still running %s after SIGKILL", taskID, killGrace)
	}
	return nil
}

// DestroyTask forgets the task and removes its executor state. A running task is
// an error unless force, which kills it first. Leftover processes of the task's
// group are killed. Unknown IDs succeed (idempotent).
func (d *Driver) DestroyTask(taskID string, force bool) error {
	d.mu.Lock()
	h, ok := d.tasks[taskID]
	d.mu.Unlock()
	if !ok {
		return nil
	}
	// check() catches a task that exited since the watcher's last poll.
	if !h.exited() && h.check() == nil {
		if !force {
			return fmt.Errorf("failed to destroy task %q: task is still running", taskID)
		}
		killGroup(h.state.TaskPID, h.state.TaskStartTime, syscall.SIGKILL)
		if !h.waitDone(killGrace) {
			return fmt.Errorf("failed to destroy task %q: still running %s after SIGKILL", taskID, killGrace)
		}
	}
	killGroup(h.state.TaskPID, h.state.TaskStartTime, syscall.SIGKILL)
	if executor.ProcessRunning(h.state.ExecutorPID, h.state.ExecutorStartTime) {
		_ = syscall.Kill(h.state.ExecutorPID, syscall.SIGKILL)
	}
	h.stop()
	d.mu.Lock()
	delete(d.tasks, taskID)
	d.mu.Unlock()
	if err := os.RemoveAll(h.state.StateDir); err != nil {
		d.logger.Warn("failed to remove executor state, files may have leaked", "task_id", taskID, "error", err)
	}
	return nil
}

// SignalTask delivers a signal to the task's main process.
func (d *Driver) SignalTask(taskID string, signal string) error {
	h, err := d.get(taskID)
	if err != nil {
		return err
	}
	sig, err := parseSignal(signal, 0)
	if err != nil || sig == 0 {
		return fmt.Errorf("failed to signal task %q: unknown signal %q", taskID, signal)
	}
	if h.exited() || !executor.ProcessRunning(h.state.TaskPID, h.state.TaskStartTime) {
		return fmt.Errorf("failed to signal task %q: task is not running", taskID)
	}
	if err := syscall.Kill(h.state.TaskPID, sig); err != nil {
		return fmt.Errorf("failed to signal task %q: %w", taskID, err)
	}
	return nil
}

func (d *Driver) get(taskID string) (*taskHandle, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h, ok := d.tasks[taskID]
	if !ok {
		return nil, fmt.Errorf("task %q: %w", taskID, drivers.ErrTaskNotFound)
	}
	return h, nil
}

func (d *Driver) track(id string, st TaskState, exited <-chan struct{}) {
	h := newTaskHandle(id, st, exited, d.cfg.PollInterval, d.logger)
	d.mu.Lock()
	d.tasks[id] = h
	d.mu.Unlock()
	go h.watch()
}

func (d *Driver) stateDir(cfg *drivers.TaskConfig) string {
	if d.cfg.StateDir != "" {
		return filepath.Join(d.cfg.StateDir, cfg.AllocID, cfg.Name)
	}
	if cfg.AllocDir != "" {
		return filepath.Join(cfg.AllocDir, ".executor", cfg.Name)
	}
	return filepath.Join(os.TempDir(), "netnomad-raw_exec", cfg.AllocID, cfg.Name)
}

func (d *Driver) logFileSize(cfg *drivers.TaskConfig) int64 {
	if d.logFileBytes > 0 {
		return d.logFileBytes
	}
	mb := cfg.LogMaxFileSizeMB
	if mb <= 0 {
		mb = defaultLogMaxFileSizeMB
	}
	return int64(mb) * 1024 * 1024
}

// envList renders the task environment as sorted "K=V" entries.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
