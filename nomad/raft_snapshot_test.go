package nomad

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/shoenig/test/must"
)

// TestServer_RaftSnapshotSettings: with a low snapshot threshold and interval,
// raft snapshots on its own once enough entries are written, and compacts the
// log down to the trailing logs; a restart comes back with every job.
func TestServer_RaftSnapshotSettings(t *testing.T) {
	dir := t.TempDir()
	start := func() *Server {
		s, err := NewServer(&Config{Logger: testLogger(t), NumSchedulers: 1, DataDir: dir,
			RaftSnapshotThreshold: 4, RaftSnapshotInterval: 10 * time.Millisecond, RaftTrailingLogs: 2})
		must.NoError(t, err)
		t.Cleanup(s.Shutdown)
		return s
	}
	s := start()
	for i := range 10 {
		job := mock.Job()
		job.ID, job.Name = fmt.Sprintf("job-%d", i), fmt.Sprintf("job-%d", i)
		_, err := s.JobRegister(&JobRegisterRequest{Job: job})
		must.NoError(t, err)
	}
	last, err := s.raftStore.LastIndex()
	must.NoError(t, err)

	snaps, err := raft.NewFileSnapshotStoreWithLogger(raftDir(dir), snapshotsRetained, hclog.NewNullLogger())
	must.NoError(t, err)
	waitFor(t, func() error {
		metas, err := snaps.List()
		if err != nil {
			return err
		}
		// Snapshots only happen with more than threshold entries since the
		// last: the newest can lag by up to 4.
		if len(metas) == 0 || metas[0].Index+4 < last {
			return fmt.Errorf("no snapshot near index %d yet: %v", last, metas)
		}
		first, err := s.raftStore.FirstIndex()
		if err != nil {
			return err
		}
		// Compacted: at most the trailing 2 entries before the snapshot remain.
		if first+2 < metas[0].Index {
			return fmt.Errorf("log starts at %d, snapshot at %d", first, metas[0].Index)
		}
		return nil
	})
	s.Shutdown()

	s2 := start()
	for i := range 10 {
		job, err := s2.State().JobByID(nil, "default", fmt.Sprintf("job-%d", i))
		must.NoError(t, err)
		must.NotNil(t, job)
	}
}

// TestServer_RaftSnapshotIntervalTooLow: raft's own limit is reported, and the
// server does not start.
func TestServer_RaftSnapshotIntervalTooLow(t *testing.T) {
	_, err := NewServer(&Config{Logger: testLogger(t), DataDir: t.TempDir(),
		RaftSnapshotInterval: time.Millisecond})
	must.ErrorContains(t, err, "SnapshotInterval is too low")
}
