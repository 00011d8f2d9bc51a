package state

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func TestUpsertJob_VersionsAndIndexes(t *testing.T) {
	s := NewStateStore()

	must.NoError(t, s.UpsertJob(10, testJob("web")))
	got, err := s.JobByID(nil, "default", "web")
	must.NoError(t, err)
	must.NotNil(t, got)
	must.Eq(t, uint64(0), got.Version)
	must.Eq(t, uint64(10), got.CreateIndex)
	must.Eq(t, uint64(10), got.JobModifyIndex)
	must.Eq(t, structs.JobStatusPending, got.Status)

	// Same spec: nothing changes.
	must.NoError(t, s.UpsertJob(11, testJob("web")))
	got, _ = s.JobByID(nil, "default", "web")
	must.Eq(t, uint64(0), got.Version)
	must.Eq(t, uint64(10), got.ModifyIndex)

	// Changed spec: new version, CreateIndex kept.
	changed := testJob("web")
	changed.TaskGroups[0].Count = 3
	must.NoError(t, s.UpsertJob(12, changed))
	got, _ = s.JobByID(nil, "default", "web")
	must.Eq(t, uint64(1), got.Version)
	must.Eq(t, uint64(10), got.CreateIndex)
	must.Eq(t, uint64(12), got.JobModifyIndex)

	idx, err := s.Index(TableJobs)
	must.NoError(t, err)
	must.Eq(t, uint64(12), idx)
	latest, err := s.LatestIndex()
	must.NoError(t, err)
	must.Eq(t, uint64(12), latest)

	old, err := s.JobByIDAndVersion(nil, "default", "web", 0)
	must.NoError(t, err)
	must.Eq(t, 1, old.TaskGroups[0].Count)
}

func TestUpsertJob_KeepsSixVersionsNewestFirst(t *testing.T) {
	s := NewStateStore()
	for i := range 8 {
		j := testJob("web")
		j.TaskGroups[0].Count = i + 1
		must.NoError(t, s.UpsertJob(uint64(10+i), j))
	}
	// A job whose ID extends "web" must not show up among its versions.
	must.NoError(t, s.UpsertJob(30, testJob("web2")))

	versions, err := s.JobVersionsByID(nil, "default", "web")
	must.NoError(t, err)
	must.Len(t, JobTrackedVersions, versions)
	must.Eq(t, uint64(7), versions[0].Version)
	must.Eq(t, uint64(2), versions[5].Version)
}

func TestDeleteJob(t *testing.T) {
	s := NewStateStore()
	must.NoError(t, s.UpsertJob(1, testJob("web")))
	must.NoError(t, s.UpsertJob(2, testJob("web2")))

	must.NoError(t, s.DeleteJob(3, "default", "web"))
	got, err := s.JobByID(nil, "default", "web")
	must.NoError(t, err)
	must.Nil(t, got)
	versions, _ := s.JobVersionsByID(nil, "default", "web")
	must.Len(t, 0, versions)
	others, _ := s.JobVersionsByID(nil, "default", "web2")
	must.Len(t, 1, others)

	err = s.DeleteJob(4, "default", "web")
	must.True(t, errors.Is(err, structs.ErrNotFound))
}

func TestJobs_NamespaceAndPrefix(t *testing.T) {
	s := NewStateStore()
	must.NoError(t, s.UpsertJob(1, testJob("web")))
	must.NoError(t, s.UpsertJob(2, testJob("api")))
	other := testJob("web-other")
	other.Namespace = "prod"
	must.NoError(t, s.UpsertJob(3, other))

	cases := []struct {
		name, ns, prefix string
		want             []string
	}{
		{"all namespaces", "*", "", []string{"api", "web", "web-other"}},
		{"empty is all", "", "we", []string{"web", "web-other"}},
		{"one namespace", "default", "", []string{"api", "web"}},
		{"namespace and prefix", "prod", "web", []string{"web-other"}},
		{"no match", "default", "zzz", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jobs, err := s.Jobs(nil, tc.ns, tc.prefix)
			must.NoError(t, err)
			var ids []string
			for _, j := range jobs {
				ids = append(ids, j.ID)
			}
			must.Eq(t, tc.want, ids)
		})
	}
}

