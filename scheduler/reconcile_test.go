package scheduler

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestReconcile_Names(t *testing.T) {
	node := testNode(1)
	nodes := map[string]*structs.Node{node.ID: node}
	job := testJob(0)
	alloc := func(idx int, createIndex uint64) *structs.Allocation {
		return &structs.Allocation{
			ID:            fmt.Sprintf("a%d-%d", idx, createIndex),
			Name:          allocName(job.ID, "web", idx),
			JobID:         job.ID,
			Job:           job,
			TaskGroup:     "web",
			NodeID:        node.ID,
			DesiredStatus: structs.AllocDesiredStatusRun,
			ClientStatus:  structs.AllocClientStatusRunning,
			CreateIndex:   createIndex,
		}
	}
	cases := []struct {
		name      string
		count     int
		allocs    []*structs.Allocation
		wantStop  []string // alloc IDs
		wantPlace []string // names
	}{
		{
			name:      "fills gaps with the lowest free indexes",
			count:     4,
			allocs:    []*structs.Allocation{alloc(1, 1), alloc(3, 2)},
			wantPlace: []string{"web.web[0]", "web.web[2]"},
		},
		{
			name:     "duplicate name is stopped before higher indexes",
			count:    3,
			allocs:   []*structs.Allocation{alloc(0, 1), alloc(1, 2), alloc(2, 3), alloc(1, 4)},
			wantStop: []string{"a1-4"},
		},
		{
			name:      "scale down stops out-of-range indexes first",
			count:     2,
			allocs:    []*structs.Allocation{alloc(0, 1), alloc(5, 2), alloc(1, 3), alloc(2, 4)},
			wantStop:  []string{"a2-4", "a5-2"},
			wantPlace: nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := job.Copy()
			j.TaskGroups[0].Count = tc.count
			j.Version, j.JobModifyIndex = job.Version, job.JobModifyIndex
			res := reconcile(j, tc.allocs, nodes, false, reconcileClock{now: time.Now(), evalID: "eval"})
			var stops, places []string
			for _, s := range res.stop {
				stops = append(stops, s.alloc.ID)
			}
			for _, p := range res.place {
				places = append(places, p.name)
			}
			sort.Strings(stops)
			sort.Strings(places)
			must.Eq(t, tc.wantStop, stops)
			must.Eq(t, tc.wantPlace, places)
			must.SliceEmpty(t, res.inplace)
			must.SliceEmpty(t, res.destructive)
		})
	}
}

func TestGenericSched_InPlaceBecomesDestructiveWhenNodeNoLongerFits(t *testing.T) {
	n1, n2 := testNode(1), testNode(2)
	n1.Meta["tier"] = "old"
	n2.Meta["tier"] = "new"
	job := testJob(1)
	job.Constraints = []*structs.Constraint{{LTarget: "${meta.tier}", Operand: "=", RTarget: "old"}}
	h := newTestHarness(t, job, n1, n2)
	runEval(t, h, job)
	before := liveAllocs(t, h, job)
	must.Len(t, 1, before)
	must.Eq(t, n1.ID, before[0].NodeID)

	// Only the constraint changes: TasksUpdated says in-place, but the node no
	// longer qualifies, so the alloc moves.
	job2 := bumpJob(job, func(j *structs.Job) { j.Constraints[0].RTarget = "new" })
	must.False(t, TasksUpdated(job, job2, "web"))
	h.State.UpsertJob(job2)
	runEval(t, h, job2)
	plan := h.LastPlan()
	du := plan.Annotations.DesiredTGUpdates["web"]
	must.Eq(t, uint64(1), du.DestructiveUpdate)
	must.Eq(t, uint64(0), du.InPlaceUpdate)
	placed := planAllocs(plan)
	must.Len(t, 1, placed)
	must.Eq(t, n2.ID, placed[0].NodeID)
	must.Eq(t, before[0].ID, placed[0].PreviousAllocation)
}

func TestGenericSched_FailedDestructiveKeepsOldAlloc(t *testing.T) {
	job := testJob(1)
	h := newTestHarness(t, job, testNode(1))
	runEval(t, h, job)
	before := liveAllocs(t, h, job)
	must.Len(t, 1, before)

	// The new version needs more memory than any node has.
	job2 := bumpJob(job, func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 100000 })
	h.State.UpsertJob(job2)
	ev := runEval(t, h, job2)
	must.Eq(t, map[string]int{"memory": 1}, ev.FailedTGAllocs["web"].DimensionExhausted)
	must.Len(t, 1, h.CreateEvals)
	live := liveAllocs(t, h, job)
	must.Len(t, 1, live)
	must.Eq(t, before[0].ID, live[0].ID, must.Sprint("old alloc keeps running"))
}
