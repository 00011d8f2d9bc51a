package client

import (
	"context"
	"sync"
	"time"

	"github.com/netnomad/netnomad/nomad/structs"
)

// fakeServer is an in-memory ServerAPI with a blocking GetAllocs.
type fakeServer struct {
	mu         sync.Mutex
	changed    chan struct{}
	index      uint64
	nodes      map[string]*structs.Node
	allocs     map[string]*structs.Allocation
	updates    map[string]*structs.Allocation
	heartbeats int
}

var _ ServerAPI = (*fakeServer)(nil)

func newFakeServer() *fakeServer {
	return &fakeServer{
		changed: make(chan struct{}),
		nodes:   map[string]*structs.Node{},
		allocs:  map[string]*structs.Allocation{},
		updates: map[string]*structs.Allocation{},
	}
}

func (s *fakeServer) RegisterNode(_ context.Context, node *structs.Node) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[node.ID] = node.Copy()
	return nil
}

func (s *fakeServer) Heartbeat(_ context.Context, nodeID string) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heartbeats++
	return 200 * time.Millisecond, nil
}

func (s *fakeServer) GetAllocs(ctx context.Context, nodeID string, minIndex uint64) ([]*structs.Allocation, uint64, error) {
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		if s.index > minIndex {
			var out []*structs.Allocation
			for _, a := range s.allocs {
				if a.NodeID == nodeID {
					out = append(out, a.Copy())
				}
			}
			idx := s.index
			s.mu.Unlock()
			return out, idx, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, minIndex, ctx.Err()
		case <-timeout.C:
			return nil, minIndex, nil
		}
	}
}

func (s *fakeServer) UpdateAllocs(_ context.Context, allocs []*structs.Allocation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range allocs {
		s.updates[a.ID] = a
	}
	return nil
}

// bump wakes blocked GetAllocs calls; s.mu must be held.
func (s *fakeServer) bump() {
	s.index++
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *fakeServer) upsertAlloc(a *structs.Allocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a = a.Copy()
	a.AllocModifyIndex = s.index + 1
	s.allocs[a.ID] = a
	s.bump()
}

func (s *fakeServer) stopAlloc(id string) {
	s.mu.Lock()
	a := s.allocs[id].Copy()
	s.mu.Unlock()
	a.DesiredStatus = structs.AllocDesiredStatusStop
	s.upsertAlloc(a)
}

func (s *fakeServer) removeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allocs = map[string]*structs.Allocation{}
	s.bump()
}

func (s *fakeServer) update(id string) *structs.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updates[id]
}

func (s *fakeServer) node(id string) *structs.Node {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nodes[id]
}
