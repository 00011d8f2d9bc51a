package network

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

// TestGC: allocations the client no longer runs (one with its CNI cache, one
// that crashed before the cache was written) lose their namespace, IPAM
// reservation and iptables rules; a live allocation and a namespace that is not
// an allocation's are kept, and the live one still carries traffic.
func TestGC(t *testing.T) { forEachNATBackend(t, testGC) }

func testGC(t *testing.T, backend string) {
	w := newWorld(t, withNATBackend(backend))
	live := newAlloc(port("http", 28080, 8080))
	dead := newAlloc(port("http", 28081, 8080))
	crashed := newAlloc(port("http", 28082, 8080))
	stLive := w.setup(live, bridgeSpec)
	stDead := w.setup(dead, bridgeSpec)
	stCrashed := w.setup(crashed, bridgeSpec)
	serveTCP(t, stLive.NetnsPath, ":8080", banner("live"))

	// The crash lost libcni's cache: only IPAM files, rules and the netns tell.
	cache := filepath.Join(w.cfg.CNICacheDir, "results", fmt.Sprintf("nomad-%s-eth0", crashed.ID))
	must.NoError(t, os.Remove(cache))
	// A namespace someone else made in the same dir.
	other := filepath.Join(w.cfg.NetnsDir, "not-an-alloc")
	must.NoError(t, createNetns(other))
	t.Cleanup(func() { _ = destroyNetns(other) })

	for _, a := range []string{dead.ID, crashed.ID} {
		must.SliceNotEmpty(t, w.leftovers(a, "", 3))
	}
	err := w.do(func() error { return w.c.GC(context.Background(), map[string]bool{live.ID: true}) })
	must.NoError(t, err)

	w.mustBeGone(dead.ID, stDead.Address, 1)
	w.mustBeGone(crashed.ID, stCrashed.Address, 1)
	must.True(t, isNetns(other))
	must.True(t, isNetns(stLive.NetnsPath))
	mustReach(t, "live alloc still served", "live", func() (string, error) { return dialTCP(w.host, hostIP+":28080") })
	must.NoError(t, w.do(func() error { return w.c.Check(context.Background(), live, bridgeSpec, stLive) }))

	// The dead one's port can be taken again, and a late Teardown is harmless.
	must.NoError(t, w.teardown(dead, bridgeSpec, stDead))
	again := newAlloc(port("http", 28082, 8080))
	w.setup(again, bridgeSpec)

	// GC with everything live removes nothing.
	err = w.do(func() error {
		return w.c.GC(context.Background(), map[string]bool{live.ID: true, again.ID: true})
	})
	must.NoError(t, err)
	must.True(t, isNetns(w.c.NetnsPath(again.ID)))
}

// TestGCOwned: with several clients on one host, a client's GC leaves another
// client's allocations alone (namespace, reservation, rules, CNI cache) even
// though they are not in its live set, and still collects its own dead ones.
func TestGCOwned(t *testing.T) {
	w := newWorld(t, nil)
	mine := newAlloc(port("http", 28090, 8080))
	theirs := newAlloc(port("http", 28091, 8080))
	stMine := w.setup(mine, bridgeSpec)
	stTheirs := w.setup(theirs, bridgeSpec)
	serveTCP(t, stTheirs.NetnsPath, ":8080", banner("theirs"))

	owned := func(id string) bool { return id == mine.ID }
	err := w.do(func() error { return w.c.GCOwned(context.Background(), map[string]bool{}, owned) })
	must.NoError(t, err)

	w.mustBeGone(mine.ID, stMine.Address, 1)
	must.True(t, isNetns(stTheirs.NetnsPath))
	must.SliceNotEmpty(t, w.leftovers(theirs.ID, stTheirs.Address, 1))
	mustReach(t, "other client's alloc still served", "theirs", func() (string, error) { return dialTCP(w.host, hostIP+":28091") })
	must.NoError(t, w.do(func() error { return w.c.Check(context.Background(), theirs, bridgeSpec, stTheirs) }))
}
