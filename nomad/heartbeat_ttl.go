package nomad

import (
	"math/rand/v2"
	"time"
)

// heartbeatTTL is the TTL handed to a client while n nodes have heartbeat
// timers, computed as Nomad does: long enough that n nodes heartbeating once per
// TTL stay under maxPerSecond, never shorter than min, plus a random stagger of
// up to that much again so that nodes registered together drift apart. stagger
// returns a value in [0, d); tests pass a fixed one.
func heartbeatTTL(min time.Duration, maxPerSecond float64, n int, stagger func(time.Duration) time.Duration) time.Duration {
	ttl := min
	if maxPerSecond > 0 {
		if scaled := time.Duration(float64(time.Second) * float64(n) / maxPerSecond); scaled > ttl {
			ttl = scaled
		}
	}
	return ttl + stagger(ttl)
}

// randomStagger returns a uniformly random duration in [0, d).
func randomStagger(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d)))
}
