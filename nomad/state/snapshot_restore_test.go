package state

import (
	"bytes"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

// TestStateStore_PersistRestore: a store restored from a persisted snapshot has
// the same jobs (every version), evals, allocs, nodes and indexes; what the
// target held before is gone, and blocking queries on it wake up.
func TestStateStore_PersistRestore(t *testing.T) {
	src := NewStateStore()
	job := testJob("web")
	must.NoError(t, src.UpsertJob(10, job))
	v2 := job.Copy()
	v2.Priority = 70
	must.NoError(t, src.UpsertJob(11, v2))
	eval := testEval(v2, structs.EvalStatusPending)
	must.NoError(t, src.UpsertEvals(12, []*structs.Evaluation{eval}))
	node := &structs.Node{ID: "node-1", Name: "n1", Status: structs.NodeStatusReady}
	must.NoError(t, src.UpsertNode(13, node))
	alloc := testAlloc(v2, node.ID)
	must.NoError(t, src.UpsertAllocs(14, []*structs.Allocation{alloc}))

	snap, err := src.Snapshot()
	must.NoError(t, err)
	var buf bytes.Buffer
	must.NoError(t, snap.Persist(&buf))

	dst := NewStateStore()
	must.NoError(t, dst.UpsertJob(3, testJob("stale")))
	ws := memdb.NewWatchSet()
	_, err = dst.Jobs(ws, "default", "")
	must.NoError(t, err)
	must.NoError(t, dst.Restore(&buf))
	timedOut := ws.Watch(time.After(5 * time.Second))
	must.False(t, timedOut, must.Sprint("blocking query not woken by restore"))

	got, _ := dst.JobByID(nil, "default", "web")
	must.NotNil(t, got)
	must.Eq(t, 70, got.Priority)
	versions, _ := dst.JobVersionsByID(nil, "default", "web")
	must.Len(t, 2, versions)
	gone, _ := dst.JobByID(nil, "default", "stale")
	must.Nil(t, gone)
	e, _ := dst.EvalByID(nil, eval.ID)
	must.NotNil(t, e)
	a, _ := dst.AllocByID(nil, alloc.ID)
	must.NotNil(t, a)
	must.Eq(t, node.ID, a.NodeID)
	n, _ := dst.NodeByID(nil, node.ID)
	must.NotNil(t, n)
	index, _ := dst.LatestIndex()
	must.Eq(t, uint64(14), index)
}
