// Package allocrunner runs one allocation on the client: its hooks (alloc dir,
// network), its task runners in lifecycle order, and the allocation's client
// status derived from its tasks.
package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocdir"
	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/allocrunner/taskrunner"
	"github.com/netnomad/netnomad/client/config"
	"github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/client/state"
	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

// AllocStateHandler receives the allocation's client view whenever it changes.
// It must not block (the client batches updates to the servers).
type AllocStateHandler interface {
	AllocStateUpdated(alloc *structs.Allocation)
}

// Config is what an AllocRunner needs.
type Config struct {
	Alloc  *structs.Allocation
	Logger hclog.Logger
	// AllocRoot is the client's alloc dir; the allocation lives in <AllocRoot>/<id>.
	AllocRoot           string
	Region              string
	Node                func() *structs.Node
	Drivers             map[string]drivers.Driver
	MaxKillTimeout      time.Duration
	StateDB             state.StateDB
	StateUpdater        AllocStateHandler
	NetworkConfigurator interfaces.NetworkConfigurator
	// HostEnv is the agent's filtered environment tasks inherit.
	HostEnv map[string]string

	// ServiceRegistration registers group and task services; nil means no
	// service discovery provider.
	ServiceRegistration serviceregistration.Handler
	// Consul is the agent's consul block: the gRPC socket proxy's target and
	// the sidecars' bootstrap settings. Nil means the defaults.
	Consul *config.ConsulConfig
	// ConsulServices lets Connect sidecars wait for their registration; nil
	// skips the wait.
	ConsulServices taskrunner.ServiceLookup
	// CheckWatcher restarts tasks whose checks with a check_restart stay
	// unhealthy; nil disables check_restart.
	CheckWatcher taskrunner.CheckWatcher
}

// AllocRunner runs one allocation. Create it with NewAllocRunner, optionally
// Restore, then Run it in a goroutine. Update, Destroy, Shutdown, Alloc and
// Restart* may be called concurrently with Run.
type AllocRunner struct {
	cfg    Config
	id     string
	logger hclog.Logger

	mu            sync.RWMutex
	alloc         *structs.Allocation
	networkStatus *structs.AllocNetworkStatus

	allocDir *allocdir.AllocDir
	hooks    []interfaces.RunnerHook
	// tasks holds every task runner; order is the group's task order.
	tasks     map[string]*taskrunner.TaskRunner
	taskOrder []string

	// taskStateUpdatedCh / coordinatorCh are poked (never block) when any task
	// state changes: one drives the client status, the other the lifecycle.
	taskStateUpdatedCh chan struct{}
	coordinatorCh      chan struct{}

	// destroying is set when the allocation is being destroyed: poststop tasks
	// are then killed too instead of being run.
	destroying bool

	updateCh     chan *structs.Allocation
	shutdownCh   chan struct{}
	shutdownOnce sync.Once
	// killCh is closed when the allocation's tasks are told to stop (it was
	// stopped or is being destroyed): a setup waiting to be retried gives up.
	killCh      chan struct{}
	killOnce    sync.Once
	waitCh      chan struct{}
	destroyCh   chan struct{}
	destroyOnce sync.Once
	runLaunched bool

	lastSent *structs.Allocation
}

