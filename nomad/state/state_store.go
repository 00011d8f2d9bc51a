// Package state is the server's in-memory state store: jobs (with their versions),
// evaluations, allocations and nodes in a go-memdb database.
//
// Every write takes an explicit index supplied by the caller (the raft log index once
// the server replicates; a counter until then). Indexes must be monotonic. Objects
// handed to or returned by the store are immutable once inserted: callers that want
// to change one must Copy it first and write the copy.
//
// Reads take a memdb.WatchSet (nil allowed); the watch channels of everything read
// are added to it so BlockingQuery can wait for a change.
package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// StateStore is safe for concurrent use. Writes are serialised by memdb.
type StateStore struct {
	db *memdb.MemDB
}

// StateSnapshot is a point-in-time view of the store. It has every read method of
// StateStore. Writes to a snapshot change only the snapshot (job plan uses this as a
// scratch copy); they are never seen by the store it came from.
type StateSnapshot struct {
	StateStore
}

// NewStateStore returns an empty store.
func NewStateStore() *StateStore {
	db, err := memdb.NewMemDB(mustSchema())
	if err != nil {
		panic(fmt.Sprintf("state: failed to create memdb: %v", err))
	}
	return &StateStore{db: db}
}

// Snapshot returns a consistent view of the store as of now.
func (s *StateStore) Snapshot() (*StateSnapshot, error) {
	return &StateSnapshot{StateStore: StateStore{db: s.db.Snapshot()}}, nil
}

// Index returns the latest index written to table, or 0 when it was never written.
func (s *StateStore) Index(table string) (uint64, error) {
	txn := s.db.Txn(false)
	raw, err := txn.First(TableIndex, "id", table)
	if err != nil {
		return 0, fmt.Errorf("failed to look up index of table %q: %w", table, err)
	}
	if raw == nil {
		return 0, nil
	}
	return raw.(*IndexEntry).Value, nil
}

// LatestIndex returns the highest index written to any table.
func (s *StateStore) LatestIndex() (uint64, error) {
	return latestIndex(s.db.Txn(false), nil)
}

// LatestIndexWatch is LatestIndex, watching the index table for the next write.
func (s *StateStore) LatestIndexWatch(ws memdb.WatchSet) (uint64, error) {
	return latestIndex(s.db.Txn(false), ws)
}

func latestIndex(txn *memdb.Txn, ws memdb.WatchSet) (uint64, error) {
	iter, err := txn.Get(TableIndex, "id")
	if err != nil {
		return 0, fmt.Errorf("failed to list indexes: %w", err)
	}
	if ws != nil {
		ws.Add(iter.WatchCh())
	}
	var max uint64
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		if v := raw.(*IndexEntry).Value; v > max {
			max = v
		}
	}
	return max, nil
}

// bumpIndex records that table was written at index. Indexes never go back.
func bumpIndex(txn *memdb.Txn, table string, index uint64) error {
	raw, err := txn.First(TableIndex, "id", table)
	if err != nil {
		return fmt.Errorf("failed to look up index of table %q: %w", table, err)
	}
	if raw != nil && raw.(*IndexEntry).Value >= index {
		return nil
	}
	if err := txn.Insert(TableIndex, &IndexEntry{Key: table, Value: index}); err != nil {
		return fmt.Errorf("failed to update index of table %q: %w", table, err)
	}
	return nil
}

// watch adds ch to ws when ws is not nil.
func watch(ws memdb.WatchSet, ch <-chan struct{}) {
	if ws != nil {
		ws.Add(ch)
	}
}
