package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/allocrunner/taskrunner"
	"github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/client/serviceregistration/watcher"
	"github.com/netnomad/netnomad/nomad/structs"
)

// groupCheckRestartHook watches the checks with a check_restart of group
// services that name no task (neither the check's nor the service's `task`).
// As in Nomad, such a check restarts every running task of the allocation
// (the alloc runner's restart of running tasks, counted by each task's restart
// policy). Checks that name a task restart only that task and are watched by
// its task runner.
type groupCheckRestartHook struct {
	watcher  taskrunner.CheckWatcher
	ar       *AllocRunner
	key      string
	workload func(*structs.Allocation) *serviceregistration.WorkloadServices
}

var (
	_ interfaces.RunnerPrerunHook  = (*groupCheckRestartHook)(nil)
	_ interfaces.RunnerUpdateHook  = (*groupCheckRestartHook)(nil)
	_ interfaces.RunnerPreKillHook = (*groupCheckRestartHook)(nil)
	_ interfaces.RunnerPostrunHook = (*groupCheckRestartHook)(nil)
	_ interfaces.ShutdownHook      = (*groupCheckRestartHook)(nil)
	_ watcher.Restarter            = allocRestarter{}
)

func newGroupCheckRestartHook(ar *AllocRunner, w taskrunner.CheckWatcher) *groupCheckRestartHook {
	return &groupCheckRestartHook{watcher: w, ar: ar, key: ar.id + "/" + serviceregistration.GroupWorkloadName(ar.alloc.TaskGroup), workload: ar.groupWorkload}
}

func (*groupCheckRestartHook) Name() string { return "group_check_restart" }

func (h *groupCheckRestartHook) watch(alloc *structs.Allocation) {
	if h.watcher == nil {
		return
	}
	checks := watcher.ChecksOf(h.workload(alloc), func(svc *structs.Service, c *structs.ServiceCheck) bool {
		return watcher.CheckTask(svc, c) == ""
	})
	h.watcher.Watch(h.key, checks, allocRestarter{h.ar})
}

func (h *groupCheckRestartHook) unwatch() {
	if h.watcher != nil {
		h.watcher.Unwatch(h.key)
	}
}

// Prerun watches the checks; grace runs from the tasks' starts, so watching
// before they run is harmless.
func (h *groupCheckRestartHook) Prerun() error {
	h.ar.mu.RLock()
	alloc := h.ar.alloc
	h.ar.mu.RUnlock()
	h.watch(alloc)
	return nil
}

// Update watches the checks of the new version, unless it is stopping.
func (h *groupCheckRestartHook) Update(req *interfaces.RunnerUpdateRequest) error {
	if req.Alloc.TerminalStatus() {
		h.unwatch()
		return nil
	}
	h.watch(req.Alloc)
	return nil
}

// PreKill stops watching before the tasks are killed.
func (h *groupCheckRestartHook) PreKill() { h.unwatch() }

// Postrun stops watching once the tasks are dead.
func (h *groupCheckRestartHook) Postrun() error {
	h.unwatch()
	return nil
}

// Shutdown stops watching; the next agent watches again.
func (h *groupCheckRestartHook) Shutdown() { h.unwatch() }

// allocRestarter restarts every running task of the allocation: it is the
// restarter of group checks that name no task.
type allocRestarter struct{ ar *AllocRunner }

// Restart restarts the running tasks, each with its own copy of event.
func (r allocRestarter) Restart(ctx context.Context, event *structs.TaskEvent, failure bool) error {
	var errs []error
	for _, name := range r.ar.taskOrder {
		tr := r.ar.tasks[name]
		if tr.RunningSince().IsZero() {
			continue
		}
		ev := *event
		if err := tr.Restart(ctx, &ev, failure); err != nil {
			errs = append(errs, fmt.Errorf("failed to restart task %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// RunningSince is the latest (re)start of a running task: a restart of any
// task gives the group's checks a new grace period.
func (r allocRestarter) RunningSince() time.Time {
	var latest time.Time
	for _, tr := range r.ar.tasks {
		if s := tr.RunningSince(); s.After(latest) {
			latest = s
		}
	}
	return latest
}
