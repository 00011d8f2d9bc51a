package main

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// heartbeater sends every registered node's heartbeat when it is due, with a
// fixed pool of workers instead of a goroutine per node:
//
//	add(i) ──► due-time heap ──► dispatcher (one timer) ──► work ──► workers
//	              ▲                                                     │
//	              └──── next due: done + TTL/2 (retry after 1s) ◄───────┘
//
// As the client agent's loop: the first heartbeat right after registration, the
// next TTL/2 after each one, with the TTL the servers answered for that node
// (they lengthen it with the number of nodes and stagger it). A failed heartbeat
// re-registers the node. When the workers cannot keep up, the dispatcher blocks
// and heartbeats go out late: lateness and each node's silence against its TTL
// are measured (the servers mark a node down after TTL + heartbeat_grace).
type heartbeater struct {
	beat       func(ctx context.Context, i int) (time.Duration, error)
	reregister func(ctx context.Context, i int) error

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	work   chan dueNode
	wake   chan struct{}

	mu      sync.Mutex
	due     dueHeap
	last    []time.Time     // last success (or registration) per node
	ttl     []time.Duration // TTL last handed to each node
	stats   heartbeatStats
	started time.Time

	stopOnce sync.Once
	final    heartbeatStats
}

// heartbeatStats is what the heartbeats measured.
type heartbeatStats struct {
	sent, failures int
	maxLate        time.Duration // longest wait past a due time
	maxSilence     time.Duration // longest time between two successes of one node
	// headroom is the least TTL left when a heartbeat arrived (TTL handed out
	// by the previous heartbeat minus the silence since); below zero the node
	// lived on heartbeat_grace.
	headroom       time.Duration
	minTTL, maxTTL time.Duration
	perSecond      float64
}

// dueNode is one node's next heartbeat.
type dueNode struct {
	at time.Time
	i  int
}

// defaultTTL is what a node uses until the servers tell it theirs (the client's
// default; Nomad's minimum).
const defaultTTL = 10 * time.Second

func newHeartbeater(nodes, workers int,
	beat func(context.Context, int) (time.Duration, error),
	reregister func(context.Context, int) error) *heartbeater {
	ctx, cancel := context.WithCancel(context.Background())
	h := &heartbeater{
		beat: beat, reregister: reregister,
		ctx: ctx, cancel: cancel,
		work:    make(chan dueNode),
		wake:    make(chan struct{}, 1),
		last:    make([]time.Time, nodes),
		ttl:     make([]time.Duration, nodes),
		started: time.Now(),
	}
	h.stats.headroom = time.Duration(1<<63 - 1)
	h.wg.Add(1 + workers)
	go h.dispatch()
	for range workers {
		go h.worker()
	}
	return h
}

// add schedules the first heartbeat of node i, just registered: now.
func (h *heartbeater) add(i int) {
	now := time.Now()
	h.mu.Lock()
	h.last[i] = now
	h.ttl[i] = defaultTTL
	h.push(dueNode{at: now, i: i})
	h.mu.Unlock()
}

// push queues d and wakes the dispatcher; h.mu must be held.
func (h *heartbeater) push(d dueNode) {
	heap.Push(&h.due, d)
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *heartbeater) dispatch() {
	defer h.wg.Done()
	defer close(h.work)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		h.mu.Lock()
		var next *dueNode
		if len(h.due) > 0 {
			d := h.due[0]
			next = &d
		}
		h.mu.Unlock()

		wait := time.Hour
		if next != nil {
			wait = time.Until(next.at)
		}
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-h.ctx.Done():
				return
			case <-h.wake: // something new may be due earlier
				timer.Stop()
				continue
			case <-timer.C:
				continue
			}
		}
		h.mu.Lock()
		d := heap.Pop(&h.due).(dueNode)
		h.mu.Unlock()
		select {
		case h.work <- d:
		case <-h.ctx.Done():
			return
		}
	}
}

func (h *heartbeater) worker() {
	defer h.wg.Done()
	for d := range h.work {
		late := time.Since(d.at)
		ttl, err := h.beat(h.ctx, d.i)
		now := time.Now()
		if h.ctx.Err() != nil {
			return
		}
		h.mu.Lock()
		h.stats.maxLate = max(h.stats.maxLate, late)
		next := now.Add(time.Second)
		if err == nil {
			h.stats.sent++
			silence := now.Sub(h.last[d.i])
			h.stats.maxSilence = max(h.stats.maxSilence, silence)
			h.stats.headroom = min(h.stats.headroom, h.ttl[d.i]-silence)
			if ttl <= 0 {
				ttl = defaultTTL
			}
			if h.stats.minTTL == 0 || ttl < h.stats.minTTL {
				h.stats.minTTL = ttl
			}
			h.stats.maxTTL = max(h.stats.maxTTL, ttl)
			h.last[d.i], h.ttl[d.i] = now, ttl
			next = now.Add(ttl / 2)
		} else {
			h.stats.failures++
		}
		h.mu.Unlock()
		if err != nil {
			// The servers may have forgotten the node or marked it down.
			_ = h.reregister(h.ctx, d.i)
		}
		h.mu.Lock()
		h.push(dueNode{at: next, i: d.i})
		h.mu.Unlock()
	}
}

// stop ends the heartbeats, waits for the workers and returns the stats.
func (h *heartbeater) stop() heartbeatStats {
	h.stopOnce.Do(func() {
		h.cancel()
		h.wg.Wait()
		h.mu.Lock()
		defer h.mu.Unlock()
		h.final = h.stats
		if d := time.Since(h.started).Seconds(); d > 0 {
			h.final.perSecond = float64(h.stats.sent) / d
		}
	})
	return h.final
}

// dueHeap orders nodes by their next heartbeat.
type dueHeap []dueNode

func (q dueHeap) Len() int           { return len(q) }
func (q dueHeap) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q dueHeap) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *dueHeap) Push(x any)        { *q = append(*q, x.(dueNode)) }
func (q *dueHeap) Pop() any {
	old := *q
	d := old[len(old)-1]
	*q = old[:len(old)-1]
	return d
}
