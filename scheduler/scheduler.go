// Package scheduler turns an evaluation into a plan: which allocations to place,
// update or stop, on which nodes, with which host ports. It is pure: it reads a state
// snapshot through State and proposes through Planner; the server applies.
package scheduler

import (
	"fmt"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/structs"
)

// State is the read-only view of the cluster the scheduler works from. The server
// passes a consistent snapshot; implementations must be safe for one goroutine.
type State interface {
	// Nodes returns every registered node, ready or not.
	Nodes() ([]*structs.Node, error)
	NodeByID(id string) (*structs.Node, error)
	// JobByID returns the job, or nil when it does not exist (purged).
	JobByID(namespace, id string) (*structs.Job, error)
	// AllocsByJob returns every allocation of the job, terminal ones included.
	AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error)
	// AllocsByNode returns every allocation on the node, terminal ones included.
	AllocsByNode(nodeID string) ([]*structs.Allocation, error)
	// LatestIndex is the state index of the snapshot.
	LatestIndex() (uint64, error)
}

// Planner applies what the scheduler decides. For `nomad job plan` it is a recorder
// that applies nothing.
type Planner interface {
	// SubmitPlan asks the server to commit the plan. It returns what was committed,
	// and a fresher State when the plan was only partly committed (nil otherwise).
	SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error)
	// UpdateEval records the evaluation's outcome (status, FailedTGAllocs, ...).
	UpdateEval(eval *structs.Evaluation) error
	// CreateEval creates a follow-up evaluation (e.g. a blocked one that reruns when
	// the cluster changes).
	CreateEval(eval *structs.Evaluation) error
}

// Scheduler processes one evaluation at a time.
type Scheduler interface {
	Process(eval *structs.Evaluation) error
}

// NewScheduler returns the scheduler for a job type ("service", "batch", "system").
func NewScheduler(jobType string, logger hclog.Logger, state State, planner Planner) (Scheduler, error) {
	switch jobType {
	case structs.JobTypeService, structs.JobTypeBatch:
		return newGenericScheduler(jobType, logger, state, planner), nil
	}
	return nil, fmt.Errorf("unknown scheduler type %q", jobType)
}
