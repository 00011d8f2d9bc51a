package client

import (
	"context"
	"time"
)

// networkGCTimeout bounds the start-up collection of leaked networks.
const networkGCTimeout = 2 * time.Minute

// networkCollector is implemented by network configurators that can find and
// remove what dead allocations left behind (namespaces, IP reservations, rules).
type networkCollector interface {
	GC(ctx context.Context, live map[string]bool) error
}

// collectLeakedNetworks removes the networks of allocations this client no longer
// runs — left by an agent that crashed mid-setup or mid-teardown. It runs once at
// start-up, after restore and before the alloc watcher starts any new allocation,
// so every allocation that should keep its network is already known.
func (c *Client) collectLeakedNetworks() {
	gc, ok := c.config.NetworkConfigurator.(networkCollector)
	if !ok {
		return
	}
	live := map[string]bool{}
	for _, a := range c.Allocs() {
		if !a.ClientTerminalStatus() {
			live[a.ID] = true
		}
	}
	ctx, cancel := context.WithTimeout(c.shutdownCtx, networkGCTimeout)
	defer cancel()
	if err := gc.GC(ctx, live); err != nil {
		c.logger.Warn("failed to collect leaked allocation networks, resources may have leaked", "error", err)
		return
	}
	c.logger.Debug("collected leaked allocation networks", "live_allocs", len(live))
}
