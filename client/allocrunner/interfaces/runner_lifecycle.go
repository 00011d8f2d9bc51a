// Package interfaces declares the hooks an alloc runner and a task runner call
// during an allocation's life. A hook implements Name plus only the phase
// interfaces it needs; the runners type-assert each hook against every phase.
package interfaces

import (
	"context"

	"github.com/netnomad/netnomad/nomad/structs"
)

// RunnerHook is the base of every alloc runner hook.
type RunnerHook interface {
	// Name identifies the hook in logs and errors: `pre-run hook "network" failed`.
	Name() string
}

// RunnerPrerunHook runs before any task starts, in list order. A failing prerun
// hook fails the allocation: no task starts and Postrun hooks still run.
//
// Prerun is also called after an agent restart for allocations that were running
// (the restored runner calls it again), so it must be idempotent and reuse what it
// made earlier (persisted state) instead of making it twice.
type RunnerPrerunHook interface {
	RunnerHook
	Prerun() error
}

// RunnerPostrunHook runs after every task is dead, in reverse list order. It may
// be called without Prerun having run, or after Prerun failed part way, and must
// tolerate that. It is not called when the agent merely shuts down (tasks keep
// running and the next agent restores them).
type RunnerPostrunHook interface {
	RunnerHook
	Postrun() error
}

// RunnerDestroyHook runs when the allocation is destroyed (garbage collected),
// after Postrun. It may be called without Prerun/Postrun (e.g. an allocation that
// was never started), and must be idempotent.
type RunnerDestroyHook interface {
	RunnerHook
	Destroy() error
}

// RunnerUpdateHook is told about every server-side update of the allocation
// (e.g. a new desired status). Calls are serialised and never concurrent with
// Prerun.
type RunnerUpdateHook interface {
	RunnerHook
	Update(*RunnerUpdateRequest) error
}

// RunnerUpdateRequest carries the updated allocation.
type RunnerUpdateRequest struct {
	Alloc *structs.Allocation
}

// RunnerPreKillHook runs before the tasks of a stopping allocation are killed
// (e.g. to deregister group services); it must not block for long.
type RunnerPreKillHook interface {
	RunnerHook
	PreKill()
}

// ShutdownHook runs when the agent shuts down while the allocation keeps running.
// It must release in-memory resources only; the allocation must survive.
type ShutdownHook interface {
	RunnerHook
	Shutdown()
}

// NetworkConfigurator builds the network of an allocation whose group network is
// not in host mode (bridge, cni/<name>). Implementations live with the network
// code; the alloc runner's network hook calls them.
//
// Setup is called at most once per allocation lifetime on this client: after an
// agent restart the persisted AllocNetworkStatus is reused instead. Teardown must
// be idempotent and may be called without Setup, or after a failed Setup; it is
// given the status Setup returned (nil if none).
type NetworkConfigurator interface {
	Setup(ctx context.Context, alloc *structs.Allocation, spec *structs.NetworkResource) (*structs.AllocNetworkStatus, error)
	Teardown(ctx context.Context, alloc *structs.Allocation, spec *structs.NetworkResource, status *structs.AllocNetworkStatus) error
}
