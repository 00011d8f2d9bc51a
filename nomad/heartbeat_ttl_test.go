package nomad

import (
	"testing"
	"time"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/shoenig/test/must"
)

// fixStagger makes the server's heartbeat TTLs deterministic: every TTL gets
// exactly d added instead of a random stagger.
func fixStagger(s *Server, d time.Duration) {
	s.heartbeats.mu.Lock()
	defer s.heartbeats.mu.Unlock()
	s.heartbeats.stagger = func(time.Duration) time.Duration { return d }
}

func TestHeartbeatTTL(t *testing.T) {
	half := func(d time.Duration) time.Duration { return d / 2 }
	none := func(time.Duration) time.Duration { return 0 }
	for _, tc := range []struct {
		name    string
		min     time.Duration
		rate    float64
		nodes   int
		stagger func(time.Duration) time.Duration
		want    time.Duration
	}{
		{"few nodes get the minimum", 10 * time.Second, 50, 3, none, 10 * time.Second},
		{"minimum covers up to min*rate nodes", 10 * time.Second, 50, 500, none, 10 * time.Second},
		{"more nodes stretch the TTL to keep the rate", 10 * time.Second, 50, 1000, none, 20 * time.Second},
		{"a lower rate stretches it sooner", 1 * time.Second, 2, 10, none, 5 * time.Second},
		{"stagger is added on top", 10 * time.Second, 50, 1000, half, 30 * time.Second},
		{"stagger of the minimum", 1 * time.Second, 50, 0, half, 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			must.Eq(t, tc.want, heartbeatTTL(tc.min, tc.rate, tc.nodes, tc.stagger))
		})
	}
}

func TestRandomStagger_StaysBelowItsBound(t *testing.T) {
	must.Eq(t, 0, randomStagger(0))
	for range 1000 {
		got := randomStagger(time.Second)
		must.NonNegative(t, got)
		must.Less(t, time.Second, got)
	}
}

// TestHeartbeat_TTLGrowsWithNodes: the TTL handed to clients is the minimum
// while few nodes heartbeat, and grows once they would exceed the rate.
func TestHeartbeat_TTLGrowsWithNodes(t *testing.T) {
	s := testServer(t, func(c *Config) {
		c.MinHeartbeatTTL = time.Second
		c.MaxHeartbeatsPerSecond = 2
	})
	fixStagger(s, 0)
	var ttls []time.Duration
	for range 4 {
		node := mock.Node()
		_, err := s.NodeRegister(node)
		must.NoError(t, err)
		ttl, err := s.NodeHeartbeat(node.ID)
		must.NoError(t, err)
		ttls = append(ttls, ttl)
	}
	// Heartbeat of node i counts the i+1 timers running by then: 1s, 1s, 1.5s, 2s.
	must.Eq(t, []time.Duration{time.Second, time.Second, 1500 * time.Millisecond, 2 * time.Second}, ttls)
}
