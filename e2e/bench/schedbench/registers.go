package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/nomad/api"
)

// concurrentWriters is the concurrency of the second pass of each target.
const concurrentWriters = 16

// registerPass is one pass of job registrations through one server's API.
type registerPass struct {
	target    string // e.g. "server-2 (follower)"
	writers   int
	n         int
	elapsed   time.Duration
	latencies []time.Duration
}

func (r registerPass) perSecond() float64 { return float64(r.n) / r.elapsed.Seconds() }

// registerTargets are the servers registrations are sent to: the only one, or
// with three servers a follower (which forwards every write to the leader)
// and the leader.
func (c *cluster) registerTargets() ([]*server, []string, error) {
	if len(c.servers) == 1 {
		return c.servers, []string{c.servers[0].name}, nil
	}
	leader := c.leader()
	if leader == nil {
		return nil, nil, fmt.Errorf("no leader known")
	}
	for _, s := range c.servers {
		if s != leader {
			return []*server{s, leader}, []string{s.name + " (follower)", leader.name + " (leader)"}, nil
		}
	}
	return nil, nil, fmt.Errorf("no follower")
}

// measureRegistrations registers n small jobs (count 1, placed by the servers
// in the background) through each target's public API, first one at a time,
// then with concurrentWriters writers, and times the register calls. Job IDs
// carry prefix so passes never update each other's jobs.
func (c *cluster) measureRegistrations(n int, prefix string) ([]registerPass, error) {
	targets, names, err := c.registerTargets()
	if err != nil {
		return nil, err
	}
	var out []registerPass
	for i, s := range targets {
		for _, writers := range []int{1, concurrentWriters} {
			pass := registerPass{target: names[i], writers: writers, n: n}
			idPrefix := fmt.Sprintf("%s-%s-w%d", prefix, s.name, writers)
			if pass.elapsed, pass.latencies, err = registerJobs(s.api, idPrefix, n, writers); err != nil {
				return nil, fmt.Errorf("registrations through %s: %w", names[i], err)
			}
			out = append(out, pass)
		}
	}
	return out, nil
}

// registerJobs registers n jobs <prefix>-<i> with the given number of
// concurrent writers and returns the wall time and each call's latency. The
// first error stops every writer.
func registerJobs(c *api.Client, prefix string, n, writers int) (time.Duration, []time.Duration, error) {
	latencies := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var failed atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				_, _, err := c.Jobs().Register(benchJob(fmt.Sprintf("%s-%d", prefix, i), 1), nil)
				latencies[i] = time.Since(t0)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), latencies, firstErr
}
