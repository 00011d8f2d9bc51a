package structs

// Plan is the scheduler's proposal for one evaluation: allocations to stop and
// allocations to place or update, per node. The server's plan applier checks it
// against the latest state and commits what still fits.
type Plan struct {
	EvalID   string
	Priority int
	Job      *Job
	// NodeUpdate holds allocations to stop (DesiredStatus already set), by node ID.
	NodeUpdate map[string][]*Allocation
	// NodeAllocation holds new or in-place updated allocations, by node ID.
	NodeAllocation map[string][]*Allocation
	Annotations    *PlanAnnotations
}

// AppendStoppedAlloc records that alloc must stop, with a reason for users.
func (p *Plan) AppendStoppedAlloc(alloc *Allocation, desc, clientStatus string) {
	if p.NodeUpdate == nil {
		p.NodeUpdate = map[string][]*Allocation{}
	}
	// Only top-level fields change, so a shallow copy is enough: the nested
	// parts stay shared with alloc, which nobody mutates (state store objects
	// are immutable), and the plan applier's raft write copies them anyway.
	c := *alloc
	stop := &c
	stop.DesiredStatus = AllocDesiredStatusStop
	stop.DesiredDescription = desc
	if clientStatus != "" {
		stop.ClientStatus = clientStatus
	}
	p.NodeUpdate[alloc.NodeID] = append(p.NodeUpdate[alloc.NodeID], stop)
}

// AppendAlloc records a placement (or in-place update) of alloc.
func (p *Plan) AppendAlloc(alloc *Allocation) {
	if p.NodeAllocation == nil {
		p.NodeAllocation = map[string][]*Allocation{}
	}
	p.NodeAllocation[alloc.NodeID] = append(p.NodeAllocation[alloc.NodeID], alloc)
}

// IsNoOp reports whether the plan changes nothing.
func (p *Plan) IsNoOp() bool {
	return len(p.NodeUpdate) == 0 && len(p.NodeAllocation) == 0
}

// PlanResult is what the applier committed. A partial commit leaves out whole nodes.
type PlanResult struct {
	NodeUpdate     map[string][]*Allocation
	NodeAllocation map[string][]*Allocation
	// AllocIndex is the state index at which the allocations were written.
	AllocIndex uint64
	// RefreshIndex, when non-zero, tells the scheduler to refresh its state to at
	// least this index and retry what was not committed.
	RefreshIndex uint64
}

// PlanAnnotations explain a plan to users (`nomad job plan`).
type PlanAnnotations struct {
	DesiredTGUpdates map[string]*DesiredUpdates
}

// DesiredUpdates counts what a plan does to one task group.
type DesiredUpdates struct {
	Ignore            uint64
	Place             uint64
	Migrate           uint64
	Stop              uint64
	InPlaceUpdate     uint64
	DestructiveUpdate uint64
	Canary            uint64
	Preemptions       uint64
}
