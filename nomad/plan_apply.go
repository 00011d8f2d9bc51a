package nomad

import (
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// planApplier commits scheduler plans one at a time. Workers plan on snapshots
// that may be stale, so each node's part of a plan is re-checked against the
// latest state: the node must still exist and be ready, and everything it would
// run must fit (CPU, memory, disk, host ports — another plan may have taken a
// port meanwhile). What fits is committed in one write; nodes that no longer fit
// are left out and the result's RefreshIndex tells the scheduler to refresh and
// retry them. A job with AllAtOnce commits all or nothing.
type planApplier struct {
	mu     sync.Mutex
	srv    *Server
	logger hclog.Logger
}

func newPlanApplier(srv *Server) *planApplier {
	return &planApplier{srv: srv, logger: srv.logger.Named("plan_apply")}
}

func (p *planApplier) apply(plan *structs.Plan) (*structs.PlanResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()

	snap, err := p.srv.state.Snapshot()
	if err != nil {
		return nil, err
	}
	snapIndex, err := snap.LatestIndex()
	if err != nil {
		return nil, err
	}
	result := &structs.PlanResult{
		NodeUpdate:     map[string][]*structs.Allocation{},
		NodeAllocation: map[string][]*structs.Allocation{},
	}
	partial := false
	var accepted []string // in planNodes' order
	for _, nodeID := range planNodes(plan) {
		fit, reason, err := evaluateNodePlan(snap, plan, nodeID)
		if err != nil {
			return nil, err
		}
		if !fit {
			p.logger.Debug("plan for node rejected", "node_id", nodeID, "reason", reason, "eval_id", plan.EvalID)
			partial = true
			continue
		}
		if u := plan.NodeUpdate[nodeID]; len(u) > 0 {
			result.NodeUpdate[nodeID] = u
		}
		if a := plan.NodeAllocation[nodeID]; len(a) > 0 {
			result.NodeAllocation[nodeID] = a
		}
		accepted = append(accepted, nodeID)
	}
	if partial && plan.Job != nil && plan.Job.AllAtOnce {
		result.NodeUpdate = map[string][]*structs.Allocation{}
		result.NodeAllocation = map[string][]*structs.Allocation{}
		accepted = nil
	}

	var allocs []*structs.Allocation
	now := time.Now().UnixNano()
	for _, nodeID := range accepted {
		for _, a := range result.NodeUpdate[nodeID] {
			a.ModifyTime = now
			allocs = append(allocs, withoutPlanJob(a, plan.Job))
		}
		for _, a := range result.NodeAllocation[nodeID] {
			if a.CreateTime == 0 {
				a.CreateTime = now
			}
			a.ModifyTime = now
			allocs = append(allocs, withoutPlanJob(a, plan.Job))
		}
	}
	if len(allocs) > 0 {
		index, err := p.srv.raftApply(ApplyPlanResultsRequestType, &ApplyPlanResultsApply{Job: plan.Job, Allocs: allocs})
		if err != nil {
			return nil, err
		}
		result.AllocIndex = index
	}
	if partial {
		result.RefreshIndex = max(result.AllocIndex, snapIndex)
	}
	return result, nil
}

// withoutPlanJob is what the raft entry carries for a: the job once for the
// whole plan, not once per allocation (the FSM gives allocations without a job
// the entry's). An allocation of another job version keeps its own. No deep
// copy is needed: raftApply encodes before it returns and the FSM stores what
// it decodes, so the state store never holds the scheduler's objects.
func withoutPlanJob(a *structs.Allocation, job *structs.Job) *structs.Allocation {
	if job == nil || a.Job != job {
		return a
	}
	c := *a
	c.Job = nil
	return &c
}

// evaluateNodePlan checks one node's part of a plan against snap.
func evaluateNodePlan(snap *state.StateSnapshot, plan *structs.Plan, nodeID string) (bool, string, error) {
	// Stopping allocations always fits, and so does recording something on one
	// the client has finished (a failed allocation's follow-up eval): it runs
	// nothing, even on a node that is down.
	var placing []*structs.Allocation
	for _, a := range plan.NodeAllocation[nodeID] {
		if !a.ClientTerminalStatus() {
			placing = append(placing, a)
		}
	}
	if len(placing) == 0 {
		return true, "", nil
	}
	node, err := snap.NodeByID(nil, nodeID)
	if err != nil {
		return false, "", err
	}
	switch {
	case node == nil:
		return false, "node does not exist", nil
	case node.Status != structs.NodeStatusReady:
		return false, "node is not ready for placements", nil
	case node.SchedulingEligibility == structs.NodeSchedulingIneligible:
		return false, "node is not eligible", nil
	}
	existing, err := snap.AllocsByNode(nil, nodeID)
	if err != nil {
		return false, "", err
	}
	// Allocations the plan stops or replaces (in-place updates keep the ID) do not
	// count; the plan's placements do.
	replaced := map[string]bool{}
	for _, a := range plan.NodeUpdate[nodeID] {
		replaced[a.ID] = true
	}
	for _, a := range plan.NodeAllocation[nodeID] {
		replaced[a.ID] = true
	}
	proposed := make([]*structs.Allocation, 0, len(existing)+len(placing))
	for _, a := range existing {
		if !replaced[a.ID] && !a.TerminalStatus() {
			proposed = append(proposed, a)
		}
	}
	proposed = append(proposed, placing...)
	fit, reason := allocsFit(node, proposed)
	return fit, reason, nil
}

// planNodes lists the nodes a plan touches, sorted.
func planNodes(plan *structs.Plan) []string {
	seen := map[string]bool{}
	var out []string
	for id := range plan.NodeUpdate {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for id := range plan.NodeAllocation {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}
