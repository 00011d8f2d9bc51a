package taskrunner

import (
	"context"
	"time"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/allocrunner/registrar"
	"github.com/netnomad/netnomad/client/serviceregistration/watcher"
	"github.com/netnomad/netnomad/nomad/structs"
)

// CheckWatcher restarts workloads whose checks stay unhealthy
// (check_restart); *watcher.Watcher implements it.
type CheckWatcher interface {
	// Watch replaces the watched checks of the workload key.
	Watch(key string, checks []watcher.Check, r watcher.Restarter)
	// Unwatch stops watching the workload key.
	Unwatch(key string)
}

var _ CheckWatcher = (*watcher.Watcher)(nil)

// checkRestartHook hands the watcher the checks with a check_restart that
// restart this task: those of its own services, and those of group services
// whose check (or service) names it with `task`. The task runner is the
// restarter, so a restart goes through its restart policy, and the grace
// period runs from each (re)start (RunningSince).
type checkRestartHook struct {
	tr      *TaskRunner
	watcher CheckWatcher
	key     string
}

var (
	_ interfaces.TaskPoststartHook = (*checkRestartHook)(nil)
	_ interfaces.TaskUpdateHook    = (*checkRestartHook)(nil)
	_ interfaces.TaskStopHook      = (*checkRestartHook)(nil)
	_ watcher.Restarter            = (*TaskRunner)(nil)
)

func newCheckRestartHook(tr *TaskRunner, w CheckWatcher) *checkRestartHook {
	h := &checkRestartHook{tr: tr, watcher: w, key: tr.allocID + "/" + tr.taskName}
	// An agent shutting down stops watching; the next agent watches again.
	context.AfterFunc(tr.shutdownCtx, func() { w.Unwatch(h.key) })
	return h
}

func (*checkRestartHook) Name() string { return "check_restart" }

// checks returns the checks that restart this task, for alloc.
func (h *checkRestartHook) checks(alloc *structs.Allocation, task *structs.Task) []watcher.Check {
	ns := h.tr.cfg.NetworkStatus()
	node := h.tr.cfg.Node()
	group := registrar.GroupWorkload(alloc, node, h.tr.cfg.Region, ns)
	out := watcher.ChecksOf(group, func(svc *structs.Service, c *structs.ServiceCheck) bool {
		return watcher.CheckTask(svc, c) == task.Name
	})
	own := registrar.TaskWorkload(alloc, task, node, h.tr.buildEnv(alloc, task, ns), ns)
	return append(out, watcher.ChecksOf(own, nil)...)
}

func (h *checkRestartHook) watch(alloc *structs.Allocation) {
	h.tr.mu.RLock()
	task := h.tr.task
	h.tr.mu.RUnlock()
	h.watcher.Watch(h.key, h.checks(alloc, task), h.tr)
}

// Poststart watches the task's checks (again after a restart: the
// definitions may have changed with an update).
func (h *checkRestartHook) Poststart(context.Context, *interfaces.TaskPoststartRequest) error {
	h.tr.mu.RLock()
	alloc := h.tr.alloc
	h.tr.mu.RUnlock()
	h.watch(alloc)
	return nil
}

// Update watches the checks of the new version while the task runs.
func (h *checkRestartHook) Update(_ context.Context, alloc *structs.Allocation) error {
	if alloc.TerminalStatus() || h.tr.RunningSince().IsZero() {
		return nil
	}
	h.watch(alloc)
	return nil
}

// Stop stops watching for good.
func (h *checkRestartHook) Stop(context.Context) error {
	h.watcher.Unwatch(h.key)
	return nil
}

// RunningSince returns when the task last started running (or was
// re-attached to after an agent restart), zero while it is not running.
func (tr *TaskRunner) RunningSince() time.Time {
	tr.mu.RLock()
	defer tr.mu.RUnlock()
	return tr.runningSince
}