// NewAllocRunner builds the runner, its alloc dir description, its task runners
// and its hooks. Nothing is created on disk until Run.
func NewAllocRunner(cfg Config) (*AllocRunner, error) {
	alloc := cfg.Alloc
	tg := alloc.LookupTaskGroup()
	if tg == nil {
		return nil, fmt.Errorf("failed to find task group %q in allocation %q", alloc.TaskGroup, alloc.ID)
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Node == nil {
		cfg.Node = func() *structs.Node { return &structs.Node{} }
	}
	ar := &AllocRunner{
		cfg:                cfg,
		id:                 alloc.ID,
		logger:             cfg.Logger.Named("alloc_runner").With("alloc_id", alloc.ID),
		alloc:              alloc,
		allocDir:           allocdir.NewAllocDir(cfg.AllocRoot, alloc.ID),
		tasks:              map[string]*taskrunner.TaskRunner{},
		taskStateUpdatedCh: make(chan struct{}, 1),
		coordinatorCh:      make(chan struct{}, 1),
		updateCh:           make(chan *structs.Allocation, 16),
		shutdownCh:         make(chan struct{}),
		killCh:             make(chan struct{}),
		waitCh:             make(chan struct{}),
		destroyCh:          make(chan struct{}),
	}
	for _, task := range tg.Tasks {
		tr, err := taskrunner.NewTaskRunner(taskrunner.Config{
			Alloc:          alloc,
			Task:           task,
			TaskDir:        ar.allocDir.NewTaskDir(task.Name),
			AllocDir:       ar.allocDir.AllocDir,
			Logger:         ar.logger,
			Region:         cfg.Region,
			Node:           cfg.Node,
			Driver:         cfg.Drivers[task.Driver],
			MaxKillTimeout: cfg.MaxKillTimeout,
			StateDB:        cfg.StateDB,
			StateUpdater:   ar,
			NetworkStatus:  ar.NetworkStatus,
			HostEnv:        cfg.HostEnv,

			ServiceRegistration: cfg.ServiceRegistration,
			Consul:              cfg.Consul,
			ConsulServices:      cfg.ConsulServices,
			CheckWatcher:        cfg.CheckWatcher,
		})
		if err != nil {
			return nil, fmt.Errorf("failed to create task runner for task %q: %w", task.Name, err)
		}
		ar.tasks[task.Name] = tr
		ar.taskOrder = append(ar.taskOrder, task.Name)
	}
	ar.initHooks()
	return ar, nil
}

// Restore loads persisted task and network state. Call it before Run.
func (ar *AllocRunner) Restore() error {
	ns, err := ar.cfg.StateDB.GetNetworkStatus(ar.id)
	if err != nil {
		return err
	}
	ar.mu.Lock()
	ar.networkStatus = ns
	ar.mu.Unlock()
	for _, name := range ar.taskOrder {
		if err := ar.tasks[name].Restore(); err != nil {
			return fmt.Errorf("failed to restore task %q: %w", name, err)
		}
	}
	return nil
}

// ID returns the allocation ID.
func (ar *AllocRunner) ID() string { return ar.id }

// AllocDir returns the allocation directory.
func (ar *AllocRunner) AllocDir() *allocdir.AllocDir { return ar.allocDir }

// NetworkStatus returns what the network hook made (nil in host mode).
func (ar *AllocRunner) NetworkStatus() *structs.AllocNetworkStatus {
	ar.mu.RLock()
	defer ar.mu.RUnlock()
	return ar.networkStatus
}

// setNetworkStatus is the network hook's one-method shim into the runner.
func (ar *AllocRunner) setNetworkStatus(s *structs.AllocNetworkStatus) {
	ar.mu.Lock()
	ar.networkStatus = s
	ar.mu.Unlock()
	ar.TaskStateUpdated()
}

// WaitCh is closed when Run returns (all tasks dead, postrun done; or shutdown).
func (ar *AllocRunner) WaitCh() <-chan struct{} { return ar.waitCh }

// DestroyCh is closed when Destroy finished.
func (ar *AllocRunner) DestroyCh() <-chan struct{} { return ar.destroyCh }

// Alloc returns the allocation as this client sees it: the server's version with
// ClientStatus, ClientDescription, TaskStates and NetworkStatus from the runner.
func (ar *AllocRunner) Alloc() *structs.Allocation {
	ar.mu.RLock()
	a := ar.alloc.CopySkipJob()
	a.NetworkStatus = ar.networkStatus
	ar.mu.RUnlock()

	a.TaskStates = make(map[string]*structs.TaskState, len(ar.tasks))
	for name, tr := range ar.tasks {
		a.TaskStates[name] = tr.TaskState()
	}
	a.ClientStatus, a.ClientDescription = getClientStatus(a.TaskStates)
	return a
}

// TaskStateUpdated implements taskrunner.TaskStateHandler.
func (ar *AllocRunner) TaskStateUpdated() {
	for _, ch := range []chan struct{}{ar.taskStateUpdatedCh, ar.coordinatorCh} {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Run runs the allocation until its tasks are dead, then its postrun hooks. It
// is called once.
func (ar *AllocRunner) Run() {
	ar.mu.Lock()
	ar.runLaunched = true
	ar.mu.Unlock()
	defer close(ar.waitCh)

	stateDone, stateExited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stateExited)
		ar.handleTaskStateUpdates(stateDone)
	}()
	// Report the initial (or restored) state at once.
	ar.TaskStateUpdated()
	go ar.handleAllocUpdates()
	defer func() {
		// The final client view is handed over before WaitCh closes.
		close(stateDone)
		<-stateExited
	}()

	if ar.Alloc().TerminalStatus() && !ar.anyTaskRunning() {
		// Nothing to start: a stopped allocation restored after a restart, or
		// one that was told to stop before it ran.
		ar.markUnstartedDead()
		ar.postrun()
		return
	}
	if err := ar.prerun(); err != nil {
		if errors.Is(err, errAgentShutdown) {
			return // the next agent sets the allocation up
		}
		ar.logger.Error("prerun failed", "error", err)
		for _, name := range ar.taskOrder {
			ar.tasks[name].MarkFailedDead(fmt.Sprintf("failed to setup alloc: %v", err))
		}
		ar.postrun()
		return
	}
	if shutdown := ar.runTasks(); shutdown && ar.anyTaskRunning() {
		// The agent is stopping and tasks keep running: leave the network and
		// services in place for the next agent to re-attach to.
		return
	}
	// Every task is dead, even if the agent is stopping right now: tear down
	// so that a stopped allocation leaves nothing behind.
	ar.postrun()
}

// anyTaskRunning reports whether any task is running (e.g. restored running,
// and must be re-attached to before it can be stopped).
func (ar *AllocRunner) anyTaskRunning() bool {
	for _, tr := range ar.tasks {
		if tr.TaskState().State == structs.TaskStateRunning {
			return true
		}
	}
	return false
}

// anyTaskAlive reports whether any task is not dead.
func (ar *AllocRunner) anyTaskAlive() bool {
	for _, tr := range ar.tasks {
		if tr.TaskState().State != structs.TaskStateDead {
			return true
		}
	}
	return false
}

// Shutdown stops the runner without stopping the allocation's tasks (agent
// shutdown). It blocks until Run returned.
func (ar *AllocRunner) Shutdown() {
	ar.shutdownOnce.Do(func() { close(ar.shutdownCh) })
	for _, tr := range ar.tasks {
		tr.Shutdown()
	}
	for _, h := range ar.hooks {
		if sh, ok := h.(interfaces.ShutdownHook); ok {
			sh.Shutdown()
		}
	}
	ar.mu.RLock()
	launched := ar.runLaunched
	ar.mu.RUnlock()
	if launched {
		<-ar.waitCh
	}
}

func (ar *AllocRunner) isShutdown() bool {
	select {
	case <-ar.shutdownCh:
		return true
	default:
		return false
	}
}

// Update hands the runner a new version of the allocation from the servers.
// Updates are applied in order on a separate goroutine; a desired status of stop
// or evict kills the tasks.
func (ar *AllocRunner) Update(alloc *structs.Allocation) {
	select {
	case ar.updateCh <- alloc:
	case <-ar.shutdownCh:
	}
}

func (ar *AllocRunner) handleAllocUpdates() {
	for {
		select {
		case alloc := <-ar.updateCh:
			ar.applyUpdate(alloc)
		case <-ar.shutdownCh:
			return
		case <-ar.destroyCh:
			return
		}
	}
}

func (ar *AllocRunner) applyUpdate(alloc *structs.Allocation) {
	ar.mu.Lock()
	// Keep the client-side view; take the server's desired state and job.
	ar.alloc = alloc.CopySkipJob()
	ar.alloc.Job = alloc.Job
	ar.mu.Unlock()

	for _, h := range ar.hooks {
		if uh, ok := h.(interfaces.RunnerUpdateHook); ok {
			if err := uh.Update(&interfaces.RunnerUpdateRequest{Alloc: alloc}); err != nil {
				ar.logger.Error("update hook failed", "hook", h.Name(), "error", err)
			}
		}
	}
	for _, tr := range ar.tasks {
		tr.Update(alloc)
	}
	if alloc.TerminalStatus() {
		ar.killTasks(killingEvent, false, true)
	}
	ar.TaskStateUpdated()
}

// Destroy kills every task (poststop included), waits for Run, runs the destroy
// hooks (removing the alloc dir) and deletes the persisted state. It returns at
// once; DestroyCh is closed when done. Idempotent.
func (ar *AllocRunner) Destroy() {
	ar.destroyOnce.Do(func() {
		go func() {
			ar.killTasks(killingEvent, true, true)
			ar.mu.RLock()
			launched := ar.runLaunched
			ar.mu.RUnlock()
			if launched {
				<-ar.waitCh
			}
			ar.destroy()
			if err := ar.cfg.StateDB.DeleteAllocationBucket(ar.id); err != nil {
				ar.logger.Error("failed to delete alloc state", "error", err)
			}
			close(ar.destroyCh)
		}()
	})
}

// IsDestroyed reports whether Destroy finished.
func (ar *AllocRunner) IsDestroyed() bool {
	select {
	case <-ar.destroyCh:
		return true
	default:
		return false
	}
}

// IsDone reports whether Run returned.
func (ar *AllocRunner) IsDone() bool {
	select {
	case <-ar.waitCh:
		return true
	default:
		return false
	}
}

// RestartTask restarts one running task; a user restart does not count against
// the restart policy.
func (ar *AllocRunner) RestartTask(name string, event *structs.TaskEvent) error {
	tr, ok := ar.tasks[name]
	if !ok {
		return fmt.Errorf("Could not find task runner for task: %s: %w", name, structs.ErrNotFound)
	}
	return tr.Restart(context.Background(), event, false)
}

// RestartAll restarts every running task.
func (ar *AllocRunner) RestartAll(event *structs.TaskEvent) error {
	var errs []error
	for _, name := range ar.taskOrder {
		tr := ar.tasks[name]
		if tr.TaskState().State != structs.TaskStateRunning {
			continue
		}
		ev := *event
		if err := tr.Restart(context.Background(), &ev, false); err != nil {
			errs = append(errs, fmt.Errorf("failed to restart task %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
