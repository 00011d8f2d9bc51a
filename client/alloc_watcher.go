package client

import (
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// watchAllocations long-polls the servers for this node's allocations (after the
// node registered) and reconciles the alloc runners with each answer. Errors are
// retried with backoff.
func (c *Client) watchAllocations() {
	defer c.wg.Done()
	select {
	case <-c.registered:
	case <-c.shutdownCtx.Done():
		return
	}
	var index uint64
	retry := time.Duration(0)
	for {
		allocs, newIndex, err := c.servers.GetAllocs(c.shutdownCtx, c.nodeID(), index)
		if c.shutdownCtx.Err() != nil {
			return
		}
		if err != nil {
			c.logger.Warn("failed to get allocations", "error", err)
			retry = backoff(retry)
			if !c.sleepCtx(retry) {
				return
			}
			continue
		}
		retry = 0
		if newIndex <= index && index != 0 {
			continue // timed out without change
		}
		index = newIndex
		c.runAllocs(allocs)
	}
}

// runAllocs reconciles the alloc runners with the servers' view:
//   - allocations the servers no longer list are destroyed (alloc dir removed);
//   - known allocations get updates (a desired stop/evict kills their tasks);
//   - new allocations that are not terminal get a runner.
func (c *Client) runAllocs(allocs []*structs.Allocation) {
	listed := make(map[string]*structs.Allocation, len(allocs))
	for _, a := range allocs {
		listed[a.ID] = a
	}

	c.allocMu.Lock()
	defer c.allocMu.Unlock()

	for id, ar := range c.allocs {
		if _, ok := listed[id]; !ok {
			c.logger.Debug("allocation removed by servers; destroying", "alloc_id", id)
			c.destroyRunnerLocked(id, ar)
		}
	}

	for _, alloc := range allocs {
		ar, ok := c.allocs[alloc.ID]
		if ok {
			if c.needsUpdate(ar.Alloc(), alloc) {
				if err := c.stateDB.PutAllocation(alloc); err != nil {
					c.logger.Error("failed to persist allocation", "alloc_id", alloc.ID, "error", err)
				}
				ar.Update(alloc)
			}
			continue
		}
		if alloc.TerminalStatus() {
			continue
		}
		if err := c.addAllocLocked(alloc); err != nil {
			c.logger.Error("failed to add allocation", "alloc_id", alloc.ID, "error", err)
		}
	}
}

// needsUpdate reports whether the servers changed the allocation.
func (c *Client) needsUpdate(have, got *structs.Allocation) bool {
	return got.AllocModifyIndex > have.AllocModifyIndex || got.DesiredStatus != have.DesiredStatus
}

// addAllocLocked persists a new allocation and starts its runner.
func (c *Client) addAllocLocked(alloc *structs.Allocation) error {
	if err := c.markOwned(alloc.ID); err != nil {
		// Only a crash before its network is torn down would leak it.
		c.logger.Warn("allocation network will not be collected after a crash", "alloc_id", alloc.ID, "error", err)
	}
	if err := c.stateDB.PutAllocation(alloc); err != nil {
		return err
	}
	ar, err := c.newAllocRunner(alloc)
	if err != nil {
		// Tell the servers the allocation cannot run here.
		failed := alloc.CopySkipJob()
		failed.ClientStatus = structs.AllocClientStatusFailed
		failed.ClientDescription = err.Error()
		c.queueUpdate(failed)
		_ = c.stateDB.DeleteAllocationBucket(alloc.ID)
		return err
	}
	c.allocs[alloc.ID] = ar
	go ar.Run()
	return nil
}

// destroyRunnerLocked destroys a runner and forgets it once destroyed.
func (c *Client) destroyRunnerLocked(id string, ar interface {
	Destroy()
	DestroyCh() <-chan struct{}
}) {
	delete(c.allocs, id)
	ar.Destroy()
	c.destroys.Add(1)
	go func() {
		defer c.destroys.Done()
		<-ar.DestroyCh()
	}()
	c.updatesMu.Lock()
	delete(c.pendingUpdates, id)
	c.updatesMu.Unlock()
}
