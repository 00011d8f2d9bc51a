package network

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/structs"
)

// TestConcurrentAllocs: 20 allocations set up at once on one host all succeed
// with distinct addresses and working ports, and all tear down without leaks.
func TestConcurrentAllocs(t *testing.T) {
	const n = 20
	w := newWorld(t, nil)
	allocs := make([]*structs.Allocation, n)
	statuses := make([]*structs.AllocNetworkStatus, n)
	errs := make([]error, n)
	for i := range allocs {
		allocs[i] = newAlloc(port("http", 29000+i, 8080))
	}

	start := time.Now()
	var wg sync.WaitGroup
	for i := range allocs {
		wg.Go(func() { statuses[i], errs[i] = w.trySetup(allocs[i], bridgeSpec) })
	}
	wg.Wait()
	t.Logf("%d concurrent setups took %s", n, time.Since(start))

	seen := map[string]bool{}
	for i := range allocs {
		must.NoError(t, errs[i])
		must.False(t, seen[statuses[i].Address], must.Sprintf("address %s given twice", statuses[i].Address))
		seen[statuses[i].Address] = true
	}
	for _, i := range []int{0, n / 2, n - 1} {
		serveTCP(t, statuses[i].NetnsPath, ":8080", banner(allocs[i].ID))
		mustReach(t, "alloc port", allocs[i].ID, func() (string, error) {
			return dialTCP(w.host, "127.0.0.1:"+itoa(29000+i))
		})
	}

	start = time.Now()
	for i := range allocs {
		wg.Go(func() { errs[i] = w.teardown(allocs[i], bridgeSpec, statuses[i]) })
	}
	wg.Wait()
	t.Logf("%d concurrent teardowns took %s", n, time.Since(start))
	for i := range allocs {
		must.NoError(t, errs[i])
		w.mustBeGone(allocs[i].ID, statuses[i].Address, 0)
	}
	// and a GC pass finds nothing more to do
	must.NoError(t, w.do(func() error { return w.c.GC(context.Background(), nil) }))
}

func itoa(i int) string {
	b := []byte{}
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
