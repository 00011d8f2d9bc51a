package allocrunner

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/client/allocrunner/interfaces"
	"github.com/netnomad/netnomad/client/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// networkSetupTimeout bounds one Setup or Teardown of a group network.
const networkSetupTimeout = 2 * time.Minute

// networkStatusSetter is the network hook's shim into the alloc runner.
type networkStatusSetter interface {
	NetworkStatus() *structs.AllocNetworkStatus
	setNetworkStatus(*structs.AllocNetworkStatus)
}

// allocNetworkHook builds the group's network. Host mode needs nothing (status
// nil: tasks use the host's network). Other modes go to the NetworkConfigurator;
// its result is persisted before any task starts so that a restarted agent
// reuses it instead of building a second network.
type allocNetworkHook struct {
	logger       hclog.Logger
	alloc        *structs.Allocation
	spec         *structs.NetworkResource
	configurator interfaces.NetworkConfigurator
	setter       networkStatusSetter
	db           state.StateDB
}

var (
	_ interfaces.RunnerPrerunHook  = (*allocNetworkHook)(nil)
	_ interfaces.RunnerPostrunHook = (*allocNetworkHook)(nil)
)

func newNetworkHook(logger hclog.Logger, alloc *structs.Allocation, nets structs.NetworkResources,
	configurator interfaces.NetworkConfigurator, setter networkStatusSetter, db state.StateDB) *allocNetworkHook {
	var spec *structs.NetworkResource
	if len(nets) > 0 {
		spec = nets[0]
	}
	return &allocNetworkHook{
		logger:       logger.Named("network"),
		alloc:        alloc,
		spec:         spec,
		configurator: configurator,
		setter:       setter,
		db:           db,
	}
}

func (*allocNetworkHook) Name() string { return "network" }

func (h *allocNetworkHook) mode() string { return h.spec.IsolationMode() }

// Prerun sets up the network unless it is host mode or was set up before the
// agent restarted.
func (h *allocNetworkHook) Prerun() error {
	mode := h.mode()
	if mode == structs.NetworkModeHost {
		return nil
	}
	if h.configurator == nil {
		return unrecoverableError{fmt.Errorf("network mode %q is not supported yet on this client", mode)}
	}
	if existing := h.setter.NetworkStatus(); existing != nil {
		h.logger.Debug("reusing network from before the agent restarted", "address", existing.Address, "netns", existing.NetnsPath)
		h.check(existing)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), networkSetupTimeout)
	defer cancel()
	status, err := h.configurator.Setup(ctx, h.alloc, h.spec)
	if err != nil {
		return fmt.Errorf("failed to configure network mode %q: %w", mode, err)
	}
	if err := h.db.PutNetworkStatus(h.alloc.ID, status); err != nil {
		return fmt.Errorf("failed to persist network status: %w", err)
	}
	h.setter.setNetworkStatus(status)
	return nil
}

// networkChecker is implemented by configurators that can verify a network they
// built earlier (CNI CHECK).
type networkChecker interface {
	Check(ctx context.Context, alloc *structs.Allocation, spec *structs.NetworkResource, status *structs.AllocNetworkStatus) error
}

// check verifies a network reused after an agent restart. The tasks kept running
// inside it, so it is never rebuilt underneath them: a failure is reported for
// the operator to see.
func (h *allocNetworkHook) check(status *structs.AllocNetworkStatus) {
	c, ok := h.configurator.(networkChecker)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), networkSetupTimeout)
	defer cancel()
	if err := c.Check(ctx, h.alloc, h.spec, status); err != nil {
		h.logger.Error("network of restored allocation failed its check", "error", err)
	}
}

// Postrun tears the network down; failures are logged as possible leaks.
func (h *allocNetworkHook) Postrun() error {
	if h.mode() == structs.NetworkModeHost || h.configurator == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), networkSetupTimeout)
	defer cancel()
	if err := h.configurator.Teardown(ctx, h.alloc, h.spec, h.setter.NetworkStatus()); err != nil {
		h.logger.Error("failed to cleanup network for allocation, resources may have leaked", "error", err)
		return err
	}
	return nil
}
