package allocrunner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/allocrunner/registrar"
	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Timings of the group services hook.
var (
	// groupServicesFirstWait is how long Prerun waits for the first
	// registration attempt before letting the tasks start anyway (the attempt
	// and its retries go on in the background).
	groupServicesFirstWait = 3 * time.Second
	// groupServicesRemoveTimeout bounds deregistration after the tasks died;
	// groupServicesPreKillTimeout bounds the attempt before they are killed,
	// which delays the kill (Postrun tries again when it failed).
	groupServicesRemoveTimeout  = 10 * time.Second
	groupServicesPreKillTimeout = 2 * time.Second
)

// groupServicesFailedMsg starts the task event recorded when the group's
// services could not be registered.
const groupServicesFailedMsg = "Failed to register group services"

// groupServiceHook registers the group's services (workload "group-<group>")
// with the service registration handler once the network is up, keeps them
// in step with in-place updates of the allocation, and deregisters them before
// the tasks are killed and again after they are dead. A provider that is down
// never fails the allocation: registration is retried in the background and
// every task gets a "Task hook failed" event saying so.
type groupServiceHook struct {
	logger  hclog.Logger
	handler sr.Handler
	reg     *registrar.Registrar
	// workload builds the registration of an allocation version.
	workload func(*structs.Allocation) *sr.WorkloadServices

	mu      sync.Mutex
	alloc   *structs.Allocation
	started bool
	// removed is set once the services were deregistered, until the next Set.
	removed bool
}

var (
	_ interfaces.RunnerPrerunHook  = (*groupServiceHook)(nil)
	_ interfaces.RunnerUpdateHook  = (*groupServiceHook)(nil)
	_ interfaces.RunnerPreKillHook = (*groupServiceHook)(nil)
	_ interfaces.RunnerPostrunHook = (*groupServiceHook)(nil)
	_ interfaces.RunnerDestroyHook = (*groupServiceHook)(nil)
	_ interfaces.ShutdownHook      = (*groupServiceHook)(nil)
)

// newGroupServiceHook returns the hook; handler may be nil (no provider: the
// hook does nothing). emit records an event on every task of the allocation.
func newGroupServiceHook(logger hclog.Logger, alloc *structs.Allocation, handler sr.Handler,
	workload func(*structs.Allocation) *sr.WorkloadServices, emit func(*structs.TaskEvent)) *groupServiceHook {
	h := &groupServiceHook{
		logger:   logger.Named("group_services"),
		handler:  handler,
		workload: workload,
		alloc:    alloc,
	}
	if handler != nil {
		h.reg = registrar.New(registrar.Config{
			Handler: handler,
			Logger:  h.logger,
			OnFailure: func(err error) {
				ev := structs.NewTaskEvent(structs.TaskHookFailed)
				ev.Message = fmt.Sprintf("%s: %v", groupServicesFailedMsg, err)
				emit(ev)
			},
		})
	}
	return h
}

func (*groupServiceHook) Name() string { return "group_services" }

// Prerun starts registering the group's services and waits a little for the
// first attempt, so that in the common case the services are known before the
// tasks start; it never fails.
func (h *groupServiceHook) Prerun() error {
	if h.handler == nil {
		return nil
	}
	h.mu.Lock()
	h.started = true
	h.removed = false
	w := h.workload(h.alloc)
	h.mu.Unlock()
	if w == nil {
		return nil
	}
	t := time.NewTimer(groupServicesFirstWait)
	defer t.Stop()
	select {
	case err := <-h.reg.Set(w):
		if err != nil {
			h.logger.Warn("failed to register group services; retrying in the background", "error", err)
		}
	case <-t.C:
		h.logger.Warn("group services not registered yet; starting tasks, registration continues in the background")
	}
	return nil
}

// Update re-registers in place what changed in the group's services. A
// stopping allocation is left to PreKill.
func (h *groupServiceHook) Update(req *interfaces.RunnerUpdateRequest) error {
	if h.handler == nil {
		return nil
	}
	h.mu.Lock()
	h.alloc = req.Alloc
	started := h.started
	h.mu.Unlock()
	if !started || req.Alloc.TerminalStatus() {
		return nil
	}
	if w := h.workload(req.Alloc); w != nil {
		h.mu.Lock()
		h.removed = false
		h.mu.Unlock()
		h.reg.Set(w)
	} else {
		_ = h.remove(groupServicesRemoveTimeout)
	}
	return nil
}

// PreKill deregisters the services before the tasks are killed (and before
// the group's shutdown_delay), so that traffic drains away from them.
func (h *groupServiceHook) PreKill() { _ = h.remove(groupServicesPreKillTimeout) }

// Postrun deregisters whatever is still registered once the tasks are dead.
func (h *groupServiceHook) Postrun() error { return h.remove(groupServicesRemoveTimeout) }

// Destroy is Postrun for allocations destroyed without running to the end.
func (h *groupServiceHook) Destroy() error { return h.remove(groupServicesRemoveTimeout) }

// Shutdown stops retrying without deregistering: the tasks keep running.
func (h *groupServiceHook) Shutdown() {
	if h.reg != nil {
		h.reg.Stop()
	}
}

// remove deregisters the group's services once. When nothing was registered
// by this hook (an allocation restored after an agent restart and stopped
// before Prerun ran again) the current definition is deregistered instead;
// unknown services are not an error.
func (h *groupServiceHook) remove(timeout time.Duration) error {
	if h.handler == nil {
		return nil
	}
	h.mu.Lock()
	if h.removed {
		h.mu.Unlock()
		return nil
	}
	fallback := h.workload(h.alloc)
	h.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := h.reg.Remove(ctx, fallback); err != nil {
		h.logger.Warn("failed to deregister group services; the periodic sync will remove them", "error", err)
		return err
	}
	h.mu.Lock()
	h.removed = true
	h.mu.Unlock()
	return nil
}
