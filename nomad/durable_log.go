package nomad

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/netnomad/netnomad/nomad/structs"
)

// durableLog keeps every applied message on disk, one JSON line each, so a server
// with a data dir restarts with its state: on start the log is replayed through the
// FSM. It is the single-server stand-in for hashicorp/raft's log store (issue 5
// replaces it); the message types are already the future raft entries.
//
// Contract: append is called under the raft lock, before the message is applied,
// and returns only once the entry is on disk (fsync).
type durableLog struct {
	f *os.File
	w *bufio.Writer
}

type logEntry struct {
	Index uint64
	Type  MessageType
	Req   json.RawMessage
}

// logFileName is the log's path below the agent's data dir.
func logFileName(dataDir string) string { return filepath.Join(dataDir, "server", "state.log") }

func openDurableLog(dataDir string) (*durableLog, error) {
	path := logFileName(dataDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create server dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open server log %q: %w", path, err)
	}
	return &durableLog{f: f, w: bufio.NewWriter(f)}, nil
}

func (l *durableLog) append(index uint64, t MessageType, req any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("failed to encode log entry %d: %w", index, err)
	}
	line, err := json.Marshal(logEntry{Index: index, Type: t, Req: b})
	if err != nil {
		return err
	}
	if _, err := l.w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("failed to write log entry %d: %w", index, err)
	}
	if err := l.w.Flush(); err != nil {
		return fmt.Errorf("failed to write log entry %d: %w", index, err)
	}
	return l.f.Sync()
}

func (l *durableLog) close() error { return l.f.Close() }

// replay reads the log from the start and calls apply for each entry. A torn last
// line (a crash mid-write) ends the replay; the file is truncated to the last whole
// entry so later appends start clean.
func (l *durableLog) replay(apply func(index uint64, t MessageType, req any) error) (last uint64, err error) {
	if _, err := l.f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	r := bufio.NewReader(l.f)
	var good int64
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return last, fmt.Errorf("failed to read server log: %w", err)
		}
		var e logEntry
		if err := json.Unmarshal(line, &e); err != nil {
			break
		}
		req, err := decodeRequest(e.Type, e.Req)
		if err != nil {
			return last, fmt.Errorf("failed to decode log entry %d: %w", e.Index, err)
		}
		if err := apply(e.Index, e.Type, req); err != nil {
			// The entry failed when it was first applied too: same outcome.
			continue
		}
		last = e.Index
		good += int64(len(line))
	}
	if err := l.f.Truncate(good); err != nil {
		return last, fmt.Errorf("failed to truncate torn server log: %w", err)
	}
	return last, nil
}

// decodeRequest returns the typed request of a log entry.
func decodeRequest(t MessageType, raw json.RawMessage) (any, error) {
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
		return nil, fmt.Errorf("unknown message type %d", t)
	}
	if err := json.Unmarshal(raw, req); err != nil {
		return nil, err
	}
	return req, nil
}

// restore replays the durable log into the state store with the FSM's side effects
// (broker, blocked evals) off, then rebuilds those from the restored state: pending
// evals are enqueued, blocked ones tracked, and every ready node gets a heartbeat
// timer so a client that never comes back is marked down.
func (s *Server) restore() error {
	f := s.raft.fsm
	realBroker, realBlocked := f.broker, f.blocked
	f.broker = newEvalBroker()
	f.blocked = newBlockedEvals(s.logger, func([]*structs.Evaluation) error { return nil })
	last, err := s.raft.log.replay(f.apply)
	f.blocked.Close()
	f.broker.Close()
	f.broker, f.blocked = realBroker, realBlocked
	if err != nil {
		return err
	}
	s.raft.index = last

	evals, err := s.state.Evals(nil, "")
	if err != nil {
		return err
	}
	for _, e := range evals {
		switch e.Status {
		case structs.EvalStatusPending:
			s.broker.Enqueue(e)
		case structs.EvalStatusBlocked:
			s.blocked.Block(e)
		}
	}
	nodes, err := s.state.Nodes(nil, "")
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if n.Status == structs.NodeStatusReady {
			s.heartbeats.reset(n.ID)
		}
	}
	s.logger.Info("restored server state", "index", last, "evals", len(evals), "nodes", len(nodes))
	return nil
}
