package taskrunner

import (
	"context"
	"fmt"
	"time"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/allocrunner/registrar"
	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// serviceRemoveTimeout bounds deregistration when the task exits or stops.
const serviceRemoveTimeout = 10 * time.Second

// taskServicesFailedMsg starts the event of a task whose services could not
// be registered.
const taskServicesFailedMsg = "Failed to register task services"

// serviceHook registers the task's own services (workload = task name) once
// the task runs, updates them in place when the allocation is updated, and
// deregisters them when the task exits (a restart registers them again) or
// stops. Registration retries in the background; a failure is a task event,
// never a task failure.
type serviceHook struct {
	tr  *TaskRunner
	reg *registrar.Registrar
}

var (
	_ interfaces.TaskPoststartHook = (*serviceHook)(nil)
	_ interfaces.TaskExitedHook    = (*serviceHook)(nil)
	_ interfaces.TaskStopHook      = (*serviceHook)(nil)
	_ interfaces.TaskUpdateHook    = (*serviceHook)(nil)
)

func newServiceHook(tr *TaskRunner, handler sr.Handler) *serviceHook {
	h := &serviceHook{tr: tr, reg: registrar.New(registrar.Config{
		Handler: handler,
		Logger:  tr.logger.Named("services"),
		OnFailure: func(err error) {
			ev := newEvent(structs.TaskHookFailed)
			ev.Message = fmt.Sprintf("%s: %v", taskServicesFailedMsg, err)
			tr.EmitEvent(ev)
		},
	})}
	// The agent shutting down leaves the task and its services in place.
	context.AfterFunc(tr.shutdownCtx, h.reg.Stop)
	return h
}

func (*serviceHook) Name() string { return "services" }

// workload is the registration of the task's services for alloc.
func (h *serviceHook) workload(alloc *structs.Allocation, task *structs.Task) *sr.WorkloadServices {
	ns := h.tr.cfg.NetworkStatus()
	return registrar.TaskWorkload(alloc, task, h.tr.cfg.Node(), h.tr.buildEnv(alloc, task, ns), ns)
}

func (h *serviceHook) Poststart(context.Context, *interfaces.TaskPoststartRequest) error {
	h.tr.mu.RLock()
	alloc, task := h.tr.alloc, h.tr.task
	h.tr.mu.RUnlock()
	if w := h.workload(alloc, task); w != nil {
		h.reg.Set(w)
	}
	return nil
}

func (h *serviceHook) Update(_ context.Context, alloc *structs.Allocation) error {
	if !h.reg.Active() || alloc.TerminalStatus() {
		return nil
	}
	h.tr.mu.RLock()
	task := h.tr.task
	h.tr.mu.RUnlock()
	if w := h.workload(alloc, task); w != nil {
		h.reg.Set(w)
		return nil
	}
	return h.remove()
}

func (h *serviceHook) Exited(context.Context, *interfaces.TaskExitedRequest) error { return h.remove() }

func (h *serviceHook) Stop(context.Context) error { return h.remove() }

func (h *serviceHook) remove() error {
	ctx, cancel := context.WithTimeout(context.Background(), serviceRemoveTimeout)
	defer cancel()
	return h.reg.Remove(ctx, nil)
}
