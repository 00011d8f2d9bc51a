package nomad

import (
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/structs"
)

// blockedEvals holds the evaluations that could not place everything (status
// blocked), at most one per job: a newer one supersedes the older, which is
// cancelled. When capacity may have appeared (a node registered or became ready,
// an allocation finished on its client) Unblock replaces every blocked evaluation
// with a new pending one for its job (TriggeredBy queued-allocs, PreviousEval the
// blocked one) and completes the blocked one.
//
// Block, Unblock and Untrack are called from the FSM while it holds the apply
// lock, so they only record work; one goroutine writes the resulting evaluation
// changes through the apply callback.
type blockedEvals struct {
	logger hclog.Logger
	apply  func(evals []*structs.Evaluation) error

	mu       sync.Mutex
	disabled bool
	byJob    map[jobKey]*structs.Evaluation
	// unblockIndex is the index of the latest capacity change. An evaluation
	// blocked on a snapshot older than that missed it and is unblocked at once.
	unblockIndex uint64
	work         [][]*structs.Evaluation
	notify       chan struct{}
	stop         chan struct{}
	done         chan struct{}
}

func newBlockedEvals(logger hclog.Logger, apply func([]*structs.Evaluation) error) *blockedEvals {
	b := &blockedEvals{
		logger: logger.Named("blocked_evals"),
		apply:  apply,
		byJob:  map[jobKey]*structs.Evaluation{},
		notify: make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go b.run()
	return b
}

// Block tracks a blocked evaluation.
func (b *blockedEvals) Block(e *structs.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.disabled {
		return
	}
	key := evalJobKey(e)
	if old, ok := b.byJob[key]; ok && old.ID != e.ID {
		b.queue(cancelled(old, "evaluation superseded by newer blocked evaluation "+e.ID))
	}
	if e.SnapshotIndex != 0 && e.SnapshotIndex < b.unblockIndex {
		delete(b.byJob, key)
		b.queue(unblocked(e)...)
		return
	}
	b.byJob[key] = e
}

// Unblock re-runs every blocked evaluation: capacity changed at index.
func (b *blockedEvals) Unblock(index uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.disabled {
		return
	}
	b.unblockIndex = max(b.unblockIndex, index)
	for key, e := range b.byJob {
		delete(b.byJob, key)
		b.queue(unblocked(e)...)
	}
}

// Untrack cancels the job's blocked evaluation, if any (the job was stopped).
func (b *blockedEvals) Untrack(namespace, jobID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.disabled {
		return
	}
	key := jobKey{namespace, jobID}
	if e, ok := b.byJob[key]; ok {
		delete(b.byJob, key)
		b.queue(cancelled(e, "job was stopped"))
	}
}

// Blocked returns the number of tracked evaluations.
func (b *blockedEvals) Blocked() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byJob)
}

func (b *blockedEvals) queue(evals ...*structs.Evaluation) {
	b.work = append(b.work, evals)
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

func (b *blockedEvals) run() {
	defer close(b.done)
	for {
		select {
		case <-b.stop:
			return
		case <-b.notify:
		}
		b.mu.Lock()
		work := b.work
		b.work = nil
		b.mu.Unlock()
		for _, evals := range work {
			if err := b.apply(evals); err != nil {
				b.logger.Error("failed to write unblocked evaluations", "error", err)
			}
		}
	}
}

// Close stops the writer goroutine; queued work is dropped.
func (b *blockedEvals) Close() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	<-b.done
}

func cancelled(e *structs.Evaluation, why string) *structs.Evaluation {
	c := e.Copy()
	c.Status = structs.EvalStatusCanceled
	c.StatusDescription = why
	c.ModifyTime = time.Now().UnixNano()
	return c
}

// unblocked returns the blocked evaluation completed and its pending successor.
func unblocked(e *structs.Evaluation) []*structs.Evaluation {
	now := time.Now().UnixNano()
	next := &structs.Evaluation{
		ID:             uuid.NewString(),
		Namespace:      e.Namespace,
		Priority:       e.Priority,
		Type:           e.Type,
		TriggeredBy:    structs.EvalTriggerQueuedAllocs,
		JobID:          e.JobID,
		JobModifyIndex: e.JobModifyIndex,
		Status:         structs.EvalStatusPending,
		PreviousEval:   e.ID,
		CreateTime:     now,
		ModifyTime:     now,
	}
	done := e.Copy()
	done.Status = structs.EvalStatusComplete
	done.StatusDescription = "unblocked by a change in cluster capacity"
	done.NextEval = next.ID
	done.ModifyTime = now
	return []*structs.Evaluation{done, next}
}

// SetEnabled turns tracking on (leadership gained) or off (lost). Disabling
// forgets every blocked evaluation and pending write: the next leader rebuilds
// them from the state store.
func (b *blockedEvals) SetEnabled(enabled bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.disabled = !enabled
	if !enabled {
		b.byJob = map[jobKey]*structs.Evaluation{}
		b.work = nil
	}
}
