package client

import (
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// registerAndHeartbeat registers the node (status ready), retrying with backoff,
// then heartbeats every TTL/2. A failed heartbeat re-registers the node (the
// servers may have forgotten it or marked it down).
func (c *Client) registerAndHeartbeat() {
	defer c.wg.Done()
	retry := time.Duration(0)
	for !c.register() {
		retry = backoff(retry)
		if !c.sleepCtx(retry) {
			return
		}
	}
	close(c.registered)

	retry = 0
	for {
		ttl, err := c.servers.Heartbeat(c.shutdownCtx, c.nodeID())
		var next time.Duration
		if err != nil {
			if c.shutdownCtx.Err() != nil {
				return
			}
			c.logger.Warn("failed to heartbeat", "error", err)
			retry = backoff(retry)
			next = retry
			c.register()
		} else {
			retry = 0
			if ttl <= 0 {
				ttl = defaultHeartbeatTTL
			}
			next = ttl / 2
		}
		if !c.sleepCtx(next) {
			return
		}
	}
}

// register sends the node to the servers with status ready.
func (c *Client) register() bool {
	c.nodeMu.Lock()
	c.node.Status = structs.NodeStatusReady
	c.node.StatusUpdatedAt = time.Now().Unix()
	node := c.node.Copy()
	c.nodeMu.Unlock()
	if err := c.servers.RegisterNode(c.shutdownCtx, node); err != nil {
		if c.shutdownCtx.Err() == nil {
			c.logger.Warn("failed to register node", "error", err)
		}
		return false
	}
	c.logger.Info("node registration complete", "node_id", node.ID)
	return true
}
