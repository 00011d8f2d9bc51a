package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/netnomad/netnomad/nomad/structs"
)

// StateDBFile is the database file under the client's state dir.
const StateDBFile = "state.db"

/*
Layout (values are JSON):

	allocations/
	  <alloc_id>/
	    alloc           structs.Allocation
	    network_status  structs.AllocNetworkStatus
	    task-<name>/
	      local_state   LocalState
	      task_state    structs.TaskState
*/
var (
	allocationsBucket = []byte("allocations")
	allocKey          = []byte("alloc")
	networkStatusKey  = []byte("network_status")
	localStateKey     = []byte("local_state")
	taskStateKey      = []byte("task_state")
)

func taskBucketName(task string) []byte { return []byte("task-" + task) }

// BoltStateDB is the StateDB on a bbolt file.
type BoltStateDB struct {
	db *bolt.DB
}

var _ StateDB = (*BoltStateDB)(nil)

// NewBoltStateDB opens (creating if needed) <stateDir>/state.db.
func NewBoltStateDB(stateDir string) (*BoltStateDB, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create state dir %q: %w", stateDir, err)
	}
	path := filepath.Join(stateDir, StateDBFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("failed to open state db %q: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(allocationsBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("failed to initialise state db %q: %w", path, err)
	}
	return &BoltStateDB{db: db}, nil
}

// GetAllAllocations implements StateDB. Allocations that fail to decode are
// skipped with an error joined to the result, so the rest can still be restored.
func (s *BoltStateDB) GetAllAllocations() ([]*structs.Allocation, error) {
	var out []*structs.Allocation
	var errs []error
	err := s.db.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(allocationsBucket)
		return root.ForEachBucket(func(k []byte) error {
			b := root.Bucket(k)
			raw := b.Get(allocKey)
			if raw == nil {
				return nil
			}
			alloc := new(structs.Allocation)
			if err := json.Unmarshal(raw, alloc); err != nil {
				errs = append(errs, fmt.Errorf("failed to decode alloc %q: %w", k, err))
				return nil
			}
			out = append(out, alloc)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read allocations: %w", err)
	}
	return out, errors.Join(errs...)
}

// PutAllocation implements StateDB.
func (s *BoltStateDB) PutAllocation(alloc *structs.Allocation) error {
	return s.put(alloc.ID, "", allocKey, alloc)
}

// GetNetworkStatus implements StateDB.
func (s *BoltStateDB) GetNetworkStatus(allocID string) (*structs.AllocNetworkStatus, error) {
	var out *structs.AllocNetworkStatus
	err := s.get(allocID, "", networkStatusKey, func(raw []byte) error {
		out = new(structs.AllocNetworkStatus)
		return json.Unmarshal(raw, out)
	})
	return out, err
}

// PutNetworkStatus implements StateDB.
func (s *BoltStateDB) PutNetworkStatus(allocID string, status *structs.AllocNetworkStatus) error {
	return s.put(allocID, "", networkStatusKey, status)
}

// GetTaskRunnerState implements StateDB.
func (s *BoltStateDB) GetTaskRunnerState(allocID, task string) (*LocalState, *structs.TaskState, error) {
	var ls *LocalState
	var ts *structs.TaskState
	err := s.get(allocID, task, localStateKey, func(raw []byte) error {
		ls = new(LocalState)
		return json.Unmarshal(raw, ls)
	})
	if err != nil {
		return nil, nil, err
	}
	err = s.get(allocID, task, taskStateKey, func(raw []byte) error {
		ts = new(structs.TaskState)
		return json.Unmarshal(raw, ts)
	})
	if err != nil {
		return nil, nil, err
	}
	return ls, ts, nil
}

// PutTaskRunnerLocalState implements StateDB.
func (s *BoltStateDB) PutTaskRunnerLocalState(allocID, task string, ls *LocalState) error {
	return s.put(allocID, task, localStateKey, ls)
}

// PutTaskState implements StateDB.
func (s *BoltStateDB) PutTaskState(allocID, task string, ts *structs.TaskState) error {
	return s.put(allocID, task, taskStateKey, ts)
}

// DeleteAllocationBucket implements StateDB.
func (s *BoltStateDB) DeleteAllocationBucket(allocID string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(allocationsBucket).DeleteBucket([]byte(allocID))
		if errors.Is(err, bolt.ErrBucketNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("failed to delete alloc %q from state db: %w", allocID, err)
	}
	return nil
}

// Close implements StateDB.
func (s *BoltStateDB) Close() error { return s.db.Close() }

// put stores v as JSON under key in the alloc's bucket, or in its task's bucket
// when task is set, creating buckets as needed.
func (s *BoltStateDB) put(allocID, task string, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("failed to encode %s of alloc %q: %w", key, allocID, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(allocationsBucket).CreateBucketIfNotExists([]byte(allocID))
		if err != nil {
			return err
		}
		if task != "" {
			if b, err = b.CreateBucketIfNotExists(taskBucketName(task)); err != nil {
				return err
			}
		}
		return b.Put(key, raw)
	})
	if err != nil {
		return fmt.Errorf("failed to store %s of alloc %q: %w", key, allocID, err)
	}
	return nil
}

// get calls decode with the raw value of key, if it exists.
func (s *BoltStateDB) get(allocID, task string, key []byte, decode func([]byte) error) error {
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(allocationsBucket).Bucket([]byte(allocID))
		if b != nil && task != "" {
			b = b.Bucket(taskBucketName(task))
		}
		if b == nil {
			return nil
		}
		raw := b.Get(key)
		if raw == nil {
			return nil
		}
		return decode(raw)
	})
	if err != nil {
		return fmt.Errorf("failed to read %s of alloc %q: %w", key, allocID, err)
	}
	return nil
}
