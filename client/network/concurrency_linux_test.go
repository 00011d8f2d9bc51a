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

// TestConcurrentAllocs_SameHostPort: setups run concurrently, but two
// allocations asking for one host port at once still end with exactly one owner
// (the other refused and cleaned up), and a setup racing the teardown of the
// port's previous owner waits for it and gets the port.
func TestConcurrentAllocs_SameHostPort(t *testing.T) {
	w := newWorld(t, nil)
	pair := []*structs.Allocation{newAlloc(port("http", 28080, 8080)), newAlloc(port("web", 28080, 80))}
	statuses := make([]*structs.AllocNetworkStatus, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range pair {
		wg.Go(func() { statuses[i], errs[i] = w.trySetup(pair[i], bridgeSpec) })
	}
	wg.Wait()
	owner, loser := 0, 1
	if errs[0] != nil {
		owner, loser = 1, 0
	}
	must.NoError(t, errs[owner])
	t.Cleanup(func() { _ = w.teardown(pair[owner], bridgeSpec, statuses[owner]) })
	must.ErrorContains(t, errs[loser], `host port 28080/tcp is already mapped to allocation "`+pair[owner].ID+`"`)
	w.mustBeGone(pair[loser].ID, "", 1)

	// The owner's teardown and a new allocation's setup at once.
	next := newAlloc(port("http", 28080, 8080))
	var tdErr, setupErr error
	var st *structs.AllocNetworkStatus
	wg.Go(func() { tdErr = w.teardown(pair[owner], bridgeSpec, statuses[owner]) })
	wg.Go(func() { st, setupErr = w.trySetup(next, bridgeSpec) })
	wg.Wait()
	must.NoError(t, tdErr)
	if setupErr == nil { // the teardown went first; the setup waited for it
		t.Cleanup(func() { _ = w.teardown(next, bridgeSpec, st) })
		serveTCP(t, st.NetnsPath, ":8080", banner("next"))
		mustReach(t, "port of the next allocation", "next", func() (string, error) { return dialTCP(w.host, hostIP+":28080") })
		return
	}
	// the setup went first and found the port still mapped
	must.ErrorContains(t, setupErr, `host port 28080/tcp is already mapped to allocation "`+pair[owner].ID+`"`)
}

func itoa(i int) string {
	b := []byte{}
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
