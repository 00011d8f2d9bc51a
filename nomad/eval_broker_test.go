package nomad

import (
	"context"
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
	"github.com/shoenig/test/must"
)

func brokerEval(jobID string, priority int) *structs.Evaluation {
	e := mock.Eval()
	e.JobID = jobID
	e.Priority = priority
	return e
}

func dequeue(t *testing.T, b *evalBroker) (*structs.Evaluation, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	e, token, err := b.Dequeue(ctx)
	must.NoError(t, err)
	return e, token
}

func TestEvalBroker_OneEvalPerJobInOrder(t *testing.T) {
	b := newEvalBroker()
	t.Cleanup(b.Close)
	first, second := brokerEval("web", 50), brokerEval("web", 50)
	other := brokerEval("api", 50)
	b.Enqueue(first)
	b.Enqueue(second)
	b.Enqueue(first) // duplicate: ignored
	b.Enqueue(other)

	got, token := dequeue(t, b)
	must.Eq(t, first.ID, got.ID)
	// The second "web" eval waits for the first to be acked.
	got2, token2 := dequeue(t, b)
	must.Eq(t, other.ID, got2.ID)
	ready, waiting, unacked := b.Stats()
	must.Eq(t, [3]int{0, 1, 2}, [3]int{ready, waiting, unacked})

	must.NoError(t, b.Ack(got.ID, token))
	got3, _ := dequeue(t, b)
	must.Eq(t, second.ID, got3.ID)
	must.NoError(t, b.Ack(got2.ID, token2))
	must.Error(t, b.Ack(got3.ID, "wrong-token"))
}

func TestEvalBroker_PriorityAndNack(t *testing.T) {
	b := newEvalBroker()
	t.Cleanup(b.Close)
	low, high := brokerEval("low", 10), brokerEval("high", 90)
	b.Enqueue(low)
	b.Enqueue(high)

	got, token := dequeue(t, b)
	must.Eq(t, high.ID, got.ID)
	// Nacked evals come back until the delivery limit.
	for i := 1; i < evalDeliveryLimit; i++ {
		requeued, err := b.Nack(got.ID, token)
		must.NoError(t, err)
		must.True(t, requeued)
		got, token = dequeue(t, b)
		must.Eq(t, high.ID, got.ID)
	}
	requeued, err := b.Nack(got.ID, token)
	must.NoError(t, err)
	must.False(t, requeued)
	got, _ = dequeue(t, b)
	must.Eq(t, low.ID, got.ID)
}

func TestEvalBroker_CloseUnblocksDequeue(t *testing.T) {
	b := newEvalBroker()
	errCh := make(chan error, 1)
	go func() {
		_, _, err := b.Dequeue(context.Background())
		errCh <- err
	}()
	b.Close()
	select {
	case err := <-errCh:
		must.ErrorIs(t, err, errBrokerClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Dequeue did not return after Close")
	}
}

// TestEvalBroker_DelayedEval checks that a follow-up eval (WaitUntil in the
// future) is handed out only once its time has come, and does not hold back
// its job's other evals meanwhile.
func TestEvalBroker_DelayedEval(t *testing.T) {
	b := newEvalBroker()
	t.Cleanup(b.Close)
	delayed := brokerEval("web", 50)
	delayed.WaitUntil = time.Now().Add(time.Second)
	now := brokerEval("web", 50)
	b.Enqueue(delayed)
	b.Enqueue(now)
	b.Enqueue(delayed) // duplicate: ignored

	got, token := dequeue(t, b)
	must.Eq(t, now.ID, got.ID, must.Sprint("the job's undelayed eval goes first"))
	must.NoError(t, b.Ack(got.ID, token))

	// Nothing is ready before WaitUntil: the broker's timer cannot fire earlier.
	early, cancel := context.WithDeadline(context.Background(), delayed.WaitUntil.Add(-50*time.Millisecond))
	defer cancel()
	_, _, err := b.Dequeue(early)
	must.ErrorIs(t, err, context.DeadlineExceeded)

	got, token = dequeue(t, b)
	must.Eq(t, delayed.ID, got.ID)
	must.False(t, time.Now().Before(delayed.WaitUntil), must.Sprint("released before WaitUntil"))
	must.NoError(t, b.Ack(got.ID, token))
}

func TestEvalBroker_DelayedEvalsDroppedOnLeadershipLoss(t *testing.T) {
	b := newEvalBroker()
	t.Cleanup(b.Close)
	e := brokerEval("web", 50)
	e.WaitUntil = time.Now().Add(100 * time.Millisecond)
	b.Enqueue(e)
	b.SetEnabled(false)
	b.SetEnabled(true)

	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	_, _, err := b.Dequeue(ctx)
	must.ErrorIs(t, err, context.DeadlineExceeded, must.Sprint("the next leader re-enqueues it from the state store"))
}
