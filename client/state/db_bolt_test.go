package state

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/nomad/structs"
)

func TestBoltStateDB_RoundTripAndReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := NewBoltStateDB(dir)
	must.NoError(t, err)

	for _, id := range []string{"a1", "a2"} {
		must.NoError(t, db.PutAllocation(&structs.Allocation{ID: id, Name: "web.api[0]", DesiredStatus: "run"}))
	}
	must.NoError(t, db.PutNetworkStatus("a1", &structs.AllocNetworkStatus{Address: "172.26.64.2", NetnsPath: "/var/run/netns/a1"}))
	handle := &drivers.TaskHandle{Driver: "raw_exec", State: json.RawMessage(`{"pid":42}`), StartedAt: time.Unix(100, 0).UTC()}
	must.NoError(t, db.PutTaskRunnerLocalState("a1", "web", &LocalState{TaskHandle: handle}))
	must.NoError(t, db.PutTaskState("a1", "web", &structs.TaskState{State: structs.TaskStateRunning, Restarts: 2}))
	must.NoError(t, db.Close())

	// Reopen: everything survives an agent restart.
	db, err = NewBoltStateDB(dir)
	must.NoError(t, err)
	t.Cleanup(func() { db.Close() })

	allocs, err := db.GetAllAllocations()
	must.NoError(t, err)
	must.Len(t, 2, allocs)

	ns, err := db.GetNetworkStatus("a1")
	must.NoError(t, err)
	must.Eq(t, "/var/run/netns/a1", ns.NetnsPath)

	ls, ts, err := db.GetTaskRunnerState("a1", "web")
	must.NoError(t, err)
	must.Eq(t, "raw_exec", ls.TaskHandle.Driver)
	must.Eq(t, `{"pid":42}`, string(ls.TaskHandle.State))
	must.Eq(t, uint64(2), ts.Restarts)

	// Missing things are (nil, nil).
	ns, err = db.GetNetworkStatus("a2")
	must.NoError(t, err)
	must.Nil(t, ns)
	ls, ts, err = db.GetTaskRunnerState("a2", "web")
	must.NoError(t, err)
	must.Nil(t, ls)
	must.Nil(t, ts)

	// Deleting removes the alloc and its tasks; twice is fine.
	must.NoError(t, db.DeleteAllocationBucket("a1"))
	must.NoError(t, db.DeleteAllocationBucket("a1"))
	allocs, err = db.GetAllAllocations()
	must.NoError(t, err)
	must.Len(t, 1, allocs)
	must.Eq(t, "a2", allocs[0].ID)
	ls, _, err = db.GetTaskRunnerState("a1", "web")
	must.NoError(t, err)
	must.Nil(t, ls)
}
