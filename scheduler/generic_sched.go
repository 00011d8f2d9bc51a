package scheduler

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/structs"
)

const (
	// maxScheduleAttempts bounds how often one evaluation is re-planned after the
	// plan applier committed only part of a plan.
	maxScheduleAttempts = 5

	// blockedEvalDescription is the status description of the blocked evaluation
	// created for placements that did not fit.
	blockedEvalDescription = "created to place remaining allocations"
)

// Allocation descriptions, spelled as Nomad spells them (`nomad alloc status`).
const (
	allocNotNeeded = "alloc not needed due to job update"
	allocUpdating  = "alloc is being updated due to job update"
	allocLost      = "alloc is lost since its node is down"
	allocInPlace   = "alloc updating in-place"
)

// errMaxAttempts is returned when the plan kept being only partly committed.
var errMaxAttempts = fmt.Errorf("maximum attempts reached (%d)", maxScheduleAttempts)

// genericScheduler schedules service and batch jobs: it reconciles each task
// group's desired count with the job's allocations and places what is missing on
// the best-fitting feasible nodes.
type genericScheduler struct {
	logger  hclog.Logger
	state   State
	planner Planner
	batch   bool
	// now is the clock reschedule delays are measured with; tests replace it.
	now func() time.Time

	eval *structs.Evaluation
	job  *structs.Job
	plan *structs.Plan

	failedTGAllocs map[string]*structs.AllocMetric
	queuedAllocs   map[string]int
	blocked        *structs.Evaluation
}

func newGenericScheduler(jobType string, logger hclog.Logger, state State, planner Planner) Scheduler {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &genericScheduler{
		logger:  logger.Named(jobType + "_sched"),
		state:   state,
		planner: planner,
		batch:   jobType == structs.JobTypeBatch,
		now:     time.Now,
	}
}

// Process reconciles the evaluation's job and submits one plan (re-planning after
// partial commits, at most maxScheduleAttempts times). It never mutates eval: the
// outcome (Status complete or failed, FailedTGAllocs, QueuedAllocations,
// BlockedEval) goes to Planner.UpdateEval on a copy.
//
// When placements fail, a blocked evaluation (TriggeredBy "queued-allocs") is
// created with Planner.CreateEval. When eval is itself a blocked evaluation being
// retried and placements still fail, no new one is created: UpdateEval is called
// with Status "blocked" so the server can re-block it.
func (s *genericScheduler) Process(eval *structs.Evaluation) error {
	s.eval = eval
	s.logger = s.logger.With("eval_id", eval.ID, "job_id", eval.JobID, "namespace", eval.Namespace)

	var err error
	done := false
	for attempt := 0; attempt < maxScheduleAttempts && !done; attempt++ {
		done, err = s.process()
		if err != nil {
			break
		}
	}
	if err == nil && !done {
		err = errMaxAttempts
	}
	if err != nil {
		s.logger.Error("failed to schedule evaluation", "error", err)
		if uerr := s.setStatus(structs.EvalStatusFailed, err.Error()); uerr != nil {
			return errors.Join(err, uerr)
		}
		return err
	}

	if eval.Status == structs.EvalStatusBlocked && len(s.failedTGAllocs) > 0 {
		return s.setStatus(structs.EvalStatusBlocked, "")
	}
	if eval.Status != structs.EvalStatusBlocked && len(s.failedTGAllocs) > 0 && s.blocked == nil {
		if err := s.createBlockedEval(); err != nil {
			err = fmt.Errorf("failed to create blocked eval: %w", err)
			if uerr := s.setStatus(structs.EvalStatusFailed, err.Error()); uerr != nil {
				return errors.Join(err, uerr)
			}
			return err
		}
	}
	return s.setStatus(structs.EvalStatusComplete, "")
}

