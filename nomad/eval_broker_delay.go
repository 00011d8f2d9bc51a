package nomad

import (
	"container/heap"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// delayedEvals holds pending evaluations whose WaitUntil is in the future (a
// failed allocation's follow-up), earliest first. The broker keeps one timer
// armed for the earliest and releases each evaluation into the normal queue once
// its time has come; nothing polls.
type delayedEvals []*structs.Evaluation

var _ heap.Interface = (*delayedEvals)(nil)

func (d delayedEvals) Len() int           { return len(d) }
func (d delayedEvals) Less(i, j int) bool { return d[i].WaitUntil.Before(d[j].WaitUntil) }
func (d delayedEvals) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d *delayedEvals) Push(x any)        { *d = append(*d, x.(*structs.Evaluation)) }
func (d *delayedEvals) Pop() any {
	old := *d
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*d = old[:len(old)-1]
	return e
}

// delay holds e until its WaitUntil. The caller holds b.mu.
func (b *evalBroker) delay(e *structs.Evaluation) {
	heap.Push(&b.delayed, e)
	b.armDelayTimer()
}

// armDelayTimer points the timer at the earliest delayed evaluation, or stops
// it when there is none. The caller holds b.mu.
func (b *evalBroker) armDelayTimer() {
	if len(b.delayed) == 0 {
		if b.delayTimer != nil {
			b.delayTimer.Stop()
		}
		return
	}
	wait := time.Until(b.delayed[0].WaitUntil)
	if b.delayTimer == nil {
		b.delayTimer = time.AfterFunc(wait, b.releaseDelayed)
		return
	}
	b.delayTimer.Reset(wait)
}

// releaseDelayed moves every delayed evaluation whose time has come into the
// queue and re-arms the timer for the rest. A late or spurious call is harmless.
func (b *evalBroker) releaseDelayed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.disabled {
		return
	}
	now := time.Now()
	for len(b.delayed) > 0 && !b.delayed[0].WaitUntil.After(now) {
		b.admit(heap.Pop(&b.delayed).(*structs.Evaluation))
	}
	b.armDelayTimer()
}

// dropDelayed forgets every delayed evaluation (shutdown, leadership lost). The
// caller holds b.mu.
func (b *evalBroker) dropDelayed() {
	b.delayed = nil
	if b.delayTimer != nil {
		b.delayTimer.Stop()
	}
}
