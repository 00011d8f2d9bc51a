package client

import (
	"maps"

	"github.com/netnomad/netnomad/client/fingerprint"
)

// Intervals of the Consul fingerprint (variables for tests).
var (
	consulRetryInterval       = fingerprint.ConsulRetryInterval
	consulFingerprintInterval = fingerprint.ConsulFingerprintInterval
)

// consulAttributes is the Consul fingerprint's view of the node: the
// consul.* attributes to set, or none while the agent does not answer.
type consulAttributes interface {
	Attributes() (map[string]string, error)
}

// applyConsulFingerprint asks Consul about itself and puts the answer in the
// node's attributes, replacing (or, when the agent is unreachable, removing)
// the previous ones: the Connect sidecar constraints then keep Connect work off
// nodes without a usable Consul. It returns whether Consul answered and whether
// the node changed. Safe to call concurrently with the other node updaters.
func (c *Client) applyConsulFingerprint() (available, changed bool) {
	attrs, err := c.consulFingerprint.Attributes()
	if err != nil {
		c.logger.Debug("consul fingerprint failed", "error", err)
	}
	c.nodeMu.Lock()
	defer c.nodeMu.Unlock()
	updated := maps.Clone(c.node.Attributes)
	maps.DeleteFunc(updated, func(k, _ string) bool { return fingerprint.IsConsulAttribute(k) })
	maps.Copy(updated, attrs)
	if maps.Equal(updated, c.node.Attributes) {
		return err == nil, false
	}
	c.node.Attributes = updated
	return err == nil, true
}

// watchConsul re-runs the Consul fingerprint, every consulRetryInterval while
// the agent is unreachable and every consulFingerprintInterval once it
// answers, and re-registers the node when the attributes changed (Consul came,
// went, or was upgraded).
func (c *Client) watchConsul(available bool) {
	defer c.wg.Done()
	for {
		next := consulFingerprintInterval
		if !available {
			next = consulRetryInterval
		}
		if !c.sleepCtx(next) {
			return
		}
		wasAvailable := available
		var changed bool
		available, changed = c.applyConsulFingerprint()
		switch {
		case available && !wasAvailable:
			c.logger.Info("consul agent is available")
		case !available && wasAvailable:
			c.logger.Warn("consul agent is unavailable; Connect tasks will not be placed here until it answers")
		}
		if !changed {
			continue
		}
		c.logger.Info("consul fingerprint changed; updating node")
		select {
		case <-c.registered:
			c.register()
		default: // the registration loop sends the new node
		}
	}
}
