package client

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

// fakeCollector is a network configurator that records what GCOwned was asked
// to collect.
type fakeCollector struct {
	mu    sync.Mutex
	calls int
	live  map[string]bool
	owned func(string) bool
}

func (f *fakeCollector) Setup(context.Context, *structs.Allocation, *structs.NetworkResource) (*structs.AllocNetworkStatus, error) {
	return &structs.AllocNetworkStatus{}, nil
}

func (f *fakeCollector) Teardown(context.Context, *structs.Allocation, *structs.NetworkResource, *structs.AllocNetworkStatus) error {
	return nil
}

func (f *fakeCollector) GCOwned(_ context.Context, live map[string]bool, owned func(string) bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.live, f.owned = live, owned
	return nil
}

// TestClient_NetworkGCOnlyOwnAllocs: with other client agents on the host, the
// start-up network collection only considers allocations this client started
// (a marker written before the allocation runs), and forgets the markers of
// what it collected.
func TestClient_NetworkGCOnlyOwnAllocs(t *testing.T) {
	dataDir := t.TempDir()
	srv := newFakeServer()
	cfg := testConfig(t, dataDir)
	gc := &fakeCollector{}
	cfg.NetworkConfigurator = gc
	c := startClient(t, cfg, srv)
	must.Eq(t, 1, gc.calls)

	// Running an allocation marks it as this client's.
	a := testAlloc(c.Node().ID, structs.JobTypeBatch, "true")
	srv.upsertAlloc(a)
	waitServerStatus(t, srv, a.ID, structs.AllocClientStatusComplete)
	marker := filepath.Join(c.ownedAllocsDir(), a.ID)
	_, err := os.Stat(marker)
	must.NoError(t, err)

	// A crashed agent's leftover: a marker for an allocation it no longer knows.
	dead := uuid.NewString()
	must.NoError(t, c.markOwned(dead))
	theirs := uuid.NewString()

	srv.removeAll()
	waitFor(t, func() error {
		if len(c.Allocs()) != 0 {
			return os.ErrExist
		}
		return nil
	})
	must.NoError(t, c.Shutdown())

	gc2 := &fakeCollector{}
	cfg2 := testConfig(t, dataDir)
	cfg2.NetworkConfigurator = gc2
	c2 := startClient(t, cfg2, srv)
	must.Eq(t, 1, gc2.calls)
	must.MapEmpty(t, gc2.live)
	cases := []struct {
		id    string
		owned bool
	}{
		{dead, true},
		{a.ID, true},
		{theirs, false},
	}
	for _, tc := range cases {
		must.Eq(t, tc.owned, gc2.owned(tc.id), must.Sprintf("owned(%s)", tc.id))
	}
	// Collected: their markers are gone.
	entries, err := os.ReadDir(c2.ownedAllocsDir())
	must.NoError(t, err)
	must.SliceEmpty(t, entries)
}
