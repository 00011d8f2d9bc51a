package nomad

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/state"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/scheduler"
)

// annotateDiff adds the plan's per-group update counts and per-task annotations
// to a diff.
var annotateDiff = scheduler.Annotate

// JobPlanRequest asks what registering Job would do.
type JobPlanRequest struct {
	Job  *structs.Job
	Diff bool
}

// JobPlanResponse is the dry run's outcome.
type JobPlanResponse struct {
	Annotations    *structs.PlanAnnotations
	FailedTGAllocs map[string]*structs.AllocMetric
	// JobModifyIndex is the current job's (0 when the job is new): pass it to
	// `nomad job run -check-index`.
	JobModifyIndex uint64
	CreatedEvals   []*structs.Evaluation
	Diff           *structs.JobDiff
	Warnings       string
	Index          uint64
}

// JobPlan admits the job like JobRegister, then runs the scheduler on a scratch
// copy of the state with the job upserted, through a planner that commits
// nothing. Nothing is written to the state store.
func (s *Server) JobPlan(req *JobPlanRequest) (*JobPlanResponse, error) {
	if req == nil || req.Job == nil {
		return nil, structs.BadRequest(errors.New("missing job for planning"))
	}
	job, warnings, err := s.admissionControl(req.Job.Copy())
	if err != nil {
		return nil, err
	}

	snap, err := s.state.Snapshot()
	if err != nil {
		return nil, err
	}
	index, err := snap.LatestIndex()
	if err != nil {
		return nil, err
	}
	existing, err := snap.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	resp := &JobPlanResponse{Warnings: mergeWarnings(warnings), Index: max(index, 1)}
	if existing != nil {
		resp.JobModifyIndex = existing.JobModifyIndex
	}

	// The scratch write goes to the snapshot only, at an index the store has not
	// used.
	scratchIndex := index + 1
	job.SubmitTime = time.Now().UnixNano()
	if err := snap.UpsertJob(scratchIndex, job); err != nil {
		return nil, fmt.Errorf("failed to plan job %q: %w", job.ID, err)
	}
	planned, err := snap.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixNano()
	eval := newJobEval(planned, structs.EvalTriggerJobRegister, now)
	rec := &planRecorder{logger: s.logger, index: scratchIndex}
	sched, err := newScheduler(job.Type, s.logger.Named("plan"), state.NewSchedulerState(snap), rec)
	if err != nil {
		return nil, structs.BadRequest(fmt.Errorf("failed to create %q scheduler: %w", job.Type, err))
	}
	if err := sched.Process(eval); err != nil {
		return nil, fmt.Errorf("failed to plan job %q: %w", job.ID, err)
	}

	resp.Annotations = &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{}}
	if rec.plan != nil && rec.plan.Annotations != nil {
		resp.Annotations = rec.plan.Annotations
	}
	if rec.eval != nil {
		resp.FailedTGAllocs = rec.eval.FailedTGAllocs
	}
	resp.CreatedEvals = rec.created

	if req.Diff {
		diff, err := existing.Diff(job, true)
		if err != nil {
			return nil, fmt.Errorf("failed to diff job %q: %w", job.ID, err)
		}
		if err := annotateDiff(diff, resp.Annotations); err != nil {
			return nil, fmt.Errorf("failed to annotate diff of job %q: %w", job.ID, err)
		}
		resp.Diff = diff
	}
	return resp, nil
}

// planRecorder is the Planner of a dry run: it records the plan, the
// evaluation's outcome and the evaluations the scheduler would create, and
// reports every plan as fully committed.
type planRecorder struct {
	logger hclog.Logger
	index  uint64

	mu      sync.Mutex
	plan    *structs.Plan
	eval    *structs.Evaluation
	created []*structs.Evaluation
}

var _ scheduler.Planner = (*planRecorder)(nil)

// AnnotatePlan tells a scheduler that checks for it to submit its plan even when
// the plan changes nothing, so `nomad job plan` can show its annotations (Nomad's
// Evaluation.AnnotatePlan).
func (r *planRecorder) AnnotatePlan() bool { return true }

func (r *planRecorder) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plan = plan
	return &structs.PlanResult{
		NodeUpdate:     plan.NodeUpdate,
		NodeAllocation: plan.NodeAllocation,
		AllocIndex:     r.index,
	}, nil, nil
}

func (r *planRecorder) UpdateEval(eval *structs.Evaluation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.eval = eval
	return nil
}

func (r *planRecorder) CreateEval(eval *structs.Evaluation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.created = append(r.created, eval)
	return nil
}
