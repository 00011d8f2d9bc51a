package consul

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
)

// ServiceClient registers workload services with the local Consul agent. It
// remembers what it registered so that updates touch only what changed and the
// periodic Sync can restore registrations the agent lost.
type ServiceClient struct {
	agent    AgentAPI
	logger   hclog.Logger
	isClient bool

	mu    sync.Mutex
	retry RetryPolicy
	// registered holds the last successful registration of each service ID.
	registered map[string]*registered
}

type registered struct {
	allocID string
	reg     *api.AgentServiceRegistration
}

var _ sr.Handler = (*ServiceClient)(nil)

// NewServiceClient returns a client of the agent. isClient marks a Nomad client
// agent: only then does Sync remove the services of allocations that are gone.
func NewServiceClient(agent AgentAPI, logger hclog.Logger, isClient bool) *ServiceClient {
	return &ServiceClient{
		agent:      agent,
		logger:     logger.Named("consul.sync"),
		isClient:   isClient,
		retry:      DefaultRetryPolicy,
		registered: make(map[string]*registered),
	}
}

// SetRetryPolicy replaces DefaultRetryPolicy for subsequent operations.
func (c *ServiceClient) SetRetryPolicy(p RetryPolicy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.retry = p
}

func (c *ServiceClient) retryPolicy() RetryPolicy {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retry
}

// RegisterWorkload registers every service of w. Nothing is registered when a
// service cannot be built; otherwise every service is tried and the errors of
// those that failed are returned together.
func (c *ServiceClient) RegisterWorkload(ctx context.Context, w *sr.WorkloadServices) error {
	regs, err := BuildRegistrations(w)
	if err != nil {
		return err
	}
	var errs []error
	for _, reg := range regs {
		if err := c.register(ctx, w.AllocID, reg); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// UpdateWorkload deregisters the services of old that new no longer has and
// re-registers, under the same IDs, the services of new whose registration
// differs from the last one made.
func (c *ServiceClient) UpdateWorkload(ctx context.Context, old, new *sr.WorkloadServices) error {
	regs, err := BuildRegistrations(new)
	if err != nil {
		return err
	}
	keep := make(map[string]bool, len(regs))
	for _, reg := range regs {
		keep[reg.ID] = true
	}
	var errs []error
	if old != nil {
		for _, svc := range old.Services {
			id := sr.MakeAllocServiceID(old.AllocID, old.Task, svc)
			if keep[id] {
				continue
			}
			if err := c.deregister(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, reg := range regs {
		if c.isCurrent(reg) {
			continue
		}
		if err := c.register(ctx, new.AllocID, reg); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RemoveWorkload deregisters every service of w; Consul removes their sidecars.
func (c *ServiceClient) RemoveWorkload(ctx context.Context, w *sr.WorkloadServices) error {
	var errs []error
	for _, svc := range w.Services {
		if err := c.deregister(ctx, sr.MakeAllocServiceID(w.AllocID, w.Task, svc)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// UpdateTTL reports the result of a script check, registered as a TTL check
// with ID checkID (see serviceregistration.MakeCheckID). status is one of
// api.HealthPassing, api.HealthWarning, api.HealthCritical.
func (c *ServiceClient) UpdateTTL(ctx context.Context, checkID, output, status string) error {
	q := (&api.QueryOptions{}).WithContext(ctx)
	return c.retryPolicy().do(ctx, fmt.Sprintf("update TTL check %q", checkID), func() error {
		return c.agent.UpdateTTLOpts(checkID, output, status, q)
	})
}

// isCurrent reports whether reg is exactly what was last registered.
func (c *ServiceClient) isCurrent(reg *api.AgentServiceRegistration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev, ok := c.registered[reg.ID]
	return ok && reflect.DeepEqual(prev.reg, reg)
}

// register registers reg (replacing the checks of an earlier registration)
// and remembers it.
func (c *ServiceClient) register(ctx context.Context, allocID string, reg *api.AgentServiceRegistration) error {
	opts := api.ServiceRegisterOpts{ReplaceExistingChecks: true}.WithContext(ctx)
	err := c.retryPolicy().do(ctx, fmt.Sprintf("register service %q", reg.ID), func() error {
		return c.agent.ServiceRegisterOpts(reg, opts)
	})
	if err != nil {
		c.logger.Warn("failed to register service", "service_id", reg.ID, "error", err)
		return err
	}
	c.logger.Debug("registered service", "service_id", reg.ID, "address", reg.Address, "port", reg.Port)
	c.mu.Lock()
	c.registered[reg.ID] = &registered{allocID: allocID, reg: reg}
	c.mu.Unlock()
	return nil
}

// deregister removes the service id and forgets it; an ID the agent does not
// know is not an error.
func (c *ServiceClient) deregister(ctx context.Context, id string) error {
	q := (&api.QueryOptions{}).WithContext(ctx)
	err := c.retryPolicy().do(ctx, fmt.Sprintf("deregister service %q", id), func() error {
		return c.agent.ServiceDeregisterOpts(id, q)
	})
	if err != nil && !isNotFound(err) {
		c.logger.Warn("failed to deregister service", "service_id", id, "error", err)
		return err
	}
	c.logger.Debug("deregistered service", "service_id", id)
	c.mu.Lock()
	delete(c.registered, id)
	c.mu.Unlock()
	return nil
}
