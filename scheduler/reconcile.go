package scheduler

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// allocName is Nomad's allocation name: "<job>.<group>[<index>]".
func allocName(jobID, group string, idx int) string {
	return fmt.Sprintf("%s.%s[%d]", jobID, group, idx)
}

// placeRequest is one allocation to place.
type placeRequest struct {
	name string
	tg   *structs.TaskGroup
	// previous is the allocation this one replaces (destructive update, lost or
	// rescheduled).
	previous *structs.Allocation
	// destructive means previous is still running and is stopped only when the
	// replacement finds a node.
	destructive bool
	// reschedule means previous failed: the replacement carries its reschedule
	// history and avoids its node.
	reschedule bool
}

// stopRequest is one allocation to stop.
type stopRequest struct {
	alloc        *structs.Allocation
	desc         string
	clientStatus string
}

// reconcileResult is what the reconciler decided for a job, before any node is
// picked.
type reconcileResult struct {
	stop        []stopRequest
	inplace     []*structs.Allocation
	destructive []placeRequest
	place       []placeRequest
	// later are failed allocations to reschedule once their delay has passed.
	later   []delayedReschedule
	desired map[string]*structs.DesiredUpdates
}

// reconcileClock is what reconcile needs to decide reschedules: the time, and
// the evaluation being processed (a failed allocation's follow-up eval
// reschedules it at once).
type reconcileClock struct {
	now    time.Time
	evalID string
}

// reconcile compares the job's desired state with its allocations. nodes maps node
// IDs to nodes (all of them, not only ready ones): an allocation whose node is
// down or gone is lost. A nil or stopped job stops everything.
//
// Per group, the allocations that hold a name (index) are the live ones (desired
// run, client not terminal) and the kept ones: batch allocations that completed,
// and failed or client-lost allocations that are not rescheduled now (see
// reschedule.go: their policy is exhausted, or their delay has not passed, in
// which case they are also listed in later). Kept ones are not replaced. A failed
// allocation that already has a replacement (NextAllocation) holds no name.
func reconcile(job *structs.Job, allocs []*structs.Allocation, nodes map[string]*structs.Node, batch bool,
	clock reconcileClock) *reconcileResult {
	res := &reconcileResult{desired: map[string]*structs.DesiredUpdates{}}

	byGroup := map[string][]*structs.Allocation{}
	for _, a := range allocs {
		byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
	}

	var groups []string
	seen := map[string]bool{}
	if job != nil {
		for _, tg := range job.TaskGroups {
			groups = append(groups, tg.Name)
			seen[tg.Name] = true
		}
	}
	var extra []string
	for g := range byGroup {
		if !seen[g] {
			extra = append(extra, g)
		}
	}
	sort.Strings(extra)
	groups = append(groups, extra...)

	for _, g := range groups {
		var tg *structs.TaskGroup
		if job != nil && !job.Stopped() {
			tg = job.LookupTaskGroup(g)
		}
		du := &structs.DesiredUpdates{}
		res.desired[g] = du
		reconcileGroup(res, du, job, tg, g, byGroup[g], nodes, batch, clock)
	}
	return res
}

