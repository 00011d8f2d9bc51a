// Package drivers defines the contract between the client's task runner and the
// task drivers (raw_exec now; exec and docker later).
package drivers

import (
	"context"
	"encoding/json"
	"time"
)

// TaskConfig is everything a driver needs to start one task. The task runner has
// already interpolated Env and Config (${NOMAD_*}, ${attr.*}, ...).
type TaskConfig struct {
	// ID identifies the task to the driver: "<alloc_id>/<task>".
	ID            string
	AllocID       string
	Name          string
	JobName       string
	TaskGroupName string
	User          string
	Env           map[string]string
	// Config is the task's driver config block (e.g. command, args).
	Config map[string]any
	// AllocDir is the allocation directory; TaskDir is <AllocDir>/<task>, the
	// working directory of the task.
	AllocDir string
	TaskDir  string
	// StdoutPath/StderrPath name the first log file; the driver rotates
	// <base>.0, <base>.1, ... keeping LogMaxFiles files of LogMaxFileSizeMB each.
	// They live in <AllocDir>/alloc/logs as <task>.stdout.N / <task>.stderr.N.
	LogDir           string
	LogMaxFiles      int
	LogMaxFileSizeMB int
	// NetnsPath is the group's network namespace (bind-mounted file); empty means
	// the host's network.
	NetnsPath string
	CPU       int
	MemoryMB  int
}

// TaskHandle is what the client persists to re-attach to a running task after an
// agent restart. State is opaque to everyone but the driver that made it.
type TaskHandle struct {
	Driver    string
	Config    *TaskConfig
	State     json.RawMessage
	StartedAt time.Time
}

// ExitResult is how a task ended.
type ExitResult struct {
	ExitCode int
	Signal   int
	// Err is set when the driver lost track of the task (e.g. its state vanished).
	Err error
}

// Successful reports a zero exit without signal or error.
func (r *ExitResult) Successful() bool {
	return r != nil && r.ExitCode == 0 && r.Signal == 0 && r.Err == nil
}

// Fingerprint is what a driver reports about itself on this node.
type Fingerprint struct {
	Detected          bool
	Healthy           bool
	HealthDescription string
	// Attributes become node attributes prefixed "driver.<name>." (plus
	// "driver.<name>" = "1" when detected).
	Attributes map[string]string
}

// Driver runs tasks. All methods may be called concurrently for different tasks.
type Driver interface {
	Name() string
	Fingerprint(ctx context.Context) *Fingerprint
	// StartTask starts the task and returns a handle to persist. The task must keep
	// running if the agent exits.
	StartTask(cfg *TaskConfig) (*TaskHandle, error)
	// RecoverTask re-attaches to a task started by an earlier agent process. It
	// returns an error wrapping ErrTaskNotFound when the task is gone.
	RecoverTask(h *TaskHandle) error
	// WaitTask returns a channel that yields exactly one result when the task exits.
	WaitTask(ctx context.Context, taskID string) (<-chan *ExitResult, error)
	// StopTask sends signal (default SIGTERM), waits up to timeout, then kills.
	StopTask(taskID string, timeout time.Duration, signal string) error
	// DestroyTask releases everything the driver holds for the task; with force it
	// kills a task still running first. Idempotent.
	DestroyTask(taskID string, force bool) error
	// SignalTask delivers a signal ("SIGHUP", ...) to the task.
	SignalTask(taskID string, signal string) error
}
