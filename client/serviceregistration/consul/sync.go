package consul

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
)

// DefaultSyncInterval is how often RunSync reconciles, as Nomad does.
const DefaultSyncInterval = 30 * time.Second

// Sync reconciles the agent with this client: it deregisters every
// "_nomad-task-" service (sidecars included) of an allocation not in
// liveAllocIDs, and re-registers the remembered services of live allocations
// that the agent lost (after a Consul restart). Services whose ID does not start
// with "_nomad" are never touched. On a server agent (isClient false) it only
// restores lost registrations.
func (c *ServiceClient) Sync(ctx context.Context, liveAllocIDs []string) error {
	live := make(map[string]bool, len(liveAllocIDs))
	for _, id := range liveAllocIDs {
		live[id] = true
	}

	var services map[string]*api.AgentService
	q := (&api.QueryOptions{}).WithContext(ctx)
	err := c.retryPolicy().do(ctx, "list agent services", func() error {
		var err error
		services, err = c.agent.ServicesWithFilterOpts("", q)
		return err
	})
	if err != nil {
		return err
	}

	var errs []error
	if c.isClient {
		for id := range services {
			allocID, ok := sr.AllocIDFromServiceID(id)
			if !ok || live[allocID] {
				continue
			}
			if strings.HasSuffix(id, sr.SidecarProxySuffix) {
				if _, parent := services[strings.TrimSuffix(id, sr.SidecarProxySuffix)]; parent {
					continue // goes with its parent
				}
			}
			c.logger.Info("removing service of an allocation no longer running", "service_id", id, "alloc_id", allocID)
			if err := c.deregister(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}

	for _, r := range c.snapshot() {
		if !live[r.allocID] {
			if c.isClient {
				c.forget(r.reg.ID)
			}
			continue
		}
		if _, ok := services[r.reg.ID]; ok {
			continue
		}
		c.logger.Info("restoring service the agent lost", "service_id", r.reg.ID)
		if err := c.register(ctx, r.allocID, r.reg); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RunSync calls Sync every interval with the allocations live() reports until
// ctx ends; failures are logged and retried at the next interval.
func (c *ServiceClient) RunSync(ctx context.Context, interval time.Duration, live func() []string) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.Sync(ctx, live()); err != nil && ctx.Err() == nil {
				c.logger.Warn("failed to sync services with Consul", "error", err)
			}
		}
	}
}

func (c *ServiceClient) snapshot() []registered {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]registered, 0, len(c.registered))
	for _, r := range c.registered {
		out = append(out, *r)
	}
	return out
}

func (c *ServiceClient) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.registered, id)
}