func TestJobStatus_FollowsAllocsAndEvals(t *testing.T) {
	s := NewStateStore()
	job := testJob("web")
	must.NoError(t, s.UpsertJob(1, job))
	status := func() string {
		j, err := s.JobByID(nil, "default", "web")
		must.NoError(t, err)
		return j.Status
	}

	eval := testEval(job, structs.EvalStatusPending)
	must.NoError(t, s.UpsertEvals(2, []*structs.Evaluation{eval}))
	must.Eq(t, structs.JobStatusPending, status())

	alloc := testAlloc(job, "node-1")
	must.NoError(t, s.UpsertAllocs(3, []*structs.Allocation{alloc}))
	must.Eq(t, structs.JobStatusRunning, status())

	done := eval.Copy()
	done.Status = structs.EvalStatusComplete
	must.NoError(t, s.UpsertEvals(4, []*structs.Evaluation{done}))
	must.Eq(t, structs.JobStatusRunning, status())

	// The batch finished: all allocations and evaluations terminal.
	update := &structs.Allocation{ID: alloc.ID, ClientStatus: structs.AllocClientStatusComplete}
	freed, err := s.UpdateAllocsFromClient(5, []*structs.Allocation{update})
	must.NoError(t, err)
	must.True(t, freed)
	must.Eq(t, structs.JobStatusDead, status())
}

func TestUpsertAllocs_KeepsClientFields(t *testing.T) {
	s := NewStateStore()
	job := testJob("web")
	must.NoError(t, s.UpsertJob(1, job))
	alloc := testAlloc(job, "node-1")
	must.NoError(t, s.UpsertAllocs(2, []*structs.Allocation{alloc}))

	freed, err := s.UpdateAllocsFromClient(3, []*structs.Allocation{{
		ID:            alloc.ID,
		ClientStatus:  structs.AllocClientStatusRunning,
		NetworkStatus: &structs.AllocNetworkStatus{Address: "172.26.64.2"},
		// Server fields in a client update are ignored.
		DesiredStatus: structs.AllocDesiredStatusStop,
	}})
	must.NoError(t, err)
	must.False(t, freed) // running holds its resources
	got, err := s.AllocByID(nil, alloc.ID)
	must.NoError(t, err)
	must.Eq(t, structs.AllocClientStatusRunning, got.ClientStatus)
	must.Eq(t, structs.AllocDesiredStatusRun, got.DesiredStatus)
	must.Eq(t, uint64(2), got.AllocModifyIndex)
	must.Eq(t, uint64(3), got.ModifyIndex)

	// The server stops it: client fields survive, job is kept.
	stop := got.CopySkipJob()
	stop.Job = nil
	stop.ClientStatus = structs.AllocClientStatusPending
	stop.NetworkStatus = nil
	stop.DesiredStatus = structs.AllocDesiredStatusStop
	must.NoError(t, s.UpsertAllocs(4, []*structs.Allocation{stop}))
	got, _ = s.AllocByID(nil, alloc.ID)
	must.Eq(t, structs.AllocDesiredStatusStop, got.DesiredStatus)
	must.Eq(t, structs.AllocClientStatusRunning, got.ClientStatus)
	must.Eq(t, "172.26.64.2", got.NetworkStatus.Address)
	must.NotNil(t, got.Job)
	must.Eq(t, uint64(2), got.CreateIndex)

	byNode, _ := s.AllocsByNode(nil, "node-1")
	must.Len(t, 1, byNode)
	byEval, _ := s.AllocsByEval(nil, alloc.EvalID)
	must.Len(t, 1, byEval)
	byJob, _ := s.AllocsByJob(nil, "default", "web")
	must.Len(t, 1, byJob)
	byPrefix, _ := s.AllocsByIDPrefix(nil, alloc.ID[:8])
	must.Len(t, 1, byPrefix)
}

func TestNodes_UpsertAndStatus(t *testing.T) {
	s := NewStateStore()
	must.NoError(t, s.UpsertNode(1, &structs.Node{ID: "node-1", Status: structs.NodeStatusReady}))
	must.NoError(t, s.UpdateNodeStatus(2, "node-1", structs.NodeStatusDown, 42))
	n, err := s.NodeByID(nil, "node-1")
	must.NoError(t, err)
	must.Eq(t, structs.NodeStatusDown, n.Status)
	must.Eq(t, int64(42), n.StatusUpdatedAt)
	must.Eq(t, uint64(1), n.CreateIndex)
	must.Eq(t, structs.NodeSchedulingEligible, n.SchedulingEligibility)

	err = s.UpdateNodeStatus(3, "missing", structs.NodeStatusDown, 0)
	must.True(t, errors.Is(err, structs.ErrNotFound))
}

