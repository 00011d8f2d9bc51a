package client

import (
	"github.com/netnomad/netnomad/nomad/structs"
)

// gcLoop destroys allocations that the servers stopped and whose tasks are all
// dead, one GCInterval after they were first seen in that state, so their logs
// stay readable for a while.
func (c *Client) gcLoop() {
	defer c.wg.Done()
	marked := map[string]bool{}
	for c.sleepCtx(c.config.GCInterval) {
		c.allocMu.Lock()
		next := map[string]bool{}
		for id, ar := range c.allocs {
			if !ar.IsDone() {
				continue
			}
			a := ar.Alloc()
			if a.DesiredStatus != structs.AllocDesiredStatusStop && a.DesiredStatus != structs.AllocDesiredStatusEvict {
				continue
			}
			if marked[id] {
				c.logger.Debug("garbage collecting allocation", "alloc_id", id)
				c.destroyRunnerLocked(id, ar)
				continue
			}
			next[id] = true
		}
		marked = next
		c.allocMu.Unlock()
	}
}
