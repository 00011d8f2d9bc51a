package agent

import (
	"errors"
	"fmt"
	"time"
)

// heartbeatSettings are the server block's heartbeat keys, parsed. Zero values
// leave the server's defaults (Nomad's: 10s, 10s, 50).
type heartbeatSettings struct {
	grace        time.Duration
	minTTL       time.Duration
	maxPerSecond float64
}

// heartbeat parses heartbeat_grace, min_heartbeat_ttl and
// max_heartbeats_per_second, reporting every bad value at once.
func (s *ServerConfig) heartbeat() (heartbeatSettings, error) {
	var out heartbeatSettings
	if s == nil {
		return out, nil
	}
	var errs []error
	duration := func(key, v string, dst *time.Duration) {
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("server -> %s: invalid duration %q", key, v))
		case d <= 0:
			errs = append(errs, fmt.Errorf("server -> %s: must be positive, got %q", key, v))
		default:
			*dst = d
		}
	}
	duration("heartbeat_grace", s.HeartbeatGrace, &out.grace)
	duration("min_heartbeat_ttl", s.MinHeartbeatTTL, &out.minTTL)
	if s.MaxHeartbeatsPerSecond < 0 {
		errs = append(errs, fmt.Errorf("server -> max_heartbeats_per_second: must be positive, got %v", s.MaxHeartbeatsPerSecond))
	}
	out.maxPerSecond = s.MaxHeartbeatsPerSecond
	return out, errors.Join(errs...)
}
