package network

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// cniGate bounds how many Setup, Teardown and Check calls run their CNI chain at
// once in this process, and lets GC run alone (it holds the write side).
//
// The limit is the CPU count. Measured on a 2-core VM with 50 allocations at
// once (make bench-network, nftables backend): one at a time (what Nomad does)
// took 6.4 s to set all up and 10.7 s to tear all down; two at a time 4.3 s and
// 8.9 s; four 4.9 s and 7.5 s with more CPU per allocation. A plugin run is
// mostly process start-up and waiting on the kernel, so one extra chain per core
// fills the gaps; beyond that they fight over the CPU and the xtables lock.
var cniGate = newGate(runtime.NumCPU())

// gate is a counting semaphore with an exclusive mode.
type gate struct {
	rw    sync.RWMutex
	slots chan struct{}
}

func newGate(n int) *gate { return &gate{slots: make(chan struct{}, max(n, 1))} }

// enter takes a slot; leave gives it back.
func (g *gate) enter() { g.rw.RLock(); g.slots <- struct{}{} }
func (g *gate) leave() { <-g.slots; g.rw.RUnlock() }

// enterAlone waits until no slot is taken and keeps every caller of enter out
// until leaveAlone.
func (g *gate) enterAlone() { g.rw.Lock() }
func (g *gate) leaveAlone() { g.rw.Unlock() }

// portClaims are the host ports (per protocol, "28080/tcp") of the Setup and
// Teardown calls in flight. Since setups run concurrently, the port-conflict
// check against libcni's cache and the ADD that caches the new mapping are no
// longer atomic: a claim makes a second setup (or a setup racing the teardown
// of the port's previous owner) wait until the first is done, then check.
type portClaims struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

var hostPorts = &portClaims{held: map[string]chan struct{}{}}

// claim waits until none of keys is held, then holds them all until release is
// called. Callers must claim before entering cniGate (a slot holder never waits
// for a claim, so the two cannot deadlock).
func (p *portClaims) claim(ctx context.Context, keys []string) (release func(), err error) {
	for {
		p.mu.Lock()
		var busy chan struct{}
		for _, k := range keys {
			if ch, ok := p.held[k]; ok {
				busy = ch
				break
			}
		}
		if busy == nil {
			done := make(chan struct{})
			for _, k := range keys {
				p.held[k] = done
			}
			p.mu.Unlock()
			return func() {
				p.mu.Lock()
				for _, k := range keys {
					delete(p.held, k)
				}
				p.mu.Unlock()
				close(done)
			}, nil
		}
		p.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// portKeys are the claim keys of port mappings.
func portKeys(ms []PortMapping) []string {
	keys := make([]string, 0, len(ms))
	for _, m := range ms {
		keys = append(keys, fmt.Sprintf("%d/%s", m.HostPort, m.Protocol))
	}
	return keys
}
