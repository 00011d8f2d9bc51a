// Package taskrunner runs one task of an allocation through its lifecycle:
// prestart hooks, driver start, wait, restarts per the restart policy, kill.
package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocdir"
	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/allocrunner/taskrunner/restarts"
	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/client/state"
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// DefaultKillTimeout is used when a task sets no kill_timeout (Nomad's default).
const DefaultKillTimeout = 5 * time.Second

// ErrTaskNotRunning is returned by Restart and Signal when no task is running.
var ErrTaskNotRunning = errors.New("Task not running")

// TaskStateHandler is told whenever a task's state changed. It must not block.
type TaskStateHandler interface {
	TaskStateUpdated()
}

// Config is what a TaskRunner needs.
type Config struct {
	Alloc   *structs.Allocation
	Task    *structs.Task
	TaskDir *allocdir.TaskDir
	// AllocDir is <alloc_dir root>/<alloc_id>.
	AllocDir string
	Logger   hclog.Logger
	Region   string
	// Node returns the current node (for ${attr.*}, ${node.*} and NOMAD_DC...).
	Node func() *structs.Node
	// Driver runs the task; nil when the task's driver is not enabled here.
	Driver         drivers.Driver
	MaxKillTimeout time.Duration
	StateDB        state.StateDB
	StateUpdater   TaskStateHandler
	// NetworkStatus returns the allocation's network status (nil in host mode).
	NetworkStatus func() *structs.AllocNetworkStatus
	// HostEnv is the agent's environment (already filtered) that tasks inherit
	// beneath their NOMAD_* and env block variables.
	HostEnv map[string]string

	// ServiceRegistration registers the task's own services and, when it
	// implements TTLUpdater, receives the results of script checks; nil
	// disables both.
	ServiceRegistration serviceregistration.Handler
	// Consul is the agent's consul block (gRPC address, token, TLS) used to
	// bootstrap Connect sidecars; nil means the defaults and no token.
	Consul *config.ConsulConfig
	// ConsulServices tells whether the local Consul agent knows a service: the
	// envoy bootstrap hook waits on it for the sidecar's registration. Nil
	// skips the wait.
	ConsulServices ServiceLookup
	// CheckWatcher restarts the task when a check with check_restart stays
	// unhealthy; nil disables check_restart.
	CheckWatcher CheckWatcher
}

// TaskRunner runs one task. Create it with NewTaskRunner, optionally Restore,
// then Run it in a goroutine. Kill, Restart, Update and TaskState may be called
// concurrently with Run.
type TaskRunner struct {
	cfg      Config
	allocID  string
	taskName string
	taskID   string
	logger   hclog.Logger
	driver   drivers.Driver

	mu         sync.RWMutex
	alloc      *structs.Allocation
	task       *structs.Task
	state      *structs.TaskState
	localState *state.LocalState
	launched   bool
	// runningSince is when the task last started running; zero while not.
	runningSince time.Time

	restartTracker *restarts.Tracker
	hooks          []interfaces.TaskHook

	// killCtx is cancelled when the task must die for good.
	killCtx    context.Context
	killCancel context.CancelFunc
	killOnce   sync.Once
	killErr    error

	// shutdownCtx is cancelled when the agent shuts down: Run returns and the task
	// keeps running.
	shutdownCtx    context.Context
	shutdownCancel context.CancelFunc

	waitCh chan struct{}
}