// process runs one attempt. It reports done=false when the plan must be retried
// against fresher state.
func (s *genericScheduler) process() (bool, error) {
	job, err := s.state.JobByID(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return false, fmt.Errorf("failed to get job %q: %w", s.eval.JobID, err)
	}
	s.job = job

	s.failedTGAllocs = nil
	s.queuedAllocs = map[string]int{}
	if job != nil {
		for _, tg := range job.TaskGroups {
			s.queuedAllocs[tg.Name] = 0
		}
	}

	priority := s.eval.Priority
	if job != nil {
		priority = job.Priority
	}
	s.plan = &structs.Plan{
		EvalID:      s.eval.ID,
		Priority:    priority,
		Job:         job,
		Annotations: &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{}},
	}

	if err := s.computeJobAllocs(); err != nil {
		return false, err
	}

	// A no-op plan is not worth submitting, except to a planner that wants its
	// annotations anyway (`nomad job plan` prints "(1 ignore)" for unchanged groups).
	if s.plan.IsNoOp() && !wantsAnnotations(s.planner) {
		return true, nil
	}

	result, newState, err := s.planner.SubmitPlan(s.plan)
	if err != nil {
		return false, fmt.Errorf("failed to submit plan: %w", err)
	}
	if newState != nil {
		s.logger.Debug("refresh forced")
		s.state = newState
	}
	expected, actual := planCommitted(s.plan, result)
	if result == nil || result.RefreshIndex != 0 || actual < expected {
		s.logger.Debug("plan did not fully commit", "attempted", expected, "placed", actual)
		if newState == nil {
			return false, errors.New("missing state refresh after partial commit")
		}
		return false, nil
	}
	return true, nil
}

// planCommitted counts the allocations the plan proposed and those committed.
func planCommitted(plan *structs.Plan, result *structs.PlanResult) (expected, actual int) {
	for node, allocs := range plan.NodeAllocation {
		expected += len(allocs)
		if result != nil {
			actual += len(result.NodeAllocation[node])
		}
	}
	return expected, actual
}

// setStatus sends the evaluation's outcome to the planner, on a copy.
func (s *genericScheduler) setStatus(status, desc string) error {
	out := s.eval.Copy()
	out.Status = status
	out.StatusDescription = desc
	out.FailedTGAllocs = s.failedTGAllocs
	out.QueuedAllocations = s.queuedAllocs
	if s.blocked != nil {
		out.BlockedEval = s.blocked.ID
	}
	out.ModifyTime = s.now().UnixNano()
	if err := s.planner.UpdateEval(out); err != nil {
		return fmt.Errorf("failed to update eval %q: %w", out.ID, err)
	}
	return nil
}

// createBlockedEval creates the follow-up evaluation that reruns when the
// cluster changes, so the queued placements are retried.
func (s *genericScheduler) createBlockedEval() error {
	now := s.now().UnixNano()
	e := &structs.Evaluation{
		ID:                uuid.NewString(),
		Namespace:         s.eval.Namespace,
		Priority:          s.eval.Priority,
		Type:              s.eval.Type,
		TriggeredBy:       structs.EvalTriggerQueuedAllocs,
		JobID:             s.eval.JobID,
		JobModifyIndex:    s.eval.JobModifyIndex,
		Status:            structs.EvalStatusBlocked,
		StatusDescription: blockedEvalDescription,
		PreviousEval:      s.eval.ID,
		CreateTime:        now,
		ModifyTime:        now,
	}
	if s.job != nil {
		e.Priority = s.job.Priority
		e.Type = s.job.Type
		e.JobModifyIndex = s.job.JobModifyIndex
	}
	if err := s.planner.CreateEval(e); err != nil {
		return err
	}
	s.blocked = e
	return nil
}

// wantsAnnotations reports whether the planner asks to see every plan, as the
// server's plan recorder does.
func wantsAnnotations(p Planner) bool {
	a, ok := p.(interface{ AnnotatePlan() bool })
	return ok && a.AnnotatePlan()
}
