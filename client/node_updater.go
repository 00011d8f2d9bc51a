package client

import (
	"maps"
	"strings"
	"time"

	"github.com/netnomad/netnomad/client/fingerprint"
)

// driverFingerprintInterval is how often drivers are fingerprinted again.
var driverFingerprintInterval = 30 * time.Second

// watchDrivers fingerprints the drivers periodically and re-registers the node
// when a driver's detection, health or attributes changed, so the scheduler
// stops (or starts) placing its tasks here.
func (c *Client) watchDrivers() {
	defer c.wg.Done()
	for c.sleepCtx(driverFingerprintInterval) {
		node := c.Node()
		updated, err := fingerprint.Fingerprint(c.shutdownCtx, c.config, node, c.logger)
		if err != nil {
			c.logger.Warn("failed to fingerprint node", "error", err)
			continue
		}
		if !driversChanged(node.Attributes, updated.Attributes) {
			continue
		}
		c.logger.Info("driver fingerprint changed; updating node")
		c.nodeMu.Lock()
		// Only the driver attributes: others (consul.*) have their own
		// updaters and may have changed since node was copied.
		maps.DeleteFunc(c.node.Attributes, func(k, _ string) bool { return isDriverAttribute(k) })
		maps.Copy(c.node.Attributes, pickDriverAttributes(updated.Attributes))
		c.node.Drivers = updated.Drivers
		c.nodeMu.Unlock()
		select {
		case <-c.registered:
			c.register()
		default: // the registration loop sends the new node
		}
	}
}

// driversChanged compares the driver.* attributes.
func driversChanged(old, updated map[string]string) bool {
	return !maps.Equal(pickDriverAttributes(old), pickDriverAttributes(updated))
}

func isDriverAttribute(key string) bool { return strings.HasPrefix(key, "driver.") }

func pickDriverAttributes(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if isDriverAttribute(k) {
			out[k] = v
		}
	}
	return out
}