// NewTaskRunner returns a runner with a fresh "pending" state carrying a
// Received event.
func NewTaskRunner(cfg Config) (*TaskRunner, error) {
	if cfg.Alloc == nil || cfg.Task == nil || cfg.TaskDir == nil {
		return nil, fmt.Errorf("task runner needs an alloc, a task and a task dir")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Node == nil {
		cfg.Node = func() *structs.Node { return &structs.Node{} }
	}
	if cfg.NetworkStatus == nil {
		cfg.NetworkStatus = func() *structs.AllocNetworkStatus { return nil }
	}
	tg := cfg.Alloc.LookupTaskGroup()
	var policy *structs.RestartPolicy
	if cfg.Task.RestartPolicy != nil {
		policy = cfg.Task.RestartPolicy
	} else if tg != nil {
		policy = tg.RestartPolicy
	}
	jobType := ""
	if cfg.Alloc.Job != nil {
		jobType = cfg.Alloc.Job.Type
	}
	tr := &TaskRunner{
		cfg:            cfg,
		allocID:        cfg.Alloc.ID,
		taskName:       cfg.Task.Name,
		taskID:         cfg.Alloc.ID + "/" + cfg.Task.Name,
		logger:         cfg.Logger.Named("task_runner").With("task", cfg.Task.Name),
		driver:         cfg.Driver,
		alloc:          cfg.Alloc,
		task:           cfg.Task,
		state:          &structs.TaskState{State: structs.TaskStatePending},
		localState:     &state.LocalState{},
		restartTracker: restarts.NewTracker(policy, jobType),
		waitCh:         make(chan struct{}),
	}
	tr.killCtx, tr.killCancel = context.WithCancel(context.Background())
	tr.shutdownCtx, tr.shutdownCancel = context.WithCancel(context.Background())
	received := newEvent(structs.TaskReceived)
	received.DisplayMessage = displayMessage(received)
	tr.state.Events = append(tr.state.Events, received)
	tr.initHooks()
	return tr, nil
}

// Restore loads the task's persisted state and driver handle. Call it before Run.
func (tr *TaskRunner) Restore() error {
	ls, ts, err := tr.cfg.StateDB.GetTaskRunnerState(tr.allocID, tr.taskName)
	if err != nil {
		return err
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if ls != nil {
		tr.localState = ls
	}
	if ts != nil {
		tr.state = ts
	}
	return nil
}

// Name returns the task's name.
func (tr *TaskRunner) Name() string { return tr.taskName }

// Task returns the task definition.
func (tr *TaskRunner) Task() *structs.Task {
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	return tr.task
}

// IsLeader reports whether the task is the group's leader.
func (tr *TaskRunner) IsLeader() bool { return tr.Task().Leader }

// WaitCh is closed when Run returns.
func (tr *TaskRunner) WaitCh() <-chan struct{} { return tr.waitCh }

// Launched reports whether Run was called.
func (tr *TaskRunner) Launched() bool {
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	return tr.launched
}

// Shutdown makes Run return without killing the task (agent shutdown) and waits
// for it.
func (tr *TaskRunner) Shutdown() {
	tr.shutdownCancel()
	if tr.Launched() {
		<-tr.waitCh
	}
}

// Update hands the runner a new version of the allocation.
func (tr *TaskRunner) Update(alloc *structs.Allocation) {
	tr.mu.Lock()
	tr.alloc = alloc
	if tg := alloc.LookupTaskGroup(); tg != nil {
		if t := tg.LookupTask(tr.taskName); t != nil {
			tr.task = t
			if t.RestartPolicy != nil {
				tr.restartTracker.SetPolicy(t.RestartPolicy)
			} else {
				tr.restartTracker.SetPolicy(tg.RestartPolicy)
			}
		}
	}
	tr.mu.Unlock()
	for _, h := range tr.hooks {
		if uh, ok := h.(interfaces.TaskUpdateHook); ok {
			if err := uh.Update(tr.killCtx, alloc); err != nil {
				tr.logger.Warn("update hook failed", "hook", h.Name(), "error", err)
			}
		}
	}
}

// killTimeout is the task's kill_timeout, defaulted and capped.
func (tr *TaskRunner) killTimeout() time.Duration {
	kt := tr.Task().KillTimeout
	if kt <= 0 {
		kt = DefaultKillTimeout
	}
	if tr.cfg.MaxKillTimeout > 0 && kt > tr.cfg.MaxKillTimeout {
		kt = tr.cfg.MaxKillTimeout
	}
	return kt
}
