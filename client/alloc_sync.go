package client

import (
	"context"

	"github.com/netnomad/netnomad/nomad/structs"
)

// AllocStateUpdated implements allocrunner.AllocStateHandler: the latest view of
// each allocation is kept and sent in the next batch.
func (c *Client) AllocStateUpdated(alloc *structs.Allocation) {
	c.allocMu.RLock()
	_, known := c.allocs[alloc.ID]
	c.allocMu.RUnlock()
	if !known {
		return // destroyed meanwhile
	}
	c.queueUpdate(alloc)
}

// queueUpdate keeps the client-side fields of alloc for the next batch.
func (c *Client) queueUpdate(alloc *structs.Allocation) {
	u := &structs.Allocation{
		ID:                alloc.ID,
		NodeID:            c.nodeID(),
		ClientStatus:      alloc.ClientStatus,
		ClientDescription: alloc.ClientDescription,
		TaskStates:        alloc.TaskStates,
		NetworkStatus:     alloc.NetworkStatus,
	}
	c.updatesMu.Lock()
	c.pendingUpdates[alloc.ID] = u
	c.updatesMu.Unlock()
}

// allocSync sends the batched updates every allocSyncInterval; a failed batch is
// kept (unless newer updates replaced its entries) and retried with backoff.
func (c *Client) allocSync() {
	defer c.wg.Done()
	select {
	case <-c.registered:
	case <-c.shutdownCtx.Done():
		return
	}
	wait := allocSyncInterval
	for {
		if !c.sleepCtx(wait) {
			return
		}
		if err := c.flushUpdates(c.shutdownCtx); err != nil {
			if c.shutdownCtx.Err() != nil {
				return
			}
			c.logger.Warn("failed to update allocations", "error", err)
			wait = backoff(wait)
			continue
		}
		wait = allocSyncInterval
	}
}

// flushUpdates sends the pending updates in one call.
func (c *Client) flushUpdates(ctx context.Context) error {
	c.updatesMu.Lock()
	if len(c.pendingUpdates) == 0 {
		c.updatesMu.Unlock()
		return nil
	}
	batch := make([]*structs.Allocation, 0, len(c.pendingUpdates))
	for _, u := range c.pendingUpdates {
		batch = append(batch, u)
	}
	c.pendingUpdates = map[string]*structs.Allocation{}
	c.updatesMu.Unlock()

	if err := c.servers.UpdateAllocs(ctx, batch); err != nil {
		c.updatesMu.Lock()
		for _, u := range batch {
			if _, newer := c.pendingUpdates[u.ID]; !newer {
				c.pendingUpdates[u.ID] = u
			}
		}
		c.updatesMu.Unlock()
		return err
	}
	return nil
}
