package nomad

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"
	"github.com/netnomad/netnomad/nomad/state"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/netnomad/netnomad/scheduler"
)

// newScheduler builds the scheduler for an evaluation. Tests replace it.
var newScheduler = scheduler.NewScheduler

// worker takes evaluations from the broker one at a time and runs the scheduler
// on a state snapshot at least as new as the evaluation. It is the scheduler's
// Planner: plans go to the plan applier, evaluation changes through raftApply.
type worker struct {
	srv    *Server
	logger hclog.Logger

	// Per evaluation; only the worker goroutine touches them.
	eval      *structs.Evaluation
	snapIndex uint64
}

var _ scheduler.Planner = (*worker)(nil)

func newWorker(srv *Server, id int) *worker {
	return &worker{srv: srv, logger: srv.logger.Named("worker").With("worker_id", id)}
}

// run processes evaluations until ctx ends or the broker closes.
func (w *worker) run(ctx context.Context) {
	for {
		eval, token, err := w.srv.broker.Dequeue(ctx)
		if err != nil {
			return
		}
		logger := w.logger.With("eval_id", eval.ID, "job_id", eval.JobID)
		if err := w.process(ctx, eval); err != nil {
			logger.Error("failed to process evaluation", "error", err)
			requeued, nerr := w.srv.broker.Nack(eval.ID, token)
			if nerr != nil {
				logger.Error("failed to nack evaluation", "error", nerr)
				continue
			}
			if !requeued {
				w.markFailed(eval, err)
			}
			continue
		}
		if err := w.srv.broker.Ack(eval.ID, token); err != nil {
			logger.Error("failed to ack evaluation", "error", err)
		}
	}
}

func (w *worker) process(ctx context.Context, eval *structs.Evaluation) error {
	snap, err := w.srv.snapshotMinIndex(ctx, max(eval.ModifyIndex, eval.JobModifyIndex))
	if err != nil {
		return err
	}
	w.eval = eval
	w.snapIndex, _ = snap.LatestIndex()
	sched, err := newScheduler(eval.Type, w.logger.Named(eval.Type), state.NewSchedulerState(snap), w)
	if err != nil {
		return fmt.Errorf("failed to create %q scheduler: %w", eval.Type, err)
	}
	if err := sched.Process(eval.Copy()); err != nil {
		return fmt.Errorf("scheduler failed: %w", err)
	}
	// A scheduler must record the outcome; do it for one that did not, so the
	// evaluation (and its job's status) does not stay pending forever.
	current, err := w.srv.state.EvalByID(nil, eval.ID)
	if err != nil {
		return err
	}
	if current != nil && !current.TerminalStatus() && current.Status != structs.EvalStatusBlocked {
		w.logger.Warn("scheduler left evaluation pending; marking it complete", "eval_id", eval.ID)
		done := current.Copy()
		done.Status = structs.EvalStatusComplete
		return w.UpdateEval(done)
	}
	return nil
}

func (w *worker) markFailed(eval *structs.Evaluation, cause error) {
	failed := eval.Copy()
	failed.Status = structs.EvalStatusFailed
	failed.StatusDescription = fmt.Sprintf("evaluation reached delivery limit (%d): %v", evalDeliveryLimit, cause)
	failed.ModifyTime = time.Now().UnixNano()
	if _, err := w.srv.raftApply(EvalUpdateRequestType, &EvalUpdateApply{Evals: []*structs.Evaluation{failed}}); err != nil {
		w.logger.Error("failed to mark evaluation failed", "eval_id", eval.ID, "error", err)
	}
}

// SubmitPlan hands the plan to the plan applier. When only part of it was
// committed it returns a snapshot at least as new as the refresh index.
func (w *worker) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	if plan.EvalID == "" && w.eval != nil {
		plan.EvalID = w.eval.ID
	}
	result, err := w.srv.planner.apply(plan)
	if err != nil {
		return nil, nil, err
	}
	if result.RefreshIndex == 0 {
		return result, nil, nil
	}
	snap, err := w.srv.snapshotMinIndex(context.Background(), result.RefreshIndex)
	if err != nil {
		return nil, nil, err
	}
	w.snapIndex, _ = snap.LatestIndex()
	return result, state.NewSchedulerState(snap), nil
}

// UpdateEval records the evaluation's outcome.
func (w *worker) UpdateEval(eval *structs.Evaluation) error {
	e := eval.Copy()
	e.ModifyTime = time.Now().UnixNano()
	_, err := w.srv.raftApply(EvalUpdateRequestType, &EvalUpdateApply{Evals: []*structs.Evaluation{e}})
	return err
}

// CreateEval writes a follow-up evaluation. A blocked one without a snapshot
// index gets the worker's, so a capacity change it missed unblocks it at once.
func (w *worker) CreateEval(eval *structs.Evaluation) error {
	e := eval.Copy()
	now := time.Now().UnixNano()
	if e.CreateTime == 0 {
		e.CreateTime = now
	}
	e.ModifyTime = now
	if e.SnapshotIndex == 0 {
		e.SnapshotIndex = w.snapIndex
	}
	_, err := w.srv.raftApply(EvalUpdateRequestType, &EvalUpdateApply{Evals: []*structs.Evaluation{e}})
	return err
}

// snapshotMinIndex returns a state snapshot whose index is at least index,
// waiting for the state to catch up (with raft, a follower's FSM can lag).
func (s *Server) snapshotMinIndex(ctx context.Context, index uint64) (*state.StateSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, got, err := s.state.BlockingQuery(ctx, index-min(index, 1), func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		idx, err := st.LatestIndexWatch(ws)
		return nil, idx, err
	})
	if err != nil {
		return nil, err
	}
	if got < index {
		return nil, errors.New("timed out waiting for state to reach index " + fmt.Sprint(index))
	}
	return s.state.Snapshot()
}
