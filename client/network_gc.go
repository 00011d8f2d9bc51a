package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// networkGCTimeout bounds the start-up collection of leaked networks.
const networkGCTimeout = 2 * time.Minute

// networkCollector is implemented by network configurators that can find and
// remove what dead allocations left behind (namespaces, IP reservations, rules).
// Only allocations owned reports as this client's are collected: the host's
// namespaces, CNI cache and rules are shared with other client agents.
type networkCollector interface {
	GCOwned(ctx context.Context, live map[string]bool, owned func(allocID string) bool) error
}

// ownedAllocsDir holds one empty marker file per allocation this client has
// started (and so may have created a network for), until a start-up collection
// finds it dead and cleans it.
func (c *Client) ownedAllocsDir() string { return filepath.Join(c.config.StateDir, "owned_allocs") }

// markOwned records that this client is about to run the allocation; it must
// happen before anything of the allocation is created on the host.
func (c *Client) markOwned(allocID string) error {
	dir := c.ownedAllocsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failed to create %q: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, allocID), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("failed to mark allocation %q as owned: %w", allocID, err)
	}
	return f.Close()
}

// ownedAllocs returns the allocations with a marker.
func (c *Client) ownedAllocs() (map[string]bool, error) {
	entries, err := os.ReadDir(c.ownedAllocsDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("failed to read owned allocations: %w", err)
	}
	out := make(map[string]bool, len(entries))
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out, nil
}

// collectLeakedNetworks removes the networks of allocations this client no longer
// runs — left by an agent that crashed mid-setup or mid-teardown. It runs once at
// start-up, after restore and before the alloc watcher starts any new allocation,
// so every allocation that should keep its network is already known. Only this
// client's allocations (a marker, or restored from its state) are touched.
func (c *Client) collectLeakedNetworks() {
	gc, ok := c.config.NetworkConfigurator.(networkCollector)
	if !ok {
		return
	}
	owned, err := c.ownedAllocs()
	if err != nil {
		c.logger.Warn("failed to collect leaked allocation networks, resources may have leaked", "error", err)
		return
	}
	live, stored := map[string]bool{}, map[string]bool{}
	for _, a := range c.Allocs() {
		owned[a.ID], stored[a.ID] = true, true
		if !a.ClientTerminalStatus() {
			live[a.ID] = true
		}
	}
	ctx, cancel := context.WithTimeout(c.shutdownCtx, networkGCTimeout)
	defer cancel()
	if err := gc.GCOwned(ctx, live, func(id string) bool { return owned[id] }); err != nil {
		c.logger.Warn("failed to collect leaked allocation networks, resources may have leaked", "error", err)
		return
	}
	// What was collected needs no marker any more; allocations still in the
	// state keep theirs (they are collected once destroyed).
	for id := range owned {
		if !live[id] && !stored[id] {
			_ = os.Remove(filepath.Join(c.ownedAllocsDir(), id))
		}
	}
	c.logger.Debug("collected leaked allocation networks", "live_allocs", len(live))
}

// hostPreparer is implemented by configurators that set up, once at client
// start, what every allocation network shares on the host.
type hostPreparer interface {
	Prepare(ctx context.Context) error
}

// prepareHostNetwork makes the shared host rules before any allocation needs
// them, so the first setups neither pay for them nor race to create them. A
// failure is only logged: each setup checks and makes them again.
func (c *Client) prepareHostNetwork() {
	p, ok := c.config.NetworkConfigurator.(hostPreparer)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(c.shutdownCtx, networkGCTimeout)
	defer cancel()
	if err := p.Prepare(ctx); err != nil {
		c.logger.Warn("failed to prepare host rules for group networks; the first setup will retry", "error", err)
	}
}