func reconcileGroup(res *reconcileResult, du *structs.DesiredUpdates, job *structs.Job, tg *structs.TaskGroup,
	group string, allocs []*structs.Allocation, nodes map[string]*structs.Node, batch bool, clock reconcileClock) {

	var live, kept, lost, rescheduled []*structs.Allocation
	for _, a := range allocs {
		if a.DesiredStatus != "" && a.DesiredStatus != structs.AllocDesiredStatusRun {
			continue
		}
		switch a.ClientStatus {
		case structs.AllocClientStatusComplete:
			if batch {
				kept = append(kept, a)
			}
			// A service allocation that exited is replaced.
		case structs.AllocClientStatusFailed, structs.AllocClientStatusLost:
			if a.NextAllocation != "" {
				continue // already replaced
			}
			decision, at := decideReschedule(a, clock.now, clock.evalID)
			switch {
			case decision == rescheduleNow && tg != nil:
				rescheduled = append(rescheduled, a)
				continue
			case decision == rescheduleLater && tg != nil:
				res.later = append(res.later, delayedReschedule{alloc: a, at: at})
			}
			kept = append(kept, a)
		default:
			if n := nodes[a.NodeID]; n == nil || n.Status == structs.NodeStatusDown {
				lost = append(lost, a)
			} else {
				live = append(live, a)
			}
		}
	}

	// Lost allocations are stopped whatever happens next.
	for _, a := range lost {
		res.stop = append(res.stop, stopRequest{alloc: a, desc: allocLost, clientStatus: structs.AllocClientStatusLost})
		du.Stop++
	}

	if tg == nil {
		// Job stopped or purged, or the group was removed from the job.
		for _, a := range live {
			res.stop = append(res.stop, stopRequest{alloc: a, desc: allocNotNeeded})
			du.Stop++
		}
		return
	}

	// Scale down: stop duplicates of a name first, then indexes beyond the
	// count, then the highest indexes.
	existing := append(slices.Clone(live), kept...)
	if excess := len(existing) - tg.Count; excess > 0 {
		for _, a := range stopOrder(existing, tg.Count)[:excess] {
			res.stop = append(res.stop, stopRequest{alloc: a, desc: allocNotNeeded})
			du.Stop++
			existing = slices.DeleteFunc(existing, func(e *structs.Allocation) bool { return e == a })
		}
	}

	used := map[int]bool{}
	for _, a := range existing {
		used[a.Index()] = true
		if slices.Contains(kept, a) {
			du.Ignore++
			continue
		}
		switch {
		case !allocJobOutdated(a, job):
			du.Ignore++
		case TasksUpdated(a.Job, job, group):
			res.destructive = append(res.destructive, placeRequest{name: a.Name, tg: tg, previous: a, destructive: true})
			du.DestructiveUpdate++
		default:
			res.inplace = append(res.inplace, a)
			du.InPlaceUpdate++
		}
	}

	missing := tg.Count - len(existing)
	next := 0
	freeName := func() string {
		for used[next] {
			next++
		}
		used[next] = true
		return allocName(job.ID, group, next)
	}
	// Replacements keep their predecessor's name when it is free.
	replace := func(a *structs.Allocation, reschedule bool) {
		name := a.Name
		if used[a.Index()] {
			name = freeName()
		} else {
			used[a.Index()] = true
		}
		res.place = append(res.place, placeRequest{name: name, tg: tg, previous: a, reschedule: reschedule})
		du.Place++
		missing--
	}
	for _, a := range lost {
		if missing > 0 {
			replace(a, false)
		}
	}
	for _, a := range rescheduled {
		if missing > 0 {
			replace(a, true)
		}
	}
	for ; missing > 0; missing-- {
		res.place = append(res.place, placeRequest{name: freeName(), tg: tg})
		du.Place++
	}
}

// stopOrder sorts allocations in the order they should be stopped on scale down.
func stopOrder(allocs []*structs.Allocation, count int) []*structs.Allocation {
	out := slices.Clone(allocs)
	// Duplicates: every allocation sharing an index with an earlier-created one.
	dup := map[*structs.Allocation]bool{}
	first := map[int]*structs.Allocation{}
	sorted := slices.Clone(allocs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].CreateIndex < sorted[j].CreateIndex })
	for _, a := range sorted {
		if _, ok := first[a.Index()]; ok {
			dup[a] = true
			continue
		}
		first[a.Index()] = a
	}
	rank := func(a *structs.Allocation) int {
		switch {
		case dup[a]:
			return 0
		case a.Index() >= count:
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return out[i].Index() > out[j].Index()
	})
	return out
}

// allocJobOutdated reports whether the allocation runs an older version of job.
// An allocation without its job snapshot is left alone.
func allocJobOutdated(a *structs.Allocation, job *structs.Job) bool {
	if a.Job == nil {
		return false
	}
	return a.Job.Version < job.Version ||
		(a.Job.Version == job.Version && a.Job.JobModifyIndex < job.JobModifyIndex)
}
