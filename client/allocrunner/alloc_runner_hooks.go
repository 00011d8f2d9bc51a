package allocrunner

import (
	"fmt"
	"time"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/allocrunner/registrar"
	"github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

// initHooks builds the alloc runner's hook list. The order is the contract
// (Nomad's: alloc_dir, network, group_services, consul_grpc_socket):
//
//  1. alloc_dir — the allocation directory must exist before anything writes
//     into it (the network configurator may keep files there, tasks need it).
//  2. network — the group's network (netns + CNI for bridge/cni modes) must be
//     ready, and its status persisted, before any task starts inside it, and
//     its status feeds the tasks' environment (NOMAD_IP_*, ports).
//  3. group_services — registration needs the network's addresses; it runs
//     before the tasks so Connect sidecars find their registration, but never
//     blocks them for long (Consul being down only delays it).
//  4. consul_grpc_socket — (bridge/cni groups with a Connect sidecar) the
//     socket in alloc/tmp that Envoy reaches Consul's gRPC port through; it
//     needs the alloc dir and must listen before the sidecar starts.
//  5. group_check_restart — watches the group checks with a check_restart
//     that name no task (they restart all running tasks); after
//     group_services, whose registrations it watches, and stopped first.
//
// Prerun runs in this order; Postrun runs in reverse, so the socket closes
// first, services are deregistered before the network that carries them goes,
// and the network before the directory.
func (ar *AllocRunner) initHooks() {
	tg := ar.alloc.LookupTaskGroup()
	ar.hooks = []interfaces.RunnerHook{
		newAllocDirHook(ar.allocDir, ar.logger),
		newNetworkHook(ar.logger, ar.alloc, tg.Networks, ar.cfg.NetworkConfigurator, ar, ar.cfg.StateDB),
		newGroupServiceHook(ar.logger, ar.alloc, ar.cfg.ServiceRegistration, ar.groupWorkload, ar.emitTaskEvent),
		newConsulGRPCSocketHook(ar.logger, tg, ar.allocDir, ar.cfg.Consul.GRPCAddr()),
	}
	if ar.cfg.CheckWatcher != nil && ar.cfg.ServiceRegistration != nil {
		ar.hooks = append(ar.hooks, newGroupCheckRestartHook(ar, ar.cfg.CheckWatcher))
	}
}

// groupWorkload is the registration of alloc's group services on this node.
func (ar *AllocRunner) groupWorkload(alloc *structs.Allocation) *serviceregistration.WorkloadServices {
	return registrar.GroupWorkload(alloc, ar.cfg.Node(), ar.cfg.Region, ar.NetworkStatus())
}

// emitTaskEvent records a copy of ev on every task of the allocation.
func (ar *AllocRunner) emitTaskEvent(ev *structs.TaskEvent) {
	for _, name := range ar.taskOrder {
		c := *ev
		ar.tasks[name].EmitEvent(&c)
	}
}

// prerun runs the prerun hooks in order. A hook that fails is run again as the
// group's restart policy allows (setup_retry.go); hooks that succeeded are not
// run twice. The first failure the policy does not forgive ends the run.
func (ar *AllocRunner) prerun() error {
	var retry *setupRetrier
	for _, h := range ar.hooks {
		pre, ok := h.(interfaces.RunnerPrerunHook)
		if !ok {
			continue
		}
		start := time.Now()
		ar.logger.Trace("running pre-run hook", "name", h.Name(), "start", start)
		for {
			err := pre.Prerun()
			if err == nil {
				break
			}
			err = fmt.Errorf("pre-run hook %q failed: %w", h.Name(), err)
			if retry == nil {
				retry = newSetupRetrier(ar)
			}
			if err := retry.wait(err); err != nil {
				return err
			}
		}
		ar.logger.Trace("finished pre-run hook", "name", h.Name(), "duration", time.Since(start))
	}
	return nil
}

// postrun runs the postrun hooks in reverse order; failures are logged and the
// remaining hooks still run.
func (ar *AllocRunner) postrun() {
	for i := len(ar.hooks) - 1; i >= 0; i-- {
		h := ar.hooks[i]
		post, ok := h.(interfaces.RunnerPostrunHook)
		if !ok {
			continue
		}
		if err := post.Postrun(); err != nil {
			ar.logger.Error("post-run hook failed", "name", h.Name(), "error", err)
		}
	}
}

// destroy runs the destroy hooks in reverse order.
func (ar *AllocRunner) destroy() {
	for i := len(ar.hooks) - 1; i >= 0; i-- {
		h := ar.hooks[i]
		d, ok := h.(interfaces.RunnerDestroyHook)
		if !ok {
			continue
		}
		if err := d.Destroy(); err != nil {
			ar.logger.Error("destroy hook failed", "name", h.Name(), "error", err)
		}
	}
}

// preKill runs the pre-kill hooks.
func (ar *AllocRunner) preKill() {
	for _, h := range ar.hooks {
		if pk, ok := h.(interfaces.RunnerPreKillHook); ok {
			pk.PreKill()
		}
	}
}