func TestSnapshot_Isolation(t *testing.T) {
	s := NewStateStore()
	must.NoError(t, s.UpsertJob(1, testJob("web")))
	snap, err := s.Snapshot()
	must.NoError(t, err)

	// A write to the store is not seen by the snapshot...
	must.NoError(t, s.UpsertJob(2, testJob("api")))
	got, err := snap.JobByID(nil, "default", "api")
	must.NoError(t, err)
	must.Nil(t, got)
	idx, _ := snap.LatestIndex()
	must.Eq(t, uint64(1), idx)

	// ...and a write to the snapshot is not seen by the store.
	must.NoError(t, snap.UpsertJob(3, testJob("scratch")))
	got, _ = snap.JobByID(nil, "default", "scratch")
	must.NotNil(t, got)
	got, _ = s.JobByID(nil, "default", "scratch")
	must.Nil(t, got)

	// The scheduler's view reads the snapshot.
	view := NewSchedulerState(snap)
	j, err := view.JobByID("default", "scratch")
	must.NoError(t, err)
	must.NotNil(t, j)
}

func TestBlockingQuery(t *testing.T) {
	allocsOnNode := func(ws memdb.WatchSet, s *StateStore) (any, uint64, error) {
		allocs, err := s.AllocsByNode(ws, "node-1")
		if err != nil {
			return nil, 0, err
		}
		var idx uint64
		for _, a := range allocs {
			idx = max(idx, a.ModifyIndex)
		}
		return allocs, idx, nil
	}

	t.Run("returns at once below the index", func(t *testing.T) {
		s := NewStateStore()
		_, idx, err := s.BlockingQuery(context.Background(), 0, allocsOnNode)
		must.NoError(t, err)
		must.Eq(t, uint64(1), idx) // never 0
	})

	t.Run("wakes on a write", func(t *testing.T) {
		s := NewStateStore()
		job := testJob("web")
		must.NoError(t, s.UpsertJob(1, job))
		type result struct {
			resp any
			idx  uint64
			err  error
		}
		done := make(chan result, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, idx, err := s.BlockingQuery(ctx, 1, allocsOnNode)
			done <- result{resp, idx, err}
		}()
		// A write elsewhere does not answer the query; one on the node does.
		must.NoError(t, s.UpsertAllocs(5, []*structs.Allocation{testAlloc(job, "node-2")}))
		must.NoError(t, s.UpsertAllocs(6, []*structs.Allocation{testAlloc(job, "node-1")}))
		select {
		case r := <-done:
			must.NoError(t, r.err)
			must.Eq(t, uint64(6), r.idx)
			must.Len(t, 1, r.resp.([]*structs.Allocation))
		case <-time.After(5 * time.Second):
			t.Fatal("blocking query did not wake on a write")
		}
	})

	t.Run("times out with the current result", func(t *testing.T) {
		s := NewStateStore()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, idx, err := s.BlockingQuery(ctx, 1, allocsOnNode)
		must.NoError(t, err)
		must.Eq(t, uint64(1), idx)
		must.Greater(t, 90*time.Millisecond, time.Since(start))
	})
}

func TestUpsertAllocs_LinksReplacement(t *testing.T) {
	s := NewStateStore()
	job := testJob("web")
	must.NoError(t, s.UpsertJob(1, job))
	failed := testAlloc(job, "node-1")
	failed.ClientStatus = structs.AllocClientStatusFailed
	failed.FollowupEvalID = "followup"
	must.NoError(t, s.UpsertAllocs(2, []*structs.Allocation{failed}))

	// The replacement is written before an update of the failed allocation
	// planned without the link (same write): the link survives.
	next := testAlloc(job, "node-2")
	next.PreviousAllocation = failed.ID
	next.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{
		{RescheduleTime: 5, PrevAllocID: failed.ID, PrevNodeID: "node-1", Delay: 30 * time.Second},
	}}
	stale := failed.CopySkipJob()
	must.NoError(t, s.UpsertAllocs(3, []*structs.Allocation{next, stale}))

	got, err := s.AllocByID(nil, failed.ID)
	must.NoError(t, err)
	must.Eq(t, next.ID, got.NextAllocation)
	must.Eq(t, "followup", got.FollowupEvalID)
	gotNext, _ := s.AllocByID(nil, next.ID)
	must.Eq(t, 30*time.Second, gotNext.RescheduleTracker.Events[0].Delay)
}
