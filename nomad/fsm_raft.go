package nomad

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/hashicorp/raft"
	"github.com/netnomad/netnomad/nomad/state"
)

var _ raft.FSM = (*fsm)(nil)

// encodeMessage is the raft log entry of a message: the type byte, then the
// request as JSON.
func encodeMessage(t MessageType, req any) ([]byte, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("failed to encode message type %d: %w", t, err)
	}
	return append([]byte{byte(t)}, b...), nil
}

// decodeMessage reverses encodeMessage.
func decodeMessage(data []byte) (MessageType, any, error) {
	if len(data) == 0 {
		return 0, nil, fmt.Errorf("empty log entry")
	}
	t := MessageType(data[0])
	var req any
	switch t {
	case JobRegisterRequestType:
		req = &JobRegisterApply{}
	case JobDeregisterRequestType:
		req = &JobDeregisterApply{}
	case EvalUpdateRequestType:
		req = &EvalUpdateApply{}
	case AllocUpdateRequestType:
		req = &AllocUpdateApply{}
	case AllocClientUpdateRequestType:
		req = &AllocClientUpdateApply{}
	case ApplyPlanResultsRequestType:
		req = &ApplyPlanResultsApply{}
	case NodeRegisterRequestType:
		req = &NodeRegisterApply{}
	case NodeUpdateStatusRequestType:
		req = &NodeUpdateStatusApply{}
	default:
		return t, nil, fmt.Errorf("unknown message type %d", t)
	}
	if err := json.Unmarshal(data[1:], req); err != nil {
		return t, nil, fmt.Errorf("failed to decode message type %d: %w", t, err)
	}
	return t, req, nil
}

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
