package scheduler

import (
	"fmt"

	"github.com/netnomad/netnomad/nomad/structs"
)

// evalContext is what one scheduling attempt knows: the state snapshot and the plan
// being built. Its view of a node's allocations includes the plan, so every
// placement sees the ones made before it in the same plan.
type evalContext struct {
	state State
	plan  *structs.Plan

	// nodeAllocs caches the state's non-terminal allocations per node; the
	// snapshot does not change during an attempt.
	nodeAllocs map[string][]*structs.Allocation
	checker    *constraintChecker
}

func newEvalContext(state State, plan *structs.Plan) *evalContext {
	return &evalContext{
		state:      state,
		plan:       plan,
		nodeAllocs: map[string][]*structs.Allocation{},
		checker:    newConstraintChecker(),
	}
}

// proposedAllocs returns the allocations that will be running on the node if the
// plan is applied: the state's non-terminal ones, minus those the plan stops or
// replaces in place, plus those the plan places.
func (ctx *evalContext) proposedAllocs(nodeID string) ([]*structs.Allocation, error) {
	existing, ok := ctx.nodeAllocs[nodeID]
	if !ok {
		all, err := ctx.state.AllocsByNode(nodeID)
		if err != nil {
			return nil, fmt.Errorf("failed to get allocs of node %q: %w", nodeID, err)
		}
		for _, a := range all {
			if !a.TerminalStatus() {
				existing = append(existing, a)
			}
		}
		ctx.nodeAllocs[nodeID] = existing
	}
	stopped := ctx.plan.NodeUpdate[nodeID]
	placed := ctx.plan.NodeAllocation[nodeID]
	if len(stopped) == 0 && len(placed) == 0 {
		return existing, nil
	}
	gone := make(map[string]struct{}, len(stopped)+len(placed))
	for _, a := range stopped {
		gone[a.ID] = struct{}{}
	}
	for _, a := range placed {
		gone[a.ID] = struct{}{}
	}
	out := make([]*structs.Allocation, 0, len(existing)+len(placed))
	for _, a := range existing {
		if _, ok := gone[a.ID]; !ok {
			out = append(out, a)
		}
	}
	for _, a := range placed {
		if !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	return out, nil
}

// newMetric returns an empty AllocMetric. Its maps are created on first use
// (placements are frequent and most metrics stay small).
func newMetric() *structs.AllocMetric {
	return &structs.AllocMetric{}
}

// filterNode records that node failed a feasibility check for reason.
func filterNode(m *structs.AllocMetric, node *structs.Node, reason string) {
	m.NodesFiltered++
	if node.NodeClass != "" {
		m.ClassFiltered = incr(m.ClassFiltered, node.NodeClass)
	}
	if reason != "" {
		m.ConstraintFiltered = incr(m.ConstraintFiltered, reason)
	}
}

// exhaustedNode records that node lacked room in dimension.
func exhaustedNode(m *structs.AllocMetric, node *structs.Node, dimension string) {
	m.NodesExhausted++
	if node.NodeClass != "" {
		m.ClassExhausted = incr(m.ClassExhausted, node.NodeClass)
	}
	if dimension != "" {
		m.DimensionExhausted = incr(m.DimensionExhausted, dimension)
	}
}

func incr(m map[string]int, key string) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[key]++
	return m
}
