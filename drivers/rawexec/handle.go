package rawexec

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/drivers/shared/executor"
)

// TaskState is the driver's part of the persisted TaskHandle (TaskHandle.State).
// Start times are /proc/<pid>/stat starttime values, so a recycled PID is never
// mistaken for the task or its executor.
type TaskState struct {
	ExecutorPID       int    `json:"executor_pid"`
	ExecutorStartTime uint64 `json:"executor_start_time"`
	TaskPID           int    `json:"task_pid"`
	TaskStartTime     uint64 `json:"task_start_time"`
	StateDir          string `json:"state_dir"`
	ExitFile          string `json:"exit_file"`
}

// taskHandle tracks one task in this agent process. A watcher goroutine polls the
// exit file (and reacts at once when this process reaps the executor) until the
// result is known, then closes done.
type taskHandle struct {
	id     string
	state  TaskState
	logger hclog.Logger

	reaped <-chan struct{} // nil after recovery
	poll   time.Duration

	done   chan struct{}
	result *drivers.ExitResult

	stopOnce sync.Once
	quit     chan struct{}
}

func newTaskHandle(id string, st TaskState, reaped <-chan struct{}, poll time.Duration, logger hclog.Logger) *taskHandle {
	return &taskHandle{
		id:     id,
		state:  st,
		logger: logger.With("task_id", id),
		reaped: reaped,
		poll:   poll,
		done:   make(chan struct{}),
		quit:   make(chan struct{}),
	}
}

func (h *taskHandle) watch() {
	ticker := time.NewTicker(h.poll)
	defer ticker.Stop()
	for {
		if res := h.check(); res != nil {
			h.result = res
			close(h.done)
			return
		}
		select {
		case <-ticker.C:
		case <-h.reaped:
			h.reaped = nil
		case <-h.quit:
			return
		}
	}
}

// check returns the exit result once it is known, or nil while the task runs.
func (h *taskHandle) check() *drivers.ExitResult {
	st, err := executor.ReadExitState(h.state.ExitFile)
	if errors.Is(err, os.ErrNotExist) {
		if executor.ProcessRunning(h.state.ExecutorPID, h.state.ExecutorStartTime) {
			return nil
		}
		st, err = executor.ReadExitState(h.state.ExitFile)
		if errors.Is(err, os.ErrNotExist) {
			h.logger.Warn("executor exited without recording the task's exit status")
			killGroup(h.state.TaskPID, h.state.TaskStartTime, syscall.SIGKILL)
			return &drivers.ExitResult{ExitCode: -1, Err: errors.New("executor exited without recording the task's exit status")}
		}
	}
	if err != nil {
		return &drivers.ExitResult{ExitCode: -1, Err: err}
	}
	res := &drivers.ExitResult{ExitCode: st.ExitCode, Signal: st.Signal}
	if st.Error != "" {
		res.Err = fmt.Errorf("failed to wait for task: %s", st.Error)
	}
	return res
}

func (h *taskHandle) exited() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

func (h *taskHandle) waitDone(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-h.done:
		return true
	case <-t.C:
		return false
	}
}

func (h *taskHandle) stop() {
	h.stopOnce.Do(func() { close(h.quit) })
}

// killGroup signals the task's process group (its PGID is the task's PID). It
// does nothing when the PID now belongs to another process. A PID number stays
// reserved while any member of its group lives, so when the leader is gone the
// group can still be signalled safely.
func killGroup(pid int, startTime uint64, sig syscall.Signal) {
	if pid <= 0 {
		return
	}
	if cur, err := executor.ProcStartTime(pid); err == nil && startTime != 0 && cur != startTime {
		return
	}
	_ = syscall.Kill(-pid, sig)
}
