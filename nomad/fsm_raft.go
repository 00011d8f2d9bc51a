package nomad

import (
	"io"

	"github.com/hashicorp/raft"
	"github.com/netnomad/netnomad/nomad/state"
)

var _ raft.FSM = (*fsm)(nil)

// Apply implements raft.FSM: it returns nil or the error of the message, which
// raftApply hands back to the writer.
func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	t, req, err := decodeMessage(l.Data)
	if err != nil {
		f.logger.Error("failed to decode log entry", "index", l.Index, "error", err)
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.apply(l.Index, t, req)
}

// Snapshot implements raft.FSM with a point-in-time view of the state store.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	snap, err := f.state.Snapshot()
	if err != nil {
		return nil, err
	}
	return &fsmSnapshot{snap: snap}, nil
}

// Restore implements raft.FSM: the state store is replaced by the snapshot. The
// leader-side effects are rebuilt on leadership gain, not here.
func (f *fsm) Restore(r io.ReadCloser) error {
	defer r.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state.Restore(r)
}

type fsmSnapshot struct {
	snap *state.StateSnapshot
}

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.snap.Persist(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() {}
