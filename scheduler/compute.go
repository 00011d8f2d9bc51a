package scheduler

import (
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/structs"
)

// computeJobAllocs reconciles the job and fills s.plan: stops, in-place updates
// and placements. Placements that find no node are recorded in failedTGAllocs and
// queuedAllocs.
func (s *genericScheduler) computeJobAllocs() error {
	allocs, err := s.state.AllocsByJob(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return fmt.Errorf("failed to get allocs of job %q: %w", s.eval.JobID, err)
	}
	nodes, err := s.state.Nodes()
	if err != nil {
		return fmt.Errorf("failed to list nodes: %w", err)
	}
	nodeByID := make(map[string]*structs.Node, len(nodes))
	for _, n := range nodes {
		nodeByID[n.ID] = n
	}

	res := reconcile(s.job, allocs, nodeByID, s.batch, reconcileClock{now: s.now(), evalID: s.eval.ID})
	s.plan.Annotations.DesiredTGUpdates = res.desired
	for _, st := range res.stop {
		s.plan.AppendStoppedAlloc(st.alloc, st.desc, st.clientStatus)
	}
	if s.job.Stopped() {
		return nil
	}
	if err := s.scheduleFollowups(res.later); err != nil {
		return err
	}

	ctx := newEvalContext(s.state, s.plan)
	ready, byDC := readyNodesInDCs(nodes, s.job.Datacenters)
	st := newStack(ctx, s.job, ready, byDC, s.batch)

	// In-place updates first: they keep their node and ports. One whose node no
	// longer meets the job becomes destructive.
	place := slices.Clone(res.destructive)
	for _, a := range res.inplace {
		tg := s.job.LookupTaskGroup(a.TaskGroup)
		if !st.feasibleOn(tg, nodeByID[a.NodeID]) {
			du := res.desired[a.TaskGroup]
			du.InPlaceUpdate--
			du.DestructiveUpdate++
			place = append(place, placeRequest{name: a.Name, tg: tg, previous: a, destructive: true})
			continue
		}
		s.plan.AppendAlloc(s.inplaceAlloc(a))
	}
	place = append(place, res.place...)

	for _, p := range place {
		if err := s.placeOne(st, p); err != nil {
			return err
		}
	}
	return nil
}

// placeOne finds a node for one placement and adds it to the plan, or records
// the failure. A destructive update stops its previous allocation (first, so its
// resources and ports are free for the replacement) only if the replacement fits.
func (s *genericScheduler) placeOne(st *stack, p placeRequest) error {
	if m, failed := s.failedTGAllocs[p.tg.Name]; failed {
		// Nomad tries a group once per evaluation; the rest are coalesced.
		m.CoalescedFailures++
		s.queuedAllocs[p.tg.Name]++
		return nil
	}
	if p.destructive {
		s.plan.AppendStoppedAlloc(p.previous, allocUpdating, "")
	}
	var avoid map[string]bool
	if p.reschedule {
		avoid = reschedulePenaltyNodes(p.previous)
	}
	option, metric, err := st.selectNode(p.tg, avoid)
	if err != nil {
		return err
	}
	if option == nil {
		if p.destructive {
			s.popStop(p.previous)
		}
		if s.failedTGAllocs == nil {
			s.failedTGAllocs = map[string]*structs.AllocMetric{}
		}
		s.failedTGAllocs[p.tg.Name] = metric
		s.queuedAllocs[p.tg.Name]++
		return nil
	}
	s.plan.AppendAlloc(s.newAlloc(p, option, metric))
	return nil
}

// popStop removes a stop the plan recorded for alloc.
func (s *genericScheduler) popStop(alloc *structs.Allocation) {
	list := s.plan.NodeUpdate[alloc.NodeID]
	list = slices.DeleteFunc(list, func(a *structs.Allocation) bool { return a.ID == alloc.ID })
	if len(list) == 0 {
		delete(s.plan.NodeUpdate, alloc.NodeID)
		return
	}
	s.plan.NodeUpdate[alloc.NodeID] = list
}

// newAlloc builds the allocation for a placement on the chosen node.
func (s *genericScheduler) newAlloc(p placeRequest, option *rankedNode, metric *structs.AllocMetric) *structs.Allocation {
	now := s.now().UnixNano()
	a := &structs.Allocation{
		ID:                 uuid.NewString(),
		Namespace:          s.job.Namespace,
		EvalID:             s.eval.ID,
		Name:               p.name,
		NodeID:             option.node.ID,
		NodeName:           option.node.Name,
		JobID:              s.job.ID,
		Job:                s.job,
		TaskGroup:          p.tg.Name,
		AllocatedResources: option.resources(p.tg),
		Metrics:            metric,
		DesiredStatus:      structs.AllocDesiredStatusRun,
		ClientStatus:       structs.AllocClientStatusPending,
		CreateTime:         now,
		ModifyTime:         now,
	}
	if p.previous != nil {
		a.PreviousAllocation = p.previous.ID
	}
	if p.reschedule {
		a.RescheduleTracker = rescheduleTracker(p.previous, s.now())
	}
	return a
}

// scheduleFollowups creates the delayed evaluations that will reschedule failed
// allocations once their delay has passed, and records each one's eval in the
// plan (FollowupEvalID) so later evaluations do not create another. The evals
// are written before the plan, as Nomad does: an eval whose allocation update
// is lost only runs once for nothing.
func (s *genericScheduler) scheduleFollowups(later []delayedReschedule) error {
	evals, byAlloc := followupEvals(s.eval, s.job, later, s.now())
	for _, e := range evals {
		if err := s.planner.CreateEval(e); err != nil {
			return fmt.Errorf("failed to create follow-up eval for rescheduling: %w", err)
		}
		s.logger.Debug("failed allocations to reschedule later, follow-up eval created",
			"followup_eval_id", e.ID, "wait_until", e.WaitUntil)
	}
	for _, d := range later {
		updated := d.alloc.CopySkipJob()
		updated.FollowupEvalID = byAlloc[d.alloc.ID]
		s.plan.AppendAlloc(updated)
	}
	return nil
}

// inplaceAlloc is the in-place update of an allocation: same ID, node and
// resources (ports included), new job.
func (s *genericScheduler) inplaceAlloc(old *structs.Allocation) *structs.Allocation {
	a := old.CopySkipJob()
	a.Job = s.job
	a.EvalID = s.eval.ID
	a.DesiredDescription = allocInPlace
	a.ModifyTime = s.now().UnixNano()
	return a
}
