package agent

import (
	"errors"
	"fmt"
	"time"
)

// minRaftSnapshotInterval is the shortest interval raft accepts (ValidateConfig).
const minRaftSnapshotInterval = 5 * time.Millisecond

// raftSnapshotSettings are the server block's raft snapshot keys, parsed. Zero
// values leave raft's defaults, which are Nomad's (8192, 120s, 10240).
type raftSnapshotSettings struct {
	threshold    uint64
	interval     time.Duration
	trailingLogs uint64
}

// raftSnapshots parses raft_snapshot_threshold, raft_snapshot_interval and
// raft_trailing_logs, reporting every bad value at once. As in Nomad, a key that
// is set must be at least 1 (the interval at least 5ms): 0 is an error, not
// "the default".
func (s *ServerConfig) raftSnapshots() (raftSnapshotSettings, error) {
	var out raftSnapshotSettings
	if s == nil {
		return out, nil
	}
	var errs []error
	count := func(key string, v *int, dst *uint64) {
		if v == nil {
			return
		}
		if *v < 1 {
			errs = append(errs, fmt.Errorf("server -> %s: must be positive, got %d", key, *v))
			return
		}
		*dst = uint64(*v)
	}
	count("raft_snapshot_threshold", s.RaftSnapshotThreshold, &out.threshold)
	if v := s.RaftSnapshotInterval; v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("server -> raft_snapshot_interval: invalid duration %q", v))
		case d < minRaftSnapshotInterval:
			errs = append(errs, fmt.Errorf("server -> raft_snapshot_interval: must be at least %s, got %q", minRaftSnapshotInterval, v))
		default:
			out.interval = d
		}
	}
	count("raft_trailing_logs", s.RaftTrailingLogs, &out.trailingLogs)
	return out, errors.Join(errs...)
}
