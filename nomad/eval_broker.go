package nomad

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/structs"
)

// errBrokerClosed is returned by Dequeue once the broker is shut down.
var errBrokerClosed = errors.New("eval broker closed")

// evalDeliveryLimit is how often an evaluation is handed out before it is given up
// as failed (Nomad's default).
const evalDeliveryLimit = 3

// evalBroker queues pending evaluations for the workers. At most one evaluation per
// job is outstanding (ready or being processed): later ones for the same job wait,
// in order, until it is acked, so a job's evaluations never race each other. Ready
// evaluations are handed out by priority, then in arrival order.
//
// Enqueuing an evaluation the broker already holds (same ID) is a no-op, so a
// scheduler may write its own evaluation back as pending without duplicating it.
//
// An evaluation with a WaitUntil in the future is held aside (eval_broker_delay.go)
// and joins its job's queue only once that time has passed.
type evalBroker struct {
	mu       sync.Mutex
	closed   bool
	disabled bool
	known    map[string]struct{}
	ready    []*structs.Evaluation
	inflight map[jobKey]string
	waiting  map[jobKey][]*structs.Evaluation
	unacked  map[string]*unackedEval
	attempts map[string]int
	// wake is closed (and replaced) whenever an evaluation becomes ready.
	wake chan struct{}

	delayed    delayedEvals
	delayTimer *time.Timer
}

type unackedEval struct {
	eval  *structs.Evaluation
	token string
}

// jobKey names a job across namespaces.
type jobKey struct{ namespace, id string }

func evalJobKey(e *structs.Evaluation) jobKey { return jobKey{e.Namespace, e.JobID} }

func newEvalBroker() *evalBroker {
	return &evalBroker{
		known:    map[string]struct{}{},
		inflight: map[jobKey]string{},
		waiting:  map[jobKey][]*structs.Evaluation{},
		unacked:  map[string]*unackedEval{},
		attempts: map[string]int{},
		wake:     make(chan struct{}),
	}
}

// Enqueue adds a pending evaluation. It never blocks.
func (b *evalBroker) Enqueue(e *structs.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.disabled {
		return
	}
	if _, ok := b.known[e.ID]; ok {
		return
	}
	b.known[e.ID] = struct{}{}
	if e.WaitUntil.After(time.Now()) {
		b.delay(e)
		return
	}
	b.admit(e)
}

// admit queues a known evaluation behind its job's outstanding one, or makes it
// ready. The caller holds b.mu.
func (b *evalBroker) admit(e *structs.Evaluation) {
	key := evalJobKey(e)
	if _, busy := b.inflight[key]; busy {
		b.waiting[key] = append(b.waiting[key], e)
		return
	}
	b.inflight[key] = e.ID
	b.pushReady(e)
}

// pushReady inserts e after every ready evaluation of the same or higher priority.
func (b *evalBroker) pushReady(e *structs.Evaluation) {
	i := len(b.ready)
	for i > 0 && b.ready[i-1].Priority < e.Priority {
		i--
	}
	b.ready = append(b.ready, nil)
	copy(b.ready[i+1:], b.ready[i:])
	b.ready[i] = e
	if !b.closed {
		close(b.wake)
		b.wake = make(chan struct{})
	}
}

// Dequeue blocks until an evaluation is ready, ctx ends or the broker closes. The
// caller must Ack or Nack the evaluation with the returned token.
func (b *evalBroker) Dequeue(ctx context.Context) (*structs.Evaluation, string, error) {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return nil, "", errBrokerClosed
		}
		if len(b.ready) > 0 {
			e := b.ready[0]
			b.ready = b.ready[1:]
			token := uuid.NewString()
			b.unacked[e.ID] = &unackedEval{eval: e, token: token}
			b.attempts[e.ID]++
			b.mu.Unlock()
			return e, token, nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, "", ctx.Err()
		case <-wake:
		}
	}
}

// Ack marks an evaluation processed and releases its job's next evaluation.
func (b *evalBroker) Ack(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.checkToken(evalID, token)
	if err != nil {
		return err
	}
	b.forget(u.eval)
	return nil
}

// Nack returns an evaluation whose processing failed. It is handed out again
// unless it reached the delivery limit; then it is dropped and Nack reports false
// so the caller can mark it failed.
func (b *evalBroker) Nack(evalID, token string) (requeued bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.checkToken(evalID, token)
	if err != nil {
		return false, err
	}
	if b.attempts[evalID] >= evalDeliveryLimit {
		b.forget(u.eval)
		return false, nil
	}
	delete(b.unacked, evalID)
	b.pushReady(u.eval)
	return true, nil
}

func (b *evalBroker) checkToken(evalID, token string) (*unackedEval, error) {
	u, ok := b.unacked[evalID]
	if !ok {
		return nil, fmt.Errorf("evaluation %q is not outstanding", evalID)
	}
	if u.token != token {
		return nil, fmt.Errorf("evaluation %q: token does not match", evalID)
	}
	return u, nil
}

// forget drops an outstanding evaluation and promotes the next of its job.
func (b *evalBroker) forget(e *structs.Evaluation) {
	delete(b.unacked, e.ID)
	delete(b.known, e.ID)
	delete(b.attempts, e.ID)
	key := evalJobKey(e)
	delete(b.inflight, key)
	if next := b.waiting[key]; len(next) > 0 {
		b.waiting[key] = next[1:]
		if len(b.waiting[key]) == 0 {
			delete(b.waiting, key)
		}
		b.inflight[key] = next[0].ID
		b.pushReady(next[0])
	}
}

// Stats reports how many evaluations are ready, waiting behind their job's, and
// being processed.
func (b *evalBroker) Stats() (ready, waiting, unacked int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.waiting {
		waiting += len(w)
	}
	return len(b.ready), waiting, len(b.unacked)
}

// Close stops the broker: Dequeue returns errBrokerClosed and Enqueue drops.
func (b *evalBroker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	b.dropDelayed()
	close(b.wake)
}

// SetEnabled turns the broker on (leadership gained) or off (lost). Disabling
// forgets every evaluation: the next leader rebuilds its queue from the state
// store. Enqueue drops evaluations while disabled.
func (b *evalBroker) SetEnabled(enabled bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.disabled = !enabled
	if enabled {
		return
	}
	b.known = map[string]struct{}{}
	b.ready = nil
	b.inflight = map[jobKey]string{}
	b.waiting = map[jobKey][]*structs.Evaluation{}
	b.unacked = map[string]*unackedEval{}
	b.attempts = map[string]int{}
	b.dropDelayed()
}
