package scheduler

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/structs"
)

// MemState is a small in-memory State for tests and dry runs. Objects are stored
// as given (no copies); callers must not mutate them afterwards.
type MemState struct {
	mu     sync.Mutex
	index  uint64
	nodes  map[string]*structs.Node
	jobs   map[string]*structs.Job
	allocs map[string]*structs.Allocation
	order  []string // alloc IDs in insertion order, for stable listings
}

var _ State = (*MemState)(nil)

// NewMemState returns an empty state at index 1.
func NewMemState() *MemState {
	return &MemState{
		index:  1,
		nodes:  map[string]*structs.Node{},
		jobs:   map[string]*structs.Job{},
		allocs: map[string]*structs.Allocation{},
	}
}

func jobKey(namespace, id string) string { return namespace + "\x00" + id }

// UpsertNode adds or replaces a node.
func (s *MemState) UpsertNode(n *structs.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	n.ModifyIndex = s.index
	if n.CreateIndex == 0 {
		n.CreateIndex = s.index
	}
	s.nodes[n.ID] = n
}

// UpsertJob adds or replaces a job.
func (s *MemState) UpsertJob(j *structs.Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	j.ModifyIndex = s.index
	if j.CreateIndex == 0 {
		j.CreateIndex = s.index
	}
	s.jobs[jobKey(j.Namespace, j.ID)] = j
}

// DeleteJob removes a job (a purge).
func (s *MemState) DeleteJob(namespace, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	delete(s.jobs, jobKey(namespace, id))
}

// UpsertAllocs adds or replaces allocations.
func (s *MemState) UpsertAllocs(allocs ...*structs.Allocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	for _, a := range allocs {
		s.upsertAllocLocked(a)
	}
}

// upsertAllocLocked stores a, and links a new replacement to the allocation it
// replaces (NextAllocation), as the server's state store does.
func (s *MemState) upsertAllocLocked(a *structs.Allocation) {
	if old, ok := s.allocs[a.ID]; ok {
		a.CreateIndex = old.CreateIndex
		if a.Job == nil {
			a.Job = old.Job
		}
	} else {
		a.CreateIndex = s.index
		s.order = append(s.order, a.ID)
		if prev := s.allocs[a.PreviousAllocation]; prev != nil && prev.NextAllocation == "" {
			linked := prev.CopySkipJob()
			linked.NextAllocation = a.ID
			linked.ModifyIndex = s.index
			s.allocs[prev.ID] = linked
		}
	}
	a.ModifyIndex = s.index
	a.AllocModifyIndex = s.index
	s.allocs[a.ID] = a
}

// Nodes implements State.
func (s *MemState) Nodes() ([]*structs.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*structs.Node, 0, len(s.nodes))
	for _, n := range s.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// NodeByID implements State.
func (s *MemState) NodeByID(id string) (*structs.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nodes[id], nil
}

// JobByID implements State.
func (s *MemState) JobByID(namespace, id string) (*structs.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs[jobKey(namespace, id)], nil
}

// AllocsByJob implements State.
func (s *MemState) AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error) {
	return s.filterAllocs(func(a *structs.Allocation) bool { return a.Namespace == namespace && a.JobID == jobID }), nil
}

// AllocsByNode implements State.
func (s *MemState) AllocsByNode(nodeID string) ([]*structs.Allocation, error) {
	return s.filterAllocs(func(a *structs.Allocation) bool { return a.NodeID == nodeID }), nil
}

// AllocByID returns an allocation or nil.
func (s *MemState) AllocByID(id string) *structs.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allocs[id]
}

func (s *MemState) filterAllocs(keep func(*structs.Allocation) bool) []*structs.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*structs.Allocation
	for _, id := range s.order {
		if a := s.allocs[id]; keep(a) {
			out = append(out, a)
		}
	}
	return out
}

// LatestIndex implements State.
func (s *MemState) LatestIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index, nil
}

// applyPlan commits the whole plan.
func (s *MemState) applyPlan(plan *structs.Plan) *structs.PlanResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index++
	for _, list := range plan.NodeUpdate {
		for _, a := range list {
			s.upsertAllocLocked(a)
		}
	}
	for _, list := range plan.NodeAllocation {
		for _, a := range list {
			s.upsertAllocLocked(a)
		}
	}
	return &structs.PlanResult{NodeUpdate: plan.NodeUpdate, NodeAllocation: plan.NodeAllocation, AllocIndex: s.index}
}

// Harness runs the scheduler against a MemState and records what it does: it
// is a Planner that commits every plan in full to the state (like the server's
// plan applier would with no conflicts), and records evaluation updates.
type Harness struct {
	State  *MemState
	Logger hclog.Logger
	// Now, when set, is the schedulers' clock (reschedule delays).
	Now func() time.Time

	mu          sync.Mutex
	Plans       []*structs.Plan
	Evals       []*structs.Evaluation
	CreateEvals []*structs.Evaluation
}

var _ Planner = (*Harness)(nil)

// NewHarness returns a harness over state (a fresh MemState when nil).
func NewHarness(state *MemState) *Harness {
	if state == nil {
		state = NewMemState()
	}
	return &Harness{State: state, Logger: hclog.NewNullLogger()}
}

// SubmitPlan implements Planner: it commits the plan in full.
func (h *Harness) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error) {
	h.mu.Lock()
	h.Plans = append(h.Plans, plan)
	h.mu.Unlock()
	return h.State.applyPlan(plan), nil, nil
}

// UpdateEval implements Planner.
func (h *Harness) UpdateEval(eval *structs.Evaluation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Evals = append(h.Evals, eval)
	return nil
}

// CreateEval implements Planner.
func (h *Harness) CreateEval(eval *structs.Evaluation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.CreateEvals = append(h.CreateEvals, eval)
	return nil
}

// Process runs the scheduler for the job type on eval.
func (h *Harness) Process(jobType string, eval *structs.Evaluation) error {
	sched, err := NewScheduler(jobType, h.Logger, h.State, h)
	if err != nil {
		return fmt.Errorf("failed to create scheduler: %w", err)
	}
	if g, ok := sched.(*genericScheduler); ok && h.Now != nil {
		g.now = h.Now
	}
	return sched.Process(eval)
}

// LastPlan returns the most recent plan, or nil.
func (h *Harness) LastPlan() *structs.Plan {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.Plans) == 0 {
		return nil
	}
	return h.Plans[len(h.Plans)-1]
}

// LastEval returns the most recent evaluation update, or nil.
func (h *Harness) LastEval() *structs.Evaluation {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.Evals) == 0 {
		return nil
	}
	return h.Evals[len(h.Evals)-1]
}
