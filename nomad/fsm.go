package nomad

import (
	"fmt"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/state"
	"github.com/netnomad/netnomad/nomad/structs"
)

// MessageType names a state change. Every write to the state store is one message
// applied through raftApply: a raft log entry is the type byte followed by the
// encoded request (fsm_codec.go), and fsm.apply runs it on every server. Types
// stay below 0x80, the bit that marks the encoding.
type MessageType uint8

const (
	JobRegisterRequestType MessageType = iota
	JobDeregisterRequestType
	EvalUpdateRequestType
	AllocUpdateRequestType
	AllocClientUpdateRequestType
	ApplyPlanResultsRequestType
	NodeRegisterRequestType
	NodeUpdateStatusRequestType
)

// JobRegisterApply upserts a job and creates its evaluation.
type JobRegisterApply struct {
	Job  *structs.Job
	Eval *structs.Evaluation
}

// JobDeregisterApply stops (or, with Purge, deletes) a job and creates its
// evaluation.
type JobDeregisterApply struct {
	Namespace string
	JobID     string
	Purge     bool
	Eval      *structs.Evaluation
}

// EvalUpdateApply upserts evaluations.
type EvalUpdateApply struct {
	Evals []*structs.Evaluation
}

// AllocUpdateApply writes server-side allocation changes (a user's stop) and the
// evaluations that follow them.
type AllocUpdateApply struct {
	Allocs []*structs.Allocation
	Evals  []*structs.Evaluation
}

// AllocClientUpdateApply writes what clients report, and the evaluations that
// follow failed allocations.
type AllocClientUpdateApply struct {
	Allocs []*structs.Allocation
	Evals  []*structs.Evaluation
}

// ApplyPlanResultsApply commits the part of a plan that fits. Allocations of
// the plan's job version carry no Job: it travels once, here, and the FSM
// attaches it. Entries written before this carried it in every allocation;
// they apply the same.
type ApplyPlanResultsApply struct {
	Job    *structs.Job
	Allocs []*structs.Allocation
}

// NodeRegisterApply upserts a node and the evaluations its transition needs.
type NodeRegisterApply struct {
	Node  *structs.Node
	Evals []*structs.Evaluation
}

// NodeUpdateStatusApply changes a node's status and creates the evaluations its
// transition needs.
type NodeUpdateStatusApply struct {
	NodeID    string
	Status    string
	UpdatedAt int64
	Evals     []*structs.Evaluation
}

// fsm applies messages to the state store, then tells the eval broker and the
// blocked-eval tracker what changed (the leader-side effects Nomad's FSM has; both
// ignore them while this server is not the leader). It is the raft FSM (see
// fsm_raft.go). The effects must not call back into raftApply.
type fsm struct {
	logger  hclog.Logger
	state   *state.StateStore
	broker  *evalBroker
	blocked *blockedEvals

	// mu serialises applies with leadership changes, so the leader's scan of the
	// state for pending and blocked evals sees every eval exactly once.
	mu sync.Mutex
}

func (f *fsm) apply(index uint64, t MessageType, req any) error {
	switch t {
	case JobRegisterRequestType:
		return f.applyJobRegister(index, req.(*JobRegisterApply))
	case JobDeregisterRequestType:
		return f.applyJobDeregister(index, req.(*JobDeregisterApply))
	case EvalUpdateRequestType:
		return f.upsertEvals(index, req.(*EvalUpdateApply).Evals)
	case AllocUpdateRequestType:
		r := req.(*AllocUpdateApply)
		if err := f.state.UpsertAllocs(index, r.Allocs); err != nil {
			return err
		}
		return f.upsertEvals(index, r.Evals)
	case AllocClientUpdateRequestType:
		return f.applyAllocClientUpdate(index, req.(*AllocClientUpdateApply))
	case ApplyPlanResultsRequestType:
		r := req.(*ApplyPlanResultsApply)
		for _, a := range r.Allocs {
			if a.Job == nil {
				a.Job = r.Job
			}
		}
		return f.state.UpsertAllocs(index, r.Allocs)
	case NodeRegisterRequestType:
		r := req.(*NodeRegisterApply)
		if err := f.state.UpsertNode(index, r.Node); err != nil {
			return err
		}
		if r.Node.Ready() {
			f.blocked.Unblock(index)
		}
		return f.upsertEvals(index, r.Evals)
	case NodeUpdateStatusRequestType:
		r := req.(*NodeUpdateStatusApply)
		if err := f.state.UpdateNodeStatus(index, r.NodeID, r.Status, r.UpdatedAt); err != nil {
			return err
		}
		if r.Status == structs.NodeStatusReady {
			f.blocked.Unblock(index)
		}
		return f.upsertEvals(index, r.Evals)
	}
	return fmt.Errorf("unknown message type %d", t)
}

func (f *fsm) applyJobRegister(index uint64, r *JobRegisterApply) error {
	if err := f.state.UpsertJob(index, r.Job); err != nil {
		return err
	}
	if r.Eval == nil {
		return nil
	}
	// The eval must name the job version it was created for.
	job, err := f.state.JobByID(nil, r.Job.Namespace, r.Job.ID)
	if err != nil {
		return err
	}
	if job != nil {
		r.Eval.JobModifyIndex = job.JobModifyIndex
	}
	return f.upsertEvals(index, []*structs.Evaluation{r.Eval})
}

func (f *fsm) applyJobDeregister(index uint64, r *JobDeregisterApply) error {
	if r.Purge {
		if err := f.state.DeleteJob(index, r.Namespace, r.JobID); err != nil {
			return err
		}
	} else {
		job, err := f.state.JobByID(nil, r.Namespace, r.JobID)
		if err != nil {
			return err
		}
		if job == nil {
			return fmt.Errorf("job %q: %w", r.JobID, structs.ErrNotFound)
		}
		if !job.Stop {
			stopped := job.Copy()
			stopped.Stop = true
			if err := f.state.UpsertJob(index, stopped); err != nil {
				return err
			}
		}
	}
	// A stopped job needs no capacity: forget its blocked eval.
	f.blocked.Untrack(r.Namespace, r.JobID)
	if r.Eval == nil {
		return nil
	}
	r.Eval.JobModifyIndex = index
	return f.upsertEvals(index, []*structs.Evaluation{r.Eval})
}

// applyAllocClientUpdate writes client fields and, when an allocation became
// terminal on the client, unblocks blocked evals: its resources are free.
func (f *fsm) applyAllocClientUpdate(index uint64, r *AllocClientUpdateApply) error {
	freed, err := f.state.UpdateAllocsFromClient(index, r.Allocs)
	if err != nil {
		return err
	}
	if freed {
		f.blocked.Unblock(index)
	}
	return f.upsertEvals(index, r.Evals)
}

// upsertEvals writes evaluations, then hands pending ones to the broker and
// blocked ones to the blocked-eval tracker.
func (f *fsm) upsertEvals(index uint64, evals []*structs.Evaluation) error {
	if len(evals) == 0 {
		return nil
	}
	if err := f.state.UpsertEvals(index, evals); err != nil {
		return err
	}
	for _, e := range evals {
		switch e.Status {
		case structs.EvalStatusPending:
			f.broker.Enqueue(e)
		case structs.EvalStatusBlocked:
			f.blocked.Block(e)
		}
	}
	return nil
}
